package explore

import (
	"fmt"
	"slices"

	"qrlab/sim"
)

// The time abstraction (Options.Time = TimeAbstract; sim's step_time.go
// states what it keeps, over-approximates and merges). Exact time is the
// default and changes nothing.
//
// Under the abstraction a timer or request timeout set more than
// Options.UntimedAboveMillis (M) ahead is untimed: a choice at every state
// from its arming on, fired at the run's current time, with no latest time;
// the fingerprint encodes every time relative to the run's time, an untimed
// timer without its due time and the machines' request and timer numbers
// relative to their counters. Whatever M, a request's timeout is untimed
// and free to fire as soon as its exchange can no longer complete (its
// request or answer lost, no copy of either still travelling); until then
// it keeps its exact time. The tail of a lost message, in which its sender
// waits for that timeout while the other device polls once a second, then
// becomes a cycle of a few states instead of one state per poll.
//
// Liveness under the abstraction: the depth-first search meets those
// cycles. Weak fairness says an event enabled continuously is taken
// eventually, and an untimed timer is enabled from its arming until it
// fires, so a cycle along which one untimed timer stays armed (the same
// pending event at every state of the cycle and at its return) is not a
// run that goes round for ever: it is no lasso. A cycle with no such timer
// is reported as InvLasso, as in exact time. The run's time bound ends no
// path (it is a long deadline too), so the termination check at a path's
// end asks that both devices ended, not by when.
//
// Counterexamples: a path that fired an untimed timer before its due time
// relies on the abstraction (Abstraction.Relies). Every violation found
// under the abstraction is replayed with exact time (the stepped simulator
// as in exact exploration, each step required to be one of the choices
// exact time enables there) and Abstraction says whether the violation came
// back.

// The values of Options.Time.
const (
	TimeExact    = "exact"
	TimeAbstract = "abstract"
)

// DefaultUntimedAbove is M when Options.UntimedAboveMillis is zero: 60 s,
// a lab default chosen by measurement. With M = 5 s every request timeout
// (10 and 30 s) and every wait of a minute or less becomes untimed, may fire
// early at every state, and the early firings multiplied the states
// (msc4388 reciprocate without faults: 2,656 states with exact time, cut
// at more than 63,000 in 120 s; with one loss cut at 153,796 in 100 s).
// With 60 s those keep their times (a polling tail lasts at most a request
// timeout, 10 or 30 s), and what becomes untimed is what lasts longer than
// a login: the rendezvous session's lifetime (2 min in the 2026 texts), the
// device code's (20 to 30 min), the access token's, longer deadlines. Their
// remaining times no longer tell states apart, and the times relative to
// the run's merge the tails of different loss placements (msc4388
// reciprocate with one loss: complete in 93,199 states, against 317,639
// with exact time).
const DefaultUntimedAbove = 60000

// TimeUsed is the time abstraction of an exploration.
type TimeUsed struct {
	Mode               string `json:"mode"`
	UntimedAboveMillis int64  `json:"untimed_above_ms"`
}

// Abstraction says whether a counterexample (or a Reach path) found under
// the time abstraction relies on it, and what exact time made of it.
type Abstraction struct {
	// EarlyFirings counts the untimed timers the path fires before their
	// due time; Relies is EarlyFirings > 0.
	EarlyFirings int  `json:"early_firings"`
	Relies       bool `json:"relies_on_abstraction"`
	// Reproduced: the path replays with exact time and ends in the same
	// violation (for a lasso: back in the same exact state); Exact says
	// what happened otherwise.
	Reproduced bool   `json:"reproduced_exactly"`
	Exact      string `json:"exact_replay"`
}

// abstract reports whether o explores under the time abstraction.
func (o *Options) abstract() bool { return o.Time == TimeAbstract }

// untimedAbove is the stepped run's bound M (0: exact time).
func (o *Options) untimedAbove() sim.Millis {
	if !o.abstract() {
		return 0
	}
	if o.UntimedAboveMillis > 0 {
		return sim.Millis(o.UntimedAboveMillis)
	}
	return DefaultUntimedAbove
}

// checkTime reports a bad Options.Time or bound.
func (o *Options) checkTime() error {
	switch o.Time {
	case "", TimeExact, TimeAbstract:
	default:
		return fmt.Errorf("time %q is neither %s nor %s", o.Time, TimeExact, TimeAbstract)
	}
	if o.UntimedAboveMillis < 0 {
		return fmt.Errorf("the untimed bound %d ms must not be negative", o.UntimedAboveMillis)
	}
	return nil
}

// fairCycle reports whether the cycle the depth-first search just closed,
// from the stack's frame of fp to the top and back to r's state, keeps
// one untimed timer armed all along (the same pending event enabled at
// every state of it): under weak fairness no such cycle is a lasso. Never
// in exact time.
func (e *explorer) fairCycle(r *sim.Runner, stack []frame, fp sim.Fingerprint) bool {
	if !e.o.abstract() {
		return false
	}
	var armed []uint64
	for _, c := range r.Enabled(nil) {
		if c.Untimed {
			armed = append(armed, c.Seq)
		}
	}
	for k := len(stack) - 1; k >= 0 && len(armed) > 0; k-- {
		f := &stack[k]
		armed = slices.DeleteFunc(armed, func(seq uint64) bool {
			return !slices.ContainsFunc(f.choices, func(c sim.Choice) bool { return c.Untimed && c.Seq == seq })
		})
		if f.fp == fp {
			break
		}
	}
	return len(armed) > 0
}

// cycleStart is the depth of the stack's frame of fp.
func (e *explorer) cycleStart(stack []frame, fp sim.Fingerprint) int {
	for k := range stack {
		if stack[k].fp == fp {
			return stack[k].depth
		}
	}
	return 0
}

// judgeAbstraction fills res's Time and, for a violation or a Reach path
// found under the time abstraction, Abstraction: whether the path fires an
// untimed timer early, and whether it replays with exact time to the same
// end. lassoFrom is where a lasso's cycle starts.
func (o Options) judgeAbstraction(res *Result, lassoFrom int) error {
	if !o.abstract() {
		return nil
	}
	res.Time = &TimeUsed{Mode: TimeAbstract, UntimedAboveMillis: int64(o.untimedAbove())}
	if res.Violation == nil && res.Reached == "" {
		return nil
	}
	r, err := o.Runner(false)
	if err != nil {
		return err
	}
	if err := o.Replay(r, res.Path); err != nil {
		return fmt.Errorf("the counterexample does not replay under the abstraction: %w", err)
	}
	a := &Abstraction{EarlyFirings: r.EarlyFirings()}
	a.Relies = a.EarlyFirings > 0
	a.Reproduced, a.Exact, err = o.exactReplay(res, lassoFrom)
	if err != nil {
		return err
	}
	res.Abstraction = a
	return nil
}

// exactReplay takes res's path with exact time, each step required to be
// one exact time enables, and reports whether it ends as res does.
func (o Options) exactReplay(res *Result, lassoFrom int) (bool, string, error) {
	x := o
	x.Time, x.UntimedAboveMillis = TimeExact, 0
	r, err := x.Runner(false)
	if err != nil {
		return false, "", err
	}
	if err := x.Replay(r, nil); err != nil {
		return false, "", err
	}
	var cycle sim.Fingerprint
	var buf []sim.Choice
	for i, s := range res.Path {
		if res.Violation != nil && res.Violation.Invariant == InvLasso && i == lassoFrom {
			cycle = r.FingerprintExact()
		}
		buf = r.Enabled(buf)
		if !slices.ContainsFunc(buf, func(c sim.Choice) bool { return c.Seq == s.Seq && c.Fault == s.Fault }) {
			return false, fmt.Sprintf("not a path with exact time: step %d (event %d) is not enabled there", i+1, s.Seq), nil
		}
		if err := r.Take(sim.Choice{Seq: s.Seq, Fault: s.Fault}); err != nil {
			return false, "", fmt.Errorf("exact replay, step %d: %w", i+1, err)
		}
	}
	if res.Violation != nil && res.Violation.Invariant == InvLasso {
		if r.FingerprintExact() == cycle {
			return true, "reproduced: the exact run comes back to the same state", nil
		}
		return false, "not reproduced: with exact time the cycle's end is not the state it started from (time moved on)", nil
	}
	v := x.stop(r)
	if v == nil && len(r.Enabled(nil)) == 0 {
		v = r.Finish().Violation
	}
	want := reachInvariant
	if res.Violation != nil {
		want = res.Violation.Invariant
	}
	switch {
	case v == nil:
		return false, "not reproduced: the path replays with exact time without the violation", nil
	case v.Invariant != want:
		return false, fmt.Sprintf("not reproduced: with exact time the path ends in %s instead", v.Invariant), nil
	}
	return true, "reproduced: " + v.Invariant + " with exact time", nil
}
