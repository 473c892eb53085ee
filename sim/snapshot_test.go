package sim

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// snapCase is one stepped configuration the snapshot tests walk.
type snapCase struct {
	variant   string
	intent    qr.Intent
	adv       []string
	loss, dup int
	// resets and careless: the reset budget and the careless user's
	// decisions as choices (step_user.go, step_reset.go).
	resets   int
	careless bool
}

var snapCases = []snapCase{
	{"msc4388", qr.Login, nil, 1, 1, 0, false},
	{"msc4388", qr.Reciprocate, nil, 1, 0, 0, false},
	{"msc4108-2024", qr.Login, nil, 0, 1, 0, false},
	{"msc4108-2025", qr.Reciprocate, nil, 1, 1, 0, false},
	{"txn-put", qr.Login, nil, 2, 0, 0, false},
	{"rust-sdk-main", qr.Login, nil, 1, 1, 0, false},
	{"msc4388", qr.Login, []string{"shoulder-surfer"}, 1, 0, 0, false},
	{"msc4388", qr.Reciprocate, []string{"malicious-rendezvous"}, 0, 1, 0, false},
	{"msc4108-2024", qr.Login, []string{"remote-phishing"}, 1, 0, 0, false},
	{"msc4388", qr.Login, nil, 0, 0, 1, true},
	{"msc4108-2024", qr.Reciprocate, nil, 1, 0, 1, true},
	{"msc4388", qr.Login, []string{"account-confusion"}, 0, 0, 0, true},
}

// start begins sc's stepped run of seed on r.
func (sc snapCase) start(r *Runner, seed uint64) error {
	return r.StartStepped(seed, Stepping{Loss: sc.loss, Dup: sc.dup, Resets: sc.resets, Careless: sc.careless})
}

func (sc snapCase) runner(t *testing.T) *Runner {
	t.Helper()
	r, err := NewRunner(Config{Variant: variant.MustLoad(sc.variant), Intent: sc.intent, Network: stepNet(t),
		Transport: stepTransport, Adversaries: sc.adv})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// observed is what a stepped run shows after a step: its fingerprint,
// its choices, whether it stopped and how.
type observed struct {
	fp      Fingerprint
	choices []Choice
	stopped bool
	viol    string
	n, e    string
	// trace is the trace's hash, at the end of the run.
	trace string
}

func observe(r *Runner) observed {
	fp, _ := r.Fingerprint()
	o := observed{fp: fp, choices: append([]Choice(nil), r.Enabled(nil)...), stopped: r.Stopped()}
	if v := r.Violation(); v != nil {
		o.viol = v.Invariant + ": " + v.Detail
	}
	n, e := r.Endings()
	o.n, o.e = n.Outcome+"/"+n.Reason, e.Outcome+"/"+e.Reason
	return o
}

// follow takes the choices at the given picks (index modulo the choices)
// from r's state, observing every state it reaches, and the end-of-run
// result where the run can go no further.
func follow(t *testing.T, r *Runner, picks []int) []observed {
	t.Helper()
	var out []observed
	for _, p := range picks {
		cs := r.Enabled(nil)
		if len(cs) == 0 {
			res := r.Finish()
			o := observed{n: res.New.Outcome, e: res.Existing.Outcome, trace: res.TraceHash}
			if res.Violation != nil {
				o.viol = res.Violation.Invariant
			}
			return append(out, o)
		}
		if err := r.Take(cs[p%len(cs)]); err != nil {
			t.Fatal(err)
		}
		out = append(out, observe(r))
	}
	return out
}

// TestSnapshotRestoreMatchesReplay: over random paths of several presets,
// intents, adversaries and fault budgets, a state restored from a snapshot
// and one reached by replaying its path from the start have the same
// fingerprint, the same choices and the same future (the states, choices
// and endings of a random continuation); and restoring does not alias:
// stepping the restored run never changes the snapshot, which restores to
// the same state again.
func TestSnapshotRestoreMatchesReplay(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 18))
	for _, sc := range snapCases {
		live, replay := sc.runner(t), sc.runner(t)
		for walk := range 3 {
			seed := uint64(1 + walk%2)
			if err := sc.start(live, seed); err != nil {
				t.Fatal(err)
			}
			var path []Choice
			for depth := 0; ; depth++ {
				cs := live.Enabled(nil)
				if len(cs) == 0 {
					break
				}
				if rng.IntN(8) == 0 {
					snap, err := live.Snapshot()
					if err != nil {
						t.Fatalf("%v: %v", sc, err)
					}
					at := observe(live)
					picks := make([]int, 12)
					for i := range picks {
						picks[i] = rng.IntN(8)
					}
					a := follow(t, live, picks)
					// Restored, twice: the first continuation must not have
					// touched the snapshot.
					for range 2 {
						if err := live.Restore(snap); err != nil {
							t.Fatal(err)
						}
						if got := observe(live); !reflect.DeepEqual(got, at) {
							t.Fatalf("%v seed %d depth %d: restored state differs from the snapshot's\n%+v\n%+v", sc, seed, depth, got, at)
						}
						if b := follow(t, live, picks); !reflect.DeepEqual(a, b) {
							t.Fatalf("%v seed %d depth %d: continuation after restore differs%s", sc, seed, depth, firstDiff(a, b))
						}
					}
					// Replayed from the start.
					if err := sc.start(replay, seed); err != nil {
						t.Fatal(err)
					}
					for _, c := range path {
						if err := replay.Take(c); err != nil {
							t.Fatal(err)
						}
					}
					if got := observe(replay); !reflect.DeepEqual(got, at) {
						t.Fatalf("%v seed %d depth %d: replayed state differs from the live one\n%+v\n%+v", sc, seed, depth, got, at)
					}
					if b := follow(t, replay, picks); !reflect.DeepEqual(a, b) {
						t.Fatalf("%v seed %d depth %d: continuation after replay differs%s", sc, seed, depth, firstDiff(a, b))
					}
					if err := live.Restore(snap); err != nil {
						t.Fatal(err)
					}
					cs = live.Enabled(nil)
				}
				c := cs[rng.IntN(len(cs))]
				if err := live.Take(c); err != nil {
					t.Fatal(err)
				}
				path = append(path, c)
			}
		}
	}
}

// TestSnapshotOwner: a snapshot restores only on the runner that took it,
// and only stepped runs have them; both are errors, not panics.
func TestSnapshotOwner(t *testing.T) {
	sc := snapCases[0]
	a, b := sc.runner(t), sc.runner(t)
	if _, err := a.Snapshot(); err == nil {
		t.Fatal("a snapshot of a runner that never started a stepped run")
	}
	if err := a.Start(1, 0, 0); err != nil {
		t.Fatal(err)
	}
	s, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(s); err == nil {
		t.Fatal("another runner restored the snapshot")
	}
	if err := a.Restore(nil); err == nil {
		t.Fatal("restored nil")
	}
}

// TestConstantsNeverChange: a value of constantTypes, which snapshots
// share and fingerprints leave out, is the same at every state of every
// random path of one runner and seed where it is present (encoded field by
// field by reflection, functions as present or absent), so it says nothing
// the rest of the state does not.
func TestConstantsNeverChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 18))
	for _, sc := range snapCases {
		r := sc.runner(t)
		for seed := range uint64(1) {
			known := map[string]string{}
			for range 2 {
				if err := r.Start(seed+1, sc.loss, sc.dup); err != nil {
					t.Fatal(err)
				}
				if n := len(constantsOf(r)); n < 4 {
					t.Fatalf("%v: only %d constants found", sc, n)
				}
				for step := 0; ; step++ {
					var found map[string]string
					if step%6 == 0 {
						found = constantsOf(r)
					}
					for at, enc := range found {
						if old, ok := known[at]; ok && old != enc {
							t.Fatalf("%v seed %d: the constant at %s changed", sc, seed+1, at)
						}
						known[at] = enc
					}
					cs := r.Enabled(nil)
					if len(cs) == 0 {
						break
					}
					if err := r.Take(cs[rng.IntN(len(cs))]); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}

// constantsOf returns the encodings of every constant-typed value reachable
// from r's state, by where they were reached.
var readMemoType = reflect.TypeFor[*rendezvous.ReadMemo]()

func constantsOf(r *Runner) map[string]string {
	out := map[string]string{}
	seen := map[uintptr]bool{}
	var walk func(at string, v reflect.Value)
	walk = func(at string, v reflect.Value) {
		if isConstant(v.Type()) {
			out[at] = v.Type().String() + " " + string(reflectEncode(nil, v))
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || v.Type() == runnerType || v.Type() == traceType || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(at, v.Elem())
		case reflect.Interface:
			if !v.IsNil() {
				walk(at, v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if isConstantField(v.Type(), i) {
					out[at+"."+v.Type().Field(i).Name] = string(reflectEncode(nil, v.Field(i)))
					continue
				}
				walk(at+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", at, i), v.Index(i))
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				k := string(reflectEncode(nil, it.Key()))
				walk(at+"{"+k+"}", it.Key())
				walk(at+"["+k+"]", it.Value())
			}
		}
	}
	st := r.live()
	walk("", reflect.ValueOf(&st).Elem())
	return out
}

// reflectEncode appends an encoding of v: numbers, strings, every element
// and field, maps in sorted order; functions as present or absent.
// A *rendezvous.ReadMemo counts as present or absent too: it is a cache of
// a pure function of the bytes a device reads (the devices' configurations
// carry the runner's), which changes no result.
func reflectEncode(b []byte, v reflect.Value) []byte {
	if v.Type() == readMemoType {
		return append(b, byte(boolInt(!v.IsNil())))
	}
	switch v.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return append(b, byte(boolInt(!v.IsNil())))
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, 0)
		}
		return reflectEncode(append(b, 1), v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			b = reflectEncode(b, v.Field(i))
		}
		return b
	case reflect.Slice, reflect.Array:
		b = append(b, byte(v.Len()))
		for i := range v.Len() {
			b = reflectEncode(b, v.Index(i))
		}
		return b
	case reflect.Map:
		var es []string
		it := v.MapRange()
		for it.Next() {
			es = append(es, string(reflectEncode(reflectEncode(nil, it.Key()), it.Value())))
		}
		slices.Sort(es)
		for _, e := range es {
			b = append(append(b, e...), 0xff)
		}
		return b
	case reflect.String:
		return append(append(b, v.String()...), 0)
	}
	// A number or a bool.
	switch v.Kind() {
	case reflect.Bool:
		return append(b, byte(boolInt(v.Bool())))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		return binary.AppendUvarint(b, math.Float64bits(v.Float()))
	}
	return append(b, v.Type().String()...)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// firstDiff describes where two continuations first differ.
func firstDiff(a, b []observed) string {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf(" at step %d:\n%+v\n%+v", i+1, a[i], b[i])
		}
	}
	return fmt.Sprintf(": %d and %d steps", len(a), len(b))
}

// TestRecycledSnapshots: snapshots handed back (Recycle) and written over
// by later ones, as a depth-first search does, leave every snapshot still
// held intact: over random paths, each held snapshot restores to the state
// it was taken in, with the same continuation as when it was taken.
func TestRecycledSnapshots(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 7))
	type held struct {
		snap *Snapshot
		at   observed
		cont []observed
		// picks are its continuation's choices.
		picks []int
	}
	reused := 0
	for i, sc := range snapCases {
		live := sc.runner(t)
		for walk := range 1 {
			if err := sc.start(live, uint64(1+i%2+walk)); err != nil {
				t.Fatal(err)
			}
			var stack []held
			for depth := 0; ; depth++ {
				switch k := rng.IntN(6); {
				case k == 0:
					before := len(live.spare)
					snap, err := live.Snapshot()
					if err != nil {
						t.Fatal(err)
					}
					if len(live.spare) < before {
						reused++
					}
					h := held{snap: snap, at: observe(live), picks: make([]int, 8)}
					for i := range h.picks {
						h.picks[i] = rng.IntN(8)
					}
					h.cont = follow(t, live, h.picks)
					if err := live.Restore(snap); err != nil {
						t.Fatal(err)
					}
					stack = append(stack, h)
				case k == 1 && len(stack) > 0:
					live.Recycle(stack[len(stack)-1].snap)
					stack = stack[:len(stack)-1]
				case k == 2 && len(stack) > 0:
					for range 2 {
						h := stack[rng.IntN(len(stack))]
						if err := live.Restore(h.snap); err != nil {
							t.Fatal(err)
						}
						if got := observe(live); !reflect.DeepEqual(got, h.at) {
							t.Fatalf("%v depth %d: a held snapshot restores to another state\n%+v\n%+v", sc, depth, got, h.at)
						}
						if got := follow(t, live, h.picks); !reflect.DeepEqual(got, h.cont) {
							t.Fatalf("%v depth %d: a held snapshot's continuation changed%s", sc, depth, firstDiff(h.cont, got))
						}
					}
					if err := live.Restore(stack[len(stack)-1].snap); err != nil {
						t.Fatal(err)
					}
				}
				cs := live.Enabled(nil)
				if len(cs) == 0 {
					break
				}
				if err := live.Take(cs[rng.IntN(len(cs))]); err != nil {
					t.Fatal(err)
				}
			}
			for _, h := range stack {
				live.Recycle(h.snap)
			}
		}
	}
	if reused == 0 {
		t.Fatal("no snapshot was taken over a recycled one")
	}
	t.Logf("%d snapshots written over recycled ones", reused)
}
