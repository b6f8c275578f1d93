package runtime

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed bootstrap
var bootstraps embed.FS

// family returns "provided", "python" or "nodejs", or "" when the runtime
// is not supported.
func family(runtime string) string {
	switch {
	case runtime == "provided.al2023" || runtime == "provided.al2" || runtime == "provided":
		return "provided"
	case strings.HasPrefix(runtime, "python3."):
		return "python"
	case strings.HasPrefix(runtime, "nodejs") && strings.HasSuffix(runtime, ".x"):
		return "nodejs"
	}
	return ""
}

// installBootstraps writes the embedded bootstraps to dir (LAMBDA_RUNTIME_DIR).
func installBootstraps(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fs.WalkDir(bootstraps, "bootstrap", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := bootstraps.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, d.Name()), b, 0o644)
	})
}

// interpreter is a host interpreter that runs a runtime.
type interpreter struct {
	path    string // real path, as the interpreter reports it
	version version
	lib     string // LD_LIBRARY_PATH it needs (a copied tree), or ""
}

// interpreters resolves and caches the host interpreter for each runtime.
type interpreters struct {
	overrides map[string]string // by runtime identifier or family
	needOther bool              // the path must be usable by other users
	nodeCache string            // where Node versions from the npm registry are installed
	pyCache   string            // where copies of unreachable Python trees are

	mu    sync.Mutex
	cache map[string]interpreter
	// private holds, by runtime, an interpreter of the right version that
	// the functions' users cannot reach (as pyenv's under a private home).
	private map[string]interpreter
	// probed holds what each path answered when probed (ok false: it did
	// not answer as an interpreter), so that the runtimes sharing a
	// command (python3, node, a pyenv shim) ask it once.
	probed map[string]probed
}

type probed struct {
	it interpreter
	ok bool
}

// probes ask an interpreter for its real path and its version, one per line.
var probes = map[string][]string{
	"python": {"-c", "import sys; sys.stdout.write(sys.executable + '\\n' + '.'.join(map(str, sys.version_info[:3])))"},
	"nodejs": {"-e", "process.stdout.write(process.execPath + '\\n' + process.versions.node)"},
}

// lookup returns the interpreter of a python or nodejs runtime: one whose
// version is the runtime's (Python X.Y for pythonX.Y, Node N for
// nodejsN.x), named by the runtime's override, or found on PATH as
// python3.Y, python3 (node<N>, node), and asked for its version. The error
// is a *RuntimeError saying what was found and how to provide the right one.
func (in *interpreters) lookup(ctx context.Context, runtime string) (interpreter, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if p, ok := in.cache[runtime]; ok {
		return p, nil
	}
	s, _ := lookupSpec(runtime)
	probe := probes[s.family]
	if probe == nil {
		return interpreter{}, &RuntimeError{Runtime: runtime, Message: fmt.Sprintf("The runtime parameter of %s is not run on a host interpreter.", runtime)}
	}
	var found []string // what was tried, for the message
	try := func(cand string) (interpreter, bool) {
		if _, err := os.Stat(cand); err != nil {
			found = append(found, cand+" (not found)")
			return interpreter{}, false
		}
		it, ok := in.probe(ctx, cand, probe)
		switch {
		case !ok:
			found = append(found, cand+" (does not answer as an interpreter)")
		case !s.matches(it.version):
			found = append(found, fmt.Sprintf("%s (%s)", cand, it.version))
		case in.needOther && (!otherCanExec(cand) || !otherCanExec(it.path)):
			found = append(found, it.path+" (not executable by the functions' users)")
			if in.private == nil {
				in.private = map[string]interpreter{}
			}
			in.private[runtime] = it
		default:
			if in.pyCache != "" && strings.HasPrefix(it.path, in.pyCache+string(filepath.Separator)) {
				it.lib = filepath.Join(filepath.Dir(filepath.Dir(it.path)), "lib")
			}
			return it, true
		}
		return interpreter{}, false
	}
	hint := fmt.Sprintf("Install %s on PATH, or set %s to the path of a %s interpreter.", names(s)[0], EnvName(runtime), s.want())
	if p := in.overrides[runtime]; p != "" {
		// The override is the one asked for: no other is tried.
		if it, ok := try(p); ok {
			return in.keep(runtime, it), nil
		}
		return interpreter{}, &RuntimeError{Runtime: runtime, Message: fmt.Sprintf(
			"The runtime parameter of %s cannot run on this host: it needs %s, and %s names %s. %s",
			runtime, s.want(), EnvName(runtime), strings.Join(found, ", "), hint)}
	}
	var cands []string
	if p := in.overrides[s.family]; p != "" {
		cands = append(cands, p)
	}
	for _, name := range names(s) {
		for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
			cand := filepath.Join(dir, name)
			if st, err := os.Stat(cand); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				continue
			}
			cands = append(cands, cand)
		}
	}
	if s.family == "python" {
		cands = append(cands, pyenvVersions(s)...)
		if p := cachedPython(in.pyCache, s); p != "" {
			cands = append(cands, p)
		}
	}
	if s.family == "nodejs" && in.nodeCache != "" {
		if p := cachedNode(in.nodeCache, s.major); p != "" {
			cands = append(cands, p)
		}
	}
	seen := map[string]bool{}
	for _, cand := range cands {
		real, err := filepath.EvalSymlinks(cand)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if it, ok := try(cand); ok {
			return in.keep(runtime, it), nil
		}
	}
	what := "none was found on PATH"
	if len(found) > 0 {
		what = "found only " + strings.Join(found, ", ")
	}
	return interpreter{}, &RuntimeError{Runtime: runtime, Message: fmt.Sprintf(
		"The runtime parameter of %s cannot run on this host: it needs %s, and %s. %s", runtime, s.want(), what, hint)}
}

// pyenvVersions are pyenv's interpreters of the runtime's version, which
// its shims on PATH do not reach unless selected.
func pyenvVersions(s spec) []string {
	return pyenvInterpreters(fmt.Sprintf("%d.%d.*", s.major, s.minor), fmt.Sprintf("python%d.%d", s.major, s.minor))
}

// pyenvInterpreters returns the commands named name (a glob) in the bin
// directories of pyenv's versions matching version (a glob), under
// PYENV_ROOT and ~/.pyenv.
func pyenvInterpreters(version, name string) []string {
	roots := []string{os.Getenv("PYENV_ROOT")}
	if h, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(h, ".pyenv"))
	}
	var out []string
	for _, r := range roots {
		if r == "" {
			continue
		}
		m, _ := filepath.Glob(filepath.Join(r, "versions", version, "bin", name)) // the pattern is well formed
		out = append(out, m...)
	}
	return out
}

// privateFor returns an interpreter of runtime that the functions' users
// cannot reach, found by an earlier lookup.
func (in *interpreters) privateFor(runtime string) (interpreter, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	it, ok := in.private[runtime]
	return it, ok
}

func (in *interpreters) keep(runtime string, it interpreter) interpreter {
	if in.cache == nil {
		in.cache = map[string]interpreter{}
	}
	in.cache[runtime] = it
	return it
}

// names are the commands that may run a runtime, most specific first.
func names(s spec) []string {
	if s.family == "python" {
		return []string{fmt.Sprintf("python%d.%d", s.major, s.minor), fmt.Sprintf("python%d", s.major), "python"}
	}
	return []string{fmt.Sprintf("node%d", s.major), fmt.Sprintf("nodejs%d", s.major), "node", "nodejs"}
}

// probe asks the interpreter at path for its real path and version (shims
// such as pyenv's are scripts that need the host's environment).
func (in *interpreters) probe(ctx context.Context, path string, probe []string) (interpreter, bool) {
	if p, ok := in.probed[path]; ok {
		return p.it, p.ok
	}
	it, ok, settled := ask(ctx, path, probe)
	if settled {
		if in.probed == nil {
			in.probed = map[string]probed{}
		}
		in.probed[path] = probed{it, ok}
	}
	return it, ok
}

// ask runs the probe once; settled is false when it was cut short (the
// context ended, or the interpreter took more than 10s), so the answer
// says nothing lasting about path.
func ask(ctx context.Context, path string, probe []string) (it interpreter, ok, settled bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, probe...).Output()
	if err != nil {
		return interpreter{}, false, ctx.Err() == nil
	}
	real, ver, found := strings.Cut(strings.TrimSpace(string(out)), "\n")
	v, vok := parseVersion(ver)
	if !found || !vok || real == "" {
		return interpreter{}, false, true
	}
	return interpreter{path: real, version: v}, true, true
}

// envOverrides returns the interpreters named by ROLECALL_RUNTIME_<ID>
// variables (see EnvName), merged under those of opts.
func envOverrides(opts map[string]string, getenv func(string) string) map[string]string {
	out := map[string]string{}
	for _, s := range catalog {
		if p := getenv(EnvName(s.id)); p != "" {
			out[s.id] = p
		}
	}
	maps.Copy(out, opts)
	return out
}

// otherCanExec reports whether a user other than the owner can execute path.
func otherCanExec(path string) bool {
	st, err := os.Stat(path)
	if err != nil || st.Mode()&0o001 == 0 {
		return false
	}
	return otherCanReach(filepath.Dir(path))
}

// otherCanReach reports whether every directory from / to dir is
// searchable by other users.
func otherCanReach(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		st, err := os.Stat(dir)
		if err != nil || st.Mode()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// otherCanRead reports whether other users can read the whole tree at dir.
func otherCanRead(dir string) bool {
	if !otherCanReach(dir) {
		return false
	}
	ok := true
	// The walk fails only through the function, which records it in ok.
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			ok = false
			return fs.SkipAll
		}
		info, err := d.Info()
		if err != nil {
			ok = false
			return fs.SkipAll
		}
		want := fs.FileMode(0o004)
		if d.IsDir() {
			want = 0o005
		}
		if info.Mode()&fs.ModeSymlink == 0 && info.Mode().Perm()&want != want {
			ok = false
			return fs.SkipAll
		}
		return nil
	})
	return ok
}

func filePerm(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// environ builds the process environment, by layers as Lambda does:
// defaults < function variables < platform unreserved < credentials <
// runtime < platform.
func environ(cfg *Config, e *env, creds Credentials, endpoint, apiAddr, runtimeDir, interpDir string, sdk sdkPaths) []string {
	vars := map[string]string{
		"PATH":             "/usr/local/bin:/usr/bin:/bin",
		"LANG":             "en_US.UTF-8",
		"TMPDIR":           e.dir,
		"PYTHONUNBUFFERED": "1",
		// The environment's own uid has no passwd entry: its home, for
		// os.homedir() and expanduser("~"), is its private directory,
		// never the host user's (whose ~/.aws would leak in).
		"HOME": e.dir,
	}
	// As in Lambda, the runtime's libraries come after the task root:
	// PYTHONPATH after sys.path[0], NODE_PATH after node_modules lookups
	// (ESM imports resolve there through the bootstrap's hook).
	if sdk.lib != "" {
		vars["LD_LIBRARY_PATH"] = sdk.lib
	}
	switch family(cfg.Runtime) {
	case "python":
		vars["PYTHONPATH"] = strings.Join(nonEmpty(runtimeDir, sdk.python), ":")
	case "nodejs":
		vars["NODE_PATH"] = strings.Join(nonEmpty(sdk.node, runtimeDir, e.code), ":")
	}
	if interpDir != "" && !slices.Contains(strings.Split(vars["PATH"], ":"), interpDir) {
		vars["PATH"] = interpDir + ":" + vars["PATH"]
	}
	fam := family(cfg.Runtime)
	if fam != "python" {
		delete(vars, "PYTHONUNBUFFERED")
	}
	for k, v := range cfg.Env {
		if strings.HasPrefix(k, "_LAMBDA_") || k == "_X_AMZN_TRACE_ID" {
			continue
		}
		vars[k] = v
	}
	if endpoint != "" {
		vars["AWS_ENDPOINT_URL"] = endpoint
	}
	if creds.AccessKeyID != "" {
		vars["AWS_ACCESS_KEY_ID"] = creds.AccessKeyID
		vars["AWS_SECRET_ACCESS_KEY"] = creds.SecretAccessKey
		vars["AWS_SESSION_TOKEN"] = creds.SessionToken
	}
	maps.Copy(vars, logEnviron(cfg))
	vars["AWS_LAMBDA_LOG_GROUP_NAME"] = logGroup(cfg)
	vars["AWS_LAMBDA_LOG_STREAM_NAME"] = e.info.LogStream
	vars["LAMBDA_TASK_ROOT"] = e.code
	vars["LAMBDA_RUNTIME_DIR"] = runtimeDir
	vars["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
	if cfg.Handler != "" {
		vars["_HANDLER"] = cfg.Handler
	}
	if fam != "provided" {
		vars["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + cfg.Runtime
	}
	vars["AWS_REGION"] = cfg.Region
	vars["AWS_DEFAULT_REGION"] = cfg.Region
	vars["AWS_LAMBDA_FUNCTION_NAME"] = cfg.FunctionName
	vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = fmt.Sprint(cfg.MemoryMB)
	vars["AWS_LAMBDA_FUNCTION_VERSION"] = cfg.Version
	vars["AWS_LAMBDA_RUNTIME_API"] = apiAddr
	vars["TZ"] = ":UTC"
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func logGroup(cfg *Config) string {
	if cfg.LogGroup != "" {
		return cfg.LogGroup
	}
	return "/aws/lambda/" + cfg.FunctionName
}

func nonEmpty(s ...string) []string {
	return slices.DeleteFunc(s, func(x string) bool { return x == "" })
}
