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

// interpreters resolves and caches the host interpreter for each runtime.
type interpreters struct {
	overrides map[string]string
	needOther bool // the path must be usable by other users

	mu    sync.Mutex
	cache map[string]string
}

// lookup returns the interpreter's real path for a python or nodejs runtime.
func (in *interpreters) lookup(ctx context.Context, runtime string) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if p, ok := in.cache[runtime]; ok {
		return p, nil
	}
	fam := family(runtime)
	if p := in.overrides[runtime]; p != "" {
		return p, nil
	}
	if p := in.overrides[fam]; p != "" {
		return p, nil
	}
	var names []string
	var probe []string
	switch fam {
	case "python":
		names = []string{runtime, "python3"}
		probe = []string{"-c", "import sys; sys.stdout.write(sys.executable)"}
	case "nodejs":
		major := strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")
		names = []string{"node" + major, "nodejs" + major, "node", "nodejs"}
		probe = []string{"-e", "process.stdout.write(process.execPath)"}
	}
	var tried []string
	for _, name := range names {
		for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
			cand := filepath.Join(dir, name)
			if st, err := os.Stat(cand); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				continue
			}
			if in.needOther && !otherCanExec(cand) {
				tried = append(tried, cand)
				continue
			}
			real := in.resolve(ctx, cand, probe)
			if real == "" || slices.Contains(tried, real) {
				continue
			}
			tried = append(tried, real)
			if in.needOther && !otherCanExec(real) {
				continue
			}
			if in.cache == nil {
				in.cache = map[string]string{}
			}
			in.cache[runtime] = real
			return real, nil
		}
	}
	if len(tried) > 0 {
		return "", fmt.Errorf("no %s interpreter usable by an unprivileged user (found %s)", runtime, strings.Join(tried, ", "))
	}
	return "", fmt.Errorf("no %s interpreter found in PATH", runtime)
}

// resolve asks the interpreter for its real path (shims such as pyenv's
// are scripts that need the host's environment).
func (in *interpreters) resolve(ctx context.Context, path string, probe []string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, probe...).Output()
	if err != nil || len(out) == 0 {
		return ""
	}
	return strings.TrimSpace(string(out))
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
func environ(cfg *Config, e *env, creds Credentials, endpoint, apiAddr, runtimeDir, interpDir string) []string {
	vars := map[string]string{
		"PATH":             "/usr/local/bin:/usr/bin:/bin",
		"LANG":             "en_US.UTF-8",
		"TMPDIR":           e.dir,
		"PYTHONUNBUFFERED": "1",
	}
	if interpDir != "" {
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
