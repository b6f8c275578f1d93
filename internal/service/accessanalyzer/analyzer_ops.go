package accessanalyzer

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// createAnalyzerInput is CreateAnalyzerRequest.
type createAnalyzerInput struct {
	AnalyzerName  string             `json:"analyzerName"`
	Type          string             `json:"type"`
	ArchiveRules  []any              `json:"archiveRules"`
	Tags          map[string]string  `json:"tags"`
	ClientToken   string             `json:"clientToken"`
	Configuration *configurationJSON `json:"configuration"`
}

// analyzerResource is the analyzer an operation acts on: named by the
// path's analyzerName, or by the body's (CreateAnalyzer), with its tags
// for aws:ResourceTag when it exists.
func (a *Analyzer) analyzerResource(c *api.Call) (api.Resource, error) {
	name := c.PathParams["analyzerName"]
	if name == "" {
		var in createAnalyzerInput
		if err := c.Decode(&in); err != nil {
			return api.Resource{}, err
		}
		name = in.AnalyzerName
	}
	return a.resourceOf(c, c.Account, name)
}

// resourceOf is the resource of the analyzer name of account.
func (a *Analyzer) resourceOf(c *api.Call, account, name string) (api.Resource, error) {
	res := api.Resource{ARN: a.analyzerARN(account, name), Type: analyzerType, Account: account}
	rec, err := loadAnalyzer(c.Context, a.cfg.Store, account, name)
	if err != nil {
		return res, err
	}
	if rec != nil {
		res.Tags = rec.Tags
	}
	return res, nil
}

// requestTags sets aws:RequestTag/* and aws:TagKeys from tags.
func requestTags(keys api.Keys, tags map[string]string) {
	names := make([]string, 0, len(tags))
	for k, v := range tags {
		keys.Set("aws:RequestTag/"+k, v)
		names = append(names, k)
	}
	if len(names) > 0 {
		slices.Sort(names)
		keys.Set("aws:TagKeys", names...)
	}
}

func (a *Analyzer) createAnalyzerConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in createAnalyzerInput
	if c.Decode(&in) == nil {
		requestTags(keys, in.Tags)
	}
}

// checkTags refuses tags Access Analyzer does not accept: keys of 1 to 128
// characters not prefixed with aws:, values of at most 256.
func checkTags(tags map[string]string) error {
	for k, v := range tags {
		switch {
		case utf8.RuneCountInString(k) < 1 || utf8.RuneCountInString(k) > 128:
			return azValidation("fieldValidationFailed", []azField{{Name: "tags", Message: "tag keys must be 1 to 128 characters long"}},
				"Invalid tag key %q: tag keys must be 1 to 128 characters long.", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return azValidation("fieldValidationFailed", []azField{{Name: "tags", Message: "tag keys may not begin with aws:"}},
				"Invalid tag key %q: tag keys may not begin with aws:.", k)
		case utf8.RuneCountInString(v) > 256:
			return azValidation("fieldValidationFailed", []azField{{Name: "tags", Message: "tag values must be at most 256 characters long"}},
				"Invalid tag value for key %q: tag values must be at most 256 characters long.", k)
		}
	}
	return nil
}

// unusedConfiguration returns the tracking period and exclusions of an
// analyzer's configuration, refusing what rolecall does not analyze.
func unusedConfiguration(cfg *configurationJSON) (age int, rules []exclusion, err error) {
	age = defaultAge
	if cfg == nil {
		return age, nil, nil
	}
	if cfg.InternalAccess != nil {
		return 0, nil, azValidation("notSupported", []azField{{Name: "configuration.internalAccess", Message: "rolecall analyzes unused access only"}},
			"Internal access analysis is not supported: rolecall analyzes unused access only (type ACCOUNT_UNUSED_ACCESS with configuration.unusedAccess).")
	}
	if cfg.UnusedAccess == nil {
		return age, nil, nil
	}
	if p := cfg.UnusedAccess.UnusedAccessAge; p != nil {
		if *p < minAge || *p > maxAge {
			return 0, nil, azValidation("fieldValidationFailed",
				[]azField{{Name: "configuration.unusedAccess.unusedAccessAge", Message: fmt.Sprintf("must be between %d and %d days", minAge, maxAge)}},
				"Invalid unusedAccessAge %d: the unused access age must be between %d and %d days.", *p, minAge, maxAge)
		}
		age = *p
	}
	if r := cfg.UnusedAccess.AnalysisRule; r != nil {
		for k, ex := range r.Exclusions {
			if len(ex.AccountIDs) == 0 && len(ex.ResourceTags) == 0 {
				field := fmt.Sprintf("configuration.unusedAccess.analysisRule.exclusions[%d]", k)
				return 0, nil, azValidation("fieldValidationFailed", []azField{{Name: field, Message: "an exclusion needs accountIds or resourceTags"}},
					"Invalid analysis rule: exclusion %d names neither accountIds nor resourceTags.", k)
			}
		}
		rules = r.Exclusions
	}
	return age, rules, nil
}

func (a *Analyzer) createAnalyzer(c *api.Call) (any, error) {
	var in createAnalyzerInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if in.Type != typeUnusedAccess {
		return nil, azValidation("notSupported", []azField{{Name: "type", Message: "rolecall analyzes unused access only"}},
			"Analyzer type %s is not supported: rolecall analyzes unused access only; create an analyzer of type %s.", in.Type, typeUnusedAccess)
	}
	if len(in.ArchiveRules) > 0 {
		return nil, azValidation("notSupported", []azField{{Name: "archiveRules", Message: "archive rules are not supported"}},
			"Archive rules are not supported: archive findings with UpdateFindings.")
	}
	age, rules, err := unusedConfiguration(in.Configuration)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	rec := &analyzerRecord{Name: in.AnalyzerName, ARN: a.analyzerARN(c.Account, in.AnalyzerName), Type: in.Type,
		Created: a.cfg.Now().UTC().Truncate(1e9), Tags: in.Tags, Age: age, Exclusions: rules, ClientToken: in.ClientToken}
	var arn string
	_, err = a.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		arn = ""
		have, err := loadAnalyzer(c.Context, tx, c.Account, in.AnalyzerName)
		if err != nil {
			return err
		}
		if have != nil {
			if in.ClientToken != "" && have.ClientToken == in.ClientToken {
				arn = have.ARN // the same request again
				return nil
			}
			return azConflict(in.AnalyzerName, analyzerType, "An analyzer named %s already exists.", in.AnalyzerName)
		}
		items, err := tx.List(c.Context, tableAnalyzers, c.Account+"/", "", 0)
		if err != nil {
			return fmt.Errorf("accessanalyzer: list analyzers: %w", err)
		}
		if len(items) > 0 {
			return azQuota(in.AnalyzerName, analyzerType,
				"You can create only one analyzer of type %s per account per Region.", typeUnusedAccess)
		}
		arn = rec.ARN
		return store.PutJSON(c.Context, tx, tableAnalyzers, analyzerKey(c.Account, rec.Name), rec)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"arn": arn}, nil
}

func (a *Analyzer) getAnalyzer(c *api.Call) (any, error) {
	rec, err := a.analyzer(c.Context, a.cfg.Store, c.Account, c.PathParams["analyzerName"])
	if err != nil {
		return nil, err
	}
	return map[string]any{"analyzer": rec.summary()}, nil
}

// pageSize reads a maxResults parameter: absent means def.
func pageSize(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, azValidation("fieldValidationFailed", []azField{{Name: "maxResults", Message: "must be a positive integer"}},
			"Invalid maxResults %q: it must be a positive integer.", v)
	}
	return n, nil
}

func badToken() error {
	return azValidation("fieldValidationFailed", []azField{{Name: "nextToken", Message: "invalid token"}}, "Invalid nextToken.")
}

func (a *Analyzer) listAnalyzers(c *api.Call) (any, error) {
	limit, err := pageSize(c.Params.Get("maxResults"), 100)
	if err != nil {
		return nil, err
	}
	kind := c.Params.Get("type")
	scope := api.TokenScope("ListAnalyzers", c.Account, kind)
	after := ""
	if t := c.Params.Get("nextToken"); t != "" {
		var ok bool
		if after, ok = api.DecodeToken(scope, t); !ok {
			return nil, badToken()
		}
	}
	items, err := a.cfg.Store.List(c.Context, tableAnalyzers, c.Account+"/", after, 0)
	if err != nil {
		return nil, fmt.Errorf("accessanalyzer: list analyzers: %w", err)
	}
	out := struct {
		Analyzers []analyzerSummary `json:"analyzers"`
		NextToken string            `json:"nextToken,omitempty"`
	}{Analyzers: []analyzerSummary{}}
	for _, it := range items {
		var rec analyzerRecord
		if err := store.GetJSON(c.Context, a.cfg.Store, tableAnalyzers, it.Key, &rec); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return nil, err
		}
		if kind != "" && rec.Type != kind {
			continue
		}
		if len(out.Analyzers) == limit {
			out.NextToken = api.EncodeToken(scope, analyzerKey(c.Account, out.Analyzers[limit-1].Name))
			break
		}
		out.Analyzers = append(out.Analyzers, rec.summary())
	}
	return out, nil
}

func (a *Analyzer) updateAnalyzer(c *api.Call) (any, error) {
	var in struct {
		Configuration *configurationJSON `json:"configuration"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	name := c.PathParams["analyzerName"]
	var rec *analyzerRecord
	_, err := a.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		var err error
		if rec, err = a.analyzer(c.Context, tx, c.Account, name); err != nil {
			return err
		}
		if in.Configuration == nil {
			return nil
		}
		if rec.Age, rec.Exclusions, err = unusedConfiguration(in.Configuration); err != nil {
			return err
		}
		return store.PutJSON(c.Context, tx, tableAnalyzers, analyzerKey(c.Account, name), rec)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"configuration": rec.configuration()}, nil
}

func (a *Analyzer) deleteAnalyzer(c *api.Call) (any, error) {
	name := c.PathParams["analyzerName"]
	_, err := a.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := a.analyzer(c.Context, tx, c.Account, name); err != nil {
			return err
		}
		findings, err := tx.List(c.Context, tableFindings, analyzerKey(c.Account, name)+"/", "", 0)
		if err != nil {
			return fmt.Errorf("accessanalyzer: list findings: %w", err)
		}
		for _, f := range findings {
			if err := tx.Delete(c.Context, tableFindings, f.Key); err != nil {
				return fmt.Errorf("accessanalyzer: delete finding: %w", err)
			}
		}
		return tx.Delete(c.Context, tableAnalyzers, analyzerKey(c.Account, name))
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// taggedAnalyzer returns the account and name of the analyzer a tagging
// operation's resourceArn names.
func (a *Analyzer) taggedAnalyzer(c *api.Call) (account, name string, err error) {
	arn := c.PathParams["resourceArn"]
	if un, uerr := url.PathUnescape(arn); uerr == nil {
		arn = un
	}
	account, name, ok := a.parseAnalyzerARN(arn)
	if !ok {
		return "", "", azNotFound(arn, analyzerType, "Analyzer %s not found.", arn)
	}
	return account, name, nil
}

func (a *Analyzer) tagResource(c *api.Call) (api.Resource, error) {
	account, name, err := a.taggedAnalyzer(c)
	if err != nil {
		return api.Resource{}, err
	}
	return a.resourceOf(c, account, name)
}

func (a *Analyzer) tagConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if c.Decode(&in) == nil {
		requestTags(keys, in.Tags)
	}
}

func (a *Analyzer) untagConditions(c *api.Call, _ api.Resource, keys api.Keys) {
	if ks := c.Params["tagKeys"]; len(ks) > 0 {
		keys.Set("aws:TagKeys", ks...)
	}
}

// retag changes the tags of the analyzer a tagging operation names.
func (a *Analyzer) retag(c *api.Call, change func(tags map[string]string) error) error {
	account, name, err := a.taggedAnalyzer(c)
	if err != nil {
		return err
	}
	_, err = a.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		rec, err := loadAnalyzer(c.Context, tx, account, name)
		if err != nil {
			return err
		}
		if rec == nil {
			return azNotFound(a.analyzerARN(account, name), analyzerType, "Analyzer %s not found.", name)
		}
		tags := make(map[string]string, len(rec.Tags))
		for k, v := range rec.Tags {
			tags[k] = v
		}
		if err := change(tags); err != nil {
			return err
		}
		rec.Tags = tags
		return store.PutJSON(c.Context, tx, tableAnalyzers, analyzerKey(account, name), rec)
	})
	return err
}

func (a *Analyzer) tagAnalyzer(c *api.Call) (any, error) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := a.retag(c, func(tags map[string]string) error {
		for k, v := range in.Tags {
			tags[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *Analyzer) untagAnalyzer(c *api.Call) (any, error) {
	keys := c.Params["tagKeys"]
	err := a.retag(c, func(tags map[string]string) error {
		for _, k := range keys {
			delete(tags, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (a *Analyzer) listTags(c *api.Call) (any, error) {
	account, name, err := a.taggedAnalyzer(c)
	if err != nil {
		return nil, err
	}
	rec, err := loadAnalyzer(c.Context, a.cfg.Store, account, name)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, azNotFound(a.analyzerARN(account, name), analyzerType, "Analyzer %s not found.", name)
	}
	tags := rec.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]any{"tags": tags}, nil
}
