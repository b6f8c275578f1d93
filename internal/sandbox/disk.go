package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"golang.org/x/sys/unix"
)

// loopMajor is the block major number of loop devices.
const loopMajor = 7

// disk is an ext4 file system in a sparse image file, attached to a loop
// device with LO_FLAGS_AUTOCLEAR. The image file is unlinked as soon as it
// is attached, so the loop device holds the only reference: when the last
// user of the device (the sandbox's /tmp mount, or the launcher's
// descriptor before it is mounted) goes away, the kernel detaches it and
// frees the image's blocks. Nothing is left behind, however rolecall dies.
type disk struct {
	size int64    // bytes
	dev  string   // /dev/loopN
	f    *os.File // the launcher's descriptor of dev, held until the sandbox mounts it
}

// newDisk makes a disk of size bytes with an image file under dir,
// formatting it at niceness nice.
func newDisk(ctx context.Context, dir string, size int64, nice int) (*disk, error) {
	img, err := os.CreateTemp(dir, "tmp-*.img")
	if err != nil {
		return nil, fmt.Errorf("sandbox: /tmp disk: %w", err)
	}
	defer func() { _ = img.Close() }() // the loop device holds its own reference
	defer func() { _ = os.Remove(img.Name()) }()
	if err := img.Truncate(size); err != nil {
		return nil, fmt.Errorf("sandbox: /tmp disk: %w", err)
	}
	// No journal (nothing survives the sandbox anyway), no room kept to
	// grow it, no reserved blocks and one inode per 16 KiB (the function
	// gets its EphemeralStorage but for the file system's own ~2%), inode
	// tables left unwritten (the image is sparse, so they read as zeros;
	// the mount says noinit_itable).
	mkfs := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-b", "4096", "-i", "16384", "-m", "0", "-O", "^has_journal,^resize_inode",
		"-E", "lazy_itable_init=1,nodiscard", img.Name())
	var out bytes.Buffer
	mkfs.Stdout, mkfs.Stderr = &out, &out
	if err := mkfs.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: /tmp disk: mkfs.ext4: %w", err)
	}
	renice(mkfs.Process.Pid, nice)
	if err := mkfs.Wait(); err != nil {
		return nil, fmt.Errorf("sandbox: /tmp disk: mkfs.ext4: %w: %s", err, out.Bytes())
	}
	f, err := attachLoop(img)
	if err != nil {
		return nil, err
	}
	return &disk{size: size, dev: f.Name(), f: f}, nil
}

// attachLoop attaches img to a free loop device and returns the device,
// open.
func attachLoop(img *os.File) (*os.File, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox: /tmp disk: %w", err)
	}
	defer func() { _ = ctl.Close() }() // only asked for a free device
	var lastErr error
	for range 16 {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return nil, fmt.Errorf("sandbox: /tmp disk: LOOP_CTL_GET_FREE: %w", err)
		}
		name := "/dev/loop" + strconv.Itoa(n)
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			// A /dev that is not a devtmpfs does not grow the node.
			if err := unix.Mknod(name, unix.S_IFBLK|0o600, int(unix.Mkdev(loopMajor, uint32(n)))); err != nil && !errors.Is(err, os.ErrExist) {
				return nil, fmt.Errorf("sandbox: /tmp disk: %s: %w", name, err)
			}
			f, err = os.OpenFile(name, os.O_RDWR, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("sandbox: /tmp disk: %w", err)
		}
		cfg := unix.LoopConfig{Fd: uint32(img.Fd())}
		cfg.Info.Flags = unix.LO_FLAGS_AUTOCLEAR
		copy(cfg.Info.File_name[:], "rolecall-tmp")
		err = unix.IoctlLoopConfigure(int(f.Fd()), &cfg)
		if err == nil {
			return f, nil
		}
		_ = f.Close() // not attached: nothing to detach
		lastErr = err
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		// Another process took the device between the two calls.
	}
	return nil, fmt.Errorf("sandbox: /tmp disk: LOOP_CONFIGURE: %w", lastErr)
}

// release closes the launcher's descriptor of the device: once the sandbox
// has mounted it, the mount holds it; otherwise the kernel detaches it.
func (d *disk) release() error {
	return d.f.Close()
}
