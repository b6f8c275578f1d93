package accessanalyzer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// Store tables of unused access analyzers.
const (
	tableAnalyzers = "accessanalyzer_analyzers" // <account>/<name>
	tableFindings  = "accessanalyzer_findings"  // <account>/<name>/<finding id>
)

// Unused access analysis: the analyzer type rolecall analyzes and the
// bounds of its tracking period, in days (UnusedAccessConfiguration).
const (
	typeUnusedAccess = "ACCOUNT_UNUSED_ACCESS"
	defaultAge       = 90
	minAge, maxAge   = 1, 365
)

// analyzerType is the resource type of an analyzer in Access Analyzer's
// errors.
const analyzerType = "AWS::AccessAnalyzer::Analyzer"

// analyzerRecord is a stored analyzer.
type analyzerRecord struct {
	Name        string            `json:"name"`
	ARN         string            `json:"arn"`
	Type        string            `json:"type"`
	Created     time.Time         `json:"created"`
	Tags        map[string]string `json:"tags,omitempty"`
	Age         int               `json:"age"`
	Exclusions  []exclusion       `json:"exclusions,omitempty"`
	ClientToken string            `json:"clientToken,omitempty"`
	// Analyzed is when findings were last computed (lastResourceAnalyzedAt).
	Analyzed     time.Time `json:"analyzed,omitzero"`
	LastResource string    `json:"lastResource,omitempty"`
}

// exclusion is one AnalysisRuleCriteria of an unused access analyzer: an
// entity is left out when its account is one of AccountIDs, or its tags
// hold every pair of one of ResourceTags.
type exclusion struct {
	AccountIDs   []string            `json:"accountIds,omitempty"`
	ResourceTags []map[string]string `json:"resourceTags,omitempty"`
}

// excludes reports whether the analysis rule leaves out an entity of
// account with tags.
func excludes(rules []exclusion, account string, tags map[string]string) bool {
	for _, r := range rules {
		for _, a := range r.AccountIDs {
			if a == account {
				return true
			}
		}
		for _, want := range r.ResourceTags {
			if len(want) == 0 {
				continue
			}
			all := true
			for k, v := range want {
				if have, ok := tags[k]; !ok || have != v {
					all = false
					break
				}
			}
			if all {
				return true
			}
		}
	}
	return false
}

// configurationJSON is AnalyzerConfiguration on the wire.
type configurationJSON struct {
	UnusedAccess   *unusedAccessJSON `json:"unusedAccess,omitempty"`
	InternalAccess map[string]any    `json:"internalAccess,omitempty"`
}

type unusedAccessJSON struct {
	UnusedAccessAge *int              `json:"unusedAccessAge,omitempty"`
	AnalysisRule    *analysisRuleJSON `json:"analysisRule,omitempty"`
}

type analysisRuleJSON struct {
	Exclusions []exclusion `json:"exclusions,omitempty"`
}

func (r *analyzerRecord) configuration() *configurationJSON {
	age := r.Age
	u := &unusedAccessJSON{UnusedAccessAge: &age}
	if len(r.Exclusions) > 0 {
		u.AnalysisRule = &analysisRuleJSON{Exclusions: r.Exclusions}
	}
	return &configurationJSON{UnusedAccess: u}
}

// analyzerSummary is AnalyzerSummary.
type analyzerSummary struct {
	ARN                    string             `json:"arn"`
	Name                   string             `json:"name"`
	Type                   string             `json:"type"`
	CreatedAt              string             `json:"createdAt"`
	LastResourceAnalyzed   string             `json:"lastResourceAnalyzed,omitempty"`
	LastResourceAnalyzedAt string             `json:"lastResourceAnalyzedAt,omitempty"`
	Tags                   map[string]string  `json:"tags"`
	Status                 string             `json:"status"`
	Configuration          *configurationJSON `json:"configuration,omitempty"`
}

func (r *analyzerRecord) summary() analyzerSummary {
	s := analyzerSummary{ARN: r.ARN, Name: r.Name, Type: r.Type, CreatedAt: isoTime(r.Created), Tags: r.Tags,
		Status: "ACTIVE", Configuration: r.configuration(), LastResourceAnalyzed: r.LastResource}
	if s.Tags == nil {
		s.Tags = map[string]string{}
	}
	if !r.Analyzed.IsZero() {
		s.LastResourceAnalyzedAt = isoTime(r.Analyzed)
	}
	return s
}

// isoTime writes a time as the model's Timestamp (iso8601) is written.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// analyzerARN is arn:aws:access-analyzer:REGION:ACCOUNT:analyzer/NAME.
func (a *Analyzer) analyzerARN(account, name string) string {
	return fmt.Sprintf("arn:aws:access-analyzer:%s:%s:analyzer/%s", a.cfg.Region, account, name)
}

// parseAnalyzerARN returns the account and name of an analyzer ARN of this
// Region, or ok false.
func (a *Analyzer) parseAnalyzerARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "access-analyzer" || parts[3] != a.cfg.Region {
		return "", "", false
	}
	name, ok = strings.CutPrefix(parts[5], "analyzer/")
	return parts[4], name, ok && name != ""
}

func analyzerKey(account, name string) string { return account + "/" + name }

// loadAnalyzer reads an analyzer; nil when there is none.
func loadAnalyzer(ctx context.Context, r store.Reader, account, name string) (*analyzerRecord, error) {
	var rec analyzerRecord
	if err := store.GetJSON(ctx, r, tableAnalyzers, analyzerKey(account, name), &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("accessanalyzer: read analyzer %s: %w", name, err)
	}
	return &rec, nil
}

// analyzer reads the analyzer an operation names, or ResourceNotFoundException.
func (a *Analyzer) analyzer(ctx context.Context, r store.Reader, account, name string) (*analyzerRecord, error) {
	rec, err := loadAnalyzer(ctx, r, account, name)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, azNotFound(name, analyzerType, "Analyzer %s not found.", name)
	}
	return rec, nil
}

// Access Analyzer's errors (model accessanalyzer-2019-11-01).

// azField is one ValidationExceptionField.
type azField struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// azValidation is a ValidationException with its reason
// (fieldValidationFailed, notSupported, ...) and the fields at fault.
func azValidation(reason string, fields []azField, format string, args ...any) *api.Error {
	e := api.Errorf(http.StatusBadRequest, "ValidationException", format, args...)
	e.Fields = map[string]any{"reason": reason}
	if len(fields) > 0 {
		e.Fields["fieldList"] = fields
	}
	return e
}

func azNotFound(id, kind, format string, args ...any) *api.Error {
	e := api.Errorf(http.StatusNotFound, "ResourceNotFoundException", format, args...)
	e.Fields = map[string]any{"resourceId": id, "resourceType": kind}
	return e
}

func azConflict(id, kind, format string, args ...any) *api.Error {
	e := api.Errorf(http.StatusConflict, "ConflictException", format, args...)
	e.Fields = map[string]any{"resourceId": id, "resourceType": kind}
	return e
}

func azQuota(id, kind, format string, args ...any) *api.Error {
	e := api.Errorf(http.StatusPaymentRequired, "ServiceQuotaExceededException", format, args...)
	e.Fields = map[string]any{"resourceId": id, "resourceType": kind}
	return e
}
