package accessanalyzer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/catalog"
	"github.com/rolecall/rolecall/internal/policy/generate"
	"github.com/rolecall/rolecall/internal/store"
)

// Tables of policy generation jobs.
const (
	tableGenerations = "accessanalyzer_generations"       // account/startedOn(20 digits)/jobId -> job
	tableGenJobIDs   = "accessanalyzer_generation_ids"    // account/jobId -> key in tableGenerations
	tableGenTokens   = "accessanalyzer_generation_tokens" // account/clientToken -> jobId
)

// Job states and error codes (model: JobStatus, JobErrorCode).
const (
	statusInProgress = "IN_PROGRESS"
	statusSucceeded  = "SUCCEEDED"
	statusFailed     = "FAILED"
	statusCanceled   = "CANCELED"

	errAuthorization    = "AUTHORIZATION_ERROR"
	errResourceNotFound = "RESOURCE_NOT_FOUND_ERROR"
	errService          = "SERVICE_ERROR"
)

// jobTimeout bounds one generation run.
const jobTimeout = 10 * time.Minute

// job is one policy generation as the store keeps it. Rows are the
// principal's allowed decisions in the range, summed per distinct row:
// GetGeneratedPolicy renders them with the options it is asked for.
type job struct {
	ID           string         `json:"id"`
	Account      string         `json:"account"`
	PrincipalARN string         `json:"principalArn"`
	Status       string         `json:"status"`
	StartedOn    time.Time      `json:"startedOn"`
	CompletedOn  time.Time      `json:"completedOn,omitzero"`
	ErrorCode    string         `json:"errorCode,omitempty"`
	ErrorMessage string         `json:"errorMessage,omitempty"`
	Trails       []trailInput   `json:"trails"`
	AccessRole   string         `json:"accessRole"`
	Start        time.Time      `json:"start"`
	End          time.Time      `json:"end"`
	Request      string         `json:"request"` // the request, to tell a retry from another use of its client token
	Rows         []generate.Row `json:"rows,omitempty"`
	ServiceLevel []string       `json:"serviceLevel,omitempty"`
}

func (j *job) key() string {
	return fmt.Sprintf("%s/%020d/%s", j.Account, j.StartedOn.UnixNano(), j.ID)
}

func (j *job) details() map[string]any {
	d := map[string]any{"jobId": j.ID, "status": j.Status, "startedOn": formatTime(j.StartedOn)}
	if !j.CompletedOn.IsZero() {
		d["completedOn"] = formatTime(j.CompletedOn)
	}
	if j.ErrorCode != "" {
		d["jobError"] = map[string]string{"code": j.ErrorCode, "message": j.ErrorMessage}
	}
	return d
}

func (j *job) trailProperties() []map[string]any {
	out := make([]map[string]any, 0, len(j.Trails))
	for _, t := range j.Trails {
		p := map[string]any{"cloudTrailArn": t.CloudTrailARN, "allRegions": t.AllRegions != nil && *t.AllRegions}
		if len(t.Regions) > 0 {
			p["regions"] = t.Regions
		}
		out = append(out, p)
	}
	return out
}

func newJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (a *Analyzer) catalog() *catalog.Catalog { return catalog.Load() }

// createJob stores j, or returns the job an earlier request with the same
// client token created (created false). A client token used for another
// request is refused with ConflictException.
func (a *Analyzer) createJob(c *api.Call, j *job, token string) (id string, created bool, err error) {
	body, err := json.Marshal(j)
	if err != nil {
		return "", false, fmt.Errorf("accessanalyzer: encode job: %w", err)
	}
	_, err = a.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		id, created = "", false
		if token != "" {
			prev, err := tx.Get(c.Context, tableGenTokens, j.Account+"/"+token)
			switch {
			case err == nil:
				old, err := getJob(c.Context, tx, j.Account, string(prev))
				if err != nil {
					return err
				}
				if old.Request != j.Request {
					return &api.Error{Code: "ConflictException", Status: http.StatusConflict,
						Message: "The client token was already used for a different request.",
						Fields:  map[string]any{"resourceId": token, "resourceType": "PolicyGeneration"}}
				}
				id = old.ID
				return nil
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			if err := tx.Put(c.Context, tableGenTokens, j.Account+"/"+token, []byte(j.ID)); err != nil {
				return err
			}
		}
		if err := tx.Put(c.Context, tableGenJobIDs, j.Account+"/"+j.ID, []byte(j.key())); err != nil {
			return err
		}
		id, created = j.ID, true
		return tx.Put(c.Context, tableGenerations, j.key(), body)
	})
	return id, created, err
}

func getJob(ctx context.Context, r store.Reader, account, id string) (*job, error) {
	key, err := r.Get(ctx, tableGenJobIDs, account+"/"+id)
	if err != nil {
		return nil, err
	}
	b, err := r.Get(ctx, tableGenerations, string(key))
	if err != nil {
		return nil, err
	}
	var j job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("accessanalyzer: decode job %s: %w", id, err)
	}
	return &j, nil
}

func (a *Analyzer) loadJob(ctx context.Context, account, id string) (*job, error) {
	return getJob(ctx, a.cfg.Store, account, id)
}

// listJobs returns up to limit jobs of account, oldest first, of principal
// when it is not "", after the key after; next is the key to continue from.
func (a *Analyzer) listJobs(ctx context.Context, account, principal, after string, limit int) ([]*job, string, error) {
	var out []*job
	for {
		items, err := a.cfg.Store.List(ctx, tableGenerations, account+"/", after, 500)
		if err != nil {
			return nil, "", err
		}
		for _, it := range items {
			var j job
			if err := json.Unmarshal(it.Value, &j); err != nil {
				return nil, "", fmt.Errorf("accessanalyzer: decode job %s: %w", it.Key, err)
			}
			after = it.Key
			if principal != "" && j.PrincipalARN != principal {
				continue
			}
			if len(out) == limit {
				// One more exists: continue after the last one returned.
				return out, out[len(out)-1].key(), nil
			}
			out = append(out, &j)
		}
		if len(items) < 500 {
			return out, "", nil
		}
	}
}

// finish writes the outcome of a run unless the job was canceled meanwhile.
func (a *Analyzer) finish(ctx context.Context, j *job, update func(*job)) error {
	_, err := a.cfg.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := getJob(ctx, tx, j.Account, j.ID)
		if err != nil {
			return err
		}
		if cur.Status != statusInProgress {
			return nil
		}
		update(cur)
		cur.CompletedOn = a.cfg.Now().UTC()
		b, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		return tx.Put(ctx, tableGenerations, cur.key(), b)
	})
	return err
}

// cancelJob marks an IN_PROGRESS job CANCELED; a finished job stays as it is.
func (a *Analyzer) cancelJob(ctx context.Context, j *job) error {
	err := a.finish(ctx, j, func(cur *job) { cur.Status = statusCanceled })
	if err != nil {
		return fmt.Errorf("accessanalyzer: cancel job %s: %w", j.ID, err)
	}
	return nil
}

// run starts the generation in the background. It outlives the request
// (its context keeps the request's values, not its end), bounded by
// jobTimeout.
func (a *Analyzer) run(c *api.Call, j *job) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), jobTimeout)
	go func() {
		defer cancel()
		code, msg, err := a.generate(ctx, j)
		if err != nil {
			code, msg = errService, "Policy generation failed: "+err.Error()
		}
		// The outcome is written with a context of its own, so that a
		// run that timed out still says so.
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer wcancel()
		_ = a.finish(wctx, j, func(cur *job) {
			if code != "" {
				cur.Status, cur.ErrorCode, cur.ErrorMessage = statusFailed, code, msg
				return
			}
			cur.Status, cur.Rows, cur.ServiceLevel = statusSucceeded, j.Rows, j.ServiceLevel
		})
	}()
}

// generate checks the trail and the access role and reads the rows into
// j. A failure Access Analyzer reports as the job's error is returned as
// code and message; err is a failure of rolecall itself.
func (a *Analyzer) generate(ctx context.Context, j *job) (code, msg string, err error) {
	if code, msg, err := a.checkAccess(ctx, j); code != "" || err != nil {
		return code, msg, err
	}
	return "", "", a.readRows(ctx, j)
}

// readRows reads the principal's allowed decisions in the range into
// j.Rows, summed per distinct row (the store sums over time), and the services of the window before
// the range into j.ServiceLevel.
func (a *Analyzer) readRows(ctx context.Context, j *job) error {
	type rowKey struct {
		source, name, action, resource, invokedBy string
		extra                                     bool
	}
	sums := map[rowKey]int64{}
	var order []rowKey
	for r, err := range a.cfg.Store.SummarizeAccess(ctx, store.AccessQuery{Account: j.Account, PrincipalARN: j.PrincipalARN, Start: j.Start, End: j.End}) {
		if err != nil {
			return fmt.Errorf("read the trail: %w", err)
		}
		if r.Decision != "Allow" {
			continue
		}
		k := rowKey{action: r.Action, resource: r.Resource, invokedBy: r.InvokedBy, extra: r.Extra}
		if r.Extra {
			// The call a further check was made for matters only to it
			// (iam:PassedToService, the dependent-action note).
			k.source, k.name = r.EventSource, r.EventName
		}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += r.Count
	}
	j.Rows = make([]generate.Row, 0, len(order))
	used := map[string]bool{}
	for _, k := range order {
		j.Rows = append(j.Rows, generate.Row{EventSource: k.source, EventName: k.name, Action: k.action, Resource: k.resource,
			Decision: "Allow", Extra: k.extra, InvokedBy: k.invokedBy, Count: sums[k]})
		used[service(k.action)] = true
	}
	// The service-level template: services used in the window before the
	// range (as service last accessed data shows them) but not in it.
	seen := map[string]bool{}
	for r, err := range a.cfg.Store.SummarizeAccess(ctx, store.AccessQuery{Account: j.Account, PrincipalARN: j.PrincipalARN,
		Start: j.End.Add(-serviceLevelWindow), End: j.Start.Add(-time.Second)}) {
		if err != nil {
			return fmt.Errorf("read the trail: %w", err)
		}
		if s := service(r.Action); r.Decision == "Allow" && s != "" && !used[s] && !seen[s] {
			seen[s] = true
			j.ServiceLevel = append(j.ServiceLevel, s)
		}
	}
	return nil
}

func service(action string) string {
	s, _, _ := strings.Cut(action, ":")
	return strings.ToLower(s)
}
