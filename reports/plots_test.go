package reports

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestPalette checks that the palette has no repeated colour and that a
// panel never needs more colours than it has.
func TestPalette(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range okabeIto {
		k := fmt.Sprint(c)
		if seen[k] {
			t.Errorf("colour %s repeats", k)
		}
		seen[k] = true
	}
	if panelSeries > len(okabeIto) {
		t.Errorf("%d series per panel, %d colours", panelSeries, len(okabeIto))
	}
}

// TestFacets checks that more than six series are faceted into panels of
// at most six legend entries each.
func TestFacets(t *testing.T) {
	a := Axis{Path: "variant", Values: []json.RawMessage{json.RawMessage(`"a"`), json.RawMessage(`"b"`)}}
	var ss []series
	for i := range 8 {
		g := newGroup()
		g.n, g.fail = 10, i
		ss = append(ss, series{label: fmt.Sprint("s", i), groups: []*group{g, g}})
	}
	ps, err := ratePlot("t", "y", a, ss, func(g *group) int { return g.fail })
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].entries != 6 || ps[1].entries != 2 {
		t.Errorf("8 series: %d panels", len(ps))
	}
	if !strings.HasSuffix(ps[1].p.Title.Text, "(2 of 2)") {
		t.Errorf("second panel's title %q", ps[1].p.Title.Text)
	}
	for _, tk := range percentTicks.Ticks(0, 0.3) {
		if tk.Label != "" && (!strings.HasSuffix(tk.Label, "%") || len(tk.Label) > 4) {
			t.Errorf("percent tick %q", tk.Label)
		}
	}
}

// TestEmptyCDF checks that a report whose runs never signed in draws no
// CDF (no empty axes) and says why.
func TestEmptyCDF(t *testing.T) {
	b := NewBuilder(nil)
	r := Record{}
	r.Variant, r.Agreement, r.TraceHash, r.SignedInMillis, r.SecretsMillis = "v", "both-failure", "h", -1, -1
	if err := b.Add(&r); err != nil {
		t.Fatal(err)
	}
	b.Finish()
	md, err := b.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "cdf-") || !strings.Contains(string(md), "No run reached the time to signed in") {
		t.Errorf("report of runs that never signed in:\n%s", md)
	}
}

// TestPlainTicks checks that a seconds or numeric axis reads "25", not "25.00".
func TestPlainTicks(t *testing.T) {
	var labels []string
	for _, tk := range plainTicks.Ticks(0, 40) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0 20 40" {
		t.Errorf("labels %q, want \"0 20 40\"", got)
	}
	for _, tk := range plainTicks.Ticks(0, 1.5) {
		if strings.HasSuffix(tk.Label, "0") && strings.Contains(tk.Label, ".") {
			t.Errorf("label %q has a trailing zero", tk.Label)
		}
	}
}
