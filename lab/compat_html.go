package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"qrlab/reports"
)

// summary is, for intent in, what a reader asks first: how many pairs
// work in every run, in some, in none, and which pairs of different
// clients work at all, each with its rate and interval.
func (m *CompatMatrix) summary(in string) string {
	var all, some, none int
	var cross []string
	for _, c := range m.Cells {
		if c.Intent != in {
			continue
		}
		switch {
		case c.Successes == c.Runs:
			all++
		case c.Successes > 0:
			some++
		default:
			none++
		}
		if c.New != c.Existing && c.Successes > 0 {
			cross = append(cross, fmt.Sprintf("%s × %s %s", c.New, c.Existing, c.short()))
		}
	}
	s := fmt.Sprintf("**Intent %s**: %d of %d pairs signed in every run, %d in some, %d in none. ", in, all, all+some+none, some, none)
	if len(cross) == 0 {
		return s + "No two different presets worked together."
	}
	return s + "Different presets that worked together (new × existing, success rate [95% interval]): " + strings.Join(cross, "; ") + "."
}

// WriteHTML writes dir/compat.html: one self-contained page with, first,
// the answer per intent in a sentence, then per intent the heatmap
// (inline SVG), the matrix and the failures table.
func (m *CompatMatrix) WriteHTML(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o := m.Options
	var p reports.Page
	p.Heading(1, "Compatibility matrix")
	servers := "the existing device's preset also brings its homeserver, provider and rendezvous server"
	if o.Server != "" {
		servers = "the homeserver and provider are `" + o.Server + "`'s, the rendezvous server the existing device's"
	}
	p.Para(fmt.Sprintf("Client presets paired on the `%s` network, %d runs per cell (seeds %d–%d, the same in every cell); %s. A cell is the share of runs where both devices succeeded, with its Wilson 95%% interval; rows are the new device's client, columns the existing device's.",
		o.Network, o.Runs, o.Seed, o.Seed+uint64(o.Runs)-1, servers))
	ins := m.intents()
	for _, in := range ins {
		p.Para(m.summary(in))
	}
	for _, in := range ins {
		p.Heading(2, "Intent "+in)
		svg, err := m.heatmaps([]string{in}, "svg")
		if err != nil {
			return fmt.Errorf("compat.html: %w", err)
		}
		p.Figure("compat", fmt.Sprintf("Success rate per pair, intent %s (%d runs per cell); the PNG and SVG files hold every intent.", in, o.Runs), svg)
		head := append([]string{"new \\ existing"}, o.Presets...)
		var rows [][]string
		for _, n := range o.Presets {
			r := []string{"**" + n + "**"}
			for _, e := range o.Presets {
				r = append(r, m.Cell(in, n, e).short())
			}
			rows = append(rows, r)
		}
		p.Table(head, rows, "")
		if fr := m.failureRows(in); len(fr) > 0 {
			p.Para(failureNote)
			p.Table(failureHead, fr, "")
		} else {
			p.Para("Every run of every cell succeeded.")
		}
	}
	return os.WriteFile(filepath.Join(dir, "compat.html"), p.HTML(), 0o644)
}
