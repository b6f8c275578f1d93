package accessanalyzer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rolecall/rolecall/internal/access/unused"
	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/policy"
	"github.com/rolecall/rolecall/internal/service/iam"
	"github.com/rolecall/rolecall/internal/store"
)

// Directory is what unused access analysis reads from IAM: the roles and
// users of an account with the uses IAM records, and the identity policies
// of a principal (*iam.IAM is one).
type Directory interface {
	Entities(ctx context.Context, account string) ([]iam.Entity, error)
	PolicyInput(ctx context.Context, p *api.Principal) (policy.SetInput, error)
}

// Finding types of unused access analyzers. UnusedIAMUserPassword is never
// produced: rolecall has no console sign-in, so users have no passwords.
const (
	findingUnusedRole       = "UnusedIAMRole"
	findingUnusedKey        = "UnusedIAMUserAccessKey"
	findingUnusedPermission = "UnusedPermission"
)

// Finding statuses.
const (
	statusActive   = "ACTIVE"
	statusArchived = "ARCHIVED"
	statusResolved = "RESOLVED"
)

// findingDetails is one FindingDetails member of an unused access finding.
type findingDetails struct {
	UnusedPermission *unusedPermissionDetails `json:"unusedPermissionDetails,omitempty"`
	UnusedRole       *lastAccessedDetails     `json:"unusedIamRoleDetails,omitempty"`
	UnusedKey        *unusedKeyDetails        `json:"unusedIamUserAccessKeyDetails,omitempty"`
}

type unusedPermissionDetails struct {
	ServiceNamespace string         `json:"serviceNamespace"`
	LastAccessed     string         `json:"lastAccessed,omitempty"`
	Actions          []unusedAction `json:"actions,omitempty"`
}

type unusedAction struct {
	Action       string `json:"action"`
	LastAccessed string `json:"lastAccessed,omitempty"`
}

type lastAccessedDetails struct {
	LastAccessed string `json:"lastAccessed,omitempty"`
}

type unusedKeyDetails struct {
	AccessKeyID  string `json:"accessKeyId"`
	LastAccessed string `json:"lastAccessed,omitempty"`
}

// findingRecord is a stored finding: what the analysis found the last time
// it was true, and the status the analyzer and its users gave it.
type findingRecord struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Resource     string           `json:"resource"`
	ResourceType string           `json:"resourceType"`
	Owner        string           `json:"owner"`
	Status       string           `json:"status"`
	Created      time.Time        `json:"created"`
	Updated      time.Time        `json:"updated"`
	Details      []findingDetails `json:"details"`
	Sum          string           `json:"sum"` // of Details, to tell a change
}

// findingID is the stable ID of the finding of kind on resource (and, for
// an access key, the key) of an analyzer: the same on every analysis.
func findingID(analyzerARN, kind, resource, key string) string {
	h := sha256.Sum256([]byte(analyzerARN + "\x00" + kind + "\x00" + resource + "\x00" + key))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// optionalTime writes t as a Timestamp, or "" for the zero time.
func optionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return isoTime(t)
}

// analyze returns the findings true of the analyzer's account at now. An
// entity is analyzed when it has existed for the whole tracking period
// (the analyzer's unusedAccessAge, in days, before now) and no exclusion
// of the analysis rule leaves it out; the trail's access rows and IAM's
// own records of use (a role's last assumption, an access key's last use)
// are the evidence.
//
//   - UnusedIAMRole: a role neither assumed nor making any recorded call
//     within the period.
//   - UnusedPermission: a role or user that was used, for the services
//     whose granted actions (access.Reach of its identity policies, after
//     its boundary) were not all allowed within the period: per service
//     the actions not used, each with its last use before the period.
//   - UnusedIAMUserAccessKey: an active access key, older than the period,
//     that signed no request within it.
func (a *Analyzer) analyze(ctx context.Context, account string, rec *analyzerRecord, now time.Time) ([]findingRecord, string, error) {
	if a.cfg.IAM == nil {
		return nil, "", fmt.Errorf("accessanalyzer: no IAM directory configured")
	}
	entities, err := a.cfg.IAM.Entities(ctx, account)
	if err != nil {
		return nil, "", fmt.Errorf("accessanalyzer: read IAM entities: %w", err)
	}
	cutoff := now.Add(-time.Duration(rec.Age) * 24 * time.Hour)
	var out []findingRecord
	last := ""
	add := func(e *iam.Entity, kind, key string, details []findingDetails) error {
		b, err := json.Marshal(details)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out = append(out, findingRecord{ID: findingID(rec.ARN, kind, e.ARN, key), Type: kind, Resource: e.ARN,
			ResourceType: e.Type, Owner: account, Details: details, Sum: hex.EncodeToString(sum[:8])})
		return nil
	}
	for k := range entities {
		e := &entities[k]
		if e.Created.After(cutoff) || excludes(rec.Exclusions, account, e.Tags) {
			continue
		}
		last = e.ARN
		report, err := a.usage(ctx, account, e, cutoff, now)
		if err != nil {
			return nil, "", err
		}
		lastUsed := report.LastUsed
		if e.LastAssumed.After(lastUsed) {
			lastUsed = e.LastAssumed
		}
		if e.Type == iam.RoleType && lastUsed.Before(cutoff) {
			if err := add(e, findingUnusedRole, "", []findingDetails{{UnusedRole: &lastAccessedDetails{LastAccessed: optionalTime(lastUsed)}}}); err != nil {
				return nil, "", err
			}
			continue
		}
		if len(report.Unused) > 0 {
			details := make([]findingDetails, 0, len(report.Unused))
			for _, s := range report.Unused {
				d := &unusedPermissionDetails{ServiceNamespace: s.Service, LastAccessed: optionalTime(s.LastAccessed)}
				for _, ua := range s.Actions {
					d.Actions = append(d.Actions, unusedAction{Action: ua.Action, LastAccessed: optionalTime(ua.LastAccessed)})
				}
				details = append(details, findingDetails{UnusedPermission: d})
			}
			if err := add(e, findingUnusedPermission, "", details); err != nil {
				return nil, "", err
			}
		}
		for _, key := range e.Keys {
			if key.Status != "Active" || key.Created.After(cutoff) || !key.LastUsed.Before(cutoff) {
				continue
			}
			d := []findingDetails{{UnusedKey: &unusedKeyDetails{AccessKeyID: key.ID, LastAccessed: optionalTime(key.LastUsed)}}}
			if err := add(e, findingUnusedKey, key.ID, d); err != nil {
				return nil, "", err
			}
		}
	}
	return out, last, nil
}

// usage compares what entity e is granted with what the trail recorded of
// it within [start, end].
func (a *Analyzer) usage(ctx context.Context, account string, e *iam.Entity, start, end time.Time) (*unused.Report, error) {
	p := &api.Principal{Account: account, ARN: e.ARN}
	pp := policy.Principal{ARN: e.ARN, Account: account, ID: e.ID}
	if e.Type == iam.RoleType {
		p.Type, p.RoleARN, p.RoleName, p.RoleID = api.AssumedRole, e.ARN, e.Name, e.ID
		pp.Type, pp.RoleARN = policy.Role, e.ARN
	} else {
		p.Type, p.UserName, p.PrincipalID = api.IAMUser, e.Name, e.ID
		pp.Type = policy.User
	}
	in, err := a.cfg.IAM.PolicyInput(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("accessanalyzer: policies of %s: %w", e.ARN, err)
	}
	report, err := unused.Principal(ctx, a.cfg.Store, in, pp, start, end)
	if err != nil {
		return nil, fmt.Errorf("accessanalyzer: %w", err)
	}
	return report, nil
}

// refresh analyzes the analyzer's account at the time of the call and
// brings its stored findings in line, in one transaction: a finding found
// again keeps its status (a RESOLVED one becomes ACTIVE again), a new one
// is ACTIVE, one no longer true is RESOLVED, and a finding's updatedAt
// moves when its status or details change. It returns the analyzer, its
// findings by ID order, and the time of the analysis.
func (a *Analyzer) refresh(ctx context.Context, account, name string) (*analyzerRecord, []findingRecord, error) {
	rec, err := a.analyzer(ctx, a.cfg.Store, account, name)
	if err != nil {
		return nil, nil, err
	}
	if a.cfg.Flush != nil {
		if err := a.cfg.Flush(ctx); err != nil {
			return nil, nil, fmt.Errorf("accessanalyzer: flush the trail: %w", err)
		}
	}
	now := a.cfg.Now().UTC().Truncate(time.Second)
	found, last, err := a.analyze(ctx, account, rec, now)
	if err != nil {
		return nil, nil, err
	}
	prefix := analyzerKey(account, name) + "/"
	var all []findingRecord
	_, err = a.cfg.Store.Update(ctx, func(tx store.Tx) error {
		all = all[:0]
		cur, err := loadAnalyzer(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if cur == nil || cur.ARN != rec.ARN || !cur.Created.Equal(rec.Created) {
			return azNotFound(name, analyzerType, "Analyzer %s not found.", name)
		}
		stored, err := tx.List(ctx, tableFindings, prefix, "", 0)
		if err != nil {
			return fmt.Errorf("accessanalyzer: list findings: %w", err)
		}
		have := make(map[string]findingRecord, len(stored))
		for _, it := range stored {
			var f findingRecord
			if err := json.Unmarshal(it.Value, &f); err != nil {
				return fmt.Errorf("accessanalyzer: read finding %s: %w", it.Key, err)
			}
			have[f.ID] = f
		}
		seen := make(map[string]bool, len(found))
		for _, f := range found {
			seen[f.ID] = true
			old, ok := have[f.ID]
			switch {
			case !ok:
				f.Status, f.Created, f.Updated = statusActive, now, now
			default:
				f.Created, f.Status, f.Updated = old.Created, old.Status, old.Updated
				if f.Status == statusResolved {
					f.Status, f.Updated = statusActive, now
				}
				if old.Sum != f.Sum {
					f.Updated = now
				}
				if f.Status == old.Status && f.Updated.Equal(old.Updated) {
					continue // unchanged
				}
			}
			if err := store.PutJSON(ctx, tx, tableFindings, prefix+f.ID, f); err != nil {
				return err
			}
			have[f.ID] = f
		}
		for id, f := range have {
			if seen[id] || f.Status == statusResolved {
				continue
			}
			f.Status, f.Updated = statusResolved, now
			if err := store.PutJSON(ctx, tx, tableFindings, prefix+f.ID, f); err != nil {
				return err
			}
			have[id] = f
		}
		cur.Analyzed, cur.LastResource = now, last
		if err := store.PutJSON(ctx, tx, tableAnalyzers, analyzerKey(account, name), cur); err != nil {
			return err
		}
		rec = cur
		for _, f := range have {
			all = append(all, f)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sortFindings(all, "id", false)
	return rec, all, nil
}
