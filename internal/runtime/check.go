package runtime

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// CheckRuntime returns a *RuntimeError when this host cannot run runtime:
// its family is none rolecall runs (see CheckLifecycle), or no interpreter
// of its version is found (pythonX.Y needs Python X.Y, nodejsN.x Node N)
// and, for Node, none can be installed from the npm registry, the message
// then saying what was found and how to provide the right one. It probes
// interpreters, which takes milliseconds once per runtime, and asks the
// npm registry once per missing Node version.
func (m *Manager) CheckRuntime(ctx context.Context, runtime string) error {
	s, _ := lookupSpec(runtime)
	switch s.family {
	case "provided":
		return nil
	case "python":
		_, err := m.interp.lookup(ctx, runtime)
		if _, private := m.interp.privateFor(runtime); err != nil && private {
			return nil // Prepare copies it where the functions' users reach it
		}
		return err
	case "nodejs":
		_, err := m.interp.lookup(ctx, runtime)
		if err == nil {
			return nil
		}
		// Prepare installs it from the npm registry, if it has it.
		if _, aerr := m.sdk.nodeAvailable(ctx, s.major); aerr != nil {
			return installError(err, aerr)
		}
		return nil
	}
	return CheckLifecycle(runtime, OpCreate, time.Time{})
}

// Prepare makes ready what runtime needs to run the code in codeDir: its
// interpreter (as CheckRuntime) and the AWS SDK its Lambda runtime ships,
// installed into the runtime cache once when the interpreter lacks it,
// which may take minutes. Calls for the same install share it. Invoke
// does the same for an environment whose runtime was not prepared.
func (m *Manager) Prepare(ctx context.Context, runtime, codeDir string) error {
	s, _ := lookupSpec(runtime)
	if s.family != "python" && s.family != "nodejs" {
		return m.CheckRuntime(ctx, runtime)
	}
	it, err := m.lookupOrInstall(ctx, runtime)
	if err != nil {
		return err
	}
	_, err = m.sdk.ready(ctx, runtime, it, codeDir)
	return err
}

// RuntimesBanner describes, for the start-up banner, what each runtime
// that AWS lets functions be created with runs on at now: one line per
// runtime that runs ("python3.11 -> /usr/bin/python3.11 (3.11.2), boto3
// 1.26.27 (the interpreter's)"), and one line listing those that do not,
// with the variable that provides them.
func (m *Manager) RuntimesBanner(ctx context.Context, now time.Time) string {
	var b strings.Builder
	var missing, installable, copied []string
	for _, s := range catalog {
		if s.family != "python" && s.family != "nodejs" || CheckLifecycle(s.id, OpCreate, now) != nil {
			continue
		}
		it, err := m.interp.lookup(ctx, s.id)
		if err != nil && s.family == "nodejs" && npmNode() {
			installable = append(installable, s.id)
			continue
		}
		if _, private := m.interp.privateFor(s.id); err != nil && private {
			copied = append(copied, s.id)
			continue
		}
		if err != nil {
			missing = append(missing, s.id)
			continue
		}
		fmt.Fprintf(&b, "  %-11s -> %s (%s), %s\n", s.id, it.path, it.version, m.sdk.describe(ctx, s, it))
	}
	b.WriteString("  provided.al2023, provided.al2 -> the function's own bootstrap\n")
	if len(installable) > 0 {
		fmt.Fprintf(&b, "  %s -> Node from the npm registry (%s), installed at first use\n", strings.Join(installable, ", "), nodePackage())
	}
	if len(copied) > 0 {
		fmt.Fprintf(&b, "  %s -> interpreters the functions' users cannot reach, copied into %s at first use\n",
			strings.Join(copied, ", "), m.sdk.pythonRoot())
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "  not available (no interpreter of their version; name one with ROLECALL_RUNTIME_<ID>, e.g. %s): %s\n",
			EnvName(missing[0]), strings.Join(missing, ", "))
	}
	return b.String()
}

// npmNode reports whether Node versions can come from the npm registry.
func npmNode() bool {
	_, err := exec.LookPath("npm")
	return err == nil && nodePackage() != ""
}

// describe tells where the runtime's SDK comes from without installing it.
func (c *sdkCache) describe(ctx context.Context, s spec, it interpreter) string {
	switch {
	case s.family == "python":
		if ver := c.boto3(ctx, it); ver != "" {
			return "boto3 " + ver + " (the interpreter's)"
		}
		dir := filepath.Join(c.root, "python", "boto3")
		if v := readVersion(dir); v != "" {
			return "boto3 " + v + " from " + dir
		}
		return "boto3 installed into " + c.root + " at first use"
	case s.major >= nodeSDKMinMajor:
		found, _ := filepath.Glob(filepath.Join(c.root, "nodejs", "nodejs-*", ".version"))
		for _, f := range found {
			if v := readVersion(filepath.Dir(f)); v != "" {
				return "@aws-sdk " + v + " from " + filepath.Join(c.root, "nodejs")
			}
		}
		return "@aws-sdk installed into " + c.root + " at first use"
	}
	return "no AWS SDK"
}
