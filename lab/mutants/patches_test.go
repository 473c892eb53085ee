package mutants

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const patchDir = "testdata/patches"

// TestPatchesApply: every patch of the project's set says what bug it
// imitates, changes only model or simulator code (never a test or a
// checker's expectations), and still applies cleanly to the tree, so the
// set does not rot as the code moves on.
func TestPatchesApply(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	list, err := ListPatches(patchDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 10 {
		t.Fatalf("%d patches, want at least 10", len(list))
	}
	wd, _ := os.Getwd()
	root, err := ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if h := PatchHeader(b); len(h) < 40 {
			t.Errorf("%s: header %q does not say what it imitates", p, h)
		}
		for _, l := range strings.Split(string(b), "\n") {
			f, ok := strings.CutPrefix(l, "+++ b/")
			if !ok {
				continue
			}
			if !(strings.HasPrefix(f, "model/") || strings.HasPrefix(f, "sim/")) || strings.HasSuffix(f, "_test.go") {
				t.Errorf("%s: changes %s, not model or simulator code", p, f)
			}
		}
		if err := ApplyPatch(context.Background(), root, p, true); err != nil {
			t.Errorf("%s no longer applies: %v", p, err)
		}
	}
}

// TestPatchHeader: the header is the text before the first diff, without
// its comment marks.
func TestPatchHeader(t *testing.T) {
	got := PatchHeader([]byte("# A store that forgets\n# a delete.\n\ndiff --git a/x b/x\n# not this\n"))
	if got != "A store that forgets a delete." {
		t.Fatalf("got %q", got)
	}
	if _, err := ListPatches(t.TempDir()); err == nil {
		t.Fatal("an empty directory listed no error")
	}
}

// TestCopyModule: the scratch copy has the sources but no git metadata,
// node_modules or built simrun.
func TestCopyModule(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	for _, f := range []string{"go.mod", "a/b.go", ".git/HEAD", "node_modules/x/y.js", "simrun"} {
		p := filepath.Join(src, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(f), 0o644)
	}
	if err := CopyModule(src, dst); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{"go.mod": true, "a/b.go": true, ".git/HEAD": false, "node_modules/x/y.js": false, "simrun": false} {
		if _, err := os.Stat(filepath.Join(dst, f)); (err == nil) != want {
			t.Errorf("%s copied: %v, want %v", f, err == nil, want)
		}
	}
}

// TestPatchesCaught applies, builds and judges every patch as simrun
// mutants --patches does (several minutes: set QRLAB_PATCHES=1, and
// QRLAB_PATCH_BUDGET to a duration for each battery, 20s by default). It
// fails when the unchanged tree breaks an invariant, a patch no longer
// builds, or fewer than 80% are caught. QRLAB_PATCHES_EXPLORE=1 judges by
// the explorer battery instead (simrun mutants --patches --explore).
func TestPatchesCaught(t *testing.T) {
	explore := os.Getenv("QRLAB_PATCHES_EXPLORE") == "1"
	if os.Getenv("QRLAB_PATCHES") == "" && !explore {
		t.Skip("set QRLAB_PATCHES=1 (or QRLAB_PATCHES_EXPLORE=1) to build and judge every patch (minutes)")
	}
	budget := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("QRLAB_PATCH_BUDGET")); err == nil {
		budget = d
	}
	list, err := ListPatches(patchDir)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	root, err := ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	rows := HuntPatches(list, PatchOptions{Root: root, Budget: budget, MaxSeeds: 5000, Workers: 2, Baseline: true, Explore: explore})
	var b strings.Builder
	WritePatchTable(&b, rows)
	t.Log("\n" + b.String())
	if rows[0].Caught || rows[0].Error != "" {
		t.Fatalf("the unchanged tree failed its battery: %s %+v", rows[0].Error, rows[0].Found)
	}
	n, built, caught := PatchTotals(rows)
	if built != n {
		t.Errorf("%d of %d patches build", built, n)
	}
	if 5*caught < 4*n {
		t.Errorf("caught %d of %d, below 80%%", caught, n)
	}
}
