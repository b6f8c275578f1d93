// Command probe is run inside sandboxes by the sandbox package's tests: each
// verb tries one thing and prints what happened, one line per result.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "probe: no verb")
		os.Exit(2)
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "procs": // the numeric entries of /proc, and our own pid
		entries, err := os.ReadDir("/proc")
		check(err)
		var pids []string
		for _, e := range entries {
			if _, err := strconv.Atoi(e.Name()); err == nil {
				pids = append(pids, e.Name())
			}
		}
		fmt.Printf("self %d\nprocs %s\n", os.Getpid(), strings.Join(pids, " "))
	case "syscalls": // errno of each call the sandbox refuses
		for _, c := range []struct {
			name string
			call func() error
		}{
			{"mount", func() error { return unix.Mount("none", "/tmp", "tmpfs", 0, "") }},
			{"umount2", func() error { return unix.Unmount("/proc", unix.MNT_DETACH) }},
			{"unshare-mnt", func() error { return unix.Unshare(unix.CLONE_NEWNS) }},
			{"unshare-user", func() error { return unix.Unshare(unix.CLONE_NEWUSER) }},
			{"unshare-net", func() error { return unix.Unshare(unix.CLONE_NEWNET) }},
			{"clone-newpid", func() error { return rawClone(unix.CLONE_NEWPID) }},
			{"clone-newuser", func() error { return rawClone(unix.CLONE_NEWUSER) }},
			{"setns", func() error { return setns() }},
			{"ptrace", func() error { return ptraceChild() }},
			{"keyctl", func() error {
				_, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 1, 0, 0)
				return err
			}},
			{"add_key", func() error {
				_, err := unix.AddKey("user", "k", []byte("v"), unix.KEY_SPEC_PROCESS_KEYRING)
				return err
			}},
			{"bpf", func() error { return errnoOf(unix.Syscall(unix.SYS_BPF, 0, 0, 0)) }},
			{"perf_event_open", func() error {
				attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK}
				fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, 0)
				if err == nil {
					unix.Close(fd)
				}
				return err
			}},
			{"userfaultfd", func() error { return errnoOf(unix.Syscall(unix.SYS_USERFAULTFD, 0, 0, 0)) }},
			{"personality", func() error {
				return errnoOf(unix.Syscall(unix.SYS_PERSONALITY, 0x0040000 /* ADDR_NO_RANDOMIZE */, 0, 0))
			}},
			{"mknod", func() error { return unix.Mknod("/tmp/null", unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))) }},
			{"chroot", func() error { return unix.Chroot("/tmp") }},
			{"pivot_root", func() error { return unix.PivotRoot("/tmp", "/tmp") }},
			{"name_to_handle_at", func() error {
				_, _, err := unix.NameToHandleAt(unix.AT_FDCWD, "/tmp", 0)
				return err
			}},
			{"sethostname", func() error { return unix.Sethostname([]byte("x")) }},
			{"init_module", func() error { return errnoOf(unix.Syscall(unix.SYS_INIT_MODULE, 0, 0, 0)) }},
			{"reboot", func() error { return unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF) }},
		} {
			fmt.Printf("%s %s\n", c.name, errName(c.call()))
		}
		// Calls that must keep working.
		fmt.Printf("personality-query %s\n", errName(errnoOf(unix.Syscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0))))
		fmt.Printf("mkfifo %s\n", errName(unix.Mkfifo("/tmp/fifo", 0o600)))
		fmt.Printf("exec-child %s\n", errName(exec.Command("/bin/true").Run()))
	case "write": // write N bytes to a file, print bytes written and the error
		n, err := strconv.ParseInt(args[1], 10, 64)
		check(err)
		f, err := os.Create(args[0])
		check(err)
		buf := make([]byte, 1<<20)
		for i := range buf {
			buf[i] = byte(i)
		}
		var written int64
		var werr error
		for written < n && werr == nil {
			var k int
			k, werr = f.Write(buf[:min(int64(len(buf)), n-written)])
			written += int64(k)
		}
		if werr == nil {
			werr = f.Sync()
		}
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		err = werr
		fmt.Printf("written %d %s\n", written, errName(err))
	case "stat": // does each path exist
		for _, p := range args {
			_, err := os.Lstat(p)
			fmt.Printf("%s %s\n", p, errName(err))
		}
	case "touch": // create each file
		for _, p := range args {
			fmt.Printf("%s %s\n", p, errName(os.WriteFile(p, []byte("x"), 0o644)))
		}
	case "spawn": // start a detached child that sleeps with the token in its arguments; exit unless "stay"
		cmd := exec.Command("/proc/self/exe", "sleep", args[0])
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		check(cmd.Start())
		fmt.Printf("child %d\n", cmd.Process.Pid)
		if len(args) > 1 && args[1] == "stay" {
			fmt.Println("staying")
			time.Sleep(time.Hour)
		}
	case "int80": // 32-bit calls: getpid and unshare(CLONE_NEWUSER)
		if !has32BitCalls {
			fmt.Println("none")
			return
		}
		for _, c := range []struct {
			name string
			nr   uintptr
			a1   uintptr
		}{{"getpid", i386Getpid, 0}, {"unshare-user", i386Unshare, unix.CLONE_NEWUSER}} {
			r := int64(int32(int80(c.nr, c.a1, 0, 0)))
			if r < 0 {
				fmt.Printf("%s %s\n", c.name, unix.ErrnoName(unix.Errno(-r)))
			} else {
				fmt.Printf("%s %d\n", c.name, r)
			}
		}
	case "sleep":
		time.Sleep(time.Hour)
	case "rlimits":
		for _, r := range []struct {
			name string
			res  int
		}{{"nofile", unix.RLIMIT_NOFILE}, {"nproc", unix.RLIMIT_NPROC}, {"core", unix.RLIMIT_CORE}} {
			var l unix.Rlimit
			check(unix.Getrlimit(r.res, &l))
			fmt.Printf("%s %d %d\n", r.name, l.Cur, l.Max)
		}
	case "whoami":
		fmt.Printf("uid %d euid %d gid %d egid %d\n", os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid())
	default:
		fmt.Fprintln(os.Stderr, "probe: unknown verb", os.Args[1])
		os.Exit(2)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func errnoOf(_, _ uintptr, e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// errName names an error by its errno (EPERM, ENOSPC...), "ok" for none.
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return strings.ReplaceAll(err.Error(), " ", "_")
}

// rawClone makes a child with flags in its own namespaces; the child exits
// at once.
func rawClone(flags uintptr) error {
	pid, _, e := unix.RawSyscall6(unix.SYS_CLONE, flags|uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	if pid == 0 {
		unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
	}
	var ws unix.WaitStatus
	_, err := unix.Wait4(int(pid), &ws, 0, nil)
	return err
}

func setns() error {
	f, err := os.Open("/proc/self/ns/mnt")
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Setns(int(f.Fd()), 0)
}

// ptraceChild tries to attach to a child of its own, same uid.
func ptraceChild() error {
	cmd := exec.Command("/proc/self/exe", "sleep")
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	return unix.PtraceAttach(cmd.Process.Pid)
}
