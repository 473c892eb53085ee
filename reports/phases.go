package reports

import (
	"fmt"

	"qrlab/sim"
)

// phaseNames are the segments of a successful login, in order: from the
// run's start to the QR code scanned, to the channel up, to the protocol
// agreed, to the consent, to the token, to the secrets, to the keys
// uploaded. A phase reached before the one it follows (the consent
// before the agreement in the 2024 generation) lasts zero.
var phaseNames = []string{"scan", "channel up", "protocol agreed", "consent", "token", "secrets", "keys uploaded"}

// kindNames are the kinds of requests of sim.RequestKinds.
var kindNames = []string{"rendezvous polls", "rendezvous writes", "retries", "token polls", "other"}

// spend is where a group's successful logins spent their time and
// requests: exact moments per phase (milliseconds) and per kind.
type spend struct {
	n     int
	phase [7]moments
	kind  [5]moments
}

// add counts a successful run that has phases and request kinds.
func (s *spend) add(r *Record) {
	p, k := r.Phases, r.RequestKinds
	if p == nil || k == nil || !r.Success() {
		return
	}
	s.n++
	var end sim.Millis
	for i, t := range []sim.Millis{p.Scan, p.ChannelUp, p.Agreed, p.Consent, p.Token, p.Secrets, p.Keys} {
		s.phase[i].add(int64(max(0, t-end)))
		end = max(end, t)
	}
	for i, v := range []int{k.Polls, k.Writes, k.Retries, k.TokenPolls, k.Other} {
		s.kind[i].add(int64(v))
	}
}

func (s *spend) merge(o *spend) {
	s.n += o.n
	for i := range s.phase {
		s.phase[i].merge(o.phase[i])
	}
	for i := range s.kind {
		s.kind[i].merge(o.kind[i])
	}
}

// spendBlocks is where the time and the requests of successful logins
// go, per grid point (nothing when no record has phases: records written
// before they existed).
func (b *Builder) spendBlocks() ([]block, error) {
	var ls []labelled
	for _, l := range b.pointGroups() {
		if l.g.spend.n > 0 {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		return nil, nil
	}
	out := []block{{kind: "h2", text: "Where the time and the requests go (successful logins)"},
		{kind: "p", text: "Mean seconds in each phase of a successful login, and its requests by kind, each mean with its 95% interval (normal approximation)."}}
	var rows, krows [][]string
	for _, l := range ls {
		s := l.g.spend
		row := append(append([]string(nil), l.cells...), fmt.Sprint(s.n))
		krow := append(append([]string(nil), l.cells...), fmt.Sprint(s.n))
		for i := range phaseNames {
			row = append(row, s.phase[i].ci(1000))
		}
		for i := range kindNames {
			krow = append(krow, s.kind[i].ci(1))
		}
		rows, krows = append(rows, row), append(krows, krow)
	}
	head := append(b.labelHead(), "successes")
	out = append(out, block{kind: "table", head: append(append([]string(nil), head...), phaseNames...), rows: rows},
		block{kind: "table", head: append(append([]string(nil), head...), kindNames...), rows: krows})
	p, err := phasePlot(ls)
	if err != nil {
		return nil, err
	}
	out = append(out, block{kind: "figure", fig: &figure{stem: "phases", p: p,
		caption: "Mean seconds per phase of a successful login, stacked, per grid point (n in the table above)."}})
	return out, nil
}

// phasePlot stacks each grid point's mean phase durations, in seconds.
func phasePlot(ls []labelled) (panels, error) {
	p := newPlot("Time per phase of a successful login", "", "mean time (s)")
	p.Y.Tick.Marker = plainTicks
	bars := make([]string, len(ls))
	vals := make([][]float64, len(phaseNames))
	for i := range phaseNames {
		vals[i] = make([]float64, len(ls))
	}
	for j, l := range ls {
		bars[j] = l.label
		for i := range phaseNames {
			vals[i][j], _ = l.g.spend.phase[i].meanSD(1000)
		}
	}
	return stackBars(p, bars, phaseNames, vals)
}
