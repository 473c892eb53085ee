package reports

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestLockDirInProcess checks that a second opener of a locked sweep
// folder in the same process is refused with a message naming the folder
// and the holder, and gets the lock once the first closes it.
func TestLockDirInProcess(t *testing.T) {
	dir := t.TempDir()
	first, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDir(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) ||
		!strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second opener: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	again, err := LockDir(dir)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	again.Close()
}

// lockChildEnv makes the test binary act as a second writer: it tries the
// folder named in the variable and reports on stdout; with the suffix
// ":hold" it takes the lock and exits without closing it.
const lockChildEnv = "QRLAB_LOCK_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(lockChildEnv); v != "" {
		dir, hold := strings.CutSuffix(v, ":hold")
		l, err := LockDir(dir)
		switch {
		case err != nil:
			os.Stdout.WriteString("refused: " + err.Error() + "\n")
			os.Exit(3)
		case hold:
			os.Stdout.WriteString("holding\n")
			os.Exit(0) // the lock is not closed: the system must release it
		}
		l.Close()
		os.Stdout.WriteString("locked\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(t *testing.T, arg string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+arg)
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestLockDirAcrossProcesses checks the lock against another process: a
// child is refused while this process holds the folder, gets it after, and
// a child that exits without closing leaves no stale lock.
func TestLockDirAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	l, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, code := child(t, dir)
	if code != 3 || !strings.Contains(out, "refused: sweep folder in use") || !strings.Contains(out, "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("child while held: exit %d, %q", code, out)
	}
	l.Close()
	if out, code := child(t, dir); code != 0 || out != "locked\n" {
		t.Fatalf("child after release: exit %d, %q", code, out)
	}
	if out, code := child(t, dir+":hold"); code != 0 || out != "holding\n" {
		t.Fatalf("holding child: exit %d, %q", code, out)
	}
	l, err = LockDir(dir)
	if err != nil {
		t.Fatalf("after a holder exited without closing: %v", err)
	}
	l.Close()
}
