package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/sim"
)

// TestSpendSection checks that the time-and-requests section renders
// from records that carry phases (its means, a phase reached before the
// one it follows counting zero, and the stacked figure), and that records
// without phases (written before they existed) leave the report as it was.
func TestSpendSection(t *testing.T) {
	m, recs := fixture()
	md0, err := build(t, m, recs).Markdown()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md0), "Where the time") {
		t.Fatal("records without phases show the time-and-requests section")
	}
	for i := range recs {
		// Consent (4 s) before the agreement (5 s): the agreement lasts 2 s
		// after the channel (3 s), the consent zero.
		recs[i].Phases = &sim.Phases{Scan: 2000, ChannelUp: 3000, Agreed: 5000, Consent: 4000, Token: 9000, Secrets: 10000, Keys: 10500}
		recs[i].RequestKinds = &sim.RequestKinds{Polls: 20 + i%2*2, Writes: 8, Retries: 0, TokenPolls: 3, Other: 10}
	}
	b := build(t, m, recs)
	md, err := b.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## Where the time and the requests go (successful logins)",
		"| 2.0 [2.0–2.0] | 1.0 [1.0–1.0] | 2.0 [2.0–2.0] | 0.0 [0.0–0.0] | 4.0 [4.0–4.0] | 1.0 [1.0–1.0] | 0.5 [0.5–0.5] |",
		"| 8.0 [8.0–8.0] | 0.0 [0.0–0.0] | 3.0 [3.0–3.0] | 10.0 [10.0–10.0] |", "rendezvous polls"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	dir := t.TempDir()
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"plots/phases.png", "plots/phases.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
