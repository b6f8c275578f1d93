package accessanalyzer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy/generate"
	"github.com/rolecall/rolecall/internal/store"
)

// Policy generation (StartPolicyGeneration, GetGeneratedPolicy,
// ListPolicyGenerations, CancelPolicyGeneration) reads the access rows of
// the trail (store.SummarizeAccess) for one principal and time range and
// writes the policy package generate builds. Jobs are kept in the store,
// so a job started on one node is read on any other; the node that
// started it runs it.

// maxGenerationRange is the longest time range a policy generation reads:
// Access Analyzer reads up to 90 days of trail.
const maxGenerationRange = 90 * 24 * time.Hour

// serviceLevelWindow is how far back the service-level template looks for
// services used (IAM's service last accessed data covers 400 days).
const serviceLevelWindow = 400 * 24 * time.Hour

// defaultListResults is ListPolicyGenerations' page size when maxResults
// is not given.
const defaultListResults = 100

// generationOps returns the operations of policy generation.
func (a *Analyzer) generationOps() []*api.Operation {
	return []*api.Operation{
		{Name: "StartPolicyGeneration", Action: "access-analyzer:StartPolicyGeneration",
			HTTP: api.HTTP{Method: http.MethodPut, Path: "/policy/generation"}, Handle: a.startPolicyGeneration},
		{Name: "GetGeneratedPolicy", Action: "access-analyzer:GetGeneratedPolicy", ReadOnly: true,
			HTTP: api.HTTP{Method: http.MethodGet, Path: "/policy/generation/{jobId}"}, Handle: a.getGeneratedPolicy},
		{Name: "ListPolicyGenerations", Action: "access-analyzer:ListPolicyGenerations", ReadOnly: true,
			HTTP: api.HTTP{Method: http.MethodGet, Path: "/policy/generation"}, Handle: a.listPolicyGenerations},
		{Name: "CancelPolicyGeneration", Action: "access-analyzer:CancelPolicyGeneration",
			HTTP: api.HTTP{Method: http.MethodPut, Path: "/policy/generation/{jobId}"}, Handle: a.cancelPolicyGeneration},
	}
}

type trailInput struct {
	CloudTrailARN string   `json:"cloudTrailArn"`
	Regions       []string `json:"regions,omitempty"`
	AllRegions    *bool    `json:"allRegions,omitempty"`
}

type startInput struct {
	PolicyGenerationDetails *struct {
		PrincipalARN string `json:"principalArn"`
	} `json:"policyGenerationDetails"`
	CloudTrailDetails *struct {
		Trails     []trailInput `json:"trails"`
		AccessRole string       `json:"accessRole"`
		StartTime  *string      `json:"startTime"`
		EndTime    *string      `json:"endTime"`
	} `json:"cloudTrailDetails"`
	ClientToken string `json:"clientToken"`
}

// parseTime reads an ISO 8601 timestamp as Access Analyzer's model writes
// them.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, validationError("cannotParse", fmt.Sprintf("Invalid timestamp for %s: %s", field, s), field)
	}
	return t.UTC(), nil
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (a *Analyzer) startPolicyGeneration(c *api.Call) (any, error) {
	var in startInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if in.PolicyGenerationDetails == nil || in.PolicyGenerationDetails.PrincipalARN == "" {
		return nil, validationError("fieldValidationFailed", "policyGenerationDetails is required.", "policyGenerationDetails")
	}
	principal := in.PolicyGenerationDetails.PrincipalARN
	if parts := strings.SplitN(principal, ":", 6); len(parts) < 6 || parts[4] != c.Account {
		return nil, validationError("fieldValidationFailed",
			"The principal must be an IAM role or user in the account "+c.Account+".", "policyGenerationDetails.principalArn")
	}
	ct := in.CloudTrailDetails
	if ct == nil {
		// Without a trail Access Analyzer falls back to service last
		// accessed data alone; rolecall generates from its trail.
		return nil, validationError("notSupported",
			"cloudTrailDetails is required: policies are generated from the trail rolecall records.", "cloudTrailDetails")
	}
	if len(ct.Trails) == 0 {
		return nil, validationError("fieldValidationFailed", "At least one trail is required.", "cloudTrailDetails.trails")
	}
	if ct.StartTime == nil {
		return nil, validationError("fieldValidationFailed", "startTime is required.", "cloudTrailDetails.startTime")
	}
	now := a.cfg.Now().UTC()
	start, err := parseTime("cloudTrailDetails.startTime", *ct.StartTime)
	if err != nil {
		return nil, err
	}
	end := now
	if ct.EndTime != nil {
		if end, err = parseTime("cloudTrailDetails.endTime", *ct.EndTime); err != nil {
			return nil, err
		}
	}
	switch {
	case start.After(now):
		return nil, validationError("fieldValidationFailed", "The start time must not be in the future.", "cloudTrailDetails.startTime")
	case !start.Before(end):
		return nil, validationError("fieldValidationFailed", "The end time must be after the start time.", "cloudTrailDetails.endTime")
	case end.Sub(start) > maxGenerationRange:
		return nil, validationError("fieldValidationFailed",
			"The time range between the start time and the end time must not exceed 90 days.", "cloudTrailDetails.startTime")
	}
	if end.After(now) {
		end = now
	}
	for _, t := range ct.Trails {
		if t.AllRegions != nil && *t.AllRegions && len(t.Regions) > 0 {
			return nil, validationError("fieldValidationFailed",
				"Specify either allRegions or regions for a trail, not both.", "cloudTrailDetails.trails")
		}
	}
	// The access role is handed to Access Analyzer, which assumes it: as
	// for any role passed to a service, the caller must be allowed
	// iam:PassRole on it for access-analyzer.amazonaws.com.
	if err := c.Authorize("iam:PassRole", api.Resource{ARN: ct.AccessRole, Type: "AWS::IAM::Role"},
		map[string][]string{"iam:PassedToService": {servicePrincipal}}); err != nil {
		return nil, err
	}
	j := &job{
		ID: newJobID(), Account: c.Account, PrincipalARN: principal, Status: statusInProgress, StartedOn: now,
		Trails: ct.Trails, AccessRole: ct.AccessRole, Start: start, End: end,
	}
	req, _ := json.Marshal(in)
	j.Request = string(req)
	id, created, err := a.createJob(c, j, in.ClientToken)
	if err != nil {
		return nil, err
	}
	if created {
		a.run(c, j)
	}
	return map[string]string{"jobId": id}, nil
}

// jobParam returns the job the path names. GetGeneratedPolicy and
// CancelPolicyGeneration have no ResourceNotFoundException in their
// model: a job ID that names no job of the account is a
// ValidationException.
func (a *Analyzer) jobParam(c *api.Call) (*job, error) {
	id := c.PathParams["jobId"]
	j, err := a.loadJob(c.Context, c.Account, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, validationError("fieldValidationFailed", "Invalid jobId: no policy generation job "+id+" exists.", "jobId")
	}
	return j, err
}

// boolParam reads a boolean query parameter; anything but true or false is
// refused.
func boolParam(c *api.Call, name string) (bool, error) {
	v := c.Params.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil || (v != "true" && v != "false") {
		return false, validationError("cannotParse", fmt.Sprintf("Invalid value for %s: %s", name, v), name)
	}
	return b, nil
}

// getGeneratedPolicy answers the job and, once it succeeded, the policy.
// Beside the model's members the answer carries "notes" (a list of
// {kind, sid, action, resource, count, message}): what the generator did
// that the policy does not show (resources collapsed to a wildcard,
// statements for calls a service made on the principal's behalf,
// iam:PassRole conditions). SDKs ignore members their model lacks.
func (a *Analyzer) getGeneratedPolicy(c *api.Call) (any, error) {
	placeholders, err := boolParam(c, "includeResourcePlaceholders")
	if err != nil {
		return nil, err
	}
	serviceLevel, err := boolParam(c, "includeServiceLevelTemplate")
	if err != nil {
		return nil, err
	}
	j, err := a.jobParam(c)
	if err != nil {
		return nil, err
	}
	props := map[string]any{
		"principalArn": j.PrincipalARN,
		"cloudTrailProperties": map[string]any{
			"trailProperties": j.trailProperties(),
			"startTime":       formatTime(j.Start),
			"endTime":         formatTime(j.End),
		},
	}
	out := map[string]any{
		"jobDetails":            j.details(),
		"generatedPolicyResult": map[string]any{"properties": props},
	}
	if j.Status != statusSucceeded {
		return out, nil
	}
	opts := generate.Options{Placeholders: placeholders}
	if serviceLevel {
		opts.ServiceLevel = j.ServiceLevel
	}
	g := generate.New(a.catalog(), opts)
	for _, r := range j.Rows {
		g.Add(r)
	}
	res := g.Result()
	props["isComplete"] = true
	policies := make([]map[string]string, 0, len(res.Policies))
	for _, p := range res.Policies {
		policies = append(policies, map[string]string{"policy": p})
	}
	out["generatedPolicyResult"].(map[string]any)["generatedPolicies"] = policies
	notes := res.Notes
	if notes == nil {
		notes = []generate.Note{}
	}
	out["notes"] = notes
	return out, nil
}

func (a *Analyzer) listPolicyGenerations(c *api.Call) (any, error) {
	principal := c.Params.Get("principalArn")
	limit := defaultListResults
	if v := c.Params.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, validationError("fieldValidationFailed", "maxResults must be at least 1.", "maxResults")
		}
		limit = n
	}
	scope := api.TokenScope("ListPolicyGenerations", c.Account, principal)
	after := ""
	if tok := c.Params.Get("nextToken"); tok != "" {
		pos, ok := api.DecodeToken(scope, tok)
		if !ok {
			return nil, validationError("fieldValidationFailed", "Invalid pagination token.", "nextToken")
		}
		after = pos
	}
	jobs, next, err := a.listJobs(c.Context, c.Account, principal, after, limit)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, 0, len(jobs))
	for _, j := range jobs {
		d := j.details()
		delete(d, "jobError")
		d["principalArn"] = j.PrincipalARN
		list = append(list, d)
	}
	out := map[string]any{"policyGenerations": list}
	if next != "" {
		out["nextToken"] = api.EncodeToken(scope, next)
	}
	return out, nil
}

func (a *Analyzer) cancelPolicyGeneration(c *api.Call) (any, error) {
	j, err := a.jobParam(c)
	if err != nil {
		return nil, err
	}
	if err := a.cancelJob(c.Context, j); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}
