package lambda

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
)

// publish makes a version of f's $LATEST within tx and returns it. When
// $LATEST has not changed since the last version, that version is returned
// instead, as Lambda does. The caller stores f.
func (l *Lambda) publish(ctx context.Context, tx store.Tx, ref fnRef, f *function, description string) (*config, error) {
	if f.LastVersion > 0 {
		last, err := l.loadVersion(ctx, tx, ref, strconv.Itoa(f.LastVersion))
		if err == nil && last.EnvKey == f.Config.EnvKey {
			return last, nil
		}
	}
	n := f.LastVersion + 1
	v := f.Config.clone()
	v.Version = strconv.Itoa(n)
	v.RevisionID = uuid.NewString()
	v.LastModified = l.now()
	// A version published with the function's creation is Pending with
	// it, and becomes Active when the function does.
	if v.State != statePending {
		v.State, v.StateReason, v.StateReasonCode = stateActive, "", ""
		v.LastUpdateStatus, v.LastUpdateStatusReason, v.LastUpdateReasonCode = updateSuccessful, "", ""
	}
	if description != "" {
		v.Description = description
	}
	if err := store.PutJSON(ctx, tx, tableVersions, versionKey(ref, n), &v); err != nil {
		return nil, err
	}
	f.LastVersion = n
	return &v, nil
}

// publishInput is the PublishVersion request.
type publishInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionID  string `json:"RevisionId"`
}

func (l *Lambda) publishVersion(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	if err := refuseUnsupported(c, "PublishVersion"); err != nil {
		return nil, err
	}
	var in publishInput
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	var out *config
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		f, err := l.load(c.Context, tx, ref)
		if err != nil {
			return err
		}
		if err := l.checkUpdatable(f, ref, in.RevisionID); err != nil {
			return err
		}
		if in.CodeSha256 != "" && in.CodeSha256 != f.Config.CodeSHA256 {
			return errInvalidParam("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, f.Config.CodeSHA256)
		}
		if out, err = l.publish(c.Context, tx, ref, f, in.Description); err != nil {
			return err
		}
		return store.PutJSON(c.Context, tx, tableFunctions, ref.key(), f)
	})
	if err != nil {
		return nil, err
	}
	if err := l.attachVersion(c.Context, ref, out); err != nil {
		return nil, err
	}
	return l.configuration(ref.Account, out)
}

// versions returns the published versions of a function, oldest first.
func (l *Lambda) versions(ctx context.Context, ref fnRef) ([]*config, error) {
	return listDecoded[config](ctx, l.cfg.Store, tableVersions, ref.key()+"/")
}

// ListVersionsOutput is the ListVersionsByFunction output.
type ListVersionsOutput struct {
	Versions   []*FunctionConfiguration `json:"Versions"`
	NextMarker string                   `json:"NextMarker,omitempty"`
}

func (l *Lambda) listVersionsByFunction(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	max, err := maxItems(c)
	if err != nil {
		return nil, err
	}
	f, err := l.load(c.Context, l.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	// $LATEST, then the published versions in key (number) order. The
	// Marker holds the last returned: "$LATEST" or a version's key suffix.
	after, first, err := markerAfter(c)
	if err != nil {
		return nil, err
	}
	var page []*config
	if first {
		page = append(page, &f.Config)
	}
	start := ""
	if after != "" && after != latest {
		start = ref.key() + "/" + after
	}
	items, err := l.cfg.Store.List(c.Context, tableVersions, ref.key()+"/", start, max+1-len(page))
	if err != nil {
		return nil, err
	}
	positions := make([]string, len(page), len(page)+len(items))
	if first {
		positions[0] = latest
	}
	for _, it := range items {
		v := new(config)
		if err := decode(it.Value, v); err != nil {
			return nil, err
		}
		page = append(page, v)
		positions = append(positions, strings.TrimPrefix(it.Key, ref.key()+"/"))
	}
	next := ""
	if len(page) > max {
		page = page[:max]
		next = api.EncodeToken(markerScope(c), positions[max-1])
	}
	out := &ListVersionsOutput{Versions: []*FunctionConfiguration{}, NextMarker: next}
	for _, v := range page {
		conf, err := l.configuration(ref.Account, v)
		if err != nil {
			return nil, err
		}
		out.Versions = append(out.Versions, conf)
	}
	return out, nil
}

// markerAfter returns the position the call's Marker holds ("" when it
// has none, and then first is true).
func markerAfter(c *api.Call) (after string, first bool, err error) {
	m := c.Params.Get("Marker")
	if m == "" {
		return "", true, nil
	}
	pos, ok := api.DecodeToken(markerScope(c), m)
	if !ok || pos == "" {
		return "", false, errInvalidParam("Invalid marker: %s", m)
	}
	return pos, false, nil
}

// markerScope is the listing a Marker continues: the operation, the
// function of the path and the query parameters but the paging ones.
// Markers are api page tokens.
func markerScope(c *api.Call) string {
	filters := url.Values{}
	for k, vs := range c.Params {
		if k != "Marker" && k != "MaxItems" && !strings.HasPrefix(k, "X-Amz-") {
			filters[k] = vs
		}
	}
	return api.TokenScope(c.OperationName, c.PathParams["FunctionName"], filters.Encode())
}

// aliasInput is the CreateAlias and UpdateAlias request.
type aliasInput struct {
	Name            string  `json:"Name"`
	FunctionVersion *string `json:"FunctionVersion"`
	Description     *string `json:"Description"`
	RoutingConfig   *struct {
		AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
	} `json:"RoutingConfig"`
	RevisionID string `json:"RevisionId"`
}

func checkAliasName(name string) error {
	if name == "" || len(name) > 128 || !reAlias.MatchString(name) || reNumeric.MatchString(name) {
		return errValidationPattern(name, "name", patternAlias)
	}
	return nil
}

// checkAliasTargets verifies that the alias's versions exist.
func (l *Lambda) checkAliasTargets(ctx context.Context, r store.Reader, ref fnRef, in *aliasInput) error {
	if in.FunctionVersion != nil {
		v := *in.FunctionVersion
		if v != latest && !reNumeric.MatchString(v) {
			return errValidationPattern(v, "functionVersion", `(\$LATEST|[0-9]+)`)
		}
		if v != latest {
			if _, err := l.loadVersion(ctx, r, ref, v); err != nil {
				return err
			}
		}
	}
	if in.RoutingConfig != nil {
		sum := 0.0
		for v, w := range in.RoutingConfig.AdditionalVersionWeights {
			if w < 0 || w > 1 {
				return errValidation("1 validation error detected: Value at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]")
			}
			sum += w
			if _, err := l.loadVersion(ctx, r, ref, v); err != nil {
				return err
			}
		}
		if sum > 1 {
			return errInvalidParam("The sum of the additional version weights must not exceed 1.0.")
		}
	}
	return nil
}

func aliasKey(ref fnRef, name string) string { return ref.key() + "/" + name }

func (l *Lambda) createAlias(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	var in aliasInput
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := checkAliasName(in.Name); err != nil {
		return nil, err
	}
	if in.FunctionVersion == nil {
		return nil, errValidation("1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	}
	a := &alias{Name: in.Name, FunctionVersion: *in.FunctionVersion, RevisionID: uuid.NewString()}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		a.Weights = in.RoutingConfig.AdditionalVersionWeights
	}
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := l.load(c.Context, tx, ref); err != nil {
			return err
		}
		if err := l.checkAliasTargets(c.Context, tx, ref, &in); err != nil {
			return err
		}
		if _, err := tx.Get(c.Context, tableAliases, aliasKey(ref, in.Name)); err == nil {
			return errConflict("Alias already exists: %s:%s", ref.arn(), in.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return store.PutJSON(c.Context, tx, tableAliases, aliasKey(ref, in.Name), a)
	})
	if err != nil {
		return nil, err
	}
	return l.aliasConfiguration(ref.Account, ref.Name, a), nil
}

// loadAlias returns an alias, or ResourceNotFoundException.
func (l *Lambda) loadAlias(ctx context.Context, r store.Reader, ref fnRef, name string) (*alias, error) {
	if _, err := l.load(ctx, r, ref); err != nil {
		return nil, err
	}
	var a alias
	err := store.GetJSON(ctx, r, tableAliases, aliasKey(ref, name), &a)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotFound("Alias not found: %s:%s", ref.arn(), name)
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func (l *Lambda) getAlias(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	a, err := l.loadAlias(c.Context, l.cfg.Store, ref, c.PathParams["Name"])
	if err != nil {
		return nil, err
	}
	return l.aliasConfiguration(ref.Account, ref.Name, a), nil
}

func (l *Lambda) aliasesOf(ctx context.Context, r store.Reader, ref fnRef) ([]*alias, error) {
	return listDecoded[alias](ctx, r, tableAliases, ref.key()+"/")
}

// ListAliasesOutput is the ListAliases output.
type ListAliasesOutput struct {
	Aliases    []*AliasConfiguration `json:"Aliases"`
	NextMarker string                `json:"NextMarker,omitempty"`
}

func (l *Lambda) listAliases(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	max, err := maxItems(c)
	if err != nil {
		return nil, err
	}
	if _, err := l.load(c.Context, l.cfg.Store, ref); err != nil {
		return nil, err
	}
	// By name; the Marker holds the last name returned. With a
	// FunctionVersion the function's aliases are read from the Marker
	// until the page is full.
	after, _, err := markerAfter(c)
	if err != nil {
		return nil, err
	}
	version := c.Params.Get("FunctionVersion")
	prefix := ref.key() + "/"
	start := ""
	if after != "" {
		start = prefix + after
	}
	var page []*alias
	for len(page) <= max {
		items, err := l.cfg.Store.List(c.Context, tableAliases, prefix, start, max+1)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			a := new(alias)
			if err := decode(it.Value, a); err != nil {
				return nil, err
			}
			if (version == "" || a.FunctionVersion == version) && len(page) <= max {
				page = append(page, a)
			}
		}
		if len(items) <= max {
			break
		}
		start = items[len(items)-1].Key
	}
	next := ""
	if len(page) > max {
		page = page[:max]
		next = api.EncodeToken(markerScope(c), page[max-1].Name)
	}
	out := &ListAliasesOutput{Aliases: []*AliasConfiguration{}, NextMarker: next}
	for _, a := range page {
		out.Aliases = append(out.Aliases, l.aliasConfiguration(ref.Account, ref.Name, a))
	}
	return out, nil
}

func (l *Lambda) updateAlias(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	var in aliasInput
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	name := c.PathParams["Name"]
	var a *alias
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if a, err = l.loadAlias(c.Context, tx, ref, name); err != nil {
			return err
		}
		if in.RevisionID != "" && in.RevisionID != a.RevisionID {
			return errPrecondition()
		}
		if err := l.checkAliasTargets(c.Context, tx, ref, &in); err != nil {
			return err
		}
		if in.FunctionVersion != nil {
			a.FunctionVersion = *in.FunctionVersion
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		if in.RoutingConfig != nil {
			a.Weights = in.RoutingConfig.AdditionalVersionWeights
		}
		a.RevisionID = uuid.NewString()
		return store.PutJSON(c.Context, tx, tableAliases, aliasKey(ref, name), a)
	})
	if err != nil {
		return nil, err
	}
	return l.aliasConfiguration(ref.Account, ref.Name, a), nil
}

func (l *Lambda) deleteAlias(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	name := c.PathParams["Name"]
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := l.load(c.Context, tx, ref); err != nil {
			return err
		}
		if err := tx.Delete(c.Context, tablePolicies, ref.key()+":"+name); err != nil {
			return err
		}
		return tx.Delete(c.Context, tableAliases, aliasKey(ref, name))
	})
	if err != nil {
		return nil, err
	}
	l.forgetPolicies(ref.key())
	return nil, nil
}
