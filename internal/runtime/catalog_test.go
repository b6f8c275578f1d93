package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckLifecycle: AWS blocks creation first, then updates, with its
// own message naming the family's newest runtime; runtimes rolecall cannot
// run are refused whatever the date.
func TestCheckLifecycle(t *testing.T) {
	retired := "The runtime parameter of nodejs18.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (nodejs24.x) while creating or updating functions."
	for _, tc := range []struct {
		runtime string
		op      Operation
		at      time.Time
		want    string // "" accepted; else the message's prefix
	}{
		{"nodejs18.x", OpCreate, day(2026, time.March, 8), ""},
		{"nodejs18.x", OpCreate, day(2026, time.March, 9), retired},
		{"nodejs18.x", OpUpdate, day(2026, time.March, 9), ""},
		{"nodejs18.x", OpUpdate, day(2026, time.April, 9), retired},
		{"python2.7", OpCreate, day(2026, time.January, 1), "The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (python3.14) while creating or updating functions."},
		{"provided", OpCreate, day(2026, time.January, 1), "The runtime parameter of provided is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (provided.al2023)"},
		{"python3.13", OpCreate, day(2026, time.January, 1), ""},
		{"provided.al2023", OpUpdate, day(2026, time.January, 1), ""},
		{"java21", OpCreate, day(2026, time.January, 1), "The runtime parameter of java21 is not supported by rolecall"},
		{"dotnet8", OpUpdate, day(2026, time.January, 1), "The runtime parameter of dotnet8 is not supported by rolecall"},
	} {
		err := CheckLifecycle(tc.runtime, tc.op, tc.at)
		var re *RuntimeError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s (%d) at %s: %v", tc.runtime, tc.op, tc.at.Format(time.DateOnly), err)
		case tc.want != "" && (!errors.As(err, &re) || !strings.HasPrefix(re.Message, tc.want)):
			t.Errorf("%s (%d) at %s: %v, want %q", tc.runtime, tc.op, tc.at.Format(time.DateOnly), err, tc.want)
		}
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"python3.12": "ROLECALL_RUNTIME_PYTHON3_12", "nodejs22.x": "ROLECALL_RUNTIME_NODEJS22_X",
	} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%s) = %s, want %s", in, got, want)
		}
	}
}

// fakeInterpreter writes a script that answers the interpreters' probe
// with its own path and version.
func fakeInterpreter(t *testing.T, dir, name, version string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n%%s' '%s' '%s'\n", p, version)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInterpreterVersion: a runtime runs only on an interpreter of its
// version, found on PATH by name or named by an override; an override of
// another version is refused saying so; a family override of another
// version is passed over.
func TestInterpreterVersion(t *testing.T) {
	dir := t.TempDir()
	py311 := fakeInterpreter(t, dir, "python3", "3.11.4")
	py312 := fakeInterpreter(t, dir, "python3.12", "3.12.1")
	node20 := fakeInterpreter(t, dir, "node", "20.1.0")
	t.Setenv("PATH", dir)
	t.Setenv("HOME", dir) // no pyenv versions
	t.Setenv("PYENV_ROOT", "")
	in := &interpreters{overrides: map[string]string{"nodejs": node20, "python3.13": py311}}
	ctx := t.Context()
	for runtime, want := range map[string]string{"python3.11": py311, "python3.12": py312, "nodejs20.x": node20} {
		it, err := in.lookup(ctx, runtime)
		if err != nil || it.path != want {
			t.Errorf("%s: %+v %v, want %s", runtime, it, err, want)
		}
	}
	for runtime, want := range map[string]string{
		"python3.13": "The runtime parameter of python3.13 cannot run on this host: it needs Python 3.13, and ROLECALL_RUNTIME_PYTHON3_13 names " + py311 + " (3.11.4).",
		"python3.10": "The runtime parameter of python3.10 cannot run on this host: it needs Python 3.10, and found only " + py311 + " (3.11.4). Install python3.10 on PATH, or set ROLECALL_RUNTIME_PYTHON3_10 to the path of a Python 3.10 interpreter.",
		"nodejs22.x": "The runtime parameter of nodejs22.x cannot run on this host: it needs Node.js 22, and found only " + node20 + " (20.1.0).",
	} {
		_, err := in.lookup(ctx, runtime)
		var re *RuntimeError
		if !errors.As(err, &re) || !strings.HasPrefix(re.Message, want) {
			t.Errorf("%s: %v\nwant %s", runtime, err, want)
		}
	}
}
