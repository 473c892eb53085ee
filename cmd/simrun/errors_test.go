package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/lab"
	"qrlab/scenarios"
)

// TestFlagErrors: a bad flag value is one line on stderr naming the flag
// and the values it takes, never the whole usage; exit 2.
func TestFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--seed", "-1"}, `--seed: "-1" is not a whole number from 0 to 18446744073709551615`},
		{[]string{"run", "--runs", "0"}, `--runs: "0" is not a whole number from 1 to`},
		{[]string{"run", "--workers", "99999999999"}, `--workers: "99999999999" is not a whole number from 1 to 1024`},
		{[]string{"sweep", "x", "--runs", "abc"}, `--runs: "abc" is not a whole number from 1 to`},
		{[]string{"mutants", "--budget", "abc"}, `--budget: "abc" is not a duration`},
		{[]string{"mutants", "--max-seeds", "0"}, `--max-seeds: "0" is not a whole number from 1 to`},
		{[]string{"fuzz", "--budget", "x"}, `--budget: "x" is not a duration`},
		{[]string{"fuzz", "--minimize", "x"}, `--minimize: "x" is not a duration`},
		{[]string{"fuzz", "--rounds", "0"}, `--rounds: "0" is not a whole number from 1 to 1000`},
		{[]string{"fuzz", "--parallel", "-1"}, `--parallel: "-1" is not a whole number from 0 to 1024`},
		{[]string{"fuzz", "--bar", "x"}, `--bar: "x" is not a number`},
		{[]string{"fuzz", "--enforce-bar=maybe"}, `--enforce-bar: "maybe" is not true or false`},
		{[]string{"fuzz", "--budget", "-5s"}, `--budget must be positive`},
		{[]string{"fuzz", "--minimize", "-1s"}, `--minimize must not be negative`},
		{[]string{"fuzz", "--bar", "1.5"}, `--bar must be from 0 to 1`},
		{[]string{"mutants", "--budget", "0s"}, `--budget must be positive`},
		{[]string{"run", "--bogus"}, `unknown flag "--bogus"`},
		{[]string{"run", "--runs"}, `--runs needs a value`},
		{[]string{"run", "--seed", "\x1b[2J"}, `"\x1b[2J"`},
		{[]string{"calibrate", "--cc", "Bad!"}, `--cc: congestion control "Bad!"`},
		{[]string{"calibrate", "--resim", "x.json", "--cc", "reno"}, `--cc applies to the real side`},
	}
	for _, c := range cases {
		code, _, errs := simrun(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant one line with %q", c.args, code, errs, c.want)
		}
	}
}

// TestHelpEverywhere: --help works on every subcommand, exit 0.
func TestHelpEverywhere(t *testing.T) {
	for _, c := range commands() {
		code, out, errs := simrun(t, c.name, "--help")
		if code != 0 || !strings.Contains(out+errs, "usage: simrun "+c.name) {
			t.Errorf("simrun %s --help: exit %d\n%s%s", c.name, code, out, errs)
		}
	}
}

// TestNoSilentWrongAnswers: what would run something other than what was
// asked exits non-zero and says why.
func TestNoSilentWrongAnswers(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--runs", "2", "--mermaid", filepath.Join(dir, "no", "x.mmd")}, "--mermaid: open"},
		{[]string{"run", "--runs", "2", "--trace", filepath.Join(dir, "no", "x.jsonl")}, "--trace: open"},
		{[]string{"replay", "--seed", "3", "--runs", "1000"}, "replay re-runs one seed"},
		{[]string{"run", "--seed", "18446744073709551615", "--runs", "3"}, "pass the largest seed"},
		{[]string{"run", "--variant", "bogus"}, `--variant: invalid variant: unknown preset "bogus"`},
	}
	for _, c := range cases {
		code, out, errs := simrun(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Contains(out, "signed in") {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit 2 and %q, no run", c.args, code, errs, out, c.want)
		}
	}
	// The presets are listed once.
	if _, _, errs := simrun(t, "run", "--variant", "bogus"); strings.Count(errs, "msc4388-mas") != 1 {
		t.Errorf("--variant bogus lists the presets %d times: %s", strings.Count(errs, "msc4388-mas"), errs)
	}
	if _, _, errs := simrun(t, "variants", "bogus"); strings.Count(errs, "msc4388-mas") != 1 {
		t.Errorf("variants bogus lists the presets %d times: %s", strings.Count(errs, "msc4388-mas"), errs)
	}
	// A report of nothing makes no directory.
	missing := filepath.Join(dir, "missing")
	if code, _, errs := simrun(t, "report", missing); code != 2 || !strings.Contains(errs, "no such file") {
		t.Errorf("report of a missing directory: exit %d %s", code, errs)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("report of a missing directory made it")
	}
	if code, _, errs := simrun(t, "replay", "--seed", "3", "--runs", "1"); code != 0 {
		t.Errorf("replay --runs 1: exit %d %s", code, errs)
	}
}

// TestResumeHint: an interrupted sweep's hint is a whole command that,
// run as printed, finishes the sweep.
func TestResumeHint(t *testing.T) {
	scFile := writeScenario(t, tinySweep)
	sc, err := lab.LoadScenario(scFile)
	if err != nil {
		t.Fatal(err)
	}
	runs := 2
	scenarios.Overrides{Runs: &runs}.Apply(&sc)
	dir := filepath.Join(t.TempDir(), "out")
	stop := make(chan struct{})
	close(stop)
	o := &sweepOpts{out: dir, scenario: scFile, noReport: true}
	so := lab.SweepOptions{Dir: dir, Workers: 1, ShardK: 1, ShardN: 2, Stop: stop}
	var out, errb strings.Builder
	if code := sweep(o, so, sc, &out, &errb); code != 2 {
		t.Fatalf("stopped sweep: exit %d\n%s", code, errb.String())
	}
	_, hint, ok := strings.Cut(errb.String(), "this continues it: ")
	if !ok {
		t.Fatalf("no resume hint in %q", errb.String())
	}
	args := strings.Fields(hint)
	want := []string{"simrun", "sweep", scFile, "--out", dir, "--runs", "2", "--seed", "7", "--shard", "1/2", "--resume"}
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Fatalf("hint %q, want %q", args, want)
	}
	code, stdout, errs := simrun(t, append(args[1:], "--no-report")...)
	if code != 0 || !strings.Contains(stdout, "4 of 4 done") {
		t.Errorf("the hint's command: exit %d\n%s%s", code, stdout, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs.jsonl")); err != nil {
		t.Error(err)
	}
}

// TestUsageErrorsOneLine: usage errors outside the flags are one line too.
func TestUsageErrorsOneLine(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"qr"}, {"qr", "bogus"}, {"channel"}, {"channel", "--role", "generator"}, {"sweep"}, {"merge"}} {
		code, _, errs := simrun(t, args...)
		if code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit 2 and one line", args, code, errs)
		}
	}
}
