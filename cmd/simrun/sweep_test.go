package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"qrlab/lab"
	"qrlab/reports"
	"qrlab/sim"
)

// tinySweep is a 2×2 grid of three seeds each on a fast network.
const tinySweep = `{
  "name": "tiny",
  "description": "a tiny sweep for tests",
  "variant": "msc4388",
  "network": "lan",
  "sweep": {
    "network.link.loss": [0, 0.05],
    "variant.timing.poll_ms": [500, 2000]
  },
  "runs": 3,
  "seed": 7
}
`

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readRecords returns the records of a file by "point/seed" key, failing
// on duplicates.
func readRecords(t *testing.T, path string) map[string]reports.Record {
	t.Helper()
	out := map[string]reports.Record{}
	_, _, err := reports.ScanFile(path, func(r *reports.Record) error {
		k := keyOf(r)
		if _, dup := out[k]; dup {
			t.Errorf("%s: record %s twice", path, k)
		}
		out[k] = *r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keyOf(r *reports.Record) string {
	b, _ := json.Marshal([]any{r.Point, r.Seed})
	return string(b)
}

func hashes(m map[string]reports.Record) []string {
	var out []string
	for k, r := range m {
		out = append(out, k+" "+r.TraceHash)
	}
	sort.Strings(out)
	return out
}

// TestSweep runs a tiny sweep: every grid point and seed once, records
// carrying their axis values, CSV beside them, the report at the end.
func TestSweep(t *testing.T) {
	sc := writeScenario(t, tinySweep)
	dir := filepath.Join(t.TempDir(), "out")
	code, out, errs := simrun(t, "sweep", sc, "--out", dir, "--workers", "2")
	if code != 0 || !strings.Contains(out, "4 point(s) × 3 seed(s) = 12 runs") || !strings.Contains(out, "ran 12 now") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(errs, "ETA") {
		t.Errorf("progress shown for a tiny sweep: %s", errs)
	}
	recs := readRecords(t, filepath.Join(dir, "runs.jsonl"))
	if len(recs) != 12 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs["[3,9]"]
	if string(r.Axes["network.link.loss"]) != "0.05" || string(r.Axes["variant.timing.poll_ms"]) != "2000" || r.Variant != "msc4388" ||
		r.TraceHash == "" {
		t.Errorf("point 3 seed 9: %+v", r)
	}
	// The records are in job order, whatever the number of workers.
	b, _ := os.ReadFile(filepath.Join(dir, "runs.jsonl"))
	one := filepath.Join(t.TempDir(), "one")
	code, _, errs = simrun(t, "sweep", sc, "--out", one, "--workers", "1", "--no-report")
	if c, _ := os.ReadFile(filepath.Join(one, "runs.jsonl")); code != 0 || string(c) != string(b) {
		t.Errorf("one worker: exit %d %s; records differ from two workers'", code, errs)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "runs.csv"))
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 13 || !strings.HasPrefix(lines[0], "point,axis:network.link.loss,axis:variant.timing.poll_ms,seed,") {
		t.Errorf("runs.csv:\n%s", csv)
	}
	for _, f := range []string{"sweep.json", "report.md", "report.html", "plots/failure-1.png", "plots/cdf-secrets.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "12 runs read: 4 grid point(s) × 3 seed(s)") || !strings.Contains(string(md), "```mermaid") {
		t.Errorf("report.md:\n%s", md)
	}
	if strings.Count(string(b), "\n") != 12 {
		t.Errorf("runs.jsonl has %d lines", strings.Count(string(b), "\n"))
	}

	// The same directory again: refused without --resume; with it,
	// nothing left to run.
	if code, _, errs := simrun(t, "sweep", sc, "--out", dir); code != 2 || !strings.Contains(errs, "--resume") {
		t.Errorf("rerun into a sweep's directory: exit %d %s", code, errs)
	}
	code, out, errs = simrun(t, "sweep", sc, "--out", dir, "--resume", "--no-report")
	if code != 0 || !strings.Contains(out, "ran 0 now (12 recorded before)") {
		t.Errorf("resume of a finished sweep: exit %d\n%s\n%s", code, out, errs)
	}
	// Another sweep (other --runs) cannot resume it.
	if code, _, errs := simrun(t, "sweep", sc, "--out", dir, "--resume", "--runs", "4"); code != 2 || !strings.Contains(errs, "different sweep") {
		t.Errorf("resume with other --runs: exit %d %s", code, errs)
	}
}

// TestSweepResume kills a sweep's file mid-record: --resume drops the
// half-written line, runs what is missing and ends with the same records
// as an uninterrupted sweep.
func TestSweepResume(t *testing.T) {
	sc := writeScenario(t, tinySweep)
	full := filepath.Join(t.TempDir(), "full")
	if code, _, errs := simrun(t, "sweep", sc, "--out", full, "--no-report"); code != 0 {
		t.Fatal(errs)
	}
	want := readRecords(t, filepath.Join(full, "runs.jsonl"))

	dir := filepath.Join(t.TempDir(), "cut")
	if code, _, errs := simrun(t, "sweep", sc, "--out", dir, "--no-report"); code != 0 {
		t.Fatal(errs)
	}
	path := filepath.Join(dir, "runs.jsonl")
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	// Keep five whole records (not a prefix of the job list: drop the
	// second) and half of the sixth, as a killed process leaves them.
	kept := lines[0] + strings.Join(lines[2:6], "") + lines[6][:len(lines[6])/2]
	os.WriteFile(path, []byte(kept), 0o644)
	os.Remove(filepath.Join(dir, "runs.csv"))
	code, out, errs := simrun(t, "sweep", sc, "--out", dir, "--resume", "--no-report")
	if code != 0 || !strings.Contains(out, "ran 7 now (5 recorded before)") || !strings.Contains(errs, "half-written") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errs)
	}
	got := readRecords(t, path)
	if strings.Join(hashes(got), "\n") != strings.Join(hashes(want), "\n") {
		t.Errorf("resumed records differ:\n%v\nwant\n%v", hashes(got), hashes(want))
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "runs.csv"))
	if n := strings.Count(string(csv), "\n"); n != 13 {
		t.Errorf("runs.csv has %d lines after resume", n)
	}
}

// TestShardsAndMerge splits a sweep in three shards and merges them (one
// twice): the merged records are the whole sweep's, once each; shards of
// another sweep are refused.
func TestShardsAndMerge(t *testing.T) {
	sc := writeScenario(t, tinySweep)
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	if code, _, errs := simrun(t, "sweep", sc, "--out", full, "--no-report"); code != 0 {
		t.Fatal(errs)
	}
	var shards []string
	seen := map[string]bool{}
	for k := range 3 {
		d := filepath.Join(tmp, "shard"+string(rune('0'+k)))
		code, out, errs := simrun(t, "sweep", sc, "--out", d, "--shard", string(rune('0'+k))+"/3", "--no-report")
		if code != 0 || !strings.Contains(out, "shard "+string(rune('0'+k))+"/3: 4 runs") {
			t.Fatalf("shard %d: exit %d\n%s\n%s", k, code, out, errs)
		}
		for key := range readRecords(t, filepath.Join(d, "runs.jsonl")) {
			if seen[key] {
				t.Errorf("run %s in two shards", key)
			}
			seen[key] = true
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(tmp, "merged")
	args := append([]string{"merge", "--out", merged}, shards...)
	args = append(args, shards[1])
	// A shard given twice is refused, and nothing is written ...
	if code, _, errs := simrun(t, args...); code != 2 || !strings.Contains(errs, "shard 1/3 given more than once") {
		t.Fatalf("merge with a repeated shard: exit %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(merged, "runs.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused merge left records: %v", err)
	}
	// ... so is one missing a shard ...
	if code, _, errs := simrun(t, "merge", "--out", merged, shards[0], shards[2]); code != 2 || !strings.Contains(errs, "4 of the sweep's 12 runs are in no shard") {
		t.Fatalf("merge missing a shard: exit %d %s", code, errs)
	}
	// ... unless --allow-partial.
	args = append(args, "--allow-partial")
	code, out, errs := simrun(t, args...)
	if code != 0 || !strings.Contains(out, "12 runs of 12 (4 duplicates dropped)") {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, errs)
	}
	got, want := readRecords(t, filepath.Join(merged, "runs.jsonl")), readRecords(t, filepath.Join(full, "runs.jsonl"))
	if strings.Join(hashes(got), "\n") != strings.Join(hashes(want), "\n") {
		t.Errorf("merged records differ from the whole sweep's")
	}
	m, err := reports.ReadManifest(filepath.Join(merged, "sweep.json"))
	if err != nil || m.Shard != "" || len(m.Merged) != 4 {
		t.Errorf("merged manifest: %v %+v", err, m)
	}
	// The report of the merged shards equals the whole sweep's.
	if code, _, errs := simrun(t, "report", full); code != 0 {
		t.Fatal(errs)
	}
	a, _ := os.ReadFile(filepath.Join(full, "report.md"))
	b, _ := os.ReadFile(filepath.Join(merged, "report.md"))
	if string(a) != string(b) {
		t.Errorf("merged report differs from the whole sweep's")
	}

	other := filepath.Join(tmp, "other")
	if code, _, errs := simrun(t, "sweep", sc, "--out", other, "--seed", "100", "--shard", "1/3", "--no-report"); code != 0 {
		t.Fatal(errs)
	}
	code, _, errs = simrun(t, "merge", "--out", filepath.Join(tmp, "bad"), shards[0], other)
	if code != 2 || !strings.Contains(errs, "another sweep") {
		t.Errorf("merge of two sweeps: exit %d %s", code, errs)
	}
}

// TestSweepUsage: bad input exits 2 with the file, line and field; every
// new subcommand has --help.
func TestSweepUsage(t *testing.T) {
	bad := writeScenario(t, "{\n  \"variant\": \"msc4388\",\n  \"sweep\": {\n    \"network.link.los\": [0.1]\n  }\n}\n")
	badVal := writeScenario(t, "{\n  \"variant\": \"msc4388\",\n  \"sweep\": {\n    \"variant.flow.ack\": [\"before-browser\", \"sideways\"]\n  }\n}\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sweep"}, "want one SCENARIO"},
		{[]string{"sweep", "nonesuch"}, `no built-in scenario "nonesuch"`},
		{[]string{"sweep", bad}, `tiny.json:4: field "sweep": axis "network.link.los" value 0.1: invalid scenario: "los" is not a field of network.link (known: latency, jitter_ms, loss_up, loss_down, duplicate, reorder, bytes_per_second, loss)`},
		{[]string{"sweep", badVal}, `tiny.json:4: field "sweep": axis "variant.flow.ack" value "sideways"`},
		{[]string{"sweep", "default", "--shard", "3/3"}, "0 <= K < N"},
		{[]string{"sweep", "default", "--runs", "0"}, `--runs: "0" is not a whole number from 1 to`},
		{[]string{"report"}, "want one DIR"},
		{[]string{"report", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{[]string{"merge", "--out", t.TempDir()}, "at least one shard"},
		{[]string{"list", "extra"}, "unexpected argument"},
	}
	for _, c := range cases {
		code, _, errs := simrun(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errs, c.want)
		}
	}
	for _, cmd := range []string{"sweep", "report", "merge", "list"} {
		code, _, errs := simrun(t, cmd, "--help")
		if code != 0 || !strings.Contains(errs, "usage: simrun "+cmd) {
			t.Errorf("%s --help: exit %d %q", cmd, code, errs)
		}
	}
}

// TestList lists every built-in scenario with its grid.
func TestList(t *testing.T) {
	code, out, errs := simrun(t, "list")
	if code != 0 || !strings.Contains(out, "default") || !strings.Contains(out, "sweep: ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = simrun(t, "list", "--json")
	sc := bufio.NewScanner(strings.NewReader(out))
	n := 0
	for sc.Scan() {
		var e struct {
			Name   string `json:"name"`
			Points int    `json:"points"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Name == "" || e.Points < 1 {
			t.Errorf("list --json line %q: %v", sc.Text(), err)
		}
		n++
	}
	if code != 0 || n < 10 {
		t.Errorf("list --json: exit %d, %d scenarios", code, n)
	}
}

// TestViolationReplay: a violated invariant in a sweep leaves the grid
// point's scenario on disk and a replay command that runs it.
func TestViolationReplay(t *testing.T) {
	sc, err := lab.LoadScenario(writeScenario(t, tinySweep))
	if err != nil {
		t.Fatal(err)
	}
	pts, _ := sc.Points()
	m, err := lab.Manifest(sc, len(pts))
	if err != nil {
		t.Fatal(err)
	}
	rec := &reports.Record{Point: 3}
	rec.Seed = 8
	rec.Violation = &sim.Violation{Invariant: "termination", Seed: 8, Variant: "msc4388", Detail: "made up"}
	dir := t.TempDir()
	var errb strings.Builder
	reportViolation(dir, sc, m, rec, &errb)
	path := filepath.Join(dir, "points", "point-3.json")
	if !strings.Contains(errb.String(), "INVARIANT VIOLATED: termination") || !strings.Contains(errb.String(), "replay: simrun replay --scenario "+path+" --seed 8") {
		t.Fatalf("stderr:\n%s", errb.String())
	}
	code, out, errs := simrun(t, "replay", "--scenario", path, "--seed", "8", "--json")
	var r sim.Result
	if code != 0 || json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &r) != nil || r.Seed != 8 {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errs)
	}
	full := readRecords(t, func() string {
		d := filepath.Join(t.TempDir(), "s")
		simrun(t, "sweep", writeScenario(t, tinySweep), "--out", d, "--no-report")
		return filepath.Join(d, "runs.jsonl")
	}())
	if full["[3,8]"].TraceHash != r.TraceHash {
		t.Errorf("the point's scenario does not replay the sweep's run: %s vs %s", r.TraceHash, full["[3,8]"].TraceHash)
	}
}

// TestSweepProfiles checks that --cpuprofile and --memprofile write pprof
// files (gzip-compressed protocol buffers) and that a profile file that
// cannot be created is a usage error naming the flag.
func TestSweepProfiles(t *testing.T) {
	sc := writeScenario(t, tinySweep)
	tmp := t.TempDir()
	cpu, mem := filepath.Join(tmp, "cpu.prof"), filepath.Join(tmp, "mem.prof")
	code, out, errs := simrun(t, "sweep", sc, "--out", filepath.Join(tmp, "out"), "--no-report", "--cpuprofile", cpu, "--memprofile", mem)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, f := range []string{cpu, mem} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a pprof file (%d bytes, %v)", f, len(b), err)
		}
	}
	code, _, errs = simrun(t, "sweep", sc, "--out", filepath.Join(tmp, "out2"), "--cpuprofile", filepath.Join(tmp, "no", "such", "dir", "cpu.prof"))
	if code != 2 || !strings.Contains(errs, "--cpuprofile") {
		t.Errorf("unwritable profile: exit %d %s", code, errs)
	}
}
