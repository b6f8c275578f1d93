package server_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// childServer is a rolecall served by a child process of the test binary,
// for tests that measure or limit a whole server process.
type childServer struct {
	pid                    int
	endpoint, akid, secret string
}

// startChildServer runs the test binary's test named test with env=1 in
// its environment (that test calls serveChild), and reads what it serves.
// The child stops when the test ends.
func startChildServer(t *testing.T, test, env string) childServer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v=false")
	cmd.Env = append(os.Environ(), env+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child server: %v", err)
	}
	c := childServer{pid: cmd.Process.Pid}
	if _, err := fmt.Sscan(line, &c.endpoint, &c.akid, &c.secret); err != nil {
		t.Fatalf("child server said %q: %v", line, err)
	}
	return c
}

// serveChild serves rolecall in a child process started by
// startChildServer, until its standard input closes.
func serveChild(t *testing.T) {
	srv := servertest.Start(t)
	root := srv.Root()
	fmt.Printf("%s %s %s\n", srv.Endpoint(), root.AccessKeyID, root.SecretAccessKey)
	_, _ = io.Copy(io.Discard, os.Stdin)
}
