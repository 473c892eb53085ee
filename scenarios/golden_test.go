package scenarios

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_traces.txt from the current code")

const goldenFile = "testdata/golden_traces.txt"

// goldenSeeds are the seeds every golden case runs.
var goldenSeeds = []uint64{0, 1, 7}

// goldenLine runs one configuration and seed and states what an observer of
// the run would compare: the trace hash (every event, bodies included) and
// both devices' endings.
func goldenLine(label string, cfg sim.Config, seed uint64) (string, error) {
	r, err := sim.NewRunner(cfg)
	if err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	res, err := r.Run(seed)
	if err != nil {
		return "", fmt.Errorf("%s seed %d: %w", label, seed, err)
	}
	viol := "-"
	if res.Violation != nil {
		viol = res.Violation.Invariant
	}
	return fmt.Sprintf("%s seed=%d trace=%s new=%s/%s existing=%s/%s events=%d violation=%s",
		label, seed, res.TraceHash, res.New.Outcome, res.New.Reason, res.Existing.Outcome, res.Existing.Reason, res.Events, viol), nil
}

// goldenLines runs the golden set: every preset and every mutant in both
// intents on every network profile of the default transport (tcp), on the
// datagram transport's 4g profile, in swarm mode (datagram) on it, and every
// grid point of every built-in scenario.
func goldenLines(t *testing.T) []string {
	var out []string
	add := func(label string, cfg sim.Config) {
		for _, seed := range goldenSeeds {
			l, err := goldenLine(label, cfg, seed)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, l)
		}
	}
	type named struct {
		name string
		v    variant.Variant
	}
	var vs []named
	for _, n := range variant.Names() {
		vs = append(vs, named{"preset/" + n, variant.MustLoad(n)})
	}
	for _, n := range variant.MutantNames() {
		v, err := variant.LoadMutant(n)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, named{"mutant/" + n, v})
	}
	for _, v := range vs {
		for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
			for _, p := range sim.ProfileNames() {
				net, err := sim.Profile(p)
				if err != nil {
					t.Fatal(err)
				}
				add(fmt.Sprintf("%s/%s/%s", v.name, intent, p), sim.Config{Variant: v.v, Intent: intent, Network: net, User: sim.DefaultUser()})
			}
			net, err := sim.ProfileFor(sim.TransportDatagram, "4g")
			if err != nil {
				t.Fatal(err)
			}
			add(fmt.Sprintf("%s/%s/datagram-4g", v.name, intent), sim.Config{Variant: v.v, Intent: intent, Network: net, User: sim.DefaultUser(),
				Transport: sim.Transport{Kind: sim.TransportDatagram}})
			sw := sim.DefaultSwarm()
			add(fmt.Sprintf("%s/%s/swarm", v.name, intent), sim.Config{Variant: v.v, Intent: intent, Network: net, User: sim.DefaultUser(), Swarm: &sw})
		}
	}
	for _, n := range Names() {
		sc, err := Load(n)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := sc.Points()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pts {
			cfg, err := p.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			add(fmt.Sprintf("scenario/%s/%d", n, p.Index), cfg)
		}
	}
	return out
}

// TestGoldenTraces pins the behaviour of the model and the simulator: for
// a fixed set of seeds per preset, mutant, profile and scenario point, the
// trace hash and both endings must be what testdata/golden_traces.txt says.
// Any change of behaviour, wanted or not, fails here until the file is
// rewritten on purpose with go test ./scenarios -run TestGoldenTraces -update.
func TestGoldenTraces(t *testing.T) {
	got := goldenLines(t)
	if *update {
		var b bytes.Buffer
		b.WriteString("# Written by go test ./scenarios -run TestGoldenTraces -update; never by hand.\n")
		for _, l := range got {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(goldenFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatalf("%v (write it with -update)", err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			want = append(want, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	wantSet := make(map[string]bool, len(want))
	for _, l := range want {
		wantSet[l] = true
	}
	gotSet := make(map[string]bool, len(got))
	diffs := 0
	for _, l := range got {
		gotSet[l] = true
		if !wantSet[l] {
			if diffs < 10 {
				t.Errorf("new or changed: %s", l)
			}
			diffs++
		}
	}
	for _, l := range want {
		if !gotSet[l] {
			if diffs < 20 {
				t.Errorf("gone or changed: %s", l)
			}
			diffs++
		}
	}
	if diffs > 0 {
		t.Fatalf("%d golden lines differ of %d; if the change is meant, rerun with -update and say why in the commit", diffs, len(want))
	}
}
