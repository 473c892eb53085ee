package logintest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseScript checks the blocks a script splits into, and that a
// command without its ---- line is an error that names the line.
func TestParseScript(t *testing.T) {
	blocks, err := parseScript("s.txt", "# one\nwrite {\"a\": 1}\n----\n200\n\n# two\npoll\n----\n-> failed\noutcome failure x\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].cmd != (Command{Name: "write", Arg: `{"a": 1}`, Line: 2}) ||
		strings.Join(blocks[1].want, "|") != "-> failed|outcome failure x" || blocks[1].comments[0] != "# two" {
		t.Fatalf("blocks %+v", blocks)
	}
	if _, err := parseScript("s.txt", "poll\n200\n"); err == nil || !strings.Contains(err.Error(), "s.txt:1") {
		t.Fatalf("missing ---- line: %v", err)
	}
}

// TestRunScriptUpdate rewrites a script's outputs and then replays it.
func TestRunScriptUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.txt")
	if err := os.WriteFile(path, []byte("# comment\necho a b\n----\nstale\n\necho c\n----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	echo := func(c Command) string { return strings.ReplaceAll(c.Arg, " ", "\n") }
	RunScript(t, path, true, echo)
	got, _ := os.ReadFile(path)
	if want := "# comment\necho a b\n----\na\nb\n\necho c\n----\nc\n"; string(got) != want {
		t.Fatalf("rewritten:\n%s\nwant:\n%s", got, want)
	}
	RunScript(t, path, false, echo)
}

// fatalTB records the first Fatalf instead of stopping the test.
type fatalTB struct{ msg string }

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	if f.msg == "" {
		f.msg = fmt.Sprintf(format, args...)
	}
}

// TestRunScriptMismatch: an output that differs from the file fails,
// naming the file, the line and the command.
func TestRunScriptMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.txt")
	if err := os.WriteFile(path, []byte("echo a\n----\na\n\necho b\n----\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var tb fatalTB
	RunScript(&tb, path, false, func(c Command) string { return c.Arg })
	if !strings.Contains(tb.msg, "s.txt:5: echo b") {
		t.Fatalf("mismatch reported as %q", tb.msg)
	}
}
