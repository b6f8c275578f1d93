package sandbox

import (
	"fmt"
	"unsafe"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The system calls a sandboxed program may not make: they fail with
// EPERM. The list follows the default seccomp profiles of container
// runtimes: what changes mounts or namespaces, inspects or injects into
// other processes, loads code or filters into the kernel, or changes the
// machine. Names the running architecture lacks are left out.
var deniedNames = []string{
	// Mounts and the root.
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	// Namespaces of other processes.
	"setns",
	// Other processes' memory.
	"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
	// Code and filters in the kernel, and its tracing.
	"bpf", "perf_event_open", "init_module", "finit_module", "delete_module",
	"create_module", "kexec_load", "kexec_file_load", "lookup_dcookie", "fanotify_init",
	"userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
	// The kernel's keyrings.
	"keyctl", "add_key", "request_key",
	// The machine.
	"reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog",
	"iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "vhangup", "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl",
	// Files by handle, which bypass the directory tree.
	"open_by_handle_at", "name_to_handle_at",
}

// namespaceFlags are the CLONE_NEW* flags: clone and unshare with any of
// them fail with EPERM (unshare also takes CLONE_NEWTIME).
const namespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// Personalities a program may set (the query 0xffffffff, PER_LINUX and
// its variants that only change uname's answer or the address space
// layout reported to 32-bit code), as container runtimes allow.
var allowedPersonalities = []uint64{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}

// errnoENOSYS is the action for clone3, whose flags live in memory a
// filter cannot read: ENOSYS makes the C library fall back to clone, whose
// flags the filter checks.
const errnoENOSYS = seccomp.ActionErrno | seccomp.Action(unix.ENOSYS)

// deniedSyscalls returns the names of deniedNames that this architecture
// has.
func deniedSyscalls() []string {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil
	}
	var names []string
	for _, n := range deniedNames {
		if _, ok := info.SyscallNames[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// policy is the sandbox's seccomp policy: allow by default, refuse the
// calls above.
func policy() *seccomp.Policy {
	conditional := []seccomp.NameWithConditions{
		{Name: "clone", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.BitsSet, Value: namespaceFlags}}},
		{Name: "unshare", Conditions: seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.BitsSet, Value: namespaceFlags | unix.CLONE_NEWTIME}}},
		// Device nodes: S_IFCHR, and S_IFBLK which contains its bit.
		{Name: "mknod", Conditions: seccomp.ArgumentConditions{{Argument: 1, Operation: seccomp.BitsSet, Value: unix.S_IFCHR}}},
		{Name: "mknodat", Conditions: seccomp.ArgumentConditions{{Argument: 2, Operation: seccomp.BitsSet, Value: unix.S_IFCHR}}},
	}
	persona := seccomp.NameWithConditions{Name: "personality"}
	for _, v := range allowedPersonalities {
		persona.Conditions = append(persona.Conditions, seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: v})
	}
	conditional = append(conditional, persona)
	info, err := arch.GetInfo("")
	groups := []seccomp.SyscallGroup{{Action: seccomp.ActionErrno, Names: deniedSyscalls()}}
	if err == nil {
		var have []seccomp.NameWithConditions
		for _, c := range conditional {
			if _, ok := info.SyscallNames[c.Name]; ok {
				have = append(have, c)
			}
		}
		groups = append(groups, seccomp.SyscallGroup{Action: seccomp.ActionErrno, NamesWithCondtions: have})
		if _, ok := info.SyscallNames["clone3"]; ok {
			groups = append(groups, seccomp.SyscallGroup{Action: errnoENOSYS, Names: []string{"clone3"}})
		}
	}
	return &seccomp.Policy{DefaultAction: seccomp.ActionAllow, Syscalls: groups}
}

// filters are the sandbox's two seccomp filters, assembled ahead (a
// spare does it while it waits): first one that refuses (ENOSYS) system
// calls of any other architecture's calling convention (a 64-bit x86
// process can make 32-bit calls, whose numbers differ, and the policy's
// filter lets calls of an architecture other than its own through), then
// the policy.
type filters [2][]unix.SockFilter

// assembleFilters assembles the filters for the running architecture.
func assembleFilters() (filters, error) {
	var fs filters
	info, err := arch.GetInfo("")
	if err != nil {
		return fs, fmt.Errorf("seccomp: %w", err)
	}
	guard := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4}, // seccomp_data.arch
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(info.ID), SkipTrue: 1},
		bpf.RetConstant{Val: uint32(errnoENOSYS)},
		bpf.RetConstant{Val: uint32(seccomp.ActionAllow)},
	}
	pol, err := policy().Assemble()
	if err != nil {
		return fs, fmt.Errorf("seccomp: %w", err)
	}
	for i, prog := range [][]bpf.Instruction{guard, pol} {
		raw, err := bpf.Assemble(prog)
		if err != nil {
			return fs, fmt.Errorf("seccomp: %w", err)
		}
		for _, in := range raw {
			fs[i] = append(fs[i], unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K})
		}
	}
	return fs, nil
}

// load sets no_new_privs and installs the filters on every thread of
// this process.
func (fs filters) load() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	for _, f := range fs {
		prog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
		if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
			unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); errno != 0 {
			return fmt.Errorf("seccomp: %w", errno)
		}
	}
	return nil
}
