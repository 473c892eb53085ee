package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/sim"
)

func simrun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestRunDefault is the README's first command: no arguments runs the
// default scenario and reports totals with no violation.
func TestRunDefault(t *testing.T) {
	code, out, errs := simrun(t)
	if code != 0 || !strings.Contains(out, "scenario default: variant msc4388-726e115, network 4g") ||
		!strings.Contains(out, "invariant violations 0") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

// TestRunJSONAndFiles checks the JSON records, the streamed results, the
// JSON Lines trace and the Mermaid diagram.
func TestRunJSONAndFiles(t *testing.T) {
	dir := t.TempDir()
	tr, mm, res := filepath.Join(dir, "t.jsonl"), filepath.Join(dir, "d.mmd"), filepath.Join(dir, "r.jsonl")
	code, out, errs := simrun(t, "run", "--runs", "3", "--seed", "5", "--network", "lan", "--json",
		"--trace", tr, "--mermaid", mm, "--out", res)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 3 records and totals, got %d lines:\n%s", len(lines), out)
	}
	for i, l := range lines[:3] {
		var r sim.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Seed != uint64(5+i) || !r.Success() || len(r.TraceHash) != 64 {
			t.Fatalf("record %d: %v %+v", i, err, r)
		}
	}
	var tot struct {
		Totals struct{ Runs, Success int } `json:"totals"`
	}
	if err := json.Unmarshal([]byte(lines[3]), &tot); err != nil || tot.Totals.Runs != 3 || tot.Totals.Success != 3 {
		t.Fatalf("totals: %v %s", err, lines[3])
	}
	b, _ := os.ReadFile(res)
	if got := strings.Count(string(b), "\n"); got != 3 {
		t.Fatalf("--out holds %d records, want 3", got)
	}
	f, _ := os.Open(tr)
	defer f.Close()
	sc := bufio.NewScanner(f)
	runs := map[int]bool{}
	for sc.Scan() {
		var e struct {
			Run  int    `json:"run"`
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Kind == "" {
			t.Fatalf("trace line %q: %v", sc.Text(), err)
		}
		runs[e.Run] = true
	}
	if len(runs) != 3 {
		t.Fatalf("trace covers runs %v", runs)
	}
	d, _ := os.ReadFile(mm)
	if !strings.HasPrefix(string(d), "sequenceDiagram\n") || !strings.Contains(string(d), "N->>HS: POST /rendezvous") ||
		!strings.Contains(string(d), "E->>HS: PUT m.login.secrets") || !strings.Contains(string(d), "HS-->>N: m.login.secrets") {
		t.Fatalf("mermaid:\n%s", d)
	}
}

// TestReplayIsExact runs one seed as part of a batch and alone with
// replay: the same run, event for event.
func TestReplayIsExact(t *testing.T) {
	_, a, _ := simrun(t, "run", "--runs", "4", "--seed", "10", "--json", "--network", "lossy-3g", "--workers", "2")
	var rec sim.Result
	json.Unmarshal([]byte(strings.Split(a, "\n")[2]), &rec)
	code, b, errs := simrun(t, "replay", "--seed", "12", "--network", "lossy-3g")
	if code != 0 || rec.Seed != 12 {
		t.Fatalf("exit %d seed %d: %s", code, rec.Seed, errs)
	}
	_, c, _ := simrun(t, "replay", "--seed", "12", "--network", "lossy-3g", "--json")
	var again sim.Result
	json.Unmarshal([]byte(strings.Split(c, "\n")[0]), &again)
	if again.TraceHash != rec.TraceHash {
		t.Fatalf("replay hash %s, batch hash %s", again.TraceHash, rec.TraceHash)
	}
	if !strings.Contains(b, "shows the QR code") || !strings.Contains(b, "run 0 seed 12") {
		t.Fatalf("replay output:\n%s", b)
	}
}

// TestRunBadInput: bad flags, names and files exit 2 with a message that
// says what and where.
func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{\n  \"variant\": \"msc4388\",\n  \"netwrk\": \"4g\"\n}\n"), 0o644)
	syntax := filepath.Join(dir, "syntax.json")
	os.WriteFile(syntax, []byte("{\n  \"variant\": \"msc4388\"\n  \"runs\": 3\n}\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--bogus"}, `unknown flag "--bogus"`},
		{[]string{"run", "--variant", "nope"}, `--variant: invalid variant: unknown preset "nope" (have `},
		{[]string{"run", "--network", "dialup"}, "unknown network profile \"dialup\""},
		{[]string{"run", "--intent", "sideways"}, "neither \"login\" nor \"reciprocate\""},
		{[]string{"run", "--runs", "0"}, `--runs: "0" is not a whole number from 1 to`},
		{[]string{"run", "--scenario", "nonesuch"}, "no built-in scenario \"nonesuch\""},
		{[]string{"run", "--scenario", bad}, "bad.json:3: unknown field \"netwrk\""},
		{[]string{"run", "--scenario", syntax}, "syntax.json:3:"},
		{[]string{"run", "extra"}, "unexpected argument \"extra\""},
		{[]string{"replay"}, "--seed is required"},
	}
	for _, tc := range cases {
		code, _, errs := simrun(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestRunRefusesGrid: run and replay on a scenario with a sweep grid refuse
// (exit 2, pointing to simrun sweep) instead of running its base only, and
// --base runs the base configuration on purpose.
func TestRunRefusesGrid(t *testing.T) {
	for _, args := range [][]string{{"run", "--scenario", "ack-ordering"}, {"replay", "--scenario", "ack-ordering", "--seed", "1"}} {
		code, _, errs := simrun(t, args...)
		if code != 2 || !strings.Contains(errs, "has a sweep grid of 6 points; simrun sweep ack-ordering runs the grid") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	code, out, errs := simrun(t, "run", "--scenario", "ack-ordering", "--base", "--runs", "2")
	if code != 0 || !strings.Contains(out, "invariant violations 0") {
		t.Errorf("run --base: exit %d\n%s\n%s", code, out, errs)
	}
}
