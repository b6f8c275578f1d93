package runtime

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// TestOwnedByRefusesOtherUsers: an environment's own listener serves its
// uid and rolecall's user, and closes the connections of every other
// user (another function) before anything is exchanged, so that one
// cannot take up the connections the environment may hold.
func TestOwnedByRefusesOtherUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to connect as other users")
	}
	// The system's interpreter, which other users may execute.
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no " + py)
	}
	const owner, stranger = 65533, 65534
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("served")) })}
	go srv.Serve(OwnedBy(ln, owner))
	t.Cleanup(func() { srv.Close() })
	url := "http://" + ln.Addr().String() + "/"
	get := func(uid int) string {
		cmd := exec.Command(py, "-c", `
import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")
except Exception as e:
    print("refused", end="")`, url)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{}}}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("uid %d: %v", uid, err)
		}
		return string(out)
	}
	for uid, want := range map[int]string{owner: "served", stranger: "refused", os.Getuid(): "served"} {
		if got := get(uid); got != want {
			t.Errorf("uid %s: %q, want %q", strconv.Itoa(uid), got, want)
		}
	}
}
