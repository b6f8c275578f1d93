package lambda

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/frontdoor"
	"github.com/rolecall/rolecall/internal/runtime"
)

// envSpec is what an execution environment of one runtime key needs to
// know about its function beyond the runtime configuration.
type envSpec struct {
	account string
	role    string
	name    string
	arn     string // unqualified
	vpc     string
}

// envState is a running execution environment.
type envState struct {
	id        string
	principal *api.Principal // the role session, for the function's logs
	expires   time.Time
	close     func()
}

// environments tracks the specs of runtime keys and the running environments.
type environments struct {
	mu    sync.Mutex
	specs map[string]*envSpec  // runtime key -> spec
	envs  map[string]*envState // environment id -> state
}

func newEnvironments() *environments {
	return &environments{specs: map[string]*envSpec{}, envs: map[string]*envState{}}
}

func (e *environments) setSpec(key string, s *envSpec) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.specs[key] = s
}

func (e *environments) spec(key string) *envSpec {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.specs[key]
}

func (e *environments) dropSpec(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.specs, key)
}

func (e *environments) add(s *envState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.envs[s.id] = s
}

func (e *environments) get(id string) *envState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.envs[id]
}

func (e *environments) remove(id string) *envState {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.envs[id]
	delete(e.envs, id)
	return s
}

// closeAll closes the listeners of environments still registered.
func (e *environments) closeAll() {
	e.mu.Lock()
	envs := e.envs
	e.envs = map[string]*envState{}
	e.mu.Unlock()
	for _, s := range envs {
		s.close()
	}
}

// runtimeKey names the environments of one configuration of one version.
func runtimeKey(account, name, version, envKey string) string {
	return account + "/" + name + "/" + version + "/" + envKey
}

// drain retires the environments of a runtime key.
func (l *Lambda) drain(key string) {
	l.rt.Drain(key)
	l.envs.dropSpec(key)
	l.kmsEnvs.drop(key)
}

// Hooks returns the runtime hooks that give each execution environment the
// execution role's credentials and a bound endpoint.
func (l *Lambda) Hooks() runtime.EnvHooks { return hooks{l} }

type hooks struct{ l *Lambda }

// Start assumes the function's role as lambda.amazonaws.com for the
// environment, bound to it, and opens the environment's listener.
func (h hooks) Start(ctx context.Context, info runtime.EnvInfo) (runtime.Credentials, string, error) {
	l := h.l
	spec := l.envs.spec(info.Key)
	if spec == nil {
		return runtime.Credentials{}, "", fmt.Errorf("lambda: no function for environment key %q", info.Key)
	}
	binding := &api.EnvironmentBinding{ID: info.ID, SourceFunctionARN: spec.arn, SourceVPC: spec.vpc}
	issued := l.now()
	s, err := l.assumeRole(ctx, spec.account, spec.role, spec.name, binding)
	if err != nil {
		var se *api.Error
		if errors.As(err, &se) {
			return runtime.Credentials{}, "", &roleError{err: se}
		}
		return runtime.Credentials{}, "", err
	}
	if err := l.verifyKMSEnv(ctx, info.Key, s.principal(spec.account, spec.role, spec.name, "", issued), spec.arn); err != nil {
		l.revoke(info.ID, s.Expiration)
		return runtime.Credentials{}, "", err
	}
	st := &envState{
		id:        info.ID,
		principal: s.principal(spec.account, spec.role, spec.name, info.ID, issued),
		expires:   s.Expiration,
		close:     func() {},
	}
	endpoint := ""
	if l.cfg.Bind != nil {
		url, closeFn, err := l.cfg.Listen(l.cfg.Bind(binding), info.UID)
		if err != nil {
			l.revoke(info.ID, s.Expiration)
			return runtime.Credentials{}, "", fmt.Errorf("lambda: environment listener: %w", err)
		}
		endpoint, st.close = url, sync.OnceFunc(closeFn)
	}
	l.envs.add(st)
	return runtime.Credentials{
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		SessionToken:    s.SessionToken,
		Expiration:      s.Expiration,
	}, endpoint, nil
}

// Stop closes the environment's listener and revokes its session.
func (h hooks) Stop(info runtime.EnvInfo) {
	l := h.l
	st := l.envs.remove(info.ID)
	if st == nil {
		return
	}
	st.close()
	l.revoke(info.ID, st.expires)
}

func (l *Lambda) revoke(id string, until time.Time) {
	if l.cfg.Revoke == nil {
		return
	}
	if until.IsZero() {
		until = l.now().Add(12 * time.Hour)
	}
	l.cfg.Revoke(id, until)
}

// roleError is a failure to assume the execution role when an environment
// starts (the role was deleted, or no longer trusts Lambda).
type roleError struct{ err *api.Error }

func (e *roleError) Error() string { return "lambda: assuming the execution role: " + e.err.Error() }

// listenLoopback serves h on a new listener on 127.0.0.1, with the front
// door's default timeouts and at most envConns connections open at once,
// of sockets owned by uid when uid >= 0.
func listenLoopback(h http.Handler, uid int) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := frontdoor.NewServer(h, frontdoor.Timeouts{})
	go srv.Serve(frontdoor.Limit(runtime.OwnedBy(ln, uid), envConns, frontdoor.Whole))
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// envConns bounds the connections an execution environment holds open to
// its own listener, so that one cannot exhaust the server's files.
const envConns = 256

// follow brings this node in line with a function's record, changed by
// this node or another one sharing the store: the environments of
// configurations that are no longer current retire (all of them when the
// function is gone), and a function left Pending or InProgress is settled
// after the settle delay, whichever node made the change and whether or
// not that node is still running.
func (l *Lambda) follow(key string) {
	l.goBackground(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		account, name, _ := cutKey(key)
		ref := fnRef{Account: account, Region: l.cfg.Region, Name: name}
		f, err := l.load(ctx, l.cfg.Store, ref)
		if err != nil {
			// Deleted (or unreadable: its environments are safer retired).
			for _, k := range l.rt.DrainPrefix(account+"/"+name+"/", "") {
				l.envs.dropSpec(k)
			}
			return
		}
		// During an update, invocations run the configuration before it.
		current := runtimeKey(account, name, latest, f.runnable(&f.Config).EnvKey)
		for _, k := range l.rt.DrainPrefix(account+"/"+name+"/"+latest+"/", current) {
			l.envs.dropSpec(k)
		}
		if f.Config.State == statePending || f.Config.LastUpdateStatus == updateInProgress {
			l.settleLater(account, name)
		}
	})
}
