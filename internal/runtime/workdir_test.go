package runtime

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestOrphanWorkDirsRemoved: a work directory whose owner process is gone
// is removed when another Manager starts; one whose owner lives, or with
// no owner file, is kept.
func TestOrphanWorkDirsRemoved(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(name, owner string) string {
		dir := filepath.Join(tmp, workDirPrefix+name)
		if err := os.MkdirAll(filepath.Join(dir, "envs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	orphan := mk("orphan", strconv.Itoa(dead.Process.Pid))
	live := mk("live", strconv.Itoa(os.Getppid()))
	unowned := mk("unowned", "")
	other := filepath.Join(tmp, "something-else")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	removeOrphanWorkDirs(tmp)
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("the work directory of a dead process is kept: %v", err)
	}
	for _, d := range []string{live, unowned, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
}

// TestOwnerLock: a work directory whose owner holds its lock is kept, and
// one whose owner is gone is removed even when its process id now belongs
// to a live process (here this very one, as for a server restarted in a
// container with the same pid).
func TestOwnerLock(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	live, owner, err := newWorkDir()
	if err != nil {
		t.Fatal(err)
	}
	reused := filepath.Join(tmp, workDirPrefix+"reused")
	if err := os.MkdirAll(filepath.Join(reused, "code", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reused, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"+lockMarker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	removeOrphanWorkDirs(tmp)
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the work directory of a live owner is removed: %v", err)
	}
	if _, err := os.Stat(reused); !os.IsNotExist(err) {
		t.Errorf("the work directory of a gone owner whose pid is reused is kept: %v", err)
	}
	if err := owner.Close(); err != nil {
		t.Fatal(err)
	}
	removeOrphanWorkDirs(tmp)
	if _, err := os.Stat(live); !os.IsNotExist(err) {
		t.Errorf("the work directory whose owner released its lock is kept: %v", err)
	}
}
