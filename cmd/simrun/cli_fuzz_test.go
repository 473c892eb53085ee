package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"qrlab/lab"
)

// The bounds FuzzCLI holds every input to.
const (
	fuzzMaxRuns  = 3         // runs per point a command line may ask for
	fuzzMaxGrid  = 4         // grid points of a sweep it may run
	fuzzMaxAlloc = 512 << 20 // bytes one command may allocate
)

// fuzzSkipped are the subcommands FuzzCLI does not run: those that start
// servers or child processes (serve, probe, fuzz) or run for a budget
// (mutants). Any other first argument runs (an unknown one is an error).
var fuzzSkipped = map[string]bool{"serve": true, "probe": true, "fuzz": true, "mutants": true}

// FuzzCLI fuzzes simrun's command line: argv (one argument per line) runs
// in a fresh directory that holds S.json (a scenario file), V.json (a
// variant file), R.jsonl (run records) and D/ (a sweep folder of sweep.json
// and R.jsonl's records), with stdin the records again (for qr decode - and
// channel). Whatever the input, the command must end with exit 0, 1 or 2,
// with exit 2 said in one line on stderr, and neither panic nor allocate
// more than fuzzMaxAlloc. Inputs that would run more than fuzzMaxRuns runs
// per point or fuzzMaxGrid points, name a path outside the directory, or
// run a subcommand of fuzzSkipped are skipped, so each execution is
// fast and touches nothing else.
func FuzzCLI(f *testing.F) {
	f.Fuzz(func(t *testing.T, argv string, scenario, variantFile, records, manifest []byte) {
		args := strings.Split(argv, "\n")
		if !fuzzable(args) {
			t.Skip()
		}
		dir := t.TempDir()
		for name, b := range map[string][]byte{"S.json": scenario, "V.json": variantFile, "R.jsonl": records,
			"D/sweep.json": manifest, "D/runs.jsonl": records} {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Chdir(dir)
		args, ok := smallWork(args)
		if !ok {
			t.Skip()
		}
		var out, errb bytes.Buffer
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		code := dispatch(args, bytes.NewReader(records), &out, &errb)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > fuzzMaxAlloc {
			t.Errorf("%q allocated %d MB (bound %d MB)", args, grew>>20, fuzzMaxAlloc>>20)
		}
		t.Logf("%q: exit %d, stderr %q", args, code, errb.String())
		switch code {
		case 0, 1:
		case 2:
			if lines := strings.Count(strings.TrimRight(errb.String(), "\n"), "\n") + 1; errb.Len() == 0 || lines != 1 {
				t.Errorf("%q: exit 2 with %d line(s) on stderr, want one:\n%s", args, lines, errb.String())
			}
		default:
			t.Errorf("%q: exit %d, want 0, 1 or 2\n%s", args, code, errb.String())
		}
	})
}

// fuzzable says whether FuzzCLI runs args: a subcommand it runs, and no
// path outside the working directory.
func fuzzable(args []string) bool {
	if len(args) == 0 || fuzzSkipped[args[0]] {
		return false
	}
	if args[0] == "channel" && len(args) == 1 {
		return false // an interactive peer; with flags it reads stdin to its end
	}
	for _, a := range args {
		_, v, _ := strings.Cut(a, "=")
		for _, s := range []string{a, v} {
			if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") || strings.Contains(s, "..") || strings.Contains(s, "\\") {
				return false
			}
		}
	}
	return true
}

// smallWork says whether args run few enough runs: every --runs at most
// fuzzMaxRuns (and one is added to run and sweep when none is given, so a
// scenario's own count does not apply), and no argument naming a scenario
// whose grid has more than fuzzMaxGrid points. sweep and merge get
// --no-report: drawing a report's plots is the slowest thing simrun does,
// and the report command fuzzes it.
func smallWork(args []string) ([]string, bool) {
	runs := false
	for i, a := range args {
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "runs" {
			if !hasVal && i+1 < len(args) {
				val = args[i+1]
			}
			if n, err := strconv.ParseInt(val, 10, 64); err == nil && n > fuzzMaxRuns {
				return nil, false
			}
			runs = true
		}
		if sc, err := lab.LoadScenario(a); err == nil && sc.GridSize() > fuzzMaxGrid {
			return nil, false
		}
	}
	if !runs && (args[0] == "run" || args[0] == "sweep") {
		args = append(args[:len(args):len(args)], "--runs", "2")
	}
	if (args[0] == "sweep" || args[0] == "merge") && !slices.Contains(args, "--no-report") {
		args = append(args[:len(args):len(args)], "--no-report")
	}
	return args, true
}
