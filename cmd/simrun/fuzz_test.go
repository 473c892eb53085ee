package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"qrlab/lab/fuzzer"
)

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

// TestNoExecsFail: a run that counted no execution fails the command, named
// with why, unless allowed (then it is a warning); runs that fuzzed, and
// failures and crashes (reported as such), are not named.
func TestNoExecsFail(t *testing.T) {
	idle := fuzzer.Stats{Target: fuzzer.Target{Dir: "./fuzz", Name: "FuzzSimRun"}, Limit: 7 * time.Second, Baseline: 97, BaselineOf: 355}
	fuzzed := fuzzer.Stats{Target: fuzzer.Target{Dir: "./model/qr", Name: "FuzzQREncode"}, Execs: 5000}
	failed := fuzzer.Stats{Target: fuzzer.Target{Dir: "./model/qr", Name: "FuzzQRLayouts"}, Failed: true}
	for _, c := range []struct {
		name       string
		all        []fuzzer.Stats
		allowed    bool
		buildsTook string
		fail       bool
		want       []string // on stderr; none: nothing
	}{
		{"0 execs", []fuzzer.Stats{fuzzed, idle, failed}, false, "", true,
			[]string{"simrun fuzz: error: ./fuzz:FuzzSimRun fuzzed nothing (0 executions): its start-up took all of the 7s", "97 of the 355"}},
		{"0 execs allowed", []fuzzer.Stats{idle, fuzzed}, true, "", false, []string{"simrun fuzz: warning: ./fuzz:FuzzSimRun fuzzed nothing"}},
		{"0 execs, the builds took the budget", []fuzzer.Stats{idle}, false, "listing and building took 3m45s of the 3m50s budget", true,
			[]string{"never fuzzed; listing and building took 3m45s of the 3m50s budget"}},
		{"all fuzzed or failed", []fuzzer.Stats{fuzzed, failed}, false, "", false, nil},
	} {
		var errb bytes.Buffer
		if fail := noExecs(&errb, c.all, c.allowed, c.buildsTook); fail != c.fail {
			t.Errorf("%s: fail %v, want %v", c.name, fail, c.fail)
		}
		if (errb.Len() == 0) != (len(c.want) == 0) || strings.Count(errb.String(), "\n") > 1 {
			t.Errorf("%s: said %q", c.name, errb.String())
		}
		for _, w := range c.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%s: %q lacks %q", c.name, errb.String(), w)
			}
		}
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
	// With --budget-after-build the 3 s start once the binary is built, so
	// however long the build took, the run gets its share (3 s less the
	// second a start-up is expected to cost) and no overrun warning.
	code := runFuzz([]string{"--budget-after-build", "--budget", "3s", "--target", "./fuzz/ceiling:FuzzEmpty", "--parallel", "1"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if strings.Contains(errb.String(), "overrun") || !regexp.MustCompile(`runs of about 1\.[89]s`).MatchString(out.String()) {
		t.Fatalf("the build took from the budget:\n%s\n%s", out.String(), errb.String())
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
