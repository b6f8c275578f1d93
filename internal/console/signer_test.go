package console_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestBrowserSignerAgainstServer runs the console's own client (api.js,
// sigv4.js) under node against a real rolecall: every call's signature
// is accepted, whatever its path, query or body holds, and the answers
// are the services' own.
func TestBrowserSignerAgainstServer(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is needed to run the console's signer")
		}
		t.Skip("no node on PATH")
	}
	srv := servertest.Start(t)
	root := srv.Root()
	cmd := exec.Command(node, "testdata/signed-calls.mjs")
	cmd.Env = append(os.Environ(), "ENDPOINT="+srv.Endpoint(), "REGION="+srv.Region(),
		"KEY_ID="+root.AccessKeyID, "SECRET="+root.SecretAccessKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	want := map[string]string{
		"list-functions": "ok",
		"odd-query":      "InvalidParameterValueException", // the marker is not one ListFunctions gave
		"arn-in-path":    "ResourceNotFoundException",
		"template":       "ok",
		"odd-path":       "ResourceNotFoundException",
		"json-target":    "ok",
		"logs":           "ok",
		"post-body":      "ResourceNotFoundException",
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, result, _ := strings.Cut(line, " ")
		got[name] = result
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q\n%s", name, got[name], w, out)
		}
	}
}
