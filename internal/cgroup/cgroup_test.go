package cgroup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the processes put into groups.
const helperVar = "ROLECALL_CGROUP_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperVar); h != "" {
		helper(h)
		return
	}
	os.Exit(m.Run())
}

func helper(what string) {
	kind, arg, _ := strings.Cut(what, ":")
	if kind != "parent" {
		// Nothing happens before the test has put this process in its group.
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	}
	switch kind {
	case "alloc": // touch arg MB, then wait
		n, _ := strconv.Atoi(arg)
		b := make([]byte, n<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		fmt.Println("allocated")
		time.Sleep(time.Hour)
	case "spin": // burn CPU
		fmt.Println("spinning")
		for n := 0; ; n++ {
			if n < 0 {
				break
			}
		}
	case "orphan": // a process that leaves its parent, then waits
		cmd := exec.Command("/bin/sleep", "3600")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			panic(err)
		}
		fmt.Println(cmd.Process.Pid)
		time.Sleep(time.Hour)
	case "parent": // open parent arg, put an orphan maker in a group, report, wait to be killed
		p, err := Open(arg)
		if err != nil {
			panic(err)
		}
		g, err := p.New(context.Background(), "env", Limits{Pids: 1024})
		if err != nil {
			panic(err)
		}
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperVar+"=orphan")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			panic(err)
		}
		if err := g.Add(cmd.Process.Pid); err != nil {
			panic(err)
		}
		// Only now, in the group, does it start its child.
		if _, err := in.Write([]byte("go\n")); err != nil {
			panic(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if err := g.Freeze(context.Background()); err != nil {
			panic(err)
		}
		fmt.Println(strings.TrimSpace(line), p.reaper.Process.Pid)
		time.Sleep(time.Hour)
	}
	os.Exit(2)
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("cgroups need root")
	}
}

func openParent(t *testing.T) *Parent {
	t.Helper()
	needRoot(t)
	p, err := Open(fmt.Sprintf("test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-")))
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

// start runs the helper kind in g and returns it after its first line.
func start(t *testing.T, g *Group, kind string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperVar+"="+kind)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	// The helper waits for this line, so all it does is counted.
	if _, err := in.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	return cmd, strings.TrimSpace(line)
}

func TestMemoryLimitKills(t *testing.T) {
	p := openParent(t)
	ctx := context.Background()
	g, err := p.New(ctx, "mem", Limits{MemoryBytes: 64 << 20, Pids: 1024})
	if err != nil {
		t.Fatal(err)
	}
	small, line := start(t, g, "alloc:16")
	if line != "allocated" {
		t.Fatalf("16 MB in a 64 MB group: %q", line)
	}
	if g.OOMKilled() {
		t.Fatal("OOMKilled before any kill")
	}
	if peak := g.PeakMemory(); peak < 16<<20 || peak > 64<<20 {
		t.Errorf("peak %d bytes after touching 16 MB", peak)
	}
	oom, err := g.WatchOOM(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cmd, line := start(t, g, "alloc:128")
	err = cmd.Wait()
	select {
	case <-oom:
	case <-time.After(5 * time.Second):
		t.Error("WatchOOM did not tell of the kill")
	}
	var ee *exec.ExitError
	if line == "allocated" || !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("128 MB in a 64 MB group: %q, %v", line, err)
	}
	if !g.OOMKilled() {
		t.Error("OOMKilled false after the kernel killed for memory")
	}
	if err := g.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	_ = small.Wait() // killed
	if empty, err := g.Empty(); !empty || err != nil {
		t.Fatalf("after Kill: empty %v, %v", empty, err)
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
}

func TestPidsLimit(t *testing.T) {
	p := openParent(t)
	g, err := p.New(context.Background(), "pids", Limits{Pids: 8})
	if err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("/bin/sh", "-c", `read x; i=0; while [ $i -lt 20 ]; do sleep 30 >/dev/null 2>&1 & i=$((i+1)); done 2>&1; echo done`)
	in, _ := sh.StdinPipe()
	out, _ := sh.StdoutPipe()
	sh.Stderr = sh.Stdout
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(sh.Process.Pid); err != nil {
		t.Fatal(err)
	}
	_, _ = in.Write([]byte("go\n"))
	var text string
	for sc := bufio.NewScanner(out); sc.Scan() && sc.Text() != "done"; {
		text += sc.Text() + "\n"
	}
	if err := g.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = sh.Wait()
	if !strings.Contains(text, "fork") && !strings.Contains(text, "Resource temporarily unavailable") {
		t.Errorf("20 children under pids.max 8 did not fail: %q", text)
	}
}

func TestFreezeStopsCPU(t *testing.T) {
	p := openParent(t)
	ctx := context.Background()
	g, err := p.New(ctx, "spin", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	start(t, g, "spin")
	u0, _ := g.CPUUsage()
	time.Sleep(100 * time.Millisecond)
	u1, _ := g.CPUUsage()
	if u1-u0 < 10*time.Millisecond {
		t.Fatalf("spinning used %v in 100ms", u1-u0)
	}
	if err := g.Freeze(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := g.State(); s != "FROZEN" || err != nil {
		t.Fatalf("state %q, %v", s, err)
	}
	f0, _ := g.CPUUsage()
	time.Sleep(300 * time.Millisecond)
	f1, _ := g.CPUUsage()
	if f1 != f0 {
		t.Errorf("frozen group used %v", f1-f0)
	}
	if err := g.Thaw(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if t1, _ := g.CPUUsage(); t1-f1 < 10*time.Millisecond {
		t.Errorf("thawed group used %v in 100ms", t1-f1)
	}
	// A frozen group is killed too.
	if err := g.Freeze(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if empty, _ := g.Empty(); !empty {
		t.Fatal("not empty after Kill")
	}
}

// TestKillReachesLeavers: processes that left their parent's session and
// process group are still in the group.
func TestKillReachesLeavers(t *testing.T) {
	p := openParent(t)
	g, err := p.New(context.Background(), "leave", Limits{Pids: 1024})
	if err != nil {
		t.Fatal(err)
	}
	cmd, line := start(t, g, "orphan")
	orphan, _ := strconv.Atoi(line)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if syscall.Kill(orphan, 0) != nil {
		t.Fatal("the orphan is not running")
	}
	if err := g.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitGone(t, orphan)
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 500; i++ {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	c, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	t.Fatalf("process %d still runs:\n%s\n%s", pid, b, c)
}

// startParent runs a helper process that opens the parent name and
// leaves a detached process in a frozen group; it returns the helper,
// that process and the helper's reaper.
func startParent(t *testing.T, name string) (helper *exec.Cmd, orphan, reaper int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperVar+"=parent:"+name)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if _, err := fmt.Sscan(line, &orphan, &reaper); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper said %q", line)
	}
	return cmd, orphan, reaper
}

// TestProcessesDieWithTheirRolecall: kill -9 of a rolecall process kills
// every process of its groups, frozen ones included.
func TestProcessesDieWithTheirRolecall(t *testing.T) {
	needRoot(t)
	if _, _, err := hierarchies(); err != nil {
		t.Skip(err)
	}
	name := fmt.Sprintf("test-%d-killed", os.Getpid())
	cmd, orphan, _ := startParent(t, name)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	waitGone(t, orphan)
	openParent(t) // removes the groups
}

// TestOrphanParentsRemoved: after kill -9 of a rolecall process and of its
// reaper, the next Open kills what ran in its groups and removes them.
func TestOrphanParentsRemoved(t *testing.T) {
	needRoot(t)
	_, bases, err := hierarchies()
	if err != nil {
		t.Skip(err)
	}
	name := fmt.Sprintf("test-%d-dead", os.Getpid())
	cmd, orphan, reaper := startParent(t, name)
	// While it lives its name is taken.
	if _, err := Open(name); err == nil {
		t.Fatal("Open of a live process's parent succeeded")
	}
	// Without its reaper (killed too), what it left runs on.
	_ = syscall.Kill(reaper, syscall.SIGKILL)
	time.Sleep(50 * time.Millisecond)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if syscall.Kill(orphan, 0) != nil {
		t.Fatal("the orphan died with its rolecall: nothing to clean")
	}
	openParent(t) // any Open cleans
	waitGone(t, orphan)
	for _, b := range bases {
		if _, err := os.Stat(filepath.Join(b, top, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("group left in %s: %v", b, err)
		}
	}
	if _, err := os.Stat(LockDir + "/" + name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left: %v", err)
	}
}

// TestTaskDirsJoinedByThread: a single-threaded process that writes 0 to
// the tasks file of each of TaskDirs is in the group in every hierarchy,
// with its limits (pids.max here), and Kill reaches what it started.
func TestTaskDirsJoinedByThread(t *testing.T) {
	p := openParent(t)
	g, err := p.New(context.Background(), "joined", Limits{Pids: 4})
	if err != nil {
		t.Fatal(err)
	}
	dirs := g.TaskDirs()
	if p.V2() {
		if dirs != nil {
			t.Errorf("TaskDirs on v2: %q, want none", dirs)
		}
		return
	}
	if len(dirs) != len(v1Controllers) {
		t.Fatalf("TaskDirs %q: want one per hierarchy (%d)", dirs, len(v1Controllers))
	}
	sh := exec.Command("/bin/sh", "-c", `for d; do echo 0 > "$d/tasks" || exit 1; done; echo joined; read x
i=0; while [ $i -lt 8 ]; do sleep 30 >/dev/null 2>&1 & i=$((i+1)); done 2>&1; echo done; wait`, "sh")
	sh.Args = append(sh.Args, dirs...)
	in, _ := sh.StdinPipe()
	out, _ := sh.StdoutPipe()
	sh.Stderr = sh.Stdout
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sh.Process.Kill(); _ = sh.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "joined" {
		t.Fatalf("shell: %q, want joined", sc.Text())
	}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains("\n"+string(b), "\n"+strconv.Itoa(sh.Process.Pid)+"\n") {
			t.Errorf("%s holds %q, not the shell %d", d, b, sh.Process.Pid)
		}
	}
	_, _ = in.Write([]byte("go\n"))
	var text string
	for sc.Scan() && sc.Text() != "done" {
		text += sc.Text() + "\n"
	}
	if !strings.Contains(text, "fork") && !strings.Contains(text, "Resource temporarily unavailable") {
		t.Errorf("8 children of a joined shell under pids.max 4 did not fail: %q", text)
	}
	if err := g.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	if empty, err := g.Empty(); err != nil || !empty {
		t.Errorf("after Kill: empty %v, %v", empty, err)
	}
}
