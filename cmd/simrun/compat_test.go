package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompatCommand checks that simrun compat prints the matrix, writes
// its files with --out, and refuses a bad intent with exit status 2.
func TestCompatCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := dispatch([]string{"compat", "--presets", "msc4388-726e115", "--intents", "login", "--runs", "2", "--out", dir}, nil, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "| **msc4388-726e115** | 100% [") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, f := range []string{"compat.md", "compat.png", "compat.svg", "compat.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	errb.Reset()
	if code := dispatch([]string{"compat", "--intents", "sideways"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), `intent "sideways"`) {
		t.Errorf("bad intent: exit %d, stderr %q; want 2 naming the intent", code, errb.String())
	}
}
