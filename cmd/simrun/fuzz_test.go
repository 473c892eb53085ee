package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseList(t *testing.T) {
	out := []byte("FuzzQRDecode\nok  \tqrlab/model/qr\t0.004s\n?   \tqrlab/cmd/x\t[no test files]\n" +
		"FuzzB\nFuzzA\nok  \tqrlab/fuzz\t(cached)\nok  \tqrlab/reports\t0.01s\nFuzzRoot\nok  \tqrlab\t0.1s\n")
	got := parseList(out, "qrlab")
	want := []fuzzTarget{{".", "FuzzRoot"}, {"./fuzz", "FuzzA"}, {"./fuzz", "FuzzB"}, {"./model/qr", "FuzzQRDecode"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestParseFuzzOutput(t *testing.T) {
	out := []byte(`fuzz: elapsed: 0s, gathering baseline coverage: 0/27 completed
fuzz: elapsed: 0s, gathering baseline coverage: 27/27 completed, now fuzzing with 2 workers
fuzz: elapsed: 3s, execs: 24817 (8272/sec), new interesting: 6 (total: 33)
fuzz: elapsed: 6s, execs: 30000 (1727/sec), new interesting: 7 (total: 34)
fuzz: elapsed: 57s, execs: 30000 (0/sec), new interesting: 7 (total: 34)
fuzz: elapsed: 1m0s, execs: 60000 (10000/sec), new interesting: 10 (total: 37)
PASS
`)
	st := parseFuzzOutput(out)
	if st.Elapsed != time.Minute || st.Execs != 60000 || st.Interesting != 10 || st.ExecsPerSec() != 1000 ||
		st.Active != 9*time.Second || st.ActiveExecsPerSec() < 6666 || st.ActiveExecsPerSec() > 6667 {
		t.Fatalf("%+v", st)
	}
}

func TestDeadlineFlake(t *testing.T) {
	flake := []byte("fuzz: elapsed: 11s, execs: 6937 (603/sec), new interesting: 6 (total: 75)\n" +
		"--- FAIL: FuzzExistingDeviceStep (11.02s)\n    context deadline exceeded\nFAIL\nexit status 1\n")
	crash := []byte("--- FAIL: FuzzX (1.2s)\n    context deadline exceeded\n    Failing input written to testdata/fuzz/FuzzX/ab\n")
	other := []byte("--- FAIL: FuzzX (1.2s)\n    x_test.go:9: boom\n")
	if !deadlineFlake(flake) || deadlineFlake(crash) || deadlineFlake(other) {
		t.Fatal("deadlineFlake misclassifies")
	}
}

// TestRunOrder: the decoders run between two ceiling runs, the rest after;
// with no decoder (or no ceiling) the order is the caller's.
func TestRunOrder(t *testing.T) {
	ceil := fuzzTarget{"./fuzz/ceiling", "FuzzEmpty"}
	a := fuzzTarget{"./fuzz", "FuzzSimRun"}
	d1 := fuzzTarget{"./fuzz/decode/qr", "FuzzQRDecode"}
	d2 := fuzzTarget{"./fuzz/decode/msg", "FuzzMessageDecode"}
	b := fuzzTarget{"./model/qr", "FuzzOther"}
	got := runOrder([]fuzzTarget{a, ceil, d1, b, d2})
	want := []fuzzTarget{ceil, d1, d2, ceil, a, b}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if got := runOrder([]fuzzTarget{a, ceil, b}); len(got) != 3 || got[0] != a {
		t.Fatalf("without decoders: %v", got)
	}
	if got := runOrder([]fuzzTarget{d1, a}); len(got) != 2 || got[0] != d1 {
		t.Fatalf("without the ceiling: %v", got)
	}
	if (fuzzTarget{"./fuzz/decoder", "FuzzX"}).isDecoder() || !(fuzzTarget{"./fuzz/decode", "FuzzX"}).isDecoder() {
		t.Fatal("isDecoder must match the directory ./fuzz/decode and below only")
	}
}

// TestFuzzTableBar: each target is judged by the median of its runs, the
// ceiling is the median of FuzzEmpty's; only decoders are held to the bar.
func TestFuzzTableBar(t *testing.T) {
	run := func(tg fuzzTarget, perSec int64) fuzzStats {
		return fuzzStats{Target: tg, Elapsed: 10 * time.Second, Active: 10 * time.Second, Execs: 10 * perSec}
	}
	ceil := fuzzTarget{"./fuzz/ceiling", "FuzzEmpty"}
	fast := fuzzTarget{"./fuzz/decode/qr", "FuzzFast"}
	slowT := fuzzTarget{"./fuzz/decode/qr", "FuzzSlow"}
	other := fuzzTarget{"./model/channel", "FuzzCrypto"}
	var all []fuzzStats
	for _, r := range [][5]int64{
		{80_000, 70_000, 90_000, 120_000, 1_000},
		{100_000, 75_000, 60_000, 90_000, 2_000},
		{120_000, 72_000, 69_000, 100_000, 3_000},
	} {
		all = append(all, run(ceil, r[0]), run(fast, r[1]), run(slowT, r[2]), run(ceil, r[3]), run(other, r[4]))
	}
	// Ceiling runs 80k, 120k, 100k, 90k, 120k, 100k: median 100k. FuzzFast
	// 70k, 75k, 72k: median 72k, at the bar. FuzzSlow 90k, 60k, 69k: 69k.
	var out bytes.Buffer
	if slow := writeFuzzTable(&out, all, 0.7); slow != 1 {
		t.Fatalf("slow = %d, want 1\n%s", slow, out.String())
	}
	for _, want := range []string{
		"FuzzFast                 ./fuzz/decode/qr",
		"72000 exec/s 70000-75000    0 new  ok   72.0% of ceiling  decoder: at the bar",
		"69000 exec/s 60000-90000    0 new  ok   69.0% of ceiling  decoder: SLOW (bar 70%)",
		"4 target(s), 15 run(s), 0 crash(es)",
		"ceiling 100000 exec/s (median of 80000, 120000, 100000, 90000, 120000, 100000); decoders at 70% of it or more: 1 of 2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "FuzzCrypto") && strings.Contains(line, "decoder") {
			t.Errorf("a non-decoder was judged: %s", line)
		}
	}
}

func TestFuzzUsage(t *testing.T) {
	for _, args := range [][]string{{"--budget", "0s"}, {"--parallel", "-1"}, {"--bar", "1.5"}, {"--rounds", "0"}, {"--minimize", "-1s"}, {"extra"}, {"--bogus"}} {
		var out, errb bytes.Buffer
		if code := runFuzz(args, nil, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := runFuzz([]string{"--help"}, nil, &out, &errb); code != 0 || !strings.Contains(errb.String(), "--budget") {
		t.Errorf("--help: exit %d, %q", code, errb.String())
	}
}

// TestFuzzEmptyTarget runs the ceiling target for a second through the
// command, as CI and people do.
func TestFuzzEmptyTarget(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs go test -fuzz")
	}
	var out, errb bytes.Buffer
	code := runFuzz([]string{"--budget", "1s", "--target", "./fuzz/ceiling:FuzzEmpty", "--parallel", "1"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "FuzzEmpty") || !strings.Contains(out.String(), "100.0% of ceiling") ||
		!strings.Contains(out.String(), "0 crash(es)") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// TestFuzzReportsCrash fuzzes a throwaway module whose one target fails on
// any input of four bytes or more: the command must exit 1 and name the
// crasher go test left in that target's testdata/fuzz folder.
func TestFuzzReportsCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs go test -fuzz")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module crashy\n\ngo 1.26\n",
		"crashy_test.go": `package crashy

import "testing"

func FuzzCrash(f *testing.F) {
	f.Add([]byte("a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 4 {
			t.Fatalf("long input %q", b)
		}
	})
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	code := runFuzz([]string{"--dir", dir, "--budget", "20s", "--target", ".:FuzzCrash"}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "testdata", "fuzz", "FuzzCrash"))
	if len(ents) != 1 || !strings.Contains(out.String(), "CRASH "+filepath.Join(dir, "testdata", "fuzz", "FuzzCrash", ents[0].Name())) {
		t.Fatalf("crasher files %v; output:\n%s", ents, out.String())
	}
}

// TestClusterFuzzLiteTargets keeps .clusterfuzzlite/build.sh in step with
// the module: it must build every native fuzz target, and nothing else.
func TestClusterFuzzLiteTargets(t *testing.T) {
	root := filepath.Join("..", "..")
	script, err := os.ReadFile(filepath.Join(root, ".clusterfuzzlite", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\t"([a-z/]+) (Fuzz\w+)"$`).FindAllStringSubmatch(string(script), -1) {
		listed[m[1]+" "+m[2]] = true
	}
	found := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Fuzz") && isTestingF(fn) {
				found[filepath.ToSlash(rel)+" "+fn.Name.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range found {
		if !listed[k] {
			t.Errorf("build.sh does not build %s", k)
		}
	}
	for k := range listed {
		if !found[k] {
			t.Errorf("build.sh builds %s, which does not exist", k)
		}
	}
}

// isTestingF reports whether fn takes one *testing.F.
func isTestingF(fn *ast.FuncDecl) bool {
	ps := fn.Type.Params.List
	if len(ps) != 1 || len(ps[0].Names) > 1 {
		return false
	}
	star, ok := ps[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "testing" && sel.Sel.Name == "F"
}
