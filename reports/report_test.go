package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixture is a small sweep of made-up records: two axes, four points,
// failures of several kinds, disagreement and adversaries, so that every
// section of the report has something to say.
func fixture() (*Manifest, []Record) {
	m := &Manifest{Version: ManifestVersion, Name: "fixture", Description: "Made-up records for the golden report.",
		Fingerprint: "0123456789abcdef01234567", Points: 4, Runs: 40, Seed: 1,
		Scenario: json.RawMessage(`{"name":"fixture","set":{"variant.flow.open_verification_uri":"https","user.typo_rate":0},` +
			`"question":"Does msc4108-2024 fail more than msc4388-726e115?",` +
			`"compare":[{"axis":"variant","baseline":"msc4388-726e115"},{"a":{"network.link.loss":0.05},"b":{"network.link.loss":0}}]}`),
		Axes: []Axis{
			{Path: "network.link.loss", Values: []json.RawMessage{json.RawMessage(`0`), json.RawMessage(`0.05`)}},
			{Path: "variant", Values: []json.RawMessage{json.RawMessage(`"msc4388-726e115"`), json.RawMessage(`"msc4108-2024"`)}},
		}}
	var recs []Record
	reasons := []string{"rendezvous_expired", "write_conflict", "device_not_found", "timeout"}
	for p := 0; p < m.Points; p++ {
		vals := m.PointValues(p)
		axes := map[string]json.RawMessage{}
		for i, a := range m.Axes {
			axes[a.Path] = vals[i]
		}
		var variant string
		json.Unmarshal(vals[1], &variant)
		for i := 0; i < m.Runs; i++ {
			seed := m.Seed + uint64(i)
			r := Record{Point: p, Axes: axes, Result: sim.Result{Seed: seed, Variant: variant, Network: "4g", Intent: "login",
				SignedInMillis: -1, SecretsMillis: -1, TraceHash: "h"}}
			base := sim.Millis(15000 + 1000*p + 137*i%5000)
			fail := (i*7+p*3)%10 < p*2 // more failures at later points
			r.Requests = 40 + (i*13+p)%17 + 5*p
			switch {
			case !fail:
				r.New = sim.Ending{Success: true, Outcome: "success", At: base + 2000}
				r.Existing = sim.Ending{Success: true, Outcome: "success", At: base + 1900}
				r.Agreement, r.SignedInMillis, r.SecretsMillis = "both-success", base, base+1500
			case i%5 == 0:
				r.New = sim.Ending{Outcome: "failure", Reason: reasons[1], At: base + 3000}
				r.Existing = sim.Ending{Success: true, Outcome: "success", At: base + 2000}
				r.Agreement, r.SignedInMillis = "existing-only", base
			default:
				reason := reasons[(i+p)%len(reasons)]
				r.New = sim.Ending{Outcome: "failure", Reason: reason, At: base * 3}
				r.Existing = sim.Ending{Outcome: "failure", Reason: reason, At: base * 3}
				r.Agreement = "both-failure"
				r.RootCause = "HTTP 404 to POST /_matrix/client/v1/rendezvous (N)"
				if i%2 == 1 {
					r.RootCause = fmt.Sprintf("timeout of GET /_matrix/client/v1/rendezvous/%08x-e6d5 (E)", i)
				}
			}
			if p == 3 {
				r.Adversaries = []string{"shoulder-surfer"}
				if i%8 == 0 {
					r.AttackerWon, r.HumanFactor = "secrets", true
				}
			}
			recs = append(recs, r)
		}
	}
	return m, recs
}

func build(t *testing.T, m *Manifest, recs []Record) *Builder {
	t.Helper()
	b := NewBuilder(m)
	for i := range recs {
		if err := b.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	b.Finish()
	return b
}

// TestReportGolden pins report.md for the fixture (go test ./reports
// -update rewrites it), and checks that the record order does not matter.
func TestReportGolden(t *testing.T) {
	m, recs := fixture()
	b := build(t, m, recs)
	typical, failing := b.Chosen()
	if typical == nil || failing == nil {
		t.Fatalf("chosen runs: %v %v", typical, failing)
	}
	b.Diagrams = []Diagram{{Title: "A typical run", Point: typical.Point, Seed: typical.Seed, Mermaid: "sequenceDiagram\n    N->>HS: POST /rendezvous"}}
	got, err := b.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./reports -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report.md differs from %s (go test ./reports -update after checking the change):\n%s", golden, firstDiff(got, want))
	}
	for _, s := range []string{"| 0.05 | msc4108-2024 | 40 |", "Wilson", "## Adversaries", "shoulder-surfer", "```mermaid",
		"## Failure rate against `network.link.loss`", "(0.0–8.8%)"} {
		if !strings.Contains(string(got), s) {
			t.Errorf("report lacks %q", s)
		}
	}

	shuffled := append([]Record(nil), recs...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	b2 := build(t, m, shuffled)
	b2.Diagrams = b.Diagrams
	again, _ := b2.Markdown()
	if !bytes.Equal(got, again) {
		t.Errorf("the report depends on the order of the records:\n%s", firstDiff(again, got))
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: got\n%s\nwant\n%s", i+1, al[i], bl[i])
		}
	}
	return "lengths differ"
}

// TestWrite writes the whole report: Markdown, HTML and every plot as PNG
// and SVG.
func TestWrite(t *testing.T) {
	m, recs := fixture()
	b := build(t, m, recs)
	b.Diagrams = []Diagram{{Title: "A typical run", Name: "typical", Mermaid: "sequenceDiagram\n    N->>HS: POST /rendezvous", Steps: seqSteps()}}
	dir := t.TempDir()
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.md", "report.html", "plots/cdf-signed-in.png", "plots/cdf-secrets.svg", "plots/failure-1.svg",
		"plots/failure-2.png", "plots/reasons.png", "plots/disagreement-1.svg", "plots/requests-2.svg", "plots/adversaries.png",
		"diagrams/typical.svg", "diagrams/typical.mmd"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// One self-contained page: every figure and the diagram inline, the
	// Mermaid source folded, nothing loaded from elsewhere.
	hb, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	h := string(hb)
	for _, want := range []string{"<figure id=\"fig-failure-1\">\n<svg role=\"img\" aria-label=\"failure-1\"", "<code>network.link.loss</code>",
		"<svg role=\"img\" aria-label=\"A typical run\"", "<summary>Mermaid source", "N-&gt;&gt;HS: POST /rendezvous</pre></details>"} {
		if !strings.Contains(h, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"<img", "<script", "<link", "src=", "@import", "url(", "<?xml"} {
		if strings.Contains(h, bad) {
			t.Errorf("report.html holds %q: not self-contained", bad)
		}
	}
	if strings.Count(h, "<svg") != strings.Count(h, "<figure") {
		t.Errorf("%d inline SVGs for %d figures", strings.Count(h, "<svg"), strings.Count(h, "<figure"))
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "](plots/failure-1.png)") || !strings.Contains(string(md), "[typical.svg](diagrams/typical.svg)") {
		t.Errorf("report.md links neither the PNG nor the drawn diagram")
	}
	// Plain records (no sweep): one group, no axis sections.
	plain := NewBuilder(nil)
	r := recs[0]
	r.Point, r.Axes = 0, nil
	plain.Add(&r)
	plain.Finish()
	md, err := plain.Markdown()
	if err != nil || !strings.Contains(string(md), "| all runs | 1 |") || strings.Contains(string(md), "Failure rate against") {
		t.Errorf("plain report: %v\n%s", err, md)
	}
}

// TestScan reads records, skips a last line cut short and refuses a bad
// line elsewhere with its number.
func TestScan(t *testing.T) {
	const rest = `"variant":"msc4388","agreement":"both-success","trace_hash":"a"}`
	good := `{"point":1,"seed":5,` + rest + "\n" + "\n" + `{"point":0,"seed":6,` + rest + "\n"
	for _, c := range []struct {
		name, text string
		n          int
		valid      int
		err        string
	}{
		{"complete", good, 2, len(good), ""},
		{"cut record", good + `{"point":0,"se`, 2, len(good), ""},
		{"cut before newline", good + `{"point":0,"seed":7,` + rest, 2, len(good), ""},
		{"bad middle line", good + "{oops\n" + `{"point":0,` + rest + "\n", 2, len(good), "x.jsonl:4"},
	} {
		var seeds []uint64
		valid, n, err := Scan(strings.NewReader(c.text), "x.jsonl", func(r *Record) error { seeds = append(seeds, r.Seed); return nil })
		if n != c.n || int(valid) != c.valid || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: n %d valid %d err %v; want %d %d %q", c.name, n, valid, err, c.n, c.valid, c.err)
		}
		if err != nil && !errors.Is(err, ErrRecords) {
			t.Errorf("%s: %v does not wrap ErrRecords", c.name, err)
		}
		if len(seeds) != c.n || seeds[0] != 5 {
			t.Errorf("%s: seeds %v", c.name, seeds)
		}
	}
}

// TestManifest checks job numbering and the point values of a grid.
func TestManifest(t *testing.T) {
	m, _ := fixture()
	if j, ok := m.Job(3, 40); !ok || j != 3*40+39 {
		t.Errorf("Job(3, 40) = %d %v", j, ok)
	}
	for _, bad := range [][2]int{{4, 1}, {-1, 1}, {0, 0}, {0, 41}} {
		if _, ok := m.Job(bad[0], uint64(bad[1])); ok {
			t.Errorf("Job%v accepted", bad)
		}
	}
	if v := m.PointValues(2); string(v[0]) != "0.05" || string(v[1]) != `"msc4388-726e115"` {
		t.Errorf("PointValues(2) = %s", v)
	}
}

// TestWriteSameBytes writes the report of the same records twice, the
// second time shuffled, and checks that every file (Markdown, HTML, every
// PNG and SVG, the diagram drawn) is the same byte for byte, every section
// included.
func TestWriteSameBytes(t *testing.T) {
	m, recs := fixture()
	for i := range recs {
		// Every section: phases, request kinds, the store's cost, and
		// causes whose numbers vary from run to run.
		r := &recs[i]
		k := sim.Millis(i * 37 % 101)
		r.Phases = &sim.Phases{Scan: 2000 + k, ChannelUp: 3000 + k, Agreed: 5000 + 2*k, Consent: 4000, Token: 9000 + 3*k, Secrets: 10000 + 3*k, Keys: 10500 + 3*k}
		r.RequestKinds = &sim.RequestKinds{Polls: 20 + i%7, Writes: 8, Retries: i % 3, TokenPolls: 3, Other: 10}
		r.StoreCost = &sim.StoreCost{SessionMillis: int64(20000 + 1013*i), ByteMillis: int64(5_000_000 + 977_531*i), PeakSessions: 1 + i%2,
			PeakBytes: 300 + i%50, Left: i % 5 / 4, LeftMillis: int64(i % 5 / 4 * 90000)}
		if r.Failed() && i%3 == 0 {
			r.RootCause = fmt.Sprintf("invalid_qr: qr: rendezvous_id at offset 52: length %d runs past end (63 bytes left) (N)", 1000+i*7919%9000)
		}
	}
	shuffled := append([]Record(nil), recs...)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	dirs := []string{t.TempDir(), t.TempDir()}
	for i, rs := range [][]Record{recs, shuffled} {
		b := build(t, m, rs)
		b.Diagrams = []Diagram{{Title: "A typical run", Name: "typical", Mermaid: "sequenceDiagram", Steps: seqSteps()}}
		if err := b.Write(dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	files := 0
	err := filepath.WalkDir(dirs[0], func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dirs[0], path)
		a, _ := os.ReadFile(path)
		b, err := os.ReadFile(filepath.Join(dirs[1], rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes of the same records (%v)", rel, err)
		}
		files++
		return nil
	})
	if err != nil || files < 10 {
		t.Errorf("%d files compared (%v)", files, err)
	}
}
