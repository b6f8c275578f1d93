package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/sys/unix"
)

// checkHost reports whether this host can start sandboxes, and whether
// /tmp can be a loop-mounted disk with its image under workDir (else why
// not).
func checkHost(workDir string) (loop bool, why string, err error) {
	var missing []error
	if uid := os.Geteuid(); uid != 0 {
		missing = append(missing, fmt.Errorf("root (running as uid %d)", uid))
	}
	for _, ns := range []string{"mnt", "pid", "ipc", "uts"} {
		if _, err := os.Stat("/proc/self/ns/" + ns); err != nil {
			missing = append(missing, fmt.Errorf("%s namespaces: %w", ns, err))
		}
	}
	if !seccomp.Supported() {
		missing = append(missing, errors.New("seccomp filters"))
	}
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		missing = append(missing, fmt.Errorf("/proc/self/exe: %w", err))
	}
	if _, err := policy().Assemble(); err != nil {
		missing = append(missing, fmt.Errorf("seccomp policy: %w", err))
	}
	if len(missing) > 0 {
		return false, "", fmt.Errorf("sandbox: this host lacks: %w", errors.Join(missing...))
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return false, "no loop devices: /dev/loop-control is missing", nil
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		return false, "mkfs.ext4 is not installed", nil
	}
	// An image on a tmpfs would be memory anyway, and charged to
	// rolecall rather than to the function.
	var st unix.Statfs_t
	if err := unix.Statfs(workDir, &st); err != nil {
		return false, "", fmt.Errorf("sandbox: work directory: %w", err)
	}
	if st.Type == unix.TMPFS_MAGIC || st.Type == unix.RAMFS_MAGIC {
		return false, "the work directory " + workDir + " is itself in memory", nil
	}
	return true, "", nil
}
