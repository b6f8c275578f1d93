package lambda

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/lambda/esm"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// createInput is the CreateFunction request.
type createInput struct {
	FunctionName string `json:"FunctionName"`
	Runtime      string `json:"Runtime"`
	Role         string `json:"Role"`
	Handler      string `json:"Handler"`
	Code         struct {
		ZipFile []byte `json:"ZipFile"`
	} `json:"Code"`
	Description   *string           `json:"Description"`
	Timeout       *int              `json:"Timeout"`
	MemorySize    *int              `json:"MemorySize"`
	Publish       bool              `json:"Publish"`
	VpcConfig     *vpcInput         `json:"VpcConfig"`
	PackageType   string            `json:"PackageType"`
	Environment   *environmentInput `json:"Environment"`
	TracingConfig *tracingInput     `json:"TracingConfig"`
	Tags          map[string]string `json:"Tags"`
	Layers        []string          `json:"Layers"`
	Architectures []string          `json:"Architectures"`
	KMSKeyArn     string            `json:"KMSKeyArn"`
	settingsInput
}

// createResource is CreateFunction's resource: the function to be.
func (l *Lambda) createResource(c *api.Call) (api.Resource, error) {
	var in struct {
		FunctionName string `json:"FunctionName"`
	}
	if err := decodeBody(c, &in); err != nil {
		return api.Resource{}, err
	}
	ref, err := l.newFunctionRef(c, in.FunctionName)
	if err != nil {
		return api.Resource{}, err
	}
	return api.Resource{ARN: ref.arn(), Type: resourceType}, nil
}

// newFunctionRef parses the name of a function being created.
func (l *Lambda) newFunctionRef(c *api.Call, name string) (fnRef, error) {
	ref, err := parseFunctionName(name, c.Account, l.cfg.Region, false)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier != "" {
		return ref, errValidationPattern(name, "functionName", patternFunctionName)
	}
	if ref.Account != c.Account || ref.Region != l.cfg.Region {
		return ref, errInvalidParam("Functions can only be created in the caller's account and region.")
	}
	return ref, nil
}

func (l *Lambda) createFunction(c *api.Call) (any, error) {
	var in createInput
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	ref, err := l.newFunctionRef(c, in.FunctionName)
	if err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = map[string]any{"functionName": ref.Name, "runtime": in.Runtime, "role": in.Role, "handler": in.Handler}
	if err := refuseUnsupported(c, "CreateFunction"); err != nil {
		return nil, err
	}
	if err := checkUnsupported(in.Layers, in.PackageType); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if in.Runtime == "" || in.Handler == "" {
		return nil, errInvalidParam("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if err := l.checkCreateRuntime(c.Context, in.Runtime); err != nil {
		return nil, err
	}
	if err := firstError(checkTimeout(in.Timeout), checkMemory(in.MemorySize), checkEnvironment(in.Environment),
		esm.CheckTags(in.Tags)); err != nil {
		return nil, err
	}
	tracing := tracingMode(in.TracingConfig)
	vpc, err := in.VpcConfig.vpc()
	if err != nil {
		return nil, err
	}
	pkg, err := newCodePackage(in.Code.ZipFile, "CreateFunction")
	if err != nil {
		return nil, err
	}
	if err := l.exists(c.Context, ref); err != nil {
		return nil, err
	}
	if err := l.checkRole(c, in.Role, ref.arn(), ref.Name); err != nil {
		return nil, err
	}
	if err := l.checkVPC(c, in.Role, ref.Name, vpc); err != nil {
		return nil, err
	}
	if tracing == "Active" {
		if err := l.checkTracingRole(c, in.Role, ref.Name); err != nil {
			return nil, err
		}
	}
	if err := l.unpack(ref.Account, ref.Name, pkg); err != nil {
		return nil, err
	}
	stored, err := l.storeCode(c.Context, pkg)
	if err != nil {
		return nil, err
	}
	now := l.now()
	cfg := config{
		Name:                   ref.Name,
		Version:                latest,
		Runtime:                in.Runtime,
		Role:                   in.Role,
		Handler:                in.Handler,
		Timeout:                3,
		MemorySize:             128,
		Tracing:                tracing,
		VPC:                    vpc,
		Architecture:           architecture(in.Architectures),
		CodeSHA256:             pkg.sha256,
		CodeHex:                pkg.hex,
		CodeSize:               int64(len(pkg.zip)),
		CodeBlob:               stored.ID,
		LastModified:           now,
		RevisionID:             uuid.NewString(),
		EnvKey:                 uuid.NewString(),
		State:                  statePending,
		StateReason:            "The function is being created.",
		StateReasonCode:        "Creating",
		LastUpdateStatus:       updateInProgress,
		LastUpdateStatusReason: "The function is being created.",
		LastUpdateReasonCode:   "Creating",
	}
	if in.Description != nil {
		cfg.Description = *in.Description
	}
	if in.Timeout != nil {
		cfg.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		cfg.MemorySize = *in.MemorySize
	}
	var vars map[string]string
	if in.Environment != nil {
		vars = in.Environment.Variables.m
	}
	if in.KMSKeyArn != "" {
		cfg.KMSKeyArn = in.KMSKeyArn
		if cfg.SealedEnv, err = l.sealKMSEnv(c, ref, in.KMSKeyArn, in.Role, vars); err != nil {
			l.dropCode(c.Context, stored.ID)
			return nil, err
		}
	} else if cfg.SealedEnv, err = l.sealEnv(ref.Account, ref.Name, vars); err != nil {
		return nil, err
	}
	if err := in.applyTo(&cfg); err != nil {
		return nil, err
	}
	f := &function{Config: cfg, Tags: in.Tags}
	var out *config
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		if _, err := tx.Get(c.Context, tableFunctions, ref.key()); err == nil {
			return errConflict("Function already exist: %s", ref.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := blob.Commit(c.Context, tx, stored.ID); err != nil {
			return err
		}
		out = &f.Config
		if in.Publish {
			v, err := l.publish(c.Context, tx, ref, f, "")
			if err != nil {
				return err
			}
			out = v
		}
		return store.PutJSON(c.Context, tx, tableFunctions, ref.key(), f)
	})
	if err != nil {
		l.dropCode(c.Context, stored.ID)
		return nil, err
	}
	if err := l.attachVPC(c.Context, ref, vpc); err != nil {
		return nil, err
	}
	if err := l.attachVersion(c.Context, ref, out); err != nil {
		return nil, err
	}
	l.settleLater(ref.Account, ref.Name)
	conf, err := l.configuration(ref.Account, out)
	if err != nil {
		return nil, err
	}
	if cfg.KMSKeyArn != "" && len(vars) > 0 {
		// The caller gave the variables: they are answered as given.
		conf.Environment = &EnvironmentOut{Variables: vars}
	}
	return conf, nil
}

// exists reports ResourceConflictException when the function exists.
func (l *Lambda) exists(ctx context.Context, ref fnRef) error {
	_, err := l.cfg.Store.Get(ctx, tableFunctions, ref.key())
	switch {
	case err == nil:
		return errConflict("Function already exist: %s", ref.Name)
	case errors.Is(err, store.ErrNotFound):
		return nil
	default:
		return err
	}
}

// settleLater makes a new or updated function Active and Successful after
// the settle delay.
func (l *Lambda) settleLater(account, name string) {
	l.goBackground(func() {
		if !l.prepareRuntime(account, name) {
			return
		}
		t := time.NewTimer(l.cfg.SettleDelay)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-l.done:
				return
			}
			// A write that failed is tried again; until then the function
			// stays Pending (or InProgress), as after a restart.
			if l.settle(context.Background(), account, name) == nil {
				return
			}
			t.Reset(max(l.cfg.SettleDelay, settleRetry))
		}
	})
}

// settleRetry is the shortest wait before settle is tried again.
const settleRetry = 100 * time.Millisecond

// settle ends a Pending state or an InProgress update: the function and
// the versions published with its creation become Active, and the
// environments of the configuration that ran during the update are
// drained. A function deleted in the meantime has nothing to settle.
func (l *Lambda) settle(ctx context.Context, account, name string) error {
	key := account + "/" + name
	var previous string // EnvKey of the configuration that ran during the update
	_, err := l.cfg.Store.Update(ctx, func(tx store.Tx) error {
		previous = ""
		var f function
		if err := store.GetJSON(ctx, tx, tableFunctions, key, &f); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		if f.Config.State == stateActive && f.Config.LastUpdateStatus == updateSuccessful && f.Running == nil {
			return nil
		}
		if f.Config.State == statePending {
			if err := settleVersions(ctx, tx, key); err != nil {
				return err
			}
		}
		if f.Running != nil {
			previous = f.Running.EnvKey
			f.Running = nil
		}
		c := &f.Config
		c.State, c.StateReason, c.StateReasonCode = stateActive, "", ""
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateReasonCode = updateSuccessful, "", ""
		return store.PutJSON(ctx, tx, tableFunctions, key, &f)
	})
	if err == nil && previous != "" {
		l.drain(runtimeKey(account, name, latest, previous))
	}
	return err
}

// settleVersions makes Active the Pending versions of the function at key
// (those published with its creation).
func settleVersions(ctx context.Context, tx store.Tx, key string) error {
	items, err := tx.List(ctx, tableVersions, key+"/", "", 0)
	if err != nil {
		return err
	}
	for _, it := range items {
		var v config
		if err := decode(it.Value, &v); err != nil {
			return fmt.Errorf("lambda: version %s: %w", it.Key, err)
		}
		if v.State != statePending {
			continue
		}
		v.State, v.StateReason, v.StateReasonCode = stateActive, "", ""
		v.LastUpdateStatus, v.LastUpdateStatusReason, v.LastUpdateReasonCode = updateSuccessful, "", ""
		if err := store.PutJSON(ctx, tx, tableVersions, it.Key, &v); err != nil {
			return err
		}
	}
	return nil
}

// load returns the stored function, or ResourceNotFoundException.
func (l *Lambda) load(ctx context.Context, r store.Reader, ref fnRef) (*function, error) {
	if ref.Region != l.cfg.Region {
		return nil, errFunctionNotFound(ref.arn())
	}
	var f function
	err := store.GetJSON(ctx, r, tableFunctions, ref.key(), &f)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errFunctionNotFound(ref.arn())
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// resolve returns the function and the configuration ref's qualifier
// names: $LATEST, a version, or an alias's version.
func (l *Lambda) resolve(ctx context.Context, ref fnRef) (*function, *config, error) {
	f, err := l.load(ctx, l.cfg.Store, ref)
	if err != nil {
		return nil, nil, err
	}
	q := ref.Qualifier
	if q == "" || q == latest {
		return f, &f.Config, nil
	}
	if !reNumeric.MatchString(q) {
		var a alias
		err := store.GetJSON(ctx, l.cfg.Store, tableAliases, ref.key()+"/"+q, &a)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, errFunctionNotFound(ref.qualifiedARN())
		}
		if err != nil {
			return nil, nil, err
		}
		if a.FunctionVersion == latest {
			return f, &f.Config, nil
		}
		q = a.FunctionVersion
	}
	v, err := l.loadVersion(ctx, l.cfg.Store, ref, q)
	if err != nil {
		return nil, nil, err
	}
	return f, v, nil
}

func (l *Lambda) loadVersion(ctx context.Context, r store.Reader, ref fnRef, version string) (*config, error) {
	n, err := strconv.Atoi(version)
	if err != nil {
		return nil, errFunctionNotFound(ref.arn() + ":" + version)
	}
	var v config
	err = store.GetJSON(ctx, r, tableVersions, versionKey(ref, n), &v)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errFunctionNotFound(ref.arn() + ":" + version)
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func versionKey(ref fnRef, n int) string { return fmt.Sprintf("%s/%010d", ref.key(), n) }

// GetFunctionOutput is the GetFunction output.
type GetFunctionOutput struct {
	Configuration *FunctionConfiguration `json:"Configuration"`
	Code          CodeLocation           `json:"Code"`
	Tags          map[string]string      `json:"Tags,omitempty"`
	Concurrency   *Concurrency           `json:"Concurrency,omitempty"`
}

// CodeLocation is the FunctionCodeLocation shape.
type CodeLocation struct {
	RepositoryType string `json:"RepositoryType"`
	Location       string `json:"Location,omitempty"`
}

// Concurrency is the Concurrency shape.
type Concurrency struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

func (l *Lambda) getFunction(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	f, cfg, err := l.resolve(c.Context, ref)
	if err != nil {
		return nil, err
	}
	conf, err := l.configuration(ref.Account, cfg)
	if err != nil {
		return nil, err
	}
	if err := l.showEnv(c, ref, cfg, conf); err != nil {
		return nil, err
	}
	out := &GetFunctionOutput{
		Configuration: conf,
		Code:          CodeLocation{RepositoryType: "S3", Location: l.codeLocation(ref.Account, cfg)},
		Tags:          f.Tags,
	}
	if f.Reserved != nil {
		out.Concurrency = &Concurrency{ReservedConcurrentExecutions: f.Reserved}
	}
	return out, nil
}

func (l *Lambda) getFunctionConfiguration(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	_, cfg, err := l.resolve(c.Context, ref)
	if err != nil {
		return nil, err
	}
	conf, err := l.configuration(ref.Account, cfg)
	if err != nil {
		return nil, err
	}
	return conf, l.showEnv(c, ref, cfg, conf)
}

// ListFunctionsOutput is the ListFunctions output.
type ListFunctionsOutput struct {
	Functions  []*FunctionConfiguration `json:"Functions"`
	NextMarker string                   `json:"NextMarker,omitempty"`
}

func (l *Lambda) listFunctions(c *api.Call) (any, error) {
	max, err := maxItems(c)
	if err != nil {
		return nil, err
	}
	all := c.Params.Get("FunctionVersion")
	prefix := c.Account + "/"
	after := ""
	scope := markerScope(c)
	if m := c.Params.Get("Marker"); m != "" {
		name, ok := api.DecodeToken(scope, m)
		if !ok {
			return nil, errInvalidParam("Invalid marker: %s", m)
		}
		after = prefix + name
	}
	items, err := l.cfg.Store.List(c.Context, tableFunctions, prefix, after, max+1)
	if err != nil {
		return nil, err
	}
	out := &ListFunctionsOutput{Functions: []*FunctionConfiguration{}}
	for i, it := range items {
		if i == max {
			_, name, _ := cutKey(items[i-1].Key)
			out.NextMarker = api.EncodeToken(scope, name)
			break
		}
		var f function
		if err := decode(it.Value, &f); err != nil {
			return nil, err
		}
		conf, err := l.configuration(c.Account, &f.Config)
		if err != nil {
			return nil, err
		}
		out.Functions = append(out.Functions, conf)
		if all == "ALL" {
			vs, err := l.versions(c.Context, fnRef{Account: c.Account, Region: l.cfg.Region, Name: f.Config.Name})
			if err != nil {
				return nil, err
			}
			for _, v := range vs {
				conf, err := l.configuration(c.Account, v)
				if err != nil {
					return nil, err
				}
				out.Functions = append(out.Functions, conf)
			}
		}
	}
	return out, nil
}

// maxItems reads MaxItems (1..10000, default 50).
func maxItems(c *api.Call) (int, error) {
	s := c.Params.Get("MaxItems")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 10000 {
		return 0, errValidation("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", s)
	}
	return n, nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
