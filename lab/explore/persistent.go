package explore

import (
	"fmt"
	"slices"

	"qrlab/sim"
)

// Persistent sets (Godefroid's persistent sets, Valmari's stubborn sets)
// in the depth-first search: at a state s only a subset T of the enabled
// choices is taken, so states are cut, not only transitions as with sleep
// sets. Opt-in (Options.POR = PORPersistent, depth first, exact time).
//
// What the search checks, and what a reduction must keep:
//
//   - Safety: after every step, Options.stop reads the run's violation
//     (sim.Runner.Violation) and, with Options.Reach, the devices'
//     endings. Both are sticky: a monitor that judges a step records the
//     first violation in the run's result, and from then on the run is
//     stopped (sim.Runner.Stopped: nothing is enabled); an ending, once
//     set, stays. So a violation is never judged at an intermediate state
//     only: the violating state is a dead end of the graph, and finding
//     every violation the plain search finds is finding every dead end it
//     reaches that carries one. With Options.Reach the search stops at a
//     state whose ending matches while the run could go on; the ending
//     stays in every later state, so every dead end after it carries it,
//     and a search that keeps the dead ends meets the ending on the way to
//     one.
//   - End-of-run checks (Finish) are made at ended states: dead ends too.
//   - Endings and the device's states reached (the summary's coverage)
//     are a record of every state on the way. Persistent sets keep every
//     dead end (below) but may skip intermediate states, so the coverage a
//     reduced search reports is of the states it met; it is not promised
//     to equal the plain search's, and the tests do not require it.
//   - Lassos: the search reports a path that comes back to a state on the
//     stack. With persistent sets a cycle can be closed while choices
//     outside T are never taken anywhere on it (the "ignoring" problem);
//     the cycle proviso below expands such a state fully.
//
// So the reduction must keep every reachable ended state, and reach a
// violation wherever the plain search reaches one (and the lassos, under
// the proviso). The condition on T at s (persistence): along every
// sequence of choices from s that takes no choice of T and records no
// violation before its last choice, each choice taken is independent of
// every choice of T, where independent also means it neither disables nor
// enables it. Then every ended state reachable from s is reachable
// through a choice of T first (Godefroid 1996, the deadlock theorem of
// persistent sets; stated here from the argument, not checked against the
// text: every choice of T stays enabled along the sequence, so the
// sequence does not end in a dead end before one of T is taken, and the
// first one of T taken commutes to the front; the ended state has no
// violation, so no step on the way recorded one).
//
// Violations. A step that records a violation stops the run, so it would
// disable T; instead of putting every such step into T, the search keeps
// reaching some violation: let w·x lead from s to a violation (w records
// none, x does; no choice of w or x in T). Take t in T: it stays enabled
// along w (w does not stop the run: it records no violation, and it does
// not end the last device, rule 2), and it is independent of every choice
// of w and of x. Either t·w' records a violation on the way (w' a prefix
// of w), or t·w reaches the state w·t, where x is enabled and records the
// violation it records after w: whether a step records a violation is
// decided by the monitors' records the step reads, and a choice
// independent of it writes none of those (independent.go states the
// relation over the monitors' records too). Either way a violation is
// reached from s·t in no more steps than from s, and by induction on that
// number the reduced search meets one. What it promises is a violation,
// not the same violating states: the one met can be in another state, and
// of another invariant when two lie on one path (TestPersistentSameDeadEnds
// compares the invariants met).
//
// Keys. Persistence asks more than the deadlock argument uses (Valmari's
// stubborn sets state the weaker pair of conditions; unverified against
// the text, derived here): (D1) a choice t of T taken after a sequence w
// outside T can be taken first, t·w reaching the state w·t; (D2) some
// choice k of T, the key, stays enabled along every such w. The argument
// above needs only these: k rules out a dead end or a violation reached
// without T (k is still enabled there, and independent of the violating
// step), and D1 moves the first choice of T on the way to the front. So a
// pair where taking the one outside T can only disable the one in T
// (never enable it) and which commutes whenever both orders can be taken
// need not join, unless the one in T is the only key. Two losses, or two
// duplications, on two exchanges are such pairs (sim.IndependentButBudget:
// they share a budget). The key is a choice of T without a fault (a
// delivery or an event at its own time): a fault's delivery joins with it
// (rule 1), and such a choice is strongly independent of every choice
// outside T, so nothing outside disables it. choose checks T holds one.
//
// How T is computed, at s, from one seed choice, closing over:
//
//  1. the enabled choices the relation calls dependent with a choice of T
//     (sim.IndependentButBudget: sim.Independent, but for budget pairs,
//     above; every choice on the same pending event among them: its
//     delivery, loss and duplication);
//  2. when a device has ended, every enabled choice that can step a
//     machine (sim.Access.StepsMachine: an answer reaching a device, an
//     event at its own time): it may end the last device, and a run
//     stopped so has nothing enabled, so it disables T. A step that
//     records a violation also stops the run; the argument above covers
//     it without this rule. No step steps both machines, so while neither
//     device has ended no step ends the run this way;
//  3. every enabled choice that can bring about (sim.Leads: push, at once
//     or through what it pushes) an event whose choices are dependent with
//     one of T (sim.DependentOnLeadButBudget): such an event is enabled as soon as
//     it is pushed (a message may arrive at latency 0, a cancel is pushed
//     at now), so it can be taken outside T before T;
//  4. for every pending event at its own time that is not enabled yet
//     (sim.Runner.Waiting) and is dependent with one of T: a choice of T
//     due before it must stay pending; if T has none, the enabled choice
//     due first joins T (a fixed event is enabled only at the least
//     pending time, so it waits while an earlier event of T is pending;
//     choices of T stay pending along any sequence outside T, by rules 1
//     and 2).
//
// Enabledness under exact time (sim/step.go, Enabled): a message stays
// enabled until it is taken (delivered, lost, duplicated: its copy is a
// new event) or the run stops; a fixed event is enabled only at the least
// pending time. So taking or losing an earlier message can enable a fixed
// event (rule 4), never disable one, and a delivery can disable one (it
// pushes an earlier message, or its step cancels the timer); a fixed event
// and a delivery are dependent in the relation anyway (the fixed event
// moves the clock, which changes the delivered message's server time and
// its answer's due time).
//
// Every seed is tried and the smallest T taken (ties: the first seed).
// Where T is a proper subset, it is mostly an answer on an exchange
// already done (a duplicate's second answer: sim.Independent, accInert),
// which is independent of everything on other exchanges. Elsewhere the
// sets are still every enabled choice, by rule 1 for what it relates and
// by rule 3 (TestPersistentCatchesBroken: without it, states are cut and
// ended states missed): any two answers (they may both draw the user's
// stream or write the user's record), a fixed event and any delivery (it
// moves the clock), two requests to one server, and what every delivery
// brings about, through an answer, requests to every server, other
// answers and fixed events. persistent.why counts, for each choice but
// the seed, the rule and the pair of classes that put it in its set
// (TestPersistentWhy); the README ("Persistent sets") gives the figures.
//
// Cycle proviso (C3): when a choice of T taken at a state on the stack
// leads back to a state on the stack, the state's other choices are
// taken too (the stack proviso of Holzmann and Peled; unverified against
// their text). Under exact time the search reports such a cycle as a
// lasso and stops, so the proviso only acts where a test hook lets the
// search go on; it is kept so that the reduction does not depend on that.
//
// Persistent sets are not combined with sleep sets or budget subsumption
// (each has its own argument; the combination is not argued here), nor
// with the time abstraction (its untimed events follow other rules).

// PORPersistent names the persistent-set reduction.
const PORPersistent = "persistent"

// persistent is a depth-first search's persistent-set state.
type persistent struct {
	// reduced counts the states expanded with a proper subset, cut the
	// choices left out at them, proviso the states expanded fully by the
	// cycle proviso.
	reduced, cut, proviso int
	// sets counts the states a set was computed for.
	sets int
	// drop leaves rules out (tests and measurements only: unsound sets,
	// which the tests must catch; dropAll is a set computed from the
	// enabled choices and the relation alone).
	drop rule
	wait []sim.Choice
	// why counts, over the sets taken, why each choice but the seed
	// joined its set (the rule and the classes of the choices it relates).
	why map[string]int
	// mayEnd: a device has ended at the state the set is computed for, so
	// a step of the other one may end the run.
	mayEnd bool
}

// rule is a set of the closure's rules 2 to 4.
type rule uint8

const (
	ruleStop rule = 1 << iota // 2: a choice that may stop the run
	ruleLead                  // 3: what a choice can bring about
	ruleWait                  // 4: fixed events waiting for earlier ones
	// ruleLeadFixed: in rule 3, the fixed events a choice brings about
	// (and what they bring about); dropped, rule 3 uses sim.LeadsUntimed.
	ruleLeadFixed
	// ruleSides, set: answers to two different clients are independent,
	// and a message's choice brings about messages of its own client only
	// (sim.IndependentSides; not argued, for measuring what that
	// refinement could buy).
	ruleSides
	dropAll = ruleStop | ruleLead | ruleWait
)

// choose returns choices split into T (in the order given) and the rest,
// for the state r is in.
func (p *persistent) choose(r *sim.Runner, choices []sim.Choice) (set, rest []sim.Choice, err error) {
	p.sets++
	n := len(choices)
	if n <= 1 {
		return choices, nil, nil
	}
	acc := make([]sim.Access, n)
	leads := make([]sim.Lead, n)
	for i, c := range choices {
		if acc[i], err = r.Access(c); err != nil {
			return nil, nil, fmt.Errorf("persistent set: %w", err)
		}
		leads[i] = sim.Leads(acc[i])
		if p.drop&ruleLeadFixed != 0 {
			leads[i] = sim.LeadsUntimed(acc[i])
		}
	}
	var ok bool
	p.wait, ok = r.Waiting(p.wait)
	if !ok {
		return nil, nil, fmt.Errorf("persistent set: the time abstraction is not supported")
	}
	wacc := make([]sim.Access, len(p.wait))
	for i, c := range p.wait {
		if wacc[i], err = r.Access(c); err != nil {
			return nil, nil, fmt.Errorf("persistent set: %w", err)
		}
	}
	n0, e0 := r.States()
	p.mayEnd = n0.Terminal() || e0.Terminal()
	var best []bool
	var bestWhy []string
	bestN := n + 1
	in := make([]bool, n)
	why := make([]string, n)
	for seed := range n {
		clear(in)
		k := p.closure(choices, acc, leads, wacc, seed, in, why)
		if k < bestN {
			best, bestN, bestWhy = slices.Clone(in), k, slices.Clone(why)
		}
	}
	if p.why == nil {
		p.why = map[string]int{}
	}
	for _, w := range bestWhy {
		if w != "" {
			p.why[w]++
		}
	}
	key := false
	for i, c := range choices {
		key = key || best[i] && c.Fault == sim.FaultNone
	}
	if !key { // never so: a fault's delivery joins by rule 1
		return nil, nil, fmt.Errorf("persistent set: no delivery or event at its own time in the set (no key choice)")
	}
	for i, c := range choices {
		if best[i] {
			set = append(set, c)
		} else {
			rest = append(rest, c)
		}
	}
	if len(rest) > 0 {
		p.reduced++
		p.cut += len(rest)
	}
	return set, rest, nil
}

// closure grows T = {seed} (in, by index) by rules 1 to 4 and returns its
// size; why[u] says why choice u joined (empty: the seed, or not in T).
func (p *persistent) closure(choices []sim.Choice, acc []sim.Access, leads []sim.Lead, wacc []sim.Access, seed int, in []bool,
	why []string) int {
	in[seed] = true
	clear(why)
	work := []int{seed}
	k := 1
	var reason string
	add := func(u int) {
		if !in[u] {
			in[u], k = true, k+1
			work = append(work, u)
			why[u] = reason
		}
	}
	for len(work) > 0 {
		t := work[len(work)-1]
		work = work[:len(work)-1]
		for u := range choices {
			if in[u] {
				continue
			}
			switch {
			case acc[u].SameEvent(acc[t]):
				reason = "1 same event"
				add(u)
			case !p.independent(acc[t], acc[u]): // rule 1
				reason = "1 dependent " + pairName(acc[u], acc[t])
				add(u)
			case p.drop&ruleStop == 0 && p.mayEnd && acc[u].StepsMachine(): // rule 2
				reason = "2 may stop " + choiceName(acc[u])
				add(u)
			case p.drop&ruleLead == 0 && p.dependentOnLead(acc[t], leads[u], acc[u]): // rule 3
				reason = "3 brings about " + pairName(acc[u], acc[t])
				add(u)
			}
		}
		if p.drop&ruleWait != 0 {
			continue
		}
		for i, w := range wacc { // rule 4
			if sim.Independent(acc[t], w) {
				continue
			}
			at := p.wait[i].At
			blocked := false
			least := -1
			for u, c := range choices {
				if c.At >= at {
					continue
				}
				if in[u] {
					blocked = true
					break
				}
				if least < 0 || c.At < choices[least].At {
					least = u
				}
			}
			if !blocked && least >= 0 {
				reason = "4 waits " + pairName(acc[least], w)
				add(least)
			}
		}
	}
	return k
}

// independent is the relation rules 1 and 3 read: sim.IndependentButBudget
// (a pair of losses, or of duplications, is left apart: see Keys above);
// with ruleSides, the measuring relation.
func (p *persistent) independent(a, b sim.Access) bool {
	if p.drop&ruleSides != 0 {
		return sim.IndependentSides(a, b)
	}
	return sim.IndependentButBudget(a, b)
}

func (p *persistent) dependentOnLead(t sim.Access, l sim.Lead, u sim.Access) bool {
	if p.drop&ruleSides != 0 {
		return sim.DependentOnLeadSide(t, l, u)
	}
	return sim.DependentOnLeadButBudget(t, l)
}

// choiceName names a choice's class and fault, for why.
func choiceName(a sim.Access) string {
	switch a.Fault {
	case sim.FaultLose:
		return a.ClassName() + "(loss)"
	case sim.FaultDuplicate:
		return a.ClassName() + "(dup)"
	}
	return a.ClassName()
}

// pairName names the choice that joined and the one of T it relates to.
func pairName(u, t sim.Access) string { return choiceName(u) + " for " + choiceName(t) }
