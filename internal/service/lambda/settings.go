package lambda

import (
	"strings"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
	"github.com/rolecall/rolecall/internal/store"
)

// Account limits reported by GetAccountSettings.
const (
	limitTotalCodeSize    = 80530636800
	limitCodeSizeUnzipped = 262144000
	limitCodeSizeZipped   = 52428800
	minUnreserved         = 100
)

// tagRef parses the ARN of the tags operations, which must name an
// unqualified function.
func (l *Lambda) tagRef(c *api.Call) (fnRef, error) {
	arn := c.PathParams["Resource"]
	if !strings.HasPrefix(arn, "arn:") {
		return fnRef{}, errValidationPattern(arn, "resource", `arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?`)
	}
	ref, err := parseFunctionName(arn, c.Account, l.cfg.Region, false)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier != "" {
		return ref, errInvalidParam("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	return ref, nil
}

func (l *Lambda) tagResource(c *api.Call) (api.Resource, error) {
	if account, _, ok := esm.MappingID(c.PathParams["Resource"]); ok {
		res := api.Resource{ARN: c.PathParams["Resource"], Type: "AWS::Lambda::EventSourceMapping", Account: account}
		tags, err := l.mappings.Tags(c.Context, res.ARN)
		switch {
		case err == nil:
			res.Tags = tags
		case !isNotFound(err):
			return api.Resource{}, err
		}
		return res, nil
	}
	ref, err := l.tagRef(c)
	if err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: ref.arn(), Type: resourceType}, nil
}

// tagConditions sets aws:RequestTag/* and aws:TagKeys from a Tags body
// (CreateFunction, TagResource) or the tagKeys query (UntagResource).
func tagConditions(c *api.Call, _ api.Resource, ks api.Keys) {
	set := ks.Set
	var in struct{ Tags map[string]string }
	_ = decodeBody(c, &in) // a malformed body is refused by the operation itself
	keys := c.Params["tagKeys"]
	for k, v := range in.Tags {
		set("aws:RequestTag/"+k, v)
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		set("aws:TagKeys", keys...)
	}
}

// updateTags applies change to the function's tags.
func (l *Lambda) updateTags(c *api.Call, change func(map[string]string)) error {
	if _, _, ok := esm.MappingID(c.PathParams["Resource"]); ok {
		return l.mappings.UpdateTags(c.Context, c.PathParams["Resource"], change)
	}
	ref, err := l.tagRef(c)
	if err != nil {
		return err
	}
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		f, err := l.load(c.Context, tx, ref)
		if err != nil {
			return err
		}
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		change(f.Tags)
		if err := esm.CheckTags(f.Tags); err != nil {
			return err
		}
		if len(f.Tags) == 0 {
			f.Tags = nil
		}
		return store.PutJSON(c.Context, tx, tableFunctions, ref.key(), f)
	})
	return err
}

func (l *Lambda) tagResourceOp(c *api.Call) (any, error) {
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errInvalidParam("Tags must not be empty.")
	}
	return nil, l.updateTags(c, func(tags map[string]string) {
		for k, v := range in.Tags {
			tags[k] = v
		}
	})
}

func (l *Lambda) untagResource(c *api.Call) (any, error) {
	keys := c.Params["tagKeys"]
	return nil, l.updateTags(c, func(tags map[string]string) {
		for _, k := range keys {
			delete(tags, k)
		}
	})
}

// ListTagsOutput is the ListTags output.
type ListTagsOutput struct {
	Tags map[string]string `json:"Tags"`
}

func (l *Lambda) listTags(c *api.Call) (any, error) {
	if _, _, ok := esm.MappingID(c.PathParams["Resource"]); ok {
		tags, err := l.mappings.Tags(c.Context, c.PathParams["Resource"])
		if err != nil {
			return nil, err
		}
		return &ListTagsOutput{Tags: tags}, nil
	}
	ref, err := l.tagRef(c)
	if err != nil {
		return nil, err
	}
	f, err := l.load(c.Context, l.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	tags := f.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return &ListTagsOutput{Tags: tags}, nil
}

// ConcurrencyOutput is the PutFunctionConcurrency and GetFunctionConcurrency output.
type ConcurrencyOutput struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

func (l *Lambda) putFunctionConcurrency(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	// The model requires ReservedConcurrentExecutions, at least 0.
	n := in.ReservedConcurrentExecutions
	if n == nil {
		return nil, errValidation("1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		f, err := l.load(c.Context, tx, ref)
		if err != nil {
			return err
		}
		others, err := l.reservedTotal(c.Context, tx, ref.Account, ref.Name)
		if err != nil {
			return err
		}
		if l.cfg.ConcurrentExecutions-others-*n < minUnreserved {
			return errInvalidParam("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", minUnreserved)
		}
		f.Reserved = n
		if err := setReserved(c.Context, tx, ref.key(), *n); err != nil {
			return err
		}
		return store.PutJSON(c.Context, tx, tableFunctions, ref.key(), f)
	})
	if err != nil {
		return nil, err
	}
	l.rt.SetReservedConcurrency(ref.arn(), *n)
	return &ConcurrencyOutput{ReservedConcurrentExecutions: n}, nil
}

func (l *Lambda) getFunctionConcurrency(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	f, err := l.load(c.Context, l.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	return &ConcurrencyOutput{ReservedConcurrentExecutions: f.Reserved}, nil
}

func (l *Lambda) deleteFunctionConcurrency(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		f, err := l.load(c.Context, tx, ref)
		if err != nil {
			return err
		}
		f.Reserved = nil
		if err := setReserved(c.Context, tx, ref.key(), -1); err != nil {
			return err
		}
		return store.PutJSON(c.Context, tx, tableFunctions, ref.key(), f)
	})
	if err != nil {
		return nil, err
	}
	l.rt.SetReservedConcurrency(ref.arn(), -1)
	return nil, nil
}

// AccountSettingsOutput is the GetAccountSettings output.
type AccountSettingsOutput struct {
	AccountLimit struct {
		TotalCodeSize                  int64 `json:"TotalCodeSize"`
		CodeSizeUnzipped               int64 `json:"CodeSizeUnzipped"`
		CodeSizeZipped                 int64 `json:"CodeSizeZipped"`
		ConcurrentExecutions           int   `json:"ConcurrentExecutions"`
		UnreservedConcurrentExecutions int   `json:"UnreservedConcurrentExecutions"`
	} `json:"AccountLimit"`
	AccountUsage struct {
		TotalCodeSize int64 `json:"TotalCodeSize"`
		FunctionCount int64 `json:"FunctionCount"`
	} `json:"AccountUsage"`
}

func (l *Lambda) getAccountSettings(c *api.Call) (any, error) {
	out := &AccountSettingsOutput{}
	lim := &out.AccountLimit
	lim.TotalCodeSize, lim.CodeSizeUnzipped, lim.CodeSizeZipped = limitTotalCodeSize, limitCodeSizeUnzipped, limitCodeSizeZipped
	lim.ConcurrentExecutions = l.cfg.ConcurrentExecutions
	items, err := l.cfg.Store.List(c.Context, tableFunctions, c.Account+"/", "", 0)
	if err != nil {
		return nil, err
	}
	reserved := 0
	for _, it := range items {
		var f function
		if err := decode(it.Value, &f); err != nil {
			return nil, err
		}
		out.AccountUsage.FunctionCount++
		out.AccountUsage.TotalCodeSize += f.Config.CodeSize
		if f.Reserved != nil {
			reserved += *f.Reserved
		}
	}
	versions, err := l.cfg.Store.List(c.Context, tableVersions, c.Account+"/", "", 0)
	if err != nil {
		return nil, err
	}
	for _, it := range versions {
		var v config
		if err := decode(it.Value, &v); err == nil {
			out.AccountUsage.TotalCodeSize += v.CodeSize
		}
	}
	lim.UnreservedConcurrentExecutions = l.cfg.ConcurrentExecutions - reserved
	return out, nil
}
