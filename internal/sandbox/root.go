package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// hostDirs are the host directories every sandbox gets read-only: the
// system's programs and libraries, and /etc (covered by Spec.Files).
var hostDirs = []string{"/usr", "/etc"}

// mergedUsr are the top-level directories that a merged-/usr host links
// into /usr; the root gets the same links, or read-only bind mounts where
// the host has directories.
var mergedUsr = []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

// devices are the host devices bound into the sandbox's /dev.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// prepareRoot makes the part of the sandbox's file system on root that
// does not depend on the Spec, in this process's own mount namespace: a
// spare does it before it is handed one. tmpDevice, if not empty, is the
// ext4 disk mounted on /tmp.
func prepareRoot(root, tmpDevice string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := mountFS("tmpfs", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=16m,mode=0755"); err != nil {
		return err
	}
	for _, d := range mergedUsr {
		fi, err := os.Lstat(d)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("root: %w", err)
		case fi.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(d)
			if err != nil {
				return fmt.Errorf("root: %w", err)
			}
			if err := os.Symlink(link, root+d); err != nil {
				return fmt.Errorf("root: %w", err)
			}
		default:
			if err := bind(d, root+d, false); err != nil {
				return err
			}
		}
	}
	for _, d := range hostDirs {
		if err := bind(d, root+d, false); err != nil {
			return err
		}
	}
	if err := buildDev(root, DefaultShmBytes); err != nil {
		return err
	}
	if err := mountFS("proc", root+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	if tmpDevice != "" {
		return mountDisk(tmpDevice, root+"/tmp")
	}
	return nil
}

// mountDisk mounts the ext4 disk dev on target and empties it (mkfs.ext4
// leaves a lost+found).
func mountDisk(dev, target string) error {
	if err := mountFS(dev, target, "ext4", unix.MS_NOSUID|unix.MS_NODEV, "noinit_itable"); err != nil {
		return err
	}
	if err := os.Remove(target + "/lost+found"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("/tmp: %w", err)
	}
	return nil
}

// finishRoot completes the file system prepareRoot made for w (tmpDevice
// is the disk it mounted on /tmp, if any) and makes it the root
// (pivot_root), leaving nothing of the host's tree reachable but what it
// binds.
func finishRoot(w *wireSpec, tmpDevice string, hide []string) error {
	root := w.Root
	if w.ShmBytes != DefaultShmBytes {
		if err := unix.Mount("", root+"/dev/shm", "", unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC,
			"size="+strconv.FormatInt(w.ShmBytes, 10)); err != nil {
			return fmt.Errorf("sizing /dev/shm: %w", err)
		}
	}
	if err := mountTmp(root+"/tmp", w, tmpDevice); err != nil {
		return err
	}
	mounts := slices.Clone(w.Mounts)
	slices.SortStableFunc(mounts, func(a, b Mount) int {
		return depth(a.Target) - depth(b.Target)
	})
	for _, m := range mounts {
		if err := bind(m.Source, root+filepath.Clean(m.Target), m.Writable); err != nil {
			return err
		}
	}
	if err := placeFiles(root, w.Files); err != nil {
		return err
	}
	for _, h := range hide {
		if err := cover(root, filepath.Clean(h)); err != nil {
			return err
		}
	}
	if err := unix.Mount("", root, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("sealing the root: %w", err)
	}
	if err := os.Chdir(root); err != nil {
		return fmt.Errorf("root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	// The old root is now stacked on the new one: detach it.
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's root: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return fmt.Errorf("root: %w", err)
	}
	return nil
}

// cover hides what is at path in root, if anything: a directory under an
// empty read-only tmpfs, anything else under an empty read-only file.
func cover(root, path string) error {
	fi, err := os.Lstat(root + path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hiding %s: %w", path, err)
	}
	if fi.IsDir() {
		if err := unix.Mount("tmpfs", root+path, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=0755"); err != nil {
			return fmt.Errorf("hiding %s: %w", path, err)
		}
		return nil
	}
	empty := root + "/.empty"
	if err := os.WriteFile(empty, nil, 0o444); err != nil {
		return fmt.Errorf("hiding %s: %w", path, err)
	}
	if err := bind(empty, root+path, false); err != nil {
		return fmt.Errorf("hiding %s: %w", path, err)
	}
	if err := os.Remove(empty); err != nil {
		return fmt.Errorf("hiding %s: %w", path, err)
	}
	return nil
}

// depth is the number of names in an absolute path.
func depth(p string) int {
	return strings.Count(filepath.Clean(p), "/")
}

// mountFS mounts a new file system on target, made a directory first.
func mountFS(source, target, fstype string, flags uintptr, data string) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("mounting %s: %w", target, err)
	}
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mounting %s on %s: %w", fstype, target, err)
	}
	return nil
}

// bind bind-mounts the host path src on target (a directory or an empty
// file made for it) and makes the mount nosuid and nodev, and read-only
// unless writable, keeping noexec and the atime flags src has.
func bind(src, target string, writable bool) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("bind mount: %w", err)
	}
	if err := makeTarget(target, fi.IsDir()); err != nil {
		return err
	}
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount %s on %s: %w", src, target, err)
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	if !writable {
		flags |= unix.MS_RDONLY
	}
	return remount(target, flags)
}

// remount sets the flags of the mount at target, keeping noexec and the
// atime flags it has.
func remount(target string, flags uintptr) error {
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		return fmt.Errorf("remounting %s: %w", target, err)
	}
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	if err := unix.Mount("", target, "", unix.MS_REMOUNT|unix.MS_BIND|flags, ""); err != nil {
		return fmt.Errorf("remounting %s: %w", target, err)
	}
	return nil
}

// makeTarget makes a directory, or an empty file, to mount on.
func makeTarget(target string, dir bool) error {
	if dir {
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("mount target: %w", err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("mount target: %w", err)
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return fmt.Errorf("mount target: %w", err)
	}
	return f.Close()
}

// buildDev makes a minimal /dev: the harmless devices bound from the host,
// the usual links into /proc, and a private /dev/shm of shmBytes.
func buildDev(root string, shmBytes int64) error {
	dev := root + "/dev"
	if err := mountFS("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=64k,mode=0755"); err != nil {
		return err
	}
	for _, d := range devices {
		if err := makeTarget(dev+"/"+d, false); err != nil {
			return err
		}
		if err := unix.Mount("/dev/"+d, dev+"/"+d, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding /dev/%s: %w", d, err)
		}
		if err := unix.Mount("", dev+"/"+d, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOSUID|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("remounting /dev/%s: %w", d, err)
		}
	}
	for name, to := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(to, dev+"/"+name); err != nil {
			return fmt.Errorf("/dev: %w", err)
		}
	}
	if err := mountFS("tmpfs", dev+"/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC,
		"mode=1777,size="+strconv.FormatInt(shmBytes, 10)); err != nil {
		return err
	}
	if err := unix.Mount("", dev, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("sealing /dev: %w", err)
	}
	return nil
}

// mountTmp makes the sandbox's /tmp, owned by the program's user:
// w.TmpDevice's ext4 (already mounted when it is mounted, the one
// prepareRoot mounted), or a tmpfs of w.TmpBytes. Programs may execute
// files from it, as on Lambda.
func mountTmp(target string, w *wireSpec, mounted string) error {
	if mounted != "" && mounted != w.TmpDevice {
		if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("/tmp: %w", err)
		}
	}
	if w.TmpDevice == "" {
		return mountFS("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV,
			fmt.Sprintf("mode=0700,uid=%d,gid=%d,size=%d", w.UID, w.GID, w.TmpBytes))
	}
	if mounted != w.TmpDevice {
		if err := mountDisk(w.TmpDevice, target); err != nil {
			return err
		}
	}
	if err := os.Chown(target, w.UID, w.GID); err != nil {
		return fmt.Errorf("/tmp: %w", err)
	}
	if err := os.Chmod(target, 0o700); err != nil {
		return fmt.Errorf("/tmp: %w", err)
	}
	return nil
}

// placeFiles makes files in the root: each is written to a scratch
// directory of the root and bound read-only on its path, made on the root
// if missing (a path under a read-only bind mount must exist there); the
// scratch copies are then removed (the bind mounts keep the files).
func placeFiles(root string, files map[string][]byte) error {
	if len(files) == 0 {
		return nil
	}
	scratch := root + "/.files"
	if err := os.Mkdir(scratch, 0o755); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	i := 0
	for name, b := range files {
		i++
		src := scratch + "/" + strconv.Itoa(i)
		if err := os.WriteFile(src, b, 0o644); err != nil {
			return fmt.Errorf("file %s: %w", name, err)
		}
		if err := bind(src, root+filepath.Clean(name), false); err != nil {
			return fmt.Errorf("file %s: %w", name, err)
		}
		if err := os.Remove(src); err != nil {
			return fmt.Errorf("file %s: %w", name, err)
		}
	}
	if err := os.Remove(scratch); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	return nil
}
