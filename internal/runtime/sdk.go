package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The AWS SDK that Lambda's runtimes ship: boto3 in every python runtime
// (Lambda Developer Guide, "Building with Python": the runtime includes the
// AWS SDK for Python), and the AWS SDK for JavaScript v3 (@aws-sdk/*) in
// nodejs18.x and later.

// pythonSDK are the modules of boto3 and its pure-Python dependencies.
var pythonSDK = []string{"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}

// pythonSDKDebs are Debian's packages of the same modules.
var pythonSDKDebs = []string{"python3-boto3", "python3-botocore", "python3-s3transfer", "python3-jmespath",
	"python3-dateutil", "python3-urllib3", "python3-six"}

// nodeSDKBase are the @aws-sdk packages installed for every nodejs runtime;
// any other @aws-sdk package a function's code imports without bundling it
// is added to them.
var nodeSDKBase = []string{
	"@aws-sdk/client-sts", "@aws-sdk/client-s3", "@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb",
	"@aws-sdk/client-lambda", "@aws-sdk/client-sqs", "@aws-sdk/client-sns", "@aws-sdk/client-iam",
	"@aws-sdk/client-ssm", "@aws-sdk/client-secrets-manager", "@aws-sdk/client-cloudwatch-logs",
	"@aws-sdk/credential-providers",
}

// npmNetwork bounds npm's waits on the registry, whose defaults (a
// 5-minute fetch timeout, retries up to a minute apart) keep a function
// Pending for many minutes when the registry cannot be reached.
var npmNetwork = []string{"--fetch-retries=1", "--fetch-retry-mintimeout=2000", "--fetch-retry-maxtimeout=10000", "--fetch-timeout=60000"}

// npmQuick are npmNetwork's bounds for the questions CreateFunction waits
// for, which must be answered well within a client's read timeout.
var npmQuick = []string{"--fetch-retries=0", "--fetch-timeout=15000"}

// nodeSDKMinMajor is the first Node major whose Lambda runtime ships SDK v3.
const nodeSDKMinMajor = 18

// sdkPaths are where an environment finds the SDK besides its interpreter's
// own libraries.
type sdkPaths struct {
	python string // a directory for PYTHONPATH holding boto3, or ""
	node   string // a node_modules directory holding @aws-sdk, or ""
	desc   string // what the runtime's SDK is, for the banner
	lib    string // LD_LIBRARY_PATH of the interpreter, or ""
}

// sdkCache provides the SDK of each runtime: the interpreter's own when it
// has one, else a copy installed once into the cache directory, readable
// by every user. Installs run once for all the callers that need them.
type sdkCache struct {
	root string

	mu      sync.Mutex
	jobs    map[string]*sdkJob // by install key
	has     map[string]string  // interpreter path -> boto3 version it has ("" none)
	scanned map[string][]string
	wanted  []string        // @aws-sdk packages installed so far, sorted
	absent  map[string]bool // @aws-sdk packages the npm registry does not have
}

type sdkJob struct {
	done chan struct{}
	dir  string
	desc string
	err  error
}

// DefaultCacheDir is where the runtime cache goes when Options.CacheDir is
// empty: ROLECALL_RUNTIME_CACHE when set; for root /var/cache/rolecall/runtimes
// (other uids must read it); else $XDG_CACHE_HOME/rolecall/runtimes.
func DefaultCacheDir() string {
	if d := os.Getenv("ROLECALL_RUNTIME_CACHE"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/cache/rolecall/runtimes"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "rolecall", "runtimes")
	}
	return filepath.Join(os.TempDir(), "rolecall-runtimes")
}

// run waits for the install named key, starting it with fn when no caller
// has yet. It returns the install's directory.
func (c *sdkCache) run(ctx context.Context, key string, fn func() (dir, desc string, err error)) (*sdkJob, error) {
	c.mu.Lock()
	if c.jobs == nil {
		c.jobs = map[string]*sdkJob{}
	}
	j := c.jobs[key]
	if j == nil || isDone(j.done) && j.err != nil {
		// A failed install is tried again by the next caller.
		j = &sdkJob{done: make(chan struct{})}
		c.jobs[key] = j
		go func() {
			defer close(j.done)
			j.dir, j.desc, j.err = fn()
		}()
	}
	c.mu.Unlock()
	select {
	case <-j.done:
		return j, j.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// ready returns where the runtime's SDK is for an environment running
// codeDir on the interpreter it, installing it first if need be.
func (c *sdkCache) ready(ctx context.Context, runtime string, it interpreter, codeDir string) (sdkPaths, error) {
	s, _ := lookupSpec(runtime)
	switch {
	case s.family == "python":
		return c.python(ctx, it)
	case s.family == "nodejs" && s.major >= nodeSDKMinMajor:
		return c.node(ctx, codeDir)
	}
	return sdkPaths{}, nil
}

// python returns boto3 for the interpreter: its own, or the cache's copy.
func (c *sdkCache) python(ctx context.Context, it interpreter) (sdkPaths, error) {
	if ver := c.boto3(ctx, it); ver != "" {
		return sdkPaths{desc: "boto3 " + ver + " (the interpreter's)"}, nil
	}
	j, err := c.run(ctx, "python", c.installPython)
	if err != nil {
		return sdkPaths{}, fmt.Errorf("installing boto3 into %s: %w", c.root, err)
	}
	return sdkPaths{python: j.dir, desc: j.desc}, nil
}

// boto3 returns the version of the interpreter's own boto3, probed once.
func (c *sdkCache) boto3(ctx context.Context, it interpreter) string {
	c.mu.Lock()
	ver, probed := c.has[it.path]
	c.mu.Unlock()
	if probed {
		return ver
	}
	ver = boto3Version(ctx, it.path)
	c.mu.Lock()
	if c.has == nil {
		c.has = map[string]string{}
	}
	c.has[it.path] = ver
	c.mu.Unlock()
	return ver
}

// boto3Version asks the interpreter, as a function would run it (no user
// site, no PYTHONPATH), for the version of its boto3; "" when it has none.
func boto3Version(ctx context.Context, python string) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-s", "-c", "import boto3, sys; sys.stdout.write(boto3.__version__)")
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.Dir = "/"
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// installPython copies boto3 and its dependencies into the cache from a
// host interpreter that has them, or else from Debian's packages.
func (c *sdkCache) installPython() (string, string, error) {
	final := filepath.Join(c.root, "python", "boto3")
	if v := readVersion(final); v != "" {
		return final, "boto3 " + v + " from " + final, nil
	}
	tmp, done, err := c.tempDir("python")
	if err != nil {
		return "", "", err
	}
	defer done()
	ver, src, err := copyPythonSDK(tmp)
	if err != nil {
		var derr error
		ver, src, derr = extractPythonDebs(tmp)
		if derr != nil {
			_ = os.RemoveAll(tmp) // best effort: a temporary directory of the cache
			return "", "", fmt.Errorf("no host interpreter has boto3 (%v), and Debian's python3-boto3 could not be fetched (%v); install python3-boto3 or pip install boto3 for the host's python3", err, derr)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".version"), []byte(ver+"\n"+src+"\n"), 0o644); err != nil {
		return "", "", errors.Join(err, os.RemoveAll(tmp))
	}
	if err := publish(tmp, final); err != nil {
		return "", "", err
	}
	return final, "boto3 " + ver + " from " + final, nil
}

// readVersion returns the version recorded in a finished install.
func readVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, ".version"))
	if err != nil {
		return ""
	}
	v, _, _ := strings.Cut(string(b), "\n")
	return v
}

// publish makes the finished install tmp readable by every user and
// renames it to final (another process may have won the race).
func publish(tmp, final string) error {
	if err := readableTree(tmp); err != nil {
		return errors.Join(err, os.RemoveAll(tmp))
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.RemoveAll(tmp) // best effort: the rename's outcome decides
		if _, serr := os.Stat(filepath.Join(final, ".version")); serr == nil {
			return nil
		}
		return err
	}
	return nil
}

// readableTree gives every user read access to the tree at dir.
func readableTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil || info.Mode()&fs.ModeSymlink != 0 {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, filePerm(info.Mode()))
	})
}

// pythonCandidates are the host interpreters that may hold boto3: python3
// and python3.N on PATH and pyenv's versions.
func pythonCandidates() []string {
	var out []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		m, _ := filepath.Glob(filepath.Join(dir, "python3*"))
		out = append(out, m...)
	}
	out = append(out, pyenvInterpreters("*", "python3")...)
	return slices.Compact(out)
}

var pythonSDKProbe = `import json, os, sys
import ` + strings.Join(pythonSDK, ", ") + `
mods = {}
for name in ` + pyList(pythonSDK) + `:
    m = sys.modules[name]
    f = m.__file__
    mods[name] = os.path.dirname(f) if os.path.basename(f).startswith("__init__.") else f
json.dump({"version": boto3.__version__, "modules": mods}, sys.stdout)`

// pyList writes names as a Python list literal.
func pyList(names []string) string {
	b, _ := json.Marshal(names) // a list of strings always encodes
	return string(b)
}

// copyInto copies the file or directory src into the directory dir.
func copyInto(src, dir string) error {
	dst := filepath.Join(dir, filepath.Base(src))
	if st, err := os.Stat(src); err != nil {
		return err
	} else if st.IsDir() {
		if err := os.Mkdir(dst, 0o755); err != nil {
			return err
		}
	}
	_, err := stageTree(src, dst)
	return err
}

// copyPythonSDK copies the SDK's modules from the first host interpreter
// that has them all into dst.
func copyPythonSDK(dst string) (ver, src string, err error) {
	var tried []string
	for _, py := range pythonCandidates() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, py, "-c", pythonSDKProbe)
		cmd.Dir = "/"
		out, perr := cmd.Output()
		cancel()
		if perr != nil {
			tried = append(tried, py)
			continue
		}
		var got struct {
			Version string
			Modules map[string]string
		}
		if json.Unmarshal(out, &got) != nil || got.Version == "" {
			continue
		}
		for _, p := range got.Modules {
			if err := copyInto(p, dst); err != nil {
				return "", "", err
			}
		}
		return got.Version, py, nil
	}
	return "", "", fmt.Errorf("none of %s has %s", strings.Join(tried, ", "), strings.Join(pythonSDK, ", "))
}

// extractPythonDebs fetches Debian's packages of the SDK with apt-get
// download and unpacks their modules into dst.
func extractPythonDebs(dst string) (ver, src string, err error) {
	work, err := os.MkdirTemp("", "rolecall-debs-")
	if err != nil {
		return "", "", err
	}
	defer func() { _ = os.RemoveAll(work) }() // a temporary directory
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := runIn(ctx, work, "apt-get", append([]string{"download", "-q"}, pythonSDKDebs...)...); err != nil {
		return "", "", fmt.Errorf("apt-get download: %v: %s", err, lastLine(out))
	}
	debs, _ := filepath.Glob(filepath.Join(work, "*.deb"))
	root := filepath.Join(work, "root")
	for _, d := range debs {
		if out, err := runIn(ctx, work, "dpkg-deb", "-x", d, root); err != nil {
			return "", "", fmt.Errorf("dpkg-deb -x %s: %v: %s", filepath.Base(d), err, lastLine(out))
		}
	}
	site := filepath.Join(root, "usr", "lib", "python3", "dist-packages")
	for _, name := range pythonSDK {
		p := filepath.Join(site, name)
		if _, err := os.Stat(p); err != nil {
			p += ".py"
		}
		if err := copyInto(p, dst); err != nil {
			return "", "", fmt.Errorf("the Debian packages lack %s: %w", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dst, "boto3", "__init__.py"))
	if err != nil {
		return "", "", err
	}
	m := regexp.MustCompile(`__version__ = '([^']+)'`).FindSubmatch(b)
	if m == nil {
		return "", "", errors.New("boto3's version is not stated")
	}
	return string(m[1]), "Debian's python3-boto3", nil
}

// runIn runs an installer (npm, apt-get) in dir. It dies with the server,
// so that no install goes on writing into a directory that the next start
// removes.
func runIn(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd.CombinedOutput()
}

// npmError is what npm's output says went wrong: its first error lines,
// without the pointer to its debug log.
func npmError(b []byte) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(l, "A complete log of this run") || strings.TrimSpace(l) == "" {
			continue
		}
		lines = append(lines, strings.TrimSpace(l))
		if len(lines) == 3 {
			break
		}
	}
	if len(lines) == 0 {
		return lastLine(b)
	}
	return strings.Join(lines, "; ")
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// sdkImport finds the @aws-sdk packages a piece of JavaScript imports or
// requires.
var sdkImport = regexp.MustCompile(`["'](@aws-sdk/[a-z0-9][a-z0-9._-]*)(?:/[^"']*)?["']`)

// scanNode returns the @aws-sdk packages the code in dir references but
// does not bundle (no node_modules/<package> of its own).
func (c *sdkCache) scanNode(dir string) []string {
	c.mu.Lock()
	got, ok := c.scanned[dir]
	c.mu.Unlock()
	if ok {
		return got
	}
	found := map[string]bool{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable part is not scanned
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return fs.SkipDir
		}
		switch filepath.Ext(p) {
		case ".js", ".mjs", ".cjs", ".ts":
		default:
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 8<<20 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for _, m := range sdkImport.FindAllSubmatch(b, -1) {
			found[string(m[1])] = true
		}
		return nil
	})
	var pkgs []string
	for p := range found {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", p)); err != nil {
			pkgs = append(pkgs, p)
		}
	}
	slices.Sort(pkgs)
	c.mu.Lock()
	if c.scanned == nil {
		c.scanned = map[string][]string{}
	}
	c.scanned[dir] = pkgs
	c.mu.Unlock()
	return pkgs
}

// node returns a node_modules directory with the base packages and those
// the code in codeDir needs, installing them with npm when no install has
// them yet. A package the code names that the npm registry does not have
// is left out, as Lambda's runtime lacks it too: the function's import of
// it fails at invoke (Runtime.ImportModuleError), and it never enters the
// set installed for other functions.
func (c *sdkCache) node(ctx context.Context, codeDir string) (sdkPaths, error) {
	need := c.scanNode(codeDir)
	for {
		c.mu.Lock()
		set := slices.Clone(c.wanted)
		if set == nil {
			set = slices.Clone(nodeSDKBase)
		}
		var added []string
		for _, p := range need {
			if !slices.Contains(set, p) && !c.absent[p] {
				set = append(set, p)
				added = append(added, p)
			}
		}
		slices.Sort(set)
		c.mu.Unlock()
		j, err := c.installSet(ctx, set)
		if err == nil {
			c.mu.Lock()
			for _, p := range set {
				if !slices.Contains(c.wanted, p) {
					c.wanted = append(c.wanted, p)
				}
			}
			slices.Sort(c.wanted)
			c.mu.Unlock()
			return sdkPaths{node: filepath.Join(j.dir, "node_modules"), desc: j.desc}, nil
		}
		if ctx.Err() != nil || len(added) == 0 || !c.markAbsent(ctx, added) {
			return sdkPaths{}, fmt.Errorf("installing the AWS SDK for JavaScript into %s: %w", c.root, err)
		}
	}
}

// installSet installs the packages of set, once for all callers.
func (c *sdkCache) installSet(ctx context.Context, set []string) (*sdkJob, error) {
	sum := sha256.Sum256([]byte(strings.Join(set, "\n")))
	key := "nodejs-" + hex.EncodeToString(sum[:8])
	return c.run(ctx, key, func() (string, string, error) { return c.installNode(key, set) })
}

// markAbsent asks the npm registry about each of pkgs and records those
// it does not have (E404). It reports whether it found any.
func (c *sdkCache) markAbsent(ctx context.Context, pkgs []string) bool {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return false
	}
	found := false
	for _, p := range pkgs {
		vctx, cancel := context.WithTimeout(ctx, time.Minute)
		out, err := exec.CommandContext(vctx, npm, append([]string{"view", p, "name"}, npmQuick...)...).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), "E404") {
			continue
		}
		c.mu.Lock()
		if c.absent == nil {
			c.absent = map[string]bool{}
		}
		c.absent[p] = true
		c.mu.Unlock()
		found = true
	}
	return found
}

// installNode runs npm install of pkgs into the cache directory key.
func (c *sdkCache) installNode(key string, pkgs []string) (string, string, error) {
	final := filepath.Join(c.root, "nodejs", key)
	desc := func(v string) string { return "@aws-sdk " + v + " from " + filepath.Join(final, "node_modules") }
	if v := readVersion(final); v != "" {
		return final, desc(v), nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", "", errors.New("npm is not installed: install npm (Debian: apt-get install npm), which fetches the SDK from the npm registry once")
	}
	tmp, done, err := c.tempDir("nodejs")
	if err != nil {
		return "", "", err
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"name":"rolecall-runtime-sdk","private":true}`+"\n"), 0o644); err != nil {
		return "", "", errors.Join(err, os.RemoveAll(tmp))
	}
	args := append([]string{"install", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"}, npmNetwork...)
	args = append(args, pkgs...)
	if out, err := runIn(ctx, tmp, npm, args...); err != nil {
		_ = os.RemoveAll(tmp) // best effort: a temporary directory of the cache
		return "", "", fmt.Errorf("npm install %s: %v: %s", strings.Join(pkgs, " "), err, npmError(out))
	}
	var pj struct{ Version string }
	b, err := os.ReadFile(filepath.Join(tmp, "node_modules", "@aws-sdk", "client-sts", "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pj)
	}
	if err != nil {
		return "", "", errors.Join(fmt.Errorf("npm installed no @aws-sdk/client-sts: %w", err), os.RemoveAll(tmp))
	}
	if err := os.WriteFile(filepath.Join(tmp, ".version"), []byte(pj.Version+"\n"+strings.Join(pkgs, " ")+"\n"), 0o644); err != nil {
		return "", "", errors.Join(err, os.RemoveAll(tmp))
	}
	if err := publish(tmp, final); err != nil {
		return "", "", err
	}
	return final, desc(pj.Version), nil
}
