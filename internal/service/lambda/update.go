package lambda

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/store"
	"github.com/rolecall/rolecall/internal/store/blob"
)

// updateConfigInput is the UpdateFunctionConfiguration request.
type updateConfigInput struct {
	Role          *string           `json:"Role"`
	Handler       *string           `json:"Handler"`
	Description   *string           `json:"Description"`
	Timeout       *int              `json:"Timeout"`
	MemorySize    *int              `json:"MemorySize"`
	VpcConfig     *vpcInput         `json:"VpcConfig"`
	Environment   *environmentInput `json:"Environment"`
	Runtime       *string           `json:"Runtime"`
	TracingConfig *tracingInput     `json:"TracingConfig"`
	RevisionID    string            `json:"RevisionId"`
	Layers        []string          `json:"Layers"`
	KMSKeyArn     *string           `json:"KMSKeyArn"`
	settingsInput
}

// unqualifiedRef is the path's function, which must not name a version
// or alias (the operations that change $LATEST).
func (l *Lambda) unqualifiedRef(c *api.Call) (fnRef, error) {
	ref, err := l.pathRef(c, false)
	if err != nil {
		return ref, err
	}
	if ref.Qualifier != "" && ref.Qualifier != latest {
		return ref, errInvalidParam("Unsupported qualifier %s: only $LATEST can be changed.", ref.Qualifier)
	}
	ref.Qualifier = ""
	return ref, nil
}

func (l *Lambda) updateFunctionConfiguration(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	var in updateConfigInput
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := refuseUnsupported(c, "UpdateFunctionConfiguration"); err != nil {
		return nil, err
	}
	if err := checkUnsupported(in.Layers, ""); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := firstError(checkTimeout(in.Timeout), checkMemory(in.MemorySize), checkEnvironment(in.Environment)); err != nil {
		return nil, err
	}
	var tracing string
	if in.TracingConfig != nil {
		tracing = tracingMode(in.TracingConfig)
	}
	vpc, err := in.VpcConfig.vpc()
	if err != nil {
		return nil, err
	}
	f, err := l.load(c.Context, l.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	if err := l.checkUpdatable(f, ref, in.RevisionID); err != nil {
		return nil, err
	}
	rt := f.Config.Runtime
	if in.Runtime != nil {
		rt = *in.Runtime
	}
	if err := l.checkUpdateRuntime(c.Context, rt, rt != f.Config.Runtime); err != nil {
		return nil, err
	}
	if in.Role != nil {
		if err := l.checkRole(c, *in.Role, ref.arn(), ref.Name); err != nil {
			return nil, err
		}
	}
	// Active tracing needs a role that may send segments: checked when
	// tracing becomes Active or the role of a traced function changes.
	if active := in.TracingConfig != nil && tracing == "Active" || in.TracingConfig == nil && f.Config.Tracing == "Active"; active &&
		(in.TracingConfig != nil || in.Role != nil) {
		role := f.Config.Role
		if in.Role != nil {
			role = *in.Role
		}
		if err := l.checkTracingRole(c, role, ref.Name); err != nil {
			return nil, err
		}
	}
	if in.VpcConfig != nil || in.Role != nil && f.Config.VPC != nil {
		role, v := f.Config.Role, vpc
		if in.Role != nil {
			role = *in.Role
		}
		if in.VpcConfig == nil {
			v = f.Config.VPC
		}
		if err := l.checkVPC(c, role, ref.Name, v); err != nil {
			return nil, err
		}
	}
	kmsSealed, kmsKey, kmsChanged, err := l.kmsUpdate(c, ref, &f.Config, in.KMSKeyArn, in.Role, in.Environment)
	if err != nil {
		return nil, err
	}
	change := func(_ store.Tx, cfg *config) error {
		if in.Role != nil {
			cfg.Role = *in.Role
		}
		if in.Handler != nil {
			cfg.Handler = *in.Handler
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
		if in.Runtime != nil {
			cfg.Runtime = *in.Runtime
		}
		if in.TracingConfig != nil {
			cfg.Tracing = tracing
		}
		if kmsChanged {
			cfg.SealedEnv, cfg.PlainEnv, cfg.KMSKeyArn = kmsSealed, nil, kmsKey
		} else if in.Environment != nil {
			sealed, err := l.sealEnv(ref.Account, ref.Name, in.Environment.Variables.m)
			if err != nil {
				return err
			}
			cfg.SealedEnv, cfg.PlainEnv = sealed, nil
		}
		if in.VpcConfig != nil {
			cfg.VPC = vpc
		}
		return in.applyTo(cfg)
	}
	out, err := l.updateLatest(c, ref, in.RevisionID, change, false)
	if err == nil && in.VpcConfig != nil {
		err = l.attachVPC(c.Context, ref, vpc)
	}
	return out, err
}

// checkUpdatable refuses an update while another is in progress or when
// the caller's RevisionId is stale.
func (l *Lambda) checkUpdatable(f *function, ref fnRef, revision string) error {
	if f.Config.State == statePending {
		return errState(f.Config.State)
	}
	if f.Config.LastUpdateStatus == updateInProgress {
		return errUpdateInProgress(ref.arn())
	}
	if revision != "" && revision != f.Config.RevisionID {
		return errPrecondition()
	}
	return nil
}

// updateLatest applies change to $LATEST in one transaction and starts the
// InProgress period, during which invocations run the configuration before
// the update; settle then drains its environments, so that they are
// replaced with fresh credentials. With publish it also
// publishes a version, whose configuration it returns. change runs in the
// transaction, with each of its runs.
func (l *Lambda) updateLatest(c *api.Call, ref fnRef, revision string, change func(store.Tx, *config) error, publish bool) (any, error) {
	var out *config
	_, err := l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		f, err := l.load(c.Context, tx, ref)
		if err != nil {
			return err
		}
		if err := l.checkUpdatable(f, ref, revision); err != nil {
			return err
		}
		previous := f.Config.clone()
		f.Running = &previous
		if err := change(tx, &f.Config); err != nil {
			return err
		}
		cfg := &f.Config
		cfg.LastModified = l.now()
		cfg.RevisionID = uuid.NewString()
		cfg.EnvKey = uuid.NewString()
		cfg.LastUpdateStatus = updateInProgress
		cfg.LastUpdateStatusReason, cfg.LastUpdateReasonCode = "", ""
		out = cfg
		if publish {
			v, err := l.publish(c.Context, tx, ref, f, "")
			if err != nil {
				return err
			}
			out = v
		}
		return store.PutJSON(c.Context, tx, tableFunctions, ref.key(), f)
	})
	if err != nil {
		return nil, err
	}
	if err := l.attachVersion(c.Context, ref, out); err != nil {
		return nil, err
	}
	l.settleLater(ref.Account, ref.Name)
	return l.configuration(ref.Account, out)
}

// updateCodeInput is the UpdateFunctionCode request.
type updateCodeInput struct {
	ZipFile       []byte   `json:"ZipFile"`
	Publish       bool     `json:"Publish"`
	DryRun        bool     `json:"DryRun"`
	RevisionID    string   `json:"RevisionId"`
	Architectures []string `json:"Architectures"`
}

func (l *Lambda) updateFunctionCode(c *api.Call) (any, error) {
	ref, err := l.unqualifiedRef(c)
	if err != nil {
		return nil, err
	}
	var in updateCodeInput
	if err := decodeBody(c, &in); err != nil {
		return nil, err
	}
	if err := refuseUnsupported(c, "UpdateFunctionCode"); err != nil {
		return nil, err
	}
	pkg, err := newCodePackage(in.ZipFile, "UpdateFunctionCode")
	if err != nil {
		return nil, err
	}
	f, err := l.load(c.Context, l.cfg.Store, ref)
	if err != nil {
		return nil, err
	}
	if err := l.checkUpdatable(f, ref, in.RevisionID); err != nil {
		return nil, err
	}
	if err := l.checkUpdateRuntime(c.Context, f.Config.Runtime, false); err != nil {
		return nil, err
	}
	if err := l.unpack(ref.Account, ref.Name, pkg); err != nil {
		return nil, err
	}
	if in.DryRun {
		cfg := f.Config.clone()
		cfg.CodeSHA256, cfg.CodeHex, cfg.CodeSize = pkg.sha256, pkg.hex, int64(len(pkg.zip))
		if len(in.Architectures) > 0 {
			cfg.Architecture = architecture(in.Architectures)
		}
		return l.configuration(ref.Account, &cfg)
	}
	stored, err := l.storeCode(c.Context, pkg)
	if err != nil {
		return nil, err
	}
	out, err := l.updateLatest(c, ref, in.RevisionID, func(tx store.Tx, cfg *config) error {
		if err := blob.Commit(c.Context, tx, stored.ID); err != nil {
			return err
		}
		old := cfg.CodeBlob
		if len(in.Architectures) > 0 {
			cfg.Architecture = architecture(in.Architectures)
		}
		cfg.CodeSHA256, cfg.CodeHex, cfg.CodeSize, cfg.CodeBlob = pkg.sha256, pkg.hex, int64(len(pkg.zip)), stored.ID
		return l.releaseCode(c.Context, tx, ref, cfg, old)
	}, in.Publish)
	if err != nil {
		l.dropCode(c.Context, stored.ID)
		return nil, err
	}
	return out, nil
}

// deleteFunction deletes a function, or one version with Qualifier.
func (l *Lambda) deleteFunction(c *api.Call) (any, error) {
	ref, err := l.pathRef(c, true)
	if err != nil {
		return nil, err
	}
	if ref.Qualifier == latest {
		return nil, errInvalidParam("$LATEST version cannot be deleted without deleting the function.")
	}
	if ref.Qualifier != "" {
		return l.deleteVersion(c, ref)
	}
	var keys, inVPC []string
	_, err = l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		keys, inVPC = keys[:0], inVPC[:0] // a run again after a conflict starts over
		f, err := l.load(c.Context, tx, ref)
		if err != nil {
			return err
		}
		keys = append(keys, runtimeKey(ref.Account, ref.Name, latest, f.Config.EnvKey))
		blobs := []string{f.Config.CodeBlob}
		versions, err := tx.List(c.Context, tableVersions, ref.key()+"/", "", 0)
		if err != nil {
			return err
		}
		for _, it := range versions {
			var v config
			if err := decode(it.Value, &v); err != nil {
				return fmt.Errorf("lambda: version %s: %w", it.Key, err)
			}
			keys = append(keys, runtimeKey(ref.Account, ref.Name, v.Version, v.EnvKey))
			if v.VPC != nil {
				inVPC = append(inVPC, v.Version)
			}
			blobs = append(blobs, v.CodeBlob)
		}
		if err := deleteCode(c.Context, tx, blobs...); err != nil {
			return err
		}
		for _, t := range []string{tableVersions, tableAliases, tableCode} {
			if err := deletePrefix(c.Context, tx, t, ref.key()+"/"); err != nil {
				return err
			}
		}
		if err := deletePrefix(c.Context, tx, tablePolicies, ref.key()+":"); err != nil {
			return err
		}
		if err := tx.Delete(c.Context, tablePolicies, ref.key()); err != nil {
			return err
		}
		if err := setReserved(c.Context, tx, ref.key(), -1); err != nil {
			return err
		}
		return tx.Delete(c.Context, tableFunctions, ref.key())
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		l.drain(k)
	}
	l.forgetPolicies(ref.key())
	l.rt.SetReservedConcurrency(ref.arn(), -1)
	l.removeCode(ref.Account, ref.Name)
	if err := l.detachVersions(c.Context, ref, inVPC...); err != nil {
		return nil, err
	}
	return nil, l.attachVPC(c.Context, ref, nil)
}

// deleteVersion deletes a published version that no alias points to.
func (l *Lambda) deleteVersion(c *api.Call, ref fnRef) (any, error) {
	if !reNumeric.MatchString(ref.Qualifier) {
		return nil, errInvalidParam("Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.")
	}
	n, _ := strconv.Atoi(ref.Qualifier)
	var envKey string
	var inVPC bool
	_, err := l.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		f, err := l.load(c.Context, tx, ref)
		if err != nil {
			return err
		}
		v, err := l.loadVersion(c.Context, tx, ref, ref.Qualifier)
		if err != nil {
			return err
		}
		envKey, inVPC = v.EnvKey, v.VPC != nil
		aliases, err := l.aliasesOf(c.Context, tx, ref)
		if err != nil {
			return err
		}
		var using []string
		for _, a := range aliases {
			if a.FunctionVersion == ref.Qualifier || a.Weights[ref.Qualifier] > 0 {
				using = append(using, a.Name)
			}
		}
		if len(using) > 0 {
			return errConflict("Unable to delete version because the following aliases reference it: %v", using)
		}
		if err := tx.Delete(c.Context, tablePolicies, ref.key()+":"+ref.Qualifier); err != nil {
			return err
		}
		if err := tx.Delete(c.Context, tableVersions, versionKey(ref, n)); err != nil {
			return err
		}
		return l.releaseCode(c.Context, tx, ref, &f.Config, v.CodeBlob)
	})
	if err != nil {
		return nil, err
	}
	l.forgetPolicies(ref.key())
	l.drain(runtimeKey(ref.Account, ref.Name, ref.Qualifier, envKey))
	if inVPC {
		return nil, l.detachVersions(c.Context, ref, ref.Qualifier)
	}
	return nil, nil
}

func deletePrefix(ctx context.Context, tx store.Tx, table, prefix string) error {
	items, err := tx.List(ctx, table, prefix, "", 0)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := tx.Delete(ctx, table, it.Key); err != nil {
			return err
		}
	}
	return nil
}
