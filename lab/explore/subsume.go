package explore

import (
	"qrlab/sim"
)

// Budget subsumption (Options.Subsume): a state covered by a visited state
// with at least as much of every fault budget left is not explored.
//
// Premise. The fault budgets spent (losses, duplications, resets: what
// sim.Runner.Spent returns) are read by nothing in the run but the gating
// of fault choices: sim's Enabled lists a loss or duplication of a message
// only while that budget lasts, resets likewise, and Take and takeReset
// refuse a choice whose budget is spent. No machine, server, monitor,
// adversary or end-of-run check reads them (sim/fingerprint.go,
// FingerprintBudgets, names the reads). So take two states S and S' equal
// in everything but the budgets, S having spent u and S' having spent
// v <= u in every component. Every choice enabled at S is enabled at S'
// and has the same effect there, spending the same; a fault choice
// enabled at S' alone is a loss, duplication or reset of a message whose
// delivery is enabled at both, so S has no choice exactly when S' has
// none (the end-of-run checks judge both or neither), and by induction
// every path from S is a path from S' reaching states equal but for the
// budgets, S' having spent no more. S's futures (violations, endings,
// machine states and transitions) are among S''s: S need not be explored
// once S' was.
//
// The visited sets hold, per state, an identity made of the fingerprint
// without the budgets (sim.Runner.FingerprintBudgets off) and the vector
// spent, mixed into 128 bits (stateID); a state is covered when the
// identity of the same fingerprint with some vector v <= u, v != u, is in
// the set (at most (Loss+1)(Dup+1)(Resets+1) - 1 lookups: 3 with one loss
// and one duplicate). Each entry stays 16 bytes: one per explored
// (fingerprint, vector) pair, where the exact search has one per state.
//
// Breadth first: a level's candidates are checked against the levels
// before it in the workers, and again, in (parent, choice) order, against
// what the merge added so far, so the states kept and their count do not
// depend on the number of workers. A state pruned as covered lies at a
// depth no smaller than its cover's, so whatever it leads to within k
// steps its cover leads to within k steps too (the same path of choices):
// the shortest counterexample has the same length (the path found may
// differ, as may the faults it uses). A state covered by one at the same
// level is pruned too; a state with less spent found later is explored
// although the one with more is in the frontier already (it is not taken
// out).
//
// Depth first: the visited set keeps each identity's least depth, and a
// state at depth d is covered by an identity with v <= u at depth <= d
// (the depth rule the search applies to a state met again, which keeps
// depth bounds exact). With sleep sets (Options.POR), also the cover's
// sleep set must leave nothing out that is enabled here and awake here: a
// choice z asleep at S' and enabled at S was left out of S''s exploration,
// which relied on other orders; S must then take it or have it asleep as
// well. Choices asleep at S' that are not enabled at S (a loss S can no
// longer afford) do not matter: no path from S takes them first, and a
// path from S that could be reordered to take z first would need z enabled
// at S. This is Godefroid's state-caching rule (por.go) applied through
// the simulation above; derived here, unverified against a text.
//
// Depth first on several workers (pdfs.go). The workers share one
// visited set; a state's cover check and its insertion are one step
// under the lock of the shard its key (the fingerprint without the
// budgets) picks, where all of that key's identities live
// (sharedSet.visitKey). The argument above does not rest on an order:
// (a) a state is pruned only when a cover is in the set, and a state in
// the set has all its choices taken before a complete search ends (by
// the worker that added it, or, for the choices another worker took from
// its frame, by that one: work is handed over, never dropped), under a
// depth bound at its least depth (lowered under the same lock; a state
// met shallower is explored again); a cover stays one (states are not
// taken out, depths only fall). (b) Covering is transitive. So, by
// induction on the length of a path from a reachable state S: some state
// in the set covers S, its choices were all taken, and the successor of
// the cover by the path's first choice covers S's successor, so is in the
// set or covered by one that is. Every path from every reachable state is
// thus matched, step by step, by a path through explored states, with the
// same keys, no more spent and no greater depth: the keys reached, the
// ended keys and their end-of-run verdicts, the violations reachable
// and the machines' coverage are the exact search's, at any number of
// workers. Nothing here needs the graph to be acyclic; a cover may well be
// still on some worker's stack, its own stack included (a key met again
// after a loss and a duplicate cancelled out, at the same clock: its first
// identity is the pruned one's ancestor), and is explored to the end all
// the same. What the order decides: which identities are explored (a
// state met first with more spent, then with less, is explored twice;
// the other order explores it once), so the states, transitions, pruned
// and ended counts differ between runs and numbers of workers, as the
// counterexample may (the first any worker meets stops them all; its path
// is the worker's stack, each step taken from the initial state, so it
// replays whatever was pruned). Pruned counts a pruning of an identity not
// in the set, once per meeting, as on one worker.
//
// Lassos on several workers: a lasso is a cycle of states that spend
// nothing, so pruning by a cover that spent less never stands for a back
// edge; the parallel search looks for cycles only on each worker's stack,
// by identity, and rests, with or without subsumption, on exact time
// (pdfs.go: the clock is in the key and is checked never to go back).
//
// Lassos (depth first): a lasso's cycle spends nothing (spending only
// grows), so its states share one vector, and its choices, which are not
// faults, are enabled at every vector. Take, among the visited states
// whose fingerprints lie on a cycle, one with a minimal vector w. Its
// cycle at w consists of states no visited state covers but themselves (a
// cover would be a visited state of the cycle's fingerprints with a vector
// below w), so the search explores them as the exact
// search would, and meets the back edge that closes a cycle among them
// (the white-path argument of depth-first search; the stack is checked by
// identity, fingerprint and vector, before the cover). So whenever the
// exact search can find a lasso (a cycle is reachable), so can this one,
// and every lasso reported is a real path: the stack holds only states
// the search took. Under the time abstraction a cycle with an untimed
// timer armed all along is no lasso; which back edges the search meets
// depends on its order in both searches, so there the guarantee is the
// exact search's, no more.
//
// Time abstraction: the fingerprint it reduces is the one left without
// the budgets; nothing of the abstraction reads them (sim/step_time.go).
//
// Random walks do not prune (Options.Subsume needs bfs or dfs).

// spent is a fault-budget vector: losses, duplications, resets.
type spent [3]int32

func spentOf(r *sim.Runner) spent {
	l, d, x := r.Spent()
	return spent{int32(l), int32(d), int32(x)}
}

// mix64 is SplitMix64's finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// stateID is the identity of the state with fingerprint key (without
// budgets) and vector u: key itself when nothing was spent, else key with
// a word of u mixed into each half. Two different pairs share an identity
// only if their keys differ by one fixed 128-bit value, which under the
// uniform-hash assumption of the omission estimate is as likely as any
// other collision of two fingerprints.
func stateID(key sim.Fingerprint, u spent) sim.Fingerprint {
	if u == (spent{}) {
		return key
	}
	h := uint64(u[0]) | uint64(u[1])<<21 | uint64(u[2])<<42
	return sim.Fingerprint{key[0] ^ mix64(h), key[1] ^ mix64(h^0x5ca1ab1e)}
}

// covered reports whether has holds for the identity of key with some
// vector v <= u other than u itself (false without subsumption).
func (e *explorer) covered(key sim.Fingerprint, u spent, has func(sim.Fingerprint) bool) bool {
	if !e.o.Subsume {
		return false
	}
	lo, hi := spent{}, u
	if subsumeWrongWay {
		lo, hi = u, spent{int32(e.o.Loss), int32(e.o.Dup), int32(e.o.Resets)}
	}
	for l := lo[0]; l <= hi[0]; l++ {
		for d := lo[1]; d <= hi[1]; d++ {
			for x := lo[2]; x <= hi[2]; x++ {
				v := spent{l, d, x}
				if v != u && has(stateID(key, v)) {
					return true
				}
			}
		}
	}
	return false
}

// subsumeWrongWay, set by a test, turns the rule round (a state counts
// as covered by one that spent more), to show that the soundness test
// fails on an unsound rule.
var subsumeWrongWay bool

// vectors is how many budget vectors the exploration's budgets admit: the
// identities one state's cover check may look up, itself included.
func (o *Options) vectors() int {
	return (o.Loss + 1) * (o.Dup + 1) * (o.Resets + 1)
}
