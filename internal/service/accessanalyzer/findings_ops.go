package accessanalyzer

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// findingSummary is FindingSummaryV2; findingV2 is GetFindingV2Response.
type findingSummary struct {
	AnalyzedAt           string `json:"analyzedAt"`
	CreatedAt            string `json:"createdAt"`
	ID                   string `json:"id"`
	Resource             string `json:"resource"`
	ResourceType         string `json:"resourceType"`
	ResourceOwnerAccount string `json:"resourceOwnerAccount"`
	Status               string `json:"status"`
	UpdatedAt            string `json:"updatedAt"`
	FindingType          string `json:"findingType"`
}

func (f *findingRecord) summary(analyzed time.Time) findingSummary {
	return findingSummary{AnalyzedAt: isoTime(analyzed), CreatedAt: isoTime(f.Created), ID: f.ID, Resource: f.Resource,
		ResourceType: f.ResourceType, ResourceOwnerAccount: f.Owner, Status: f.Status, UpdatedAt: isoTime(f.Updated),
		FindingType: f.Type}
}

// findingFields are the attributes a ListFindingsV2 filter and sort name,
// each read from a finding.
var findingFields = map[string]func(f *findingRecord) string{
	"id":                   func(f *findingRecord) string { return f.ID },
	"status":               func(f *findingRecord) string { return f.Status },
	"findingType":          func(f *findingRecord) string { return f.Type },
	"resource":             func(f *findingRecord) string { return f.Resource },
	"resourceType":         func(f *findingRecord) string { return f.ResourceType },
	"resourceOwnerAccount": func(f *findingRecord) string { return f.Owner },
	"createdAt":            func(f *findingRecord) string { return f.Created.UTC().Format(time.RFC3339) },
	"updatedAt":            func(f *findingRecord) string { return f.Updated.UTC().Format(time.RFC3339) },
}

// criterion is Criterion.
type criterion struct {
	Eq       []string `json:"eq"`
	Neq      []string `json:"neq"`
	Contains []string `json:"contains"`
	Exists   *bool    `json:"exists"`
}

// matches reports whether value passes every part of c.
func (c criterion) matches(value string) bool {
	if len(c.Eq) > 0 && !slices.Contains(c.Eq, value) {
		return false
	}
	if slices.Contains(c.Neq, value) {
		return false
	}
	if len(c.Contains) > 0 && !slices.ContainsFunc(c.Contains, func(s string) bool { return strings.Contains(value, s) }) {
		return false
	}
	if c.Exists != nil && *c.Exists != (value != "") {
		return false
	}
	return true
}

// checkFilter refuses a filter on an attribute unused access findings do
// not have, or a criterion that says nothing.
func checkFilter(filter map[string]criterion) error {
	for name, c := range filter {
		if findingFields[name] == nil || name == "createdAt" || name == "updatedAt" {
			return azValidation("fieldValidationFailed", []azField{{Name: "filter." + name, Message: "unsupported filter attribute"}},
				"Invalid filter attribute %s: filter on id, status, findingType, resource, resourceType or resourceOwnerAccount.", name)
		}
		if len(c.Eq) == 0 && len(c.Neq) == 0 && len(c.Contains) == 0 && c.Exists == nil {
			return azValidation("fieldValidationFailed", []azField{{Name: "filter." + name, Message: "a criterion needs eq, neq, contains or exists"}},
				"Invalid filter criterion for %s: give eq, neq, contains or exists.", name)
		}
	}
	return nil
}

// sortFindings orders findings by attribute, ties by ID.
func sortFindings(fs []findingRecord, attribute string, desc bool) {
	get := findingFields[attribute]
	slices.SortStableFunc(fs, func(a, b findingRecord) int {
		c := cmp.Compare(get(&a), get(&b))
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			return -c
		}
		return c
	})
}

// findingsAnalyzer returns the account and name of the analyzer an
// analyzerArn names, or ResourceNotFoundException.
func (a *Analyzer) findingsAnalyzer(c *api.Call, arn string) (account, name string, err error) {
	account, name, ok := a.parseAnalyzerARN(arn)
	if !ok || account != c.Account {
		return "", "", azNotFound(arn, analyzerType, "Analyzer %s not found.", arn)
	}
	return account, name, nil
}

// bodyAnalyzerResource is the analyzer a body's analyzerArn names.
func (a *Analyzer) bodyAnalyzerResource(c *api.Call) (api.Resource, error) {
	var in struct {
		AnalyzerArn string `json:"analyzerArn"`
	}
	if err := c.Decode(&in); err != nil {
		return api.Resource{}, err
	}
	return a.arnResource(c, in.AnalyzerArn)
}

// queryAnalyzerResource is the analyzer the query's analyzerArn names.
func (a *Analyzer) queryAnalyzerResource(c *api.Call) (api.Resource, error) {
	return a.arnResource(c, c.Params.Get("analyzerArn"))
}

func (a *Analyzer) arnResource(c *api.Call, arn string) (api.Resource, error) {
	account, name, err := a.findingsAnalyzer(c, arn)
	if err != nil {
		return api.Resource{ARN: arn, Type: analyzerType}, nil // the handler answers ResourceNotFoundException
	}
	return a.resourceOf(c, account, name)
}

// listFindingsInput is ListFindingsV2Request.
type listFindingsInput struct {
	AnalyzerArn string               `json:"analyzerArn"`
	Filter      map[string]criterion `json:"filter"`
	MaxResults  *int                 `json:"maxResults"`
	NextToken   string               `json:"nextToken"`
	Sort        *struct {
		AttributeName string `json:"attributeName"`
		OrderBy       string `json:"orderBy"`
	} `json:"sort"`
}

// listFindingsV2 lists the analyzer's findings as they stand at the call
// (see refresh), filtered and sorted; pages hold maxResults findings
// (default 100).
func (a *Analyzer) listFindingsV2(c *api.Call) (any, error) {
	var in listFindingsInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkFilter(in.Filter); err != nil {
		return nil, err
	}
	limit := 100
	if in.MaxResults != nil {
		if *in.MaxResults < 1 {
			return nil, azValidation("fieldValidationFailed", []azField{{Name: "maxResults", Message: "must be a positive integer"}},
				"Invalid maxResults %d: it must be a positive integer.", *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	attr, desc := "createdAt", false
	if in.Sort != nil {
		if in.Sort.AttributeName != "" {
			attr = in.Sort.AttributeName
		}
		if findingFields[attr] == nil {
			return nil, azValidation("fieldValidationFailed", []azField{{Name: "sort.attributeName", Message: "unsupported sort attribute"}},
				"Invalid sort attribute %s.", attr)
		}
		desc = in.Sort.OrderBy == "DESC"
	}
	account, name, err := a.findingsAnalyzer(c, in.AnalyzerArn)
	if err != nil {
		return nil, err
	}
	scope := api.TokenScope("ListFindingsV2", in.AnalyzerArn, fmt.Sprint(in.Filter), attr, strconv.FormatBool(desc))
	start := 0
	if in.NextToken != "" {
		pos, ok := api.DecodeToken(scope, in.NextToken)
		if start, err = strconv.Atoi(pos); !ok || err != nil || start < 0 {
			return nil, badToken()
		}
	}
	rec, all, err := a.refresh(c.Context, account, name)
	if err != nil {
		return nil, err
	}
	sortFindings(all, attr, desc)
	out := struct {
		Findings  []findingSummary `json:"findings"`
		NextToken string           `json:"nextToken,omitempty"`
	}{Findings: []findingSummary{}}
	n := 0
	for k := range all {
		f := &all[k]
		if !passes(in.Filter, f) {
			continue
		}
		if n >= start {
			if len(out.Findings) == limit {
				out.NextToken = api.EncodeToken(scope, strconv.Itoa(n))
				break
			}
			out.Findings = append(out.Findings, f.summary(rec.Analyzed))
		}
		n++
	}
	return out, nil
}

func passes(filter map[string]criterion, f *findingRecord) bool {
	for name, c := range filter {
		if !c.matches(findingFields[name](f)) {
			return false
		}
	}
	return true
}

// getFindingV2 returns one finding with its details, paged by maxResults
// and nextToken over the details.
func (a *Analyzer) getFindingV2(c *api.Call) (any, error) {
	arn, id := c.Params.Get("analyzerArn"), c.PathParams["id"]
	limit, err := pageSize(c.Params.Get("maxResults"), 100)
	if err != nil {
		return nil, err
	}
	account, name, err := a.findingsAnalyzer(c, arn)
	if err != nil {
		return nil, err
	}
	scope := api.TokenScope("GetFindingV2", arn, id)
	start := 0
	if t := c.Params.Get("nextToken"); t != "" {
		pos, ok := api.DecodeToken(scope, t)
		if start, err = strconv.Atoi(pos); !ok || err != nil || start < 0 {
			return nil, badToken()
		}
	}
	rec, all, err := a.refresh(c.Context, account, name)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(f findingRecord) bool { return f.ID == id })
	if i < 0 {
		return nil, azNotFound(id, "Finding", "Finding %s not found.", id)
	}
	f := &all[i]
	out := struct {
		findingSummary
		FindingDetails []findingDetails `json:"findingDetails"`
		NextToken      string           `json:"nextToken,omitempty"`
	}{findingSummary: f.summary(rec.Analyzed), FindingDetails: []findingDetails{}}
	if start < len(f.Details) {
		end := min(start+limit, len(f.Details))
		out.FindingDetails = f.Details[start:end]
		if end < len(f.Details) {
			out.NextToken = api.EncodeToken(scope, strconv.Itoa(end))
		}
	}
	return out, nil
}

// updateFindings archives or unarchives findings named by ids, or every
// finding of resourceArn. A RESOLVED finding keeps its status: the
// analysis, not a user, resolves and reopens it.
func (a *Analyzer) updateFindings(c *api.Call) (any, error) {
	var in struct {
		AnalyzerArn string   `json:"analyzerArn"`
		Status      string   `json:"status"`
		IDs         []string `json:"ids"`
		ResourceArn string   `json:"resourceArn"`
		ClientToken string   `json:"clientToken"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if (len(in.IDs) == 0) == (in.ResourceArn == "") {
		return nil, azValidation("fieldValidationFailed", []azField{{Name: "ids", Message: "give ids or resourceArn, not both"}},
			"Specify either ids or resourceArn, not both.")
	}
	account, name, err := a.findingsAnalyzer(c, in.AnalyzerArn)
	if err != nil {
		return nil, err
	}
	if _, _, err := a.refresh(c.Context, account, name); err != nil {
		return nil, err
	}
	prefix := analyzerKey(account, name) + "/"
	now := a.cfg.Now().UTC().Truncate(time.Second)
	_, err = a.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var targets []findingRecord
		if len(in.IDs) > 0 {
			for _, id := range in.IDs {
				var f findingRecord
				if err := store.GetJSON(c.Context, tx, tableFindings, prefix+id, &f); err != nil {
					return azNotFound(id, "Finding", "Finding %s not found.", id)
				}
				targets = append(targets, f)
			}
		} else {
			items, err := tx.List(c.Context, tableFindings, prefix, "", 0)
			if err != nil {
				return fmt.Errorf("accessanalyzer: list findings: %w", err)
			}
			for _, it := range items {
				var f findingRecord
				if err := store.GetJSON(c.Context, tx, tableFindings, it.Key, &f); err != nil {
					return err
				}
				if f.Resource == in.ResourceArn {
					targets = append(targets, f)
				}
			}
			if len(targets) == 0 {
				return azNotFound(in.ResourceArn, "Finding", "No finding of analyzer %s is about %s.", name, in.ResourceArn)
			}
		}
		for _, f := range targets {
			if f.Status == statusResolved {
				if len(in.IDs) > 0 {
					return azValidation("fieldValidationFailed", []azField{{Name: "ids", Message: "finding " + f.ID + " is RESOLVED"}},
						"Finding %s is RESOLVED: only ACTIVE and ARCHIVED findings change status.", f.ID)
				}
				continue
			}
			if f.Status == in.Status {
				continue
			}
			f.Status, f.Updated = in.Status, now
			if err := store.PutJSON(c.Context, tx, tableFindings, prefix+f.ID, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// getFindingsStatistics counts the analyzer's findings at the call, as
// unusedAccessFindingsStatistics.
func (a *Analyzer) getFindingsStatistics(c *api.Call) (any, error) {
	var in struct {
		AnalyzerArn string `json:"analyzerArn"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	account, name, err := a.findingsAnalyzer(c, in.AnalyzerArn)
	if err != nil {
		return nil, err
	}
	rec, all, err := a.refresh(c.Context, account, name)
	if err != nil {
		return nil, err
	}
	type typeStat struct {
		UnusedAccessType string `json:"unusedAccessType"`
		Total            int    `json:"total"`
	}
	type accountStat struct {
		Account                string         `json:"account"`
		NumberOfActiveFindings int            `json:"numberOfActiveFindings"`
		Details                map[string]int `json:"details"`
	}
	type stats struct {
		UnusedAccessTypeStatistics []typeStat    `json:"unusedAccessTypeStatistics"`
		TopAccounts                []accountStat `json:"topAccounts,omitempty"`
		TotalActiveFindings        int           `json:"totalActiveFindings"`
		TotalArchivedFindings      int           `json:"totalArchivedFindings"`
		TotalResolvedFindings      int           `json:"totalResolvedFindings"`
	}
	var s stats
	byType := map[string]int{}
	for _, f := range all {
		switch f.Status {
		case statusActive:
			s.TotalActiveFindings++
			byType[f.Type]++
		case statusArchived:
			s.TotalArchivedFindings++
		case statusResolved:
			s.TotalResolvedFindings++
		}
	}
	s.UnusedAccessTypeStatistics = []typeStat{}
	for _, t := range []string{findingUnusedRole, findingUnusedKey, findingUnusedPermission} {
		if byType[t] > 0 {
			s.UnusedAccessTypeStatistics = append(s.UnusedAccessTypeStatistics, typeStat{UnusedAccessType: t, Total: byType[t]})
		}
	}
	if s.TotalActiveFindings > 0 {
		s.TopAccounts = []accountStat{{Account: account, NumberOfActiveFindings: s.TotalActiveFindings, Details: byType}}
	}
	return map[string]any{
		"findingsStatistics": []map[string]any{{"unusedAccessFindingsStatistics": s}},
		"lastUpdatedAt":      isoTime(rec.Analyzed),
	}, nil
}
