package lab

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/reports"
	"qrlab/sim"
)

// CompatOptions is a compatibility matrix to compute: every pair of
// presets (the new device's client × the existing device's client, which
// also brings the homeserver, provider and rendezvous server it is
// deployed with, as sim.Config.Variant does), for each intent.
type CompatOptions struct {
	// Presets are the clients on both axes (built-in preset names).
	Presets []string
	// Intents are "login" and/or "reciprocate".
	Intents []string
	// Server, when set, is a preset whose homeserver and provider (its
	// OAuth and homeserver knobs) replace those of every existing
	// device's preset; the rendezvous server stays the existing device's.
	Server string
	// Network is a network profile name.
	Network string
	// Runs per cell, seeds Seed, Seed+1, ... (the same seeds in every cell).
	Runs    int
	Seed    uint64
	Workers int
}

// CompatCell is one pair of clients under one intent.
type CompatCell struct {
	Intent    string `json:"intent"`
	New       string `json:"new"`
	Existing  string `json:"existing"`
	Runs      int    `json:"runs"`
	Successes int    `json:"successes"`
	// Lo and Hi are the success rate's Wilson 95% interval.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// The dominant failure: how many failed runs share it, both devices'
	// endings and the root cause (identifiers blanked, and numbers that
	// varied from seed to seed shown as "…"; "" none recorded), with the
	// verbatim cause of its lowest seed as an example.
	Failures       int    `json:"failures"`
	Dominant       int    `json:"dominant,omitempty"`
	NewReason      string `json:"new_reason,omitempty"`
	ExistingReason string `json:"existing_reason,omitempty"`
	RootCause      string `json:"root_cause,omitempty"`
	Example        string `json:"example,omitempty"`
	// Violations counts runs where an invariant broke.
	Violations int `json:"violations,omitempty"`
}

// Rate is the cell's success rate (0 with no runs).
func (c *CompatCell) Rate() float64 {
	if c.Runs == 0 {
		return 0
	}
	return float64(c.Successes) / float64(c.Runs)
}

// CompatMatrix is the computed matrix: Cells in intent, new, existing order.
type CompatMatrix struct {
	Options CompatOptions
	Cells   []CompatCell
}

// Cell returns the cell of intent, new device's and existing device's
// presets, or nil.
func (m *CompatMatrix) Cell(intent, n, e string) *CompatCell {
	for i := range m.Cells {
		c := &m.Cells[i]
		if c.Intent == intent && c.New == n && c.Existing == e {
			return c
		}
	}
	return nil
}

// ErrCompat wraps the errors of bad compatibility options.
var ErrCompat = errors.New("compat")

func (o *CompatOptions) check() ([]qr.Intent, sim.Network, error) {
	var net sim.Network
	if o.Runs < 1 {
		return nil, net, fmt.Errorf("%w: runs per cell is %d, want at least 1", ErrCompat, o.Runs)
	}
	if len(o.Presets) == 0 {
		return nil, net, fmt.Errorf("%w: no presets", ErrCompat)
	}
	if err := CheckSeeds(o.Seed, o.Runs); err != nil {
		return nil, net, err
	}
	var intents []qr.Intent
	for _, s := range o.Intents {
		switch s {
		case "login":
			intents = append(intents, qr.Login)
		case "reciprocate":
			intents = append(intents, qr.Reciprocate)
		default:
			return nil, net, fmt.Errorf("%w: intent %q is neither login nor reciprocate", ErrCompat, s)
		}
	}
	if len(intents) == 0 {
		return nil, net, fmt.Errorf("%w: no intents", ErrCompat)
	}
	net, err := sim.Profile(o.Network)
	if err != nil {
		return nil, net, fmt.Errorf("%w: network %q: %v (profiles: %s)", ErrCompat, o.Network, err, strings.Join(sim.ProfileNames(), ", "))
	}
	return intents, net, nil
}

// Compat runs o.Runs seeds for every cell and returns the matrix. The
// result depends only on o (not on Workers): runs are delivered in seed
// order.
func Compat(o CompatOptions) (*CompatMatrix, error) {
	intents, net, err := o.check()
	if err != nil {
		return nil, err
	}
	vs := make([]variant.Variant, len(o.Presets))
	for i, name := range o.Presets {
		if vs[i], err = variant.Load(name); err != nil {
			return nil, fmt.Errorf("%w: preset %q: %v", ErrCompat, name, err)
		}
	}
	if o.Server != "" {
		sv, err := variant.Load(o.Server)
		if err != nil {
			return nil, fmt.Errorf("%w: server preset %q: %v", ErrCompat, o.Server, err)
		}
		for i := range vs {
			vs[i].OAuth, vs[i].Homeserver = sv.OAuth, sv.Homeserver
		}
	}
	workers := o.Workers
	if workers < 1 {
		workers = DefaultWorkers()
	}
	m := &CompatMatrix{Options: o}
	for _, in := range intents {
		for i := range vs {
			for j := range vs {
				nv, err := variant.Load(o.Presets[i])
				if err != nil {
					return nil, err
				}
				cfg := sim.Config{Variant: vs[j], NewVariant: &nv, Intent: in, Network: net}
				c, err := compatCell(cfg, o, workers)
				if err != nil {
					return nil, fmt.Errorf("%s × %s (%s): %w", vs[i].Name, vs[j].Name, in, err)
				}
				c.Intent, c.New, c.Existing = in.String(), vs[i].Name, vs[j].Name
				m.Cells = append(m.Cells, c)
			}
		}
	}
	return m, nil
}

// compatCell runs one cell and finds its dominant failure: the most
// frequent (new device's ending, existing device's ending, root cause's
// shape: its numbers aside), ties broken by the key's order so the result
// is deterministic.
func compatCell(cfg sim.Config, o CompatOptions, workers int) (CompatCell, error) {
	var c CompatCell
	counts := map[[3]string]*reports.CauseTally{}
	var runErr error
	err := Simulate(cfg, o.Seed, o.Runs, workers, func(oc Outcome) bool {
		if oc.Err != nil {
			runErr = fmt.Errorf("seed %d: %w", o.Seed+uint64(oc.Index), oc.Err)
			return false
		}
		r := &oc.Result
		c.Runs++
		if r.Violation != nil {
			c.Violations++
		}
		if r.Success() {
			c.Successes++
			return true
		}
		c.Failures++
		cause := genericCause(r.RootCause)
		k := [3]string{reports.EndingName(r.New), reports.EndingName(r.Existing), reports.CauseShape(cause)}
		if counts[k] == nil {
			counts[k] = &reports.CauseTally{}
		}
		counts[k].Add(cause, r.RootCause, r.Seed)
		return true
	})
	if err == nil {
		err = runErr
	}
	if err != nil {
		return c, err
	}
	c.Lo, c.Hi = reports.Wilson(c.Successes, c.Runs)
	var best [3]string
	for k, t := range counts {
		if t.N > c.Dominant || t.N == c.Dominant && slices.Compare(k[:], best[:]) < 0 {
			best, c.Dominant = k, t.N
		}
	}
	if c.Dominant > 0 {
		t := counts[best]
		c.NewReason, c.ExistingReason, c.RootCause, c.Example = best[0], best[1], t.Text(), t.Example()
	}
	return c, nil
}

// WriteMarkdown writes the matrix as Markdown: a table per intent (rows
// the new device's client, columns the existing device's) with each
// cell's success rate and interval, then a list of the failing cells'
// dominant failures.
func (m *CompatMatrix) WriteMarkdown(w io.Writer) {
	o := m.Options
	servers := "the existing device's preset also brings its homeserver, provider and rendezvous server"
	if o.Server != "" {
		servers = "the homeserver and provider are " + o.Server + "'s, the rendezvous server the existing device's"
	}
	fmt.Fprintf(w, "Compatibility of client presets on the %s network, %d runs per cell (seeds %d..%d); %s. A cell is the success rate with its Wilson 95%% interval; rows are the new device, columns the existing device.\n",
		o.Network, o.Runs, o.Seed, o.Seed+uint64(o.Runs)-1, servers)
	for _, in := range m.intents() {
		fmt.Fprintf(w, "\n### Intent %s\n\n| new \\ existing |", in)
		for _, e := range o.Presets {
			fmt.Fprintf(w, " %s |", e)
		}
		fmt.Fprint(w, "\n|---|")
		for range o.Presets {
			fmt.Fprint(w, "---|")
		}
		fmt.Fprintln(w)
		for _, n := range o.Presets {
			fmt.Fprintf(w, "| **%s** |", n)
			for _, e := range o.Presets {
				c := m.Cell(in, n, e)
				fmt.Fprintf(w, " %s |", c.short())
			}
			fmt.Fprintln(w)
		}
		m.writeFailures(w, in)
	}
}

// short is a cell in the table: the rate, its interval, and a mark when
// an invariant broke.
func (c *CompatCell) short() string {
	s := fmt.Sprintf("%.0f%% [%.0f–%.0f]", 100*c.Rate(), 100*c.Lo, 100*c.Hi)
	if c.Violations > 0 {
		s += fmt.Sprintf(" ⚠%d", c.Violations)
	}
	return s
}

func (m *CompatMatrix) intents() []string {
	var out []string
	for _, c := range m.Cells {
		if !slices.Contains(out, c.Intent) {
			out = append(out, c.Intent)
		}
	}
	return out
}

// failureRows are the dominant failures of intent in's failing cells,
// grouped: each distinct (root cause, new device's ending, existing
// device's ending) with the cells it dominates (new × existing, and how
// many of the cell's runs it accounts for when not all), the group with
// the most cells first.
func (m *CompatMatrix) failureRows(in string) [][]string {
	type group struct {
		key     [3]string
		cells   []string
		example string
	}
	var gs []*group
	for _, c := range m.Cells {
		if c.Intent != in || c.Failures == 0 {
			continue
		}
		cause := c.RootCause
		if cause == "" {
			cause = "none recorded"
		}
		k := [3]string{cause, c.NewReason, c.ExistingReason}
		i := slices.IndexFunc(gs, func(g *group) bool { return g.key == k })
		if i < 0 {
			gs = append(gs, &group{key: k})
			i = len(gs) - 1
			if strings.Contains(cause, "…") && c.Example != cause {
				gs[i].example = c.Example
			}
		}
		cell := c.New + " × " + c.Existing
		if c.Dominant < c.Runs {
			cell += fmt.Sprintf(" (%d/%d)", c.Dominant, c.Runs)
		}
		gs[i].cells = append(gs[i].cells, cell)
	}
	slices.SortStableFunc(gs, func(a, b *group) int { return len(b.cells) - len(a.cells) })
	rows := make([][]string, len(gs))
	for i, g := range gs {
		cause := g.key[0]
		if g.example != "" {
			cause += " (… varies with the seed; e.g. " + g.example + ")"
		}
		rows[i] = []string{cause, g.key[1], g.key[2], strings.Join(g.cells, ", ")}
	}
	return rows
}

// failureHead and failureNote head and introduce the failure table.
var failureHead = []string{"root cause", "new device", "existing device", "cells (new × existing)"}

const failureNote = "Dominant failure of the cells with failures, grouped (N the new device, E the existing one; the root cause is the first fault an honest party met):"

// writeFailures writes intent in's failure table as Markdown.
func (m *CompatMatrix) writeFailures(w io.Writer, in string) {
	rows := m.failureRows(in)
	if len(rows) == 0 {
		fmt.Fprintln(w, "\nEvery run of every cell succeeded.")
		return
	}
	fmt.Fprint(w, "\n"+failureNote+"\n\n| "+strings.Join(failureHead, " | ")+" |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", strings.ReplaceAll(r[0], "|", "\\|"), r[1], r[2], r[3])
	}
}

// txnSegment is a rendezvous PUT's transaction id after the session's.
var txnSegment = regexp.MustCompile(`\{id\}/[^ /]+`)

// genericCause blanks a root cause's identifiers, the transaction id of a
// PUT included.
func genericCause(s string) string {
	return txnSegment.ReplaceAllString(reports.GenericCause(s), "{id}/{txn}")
}
