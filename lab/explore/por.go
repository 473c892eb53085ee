package explore

import (
	"fmt"
	"slices"

	"qrlab/sim"
)

// Partial-order reduction: sleep sets (Godefroid) in the depth-first
// search, over the stepped run's independence relation
// (sim.Independent: which pairs of choices commute, and why).
//
// At a state s explored with sleep set Z, the choices in Z are not taken:
// each was taken at an ancestor, before the path took choices that are all
// independent of it, so its successor here was reached by the other order.
// A child s·t gets the sleep set {z in Z, or taken at s before t : z and t
// independent}. Sleep sets cut transitions, not states: every state the
// plain search reaches is reached, and the counts of distinct states and
// endings are the same.
//
// With the visited set, a state met again is skipped only when the sleep
// set it was explored with is a subset of the one it is met with now (the
// choices it left out then are left out now too); otherwise the choices
// it slept on then and does not now are taken, and what is kept for it is
// the intersection of the two sets (Godefroid's state-caching rule; the
// form used here is unverified against a text: derived from the sleep-set
// invariant). Sleep sets are kept per state by the choices' keys
// (sim.Access.Key: an event's content, not its sequence number, which
// differs from path to path).
//
// The search stops at a state where both devices ended, and the relation
// is checked on states where the run goes on; so a choice that changes
// whether a device has ended (or stops the run) is never put to sleep,
// and its child starts with an empty sleep set: a choice asleep at a
// state then cannot be the one that ends the run there, which the other
// order could not reach past the stop.
//
// Breadth-first and random-walk searches do not reduce (Options.POR needs
// Mode dfs).

// The reductions Options.POR names.
const (
	PORNone  = "none"
	PORSleep = "sleep"
)

// por is a depth-first search's partial-order state.
type por struct {
	// sleepOf holds, for every state explored with a non-empty sleep set,
	// the set's keys, sorted.
	sleepOf map[sim.Fingerprint][]uint64
	// slept counts the choices left out as asleep; again the states
	// explored again because they were met with a smaller sleep set.
	slept, again int
}

func newPOR() *por { return &por{sleepOf: map[sim.Fingerprint][]uint64{}} }

// porFrame is one depth-first frame's reduction state.
type porFrame struct {
	acc   []sim.Access // each choice's access, at this state
	sleep []sim.Access // the choices asleep here
	done  []sim.Access // choices taken here that later siblings may sleep on
	// only, on a state explored again, holds the keys of the choices to
	// take (those asleep at the earlier visit and awake now).
	only map[uint64]bool
	// ended: whether each device had ended at this state.
	ended [2]bool
}

// endedOf says whether each device of r has ended.
func endedOf(r *sim.Runner) [2]bool {
	n, e := r.States()
	return [2]bool{n.Terminal(), e.Terminal()}
}

// frame describes the state r is in, with choices enabled, reached with
// sleep set sleep (as described at its parent; refreshed here, and a
// choice no longer enabled dropped).
func (p *por) frame(r *sim.Runner, choices []sim.Choice, sleep []sim.Access) (*porFrame, error) {
	f := &porFrame{acc: make([]sim.Access, len(choices)), ended: endedOf(r)}
	for i, c := range choices {
		a, err := r.Access(c)
		if err != nil {
			return nil, fmt.Errorf("partial-order reduction: %w", err)
		}
		f.acc[i] = a
		if slices.ContainsFunc(sleep, func(z sim.Access) bool { return z.Seq == c.Seq && z.Fault == c.Fault }) {
			f.sleep = append(f.sleep, a)
		}
	}
	return f, nil
}

// keys returns the sorted keys of f's sleep set.
func (f *porFrame) keys() []uint64 {
	out := make([]uint64, len(f.sleep))
	for i, z := range f.sleep {
		out[i] = z.Key
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// skip reports whether choice j is left out here.
func (f *porFrame) skip(j int) bool {
	a := f.acc[j]
	if f.only != nil && !f.only[a.Key] {
		return true
	}
	return slices.ContainsFunc(f.sleep, func(z sim.Access) bool { return z.Seq == a.Seq && z.Fault == a.Fault })
}

// took records that choice j was taken; changed says that it changed
// whether a device has ended (or stopped the run). It returns the child's
// sleep set, as described here.
func (f *porFrame) took(j int, changed bool) []sim.Access {
	if changed {
		return nil
	}
	t := f.acc[j]
	var out []sim.Access
	for _, z := range f.sleep {
		if sim.Independent(z, t) {
			out = append(out, z)
		}
	}
	for _, z := range f.done {
		if sim.Independent(z, t) {
			out = append(out, z)
		}
	}
	f.done = append(f.done, t)
	return out
}

// seen decides, for a state met again at no smaller depth with frame f
// (its sleep set as met now), whether to explore it again; if so, f is
// set to take only the choices that slept at the earlier visit and do not
// now, and f's sleep set and the state's kept one become the
// intersection.
func (p *por) seen(fp sim.Fingerprint, f *porFrame) bool {
	old := p.sleepOf[fp]
	now := f.keys()
	var only []uint64
	for _, k := range old {
		if _, in := slices.BinarySearch(now, k); !in {
			only = append(only, k)
		}
	}
	if len(only) == 0 {
		return false // every choice left out then is left out now
	}
	p.again++
	f.only = map[uint64]bool{}
	for _, k := range only {
		f.only[k] = true
	}
	f.sleep = slices.DeleteFunc(f.sleep, func(z sim.Access) bool {
		_, in := slices.BinarySearch(old, z.Key)
		return !in
	})
	p.keep(fp, f)
	return true
}

// sleepCovers reports whether the sleep set visited state v was explored
// with leaves out nothing that is enabled and awake at the state of frame
// f (budget subsumption: subsume.go says why choices not enabled here do
// not matter).
func (p *por) sleepCovers(v sim.Fingerprint, f *porFrame) bool {
	old := p.sleepOf[v]
	if len(old) == 0 {
		return true
	}
	now := f.keys()
	for _, k := range old {
		if _, in := slices.BinarySearch(now, k); in {
			continue
		}
		if slices.ContainsFunc(f.acc, func(a sim.Access) bool { return a.Key == k }) {
			return false
		}
	}
	return true
}

// keep records the sleep set state fp is explored with.
func (p *por) keep(fp sim.Fingerprint, f *porFrame) {
	if len(f.sleep) == 0 {
		delete(p.sleepOf, fp)
		return
	}
	p.sleepOf[fp] = f.keys()
}
