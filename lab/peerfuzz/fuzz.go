// Package peerfuzz fuzzes another implementation of the secure channel
// differentially: generated op sequences (handshakes in both roles, seal
// and open, payloads tampered, truncated, extended, replayed, reordered,
// reflected, moved between sessions, under wrong AAD or keys, malformed
// base64 and lines) run against a peer speaking the JSON-lines protocol
// (lab/peer/PROTOCOL.md, version 2) and against the model side by side.
// A disagreement is shrunk to a shortest sequence, written as a
// reproducer and classified against a table of known departures.
package peerfuzz

import (
	"fmt"
	"math/rand/v2"
	"time"

	"qrlab/lab/peer"
	"qrlab/model/channel"
)

// Options configure a run.
type Options struct {
	Construction channel.Construction
	Seed         uint64
	Budget       time.Duration // generate sequences until it is spent
	Runs         int           // or exactly this many (when > 0)
	Length       int           // steps per generated sequence (default 24)
	AAD          bool          // the peer takes additional data (from hello)
	Corpus       []Entry       // replayed first
	MaxFindings  int           // stop after this many disagreement classes (default 20)
}

// Finding is one class of disagreement with its shortest reproducer.
type Finding struct {
	Class string   `json:"class"`
	Known *Known   `json:"known,omitempty"`
	Seed  uint64   `json:"seed"`
	Run   int      `json:"run"`
	Steps []Step   `json:"steps"`
	At    int      `json:"at"` // the step that disagreed
	Peer  Obs      `json:"peer"`
	Model Obs      `json:"model"`
	Trace []string `json:"trace"` // each step: what the peer and the model did
	Lines []string `json:"peer_transcript"`
	Count int      `json:"count"` // how many runs showed this class
}

// Result sums a run up.
type Result struct {
	Runs, Steps, Ops int
	Elapsed          time.Duration
	Findings         []*Finding
	NewCorpus        []Entry // sequences that showed a behaviour not seen before
}

// New is the number of findings that match no known departure.
func (r *Result) New() int {
	n := 0
	for _, f := range r.Findings {
		if f.Known == nil {
			n++
		}
	}
	return n
}

// Fuzzer holds the two peers of a differential run.
type Fuzzer struct {
	subject Conn
	model   Conn
	cfg     channel.Config
	seed    uint64
	next    int // sessions' name prefix counter
	ops     int
}

// NewFuzzer compares subject with the model of construction c; the
// model's and the counterparts' keys come from seed.
func NewFuzzer(subject Conn, c channel.Construction, seed uint64) *Fuzzer {
	cfg := channel.DefaultConfig(c)
	return &Fuzzer{
		subject: subject,
		model:   Local{peer.NewMux(cfg, nil, rand.NewChaCha8(seedBytes(seed, 0)))},
		cfg:     cfg,
		seed:    seed,
	}
}

func seedBytes(seed uint64, label byte) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	s[8] = label
	return s
}

// outcome is the first disagreement of a sequence, if any.
type outcome struct {
	at           int
	peer, model  Obs
	lines        []string
	behaviours   []string
	trace        []string
	obs          [][2]Obs // per step run: the peer's and the model's
	disagreement bool
}

// class names a disagreement by the step, its mutation and what each side
// did.
func (o outcome) class(steps []Step) string {
	st := steps[o.at]
	k := st.Kind
	if st.Mut != "" {
		k += "[" + st.Mut + "]"
	}
	return fmt.Sprintf("%s: peer %s, model %s", k, describe(o.peer), describe(o.model))
}

func describe(o Obs) string {
	switch {
	case o.Skip:
		return "skipped"
	case o.Code != "":
		return "code " + o.Code
	}
	switch o.Outcome {
	case "accept":
		return "accepts"
	case "refuse":
		return "refuses"
	case "crash":
		return "crashes"
	case "timeout":
		return "hangs"
	}
	return "breaks the protocol"
}

// Exec runs steps against both sides in lockstep and stops at the first
// disagreement.
func (f *Fuzzer) Exec(steps []Step) outcome {
	f.next++
	prefix := fmt.Sprintf("r%d", f.next)
	cr := rand.NewChaCha8(seedBytes(f.seed, 1))
	cr2 := rand.NewChaCha8(seedBytes(f.seed, 1))
	a := &world{conn: f.subject, cfg: f.cfg, rand: cr, prefix: prefix, sessions: map[int]*session{}, pool: map[int]*string{}}
	b := &world{conn: f.model, cfg: f.cfg, rand: cr2, prefix: prefix, sessions: map[int]*session{}, pool: map[int]*string{}}
	defer a.closeAll()
	defer b.closeAll()
	var o outcome
	for i, st := range steps {
		pa, pb := a.step(st), b.step(st)
		if !pa.Skip {
			f.ops++
		}
		o.obs = append(o.obs, [2]Obs{pa, pb})
		if pa.Effect != pb.Effect {
			// The mutation did different things to the two sides' bytes:
			// the step is not comparable, and the states may part here.
			return o
		}
		o.behaviours = append(o.behaviours, behaviour(st, pa))
		o.trace = append(o.trace, fmt.Sprintf("%d %s: peer %s, model %s", st.ID, st.Kind, traceObs(pa), traceObs(pb)))
		if !same(pa, pb) || (pa.Outcome != "accept" && pa.Outcome != "refuse" && !pa.Skip) {
			o.at, o.peer, o.model, o.lines, o.disagreement = i, pa, pb, a.lines, true
			return o
		}
	}
	return o
}

func traceObs(o Obs) string {
	s := describe(o)
	if o.Effect != "" {
		s += " (" + o.Effect + ")"
	}
	if o.Detail != "" {
		s += ": " + o.Detail
	}
	return s
}

func behaviour(st Step, o Obs) string {
	return fmt.Sprintf("%s/%s/%s", st.Kind, st.Mut, describe(o))
}
