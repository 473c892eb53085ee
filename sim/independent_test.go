package sim

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

// commuteCase is one stepped configuration the independence test walks.
type commuteCase struct {
	preset    string
	intent    qr.Intent
	loss, dup int
}

func commuteCases() []commuteCase {
	var out []commuteCase
	for _, p := range []string{"msc4388", "msc4108-2024", "rust-sdk-main", "synapse-1.157"} {
		for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
			out = append(out, commuteCase{p, in, 0, 0}, commuteCase{p, in, 1, 1})
		}
	}
	return out
}

// replayTo starts a stepped run of seed and takes path.
func replayTo(t *testing.T, r *Runner, seed uint64, c commuteCase, path []Choice) {
	t.Helper()
	if err := r.Start(seed, c.loss, c.dup); err != nil {
		t.Fatal(err)
	}
	for i, ch := range path {
		if err := r.Take(ch); err != nil {
			t.Fatalf("replaying step %d: %v", i+1, err)
		}
	}
}

// enabledHas reports whether c (by sequence number and fault) is among
// the runner's enabled choices.
func enabledHas(r *Runner, c Choice) bool {
	return slices.ContainsFunc(r.Enabled(nil), func(d Choice) bool { return d.Seq == c.Seq && d.Fault == c.Fault })
}

// commuteResult is what taking a pair both ways gave.
type commuteResult int

const (
	pairCommutes commuteResult = iota
	pairDiffers                // both orders ran, different states
	pairDisables               // one disabled the other (the run had not stopped)
	pairStops                  // one stopped the run (both devices ended, or a violation)
)

// tryPair takes a then b and b then a from the state path leads to.
func tryPair(t *testing.T, r *Runner, seed uint64, c commuteCase, path []Choice, a, b Choice) (commuteResult, string) {
	t.Helper()
	var fps [2]Fingerprint
	for k, order := range [2][2]Choice{{a, b}, {b, a}} {
		replayTo(t, r, seed, c, path)
		if err := r.Take(order[0]); err != nil {
			t.Fatal(err)
		}
		if r.Stopped() {
			return pairStops, ""
		}
		if !enabledHas(r, order[1]) {
			return pairDisables, fmt.Sprintf("%s %s %s disables %s %s %s", order[0].Fault, order[0].Kind, order[0].Label,
				order[1].Fault, order[1].Kind, order[1].Label)
		}
		if err := r.Take(order[1]); err != nil {
			t.Fatal(err)
		}
		fps[k], _ = r.Fingerprint()
	}
	if fps[0] != fps[1] {
		return pairDiffers, fmt.Sprintf("%s %s (%s) and %s %s (%s) do not commute", a.Fault, a.Kind, a.Label, b.Fault, b.Kind, b.Label)
	}
	return pairCommutes, ""
}

// TestIndependentCommute: every pair of choices the relation calls
// independent commutes, in states reached by random walks over four
// presets, both intents, without faults and with one loss and one
// duplicate: taking a then b and b then a gives the same fingerprint, and
// each stays enabled after the other. Pairs where the first choice stops
// the run (both devices ended) are counted apart: the search never puts
// such a choice to sleep.
func TestIndependentCommute(t *testing.T) {
	walks, every := 2, 1
	if testing.Short() {
		walks, every = 1, 3
	}
	checked, stops := 0, 0
	byClass := map[string]int{}
	for _, c := range commuteCases() {
		r := commuteRunner(t, c)
		rng := rand.New(rand.NewPCG(uint64(c.intent), uint64(len(c.preset))))
		for walk := range walks {
			seed := uint64(walk + 1)
			pick := func(en []Choice) Choice { return pickSparing(rng, en) }
			walkPairs(t, r, c, seed, every, pick, func(p walkPair) {
				if !Independent(p.aa, p.ba) {
					return
				}
				if Independent(p.ba, p.aa) != true {
					t.Fatalf("the relation is not symmetric on %v, %v", p.a, p.b)
				}
				res, why := tryPair(t, r, seed, c, p.path, p.a, p.b)
				checked++
				byClass[pairName(p.a, p.aa, p.b, p.ba)]++
				switch res {
				case pairStops:
					stops++
				case pairDiffers, pairDisables:
					t.Errorf("%s %s loss %d dup %d seed %d, after %d steps: %s", c.preset, c.intent, c.loss, c.dup, seed,
						len(p.path), why)
				}
			})
		}
	}
	t.Logf("%d independent pairs checked, %d of them stop the run; by kind: %v", checked, stops, byClass)
	if checked < 50 {
		t.Errorf("only %d independent pairs checked: the walks do not reach states with concurrent choices", checked)
	}
}

// commuteRunner is a stepped runner of c's preset and intent.
func commuteRunner(t *testing.T, c commuteCase) *Runner {
	t.Helper()
	r, err := NewRunner(Config{Variant: variant.MustLoad(c.preset), Intent: c.intent, Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// walkPair is a pair of choices enabled together in the state a walk's
// path leads to, with their accesses; a comes before b among the enabled.
type walkPair struct {
	path   []Choice
	a, b   Choice
	aa, ba Access
}

// walkPairs walks c's run of seed from its start to its end, taking at
// each step the choice pick makes of the enabled ones. At every depth
// divisible by every it gives visit each pair of enabled choices (which
// may take them from the walk's state, as tryPair does), then replays the
// path to go on.
func walkPairs(t *testing.T, r *Runner, c commuteCase, seed uint64, every int, pick func([]Choice) Choice, visit func(walkPair)) {
	t.Helper()
	var path []Choice
	replayTo(t, r, seed, c, nil)
	for depth := 0; ; depth++ {
		en := slices.Clone(r.Enabled(nil))
		if len(en) == 0 {
			return
		}
		if depth%every == 0 {
			acc := make([]Access, len(en))
			for i, ch := range en {
				var err error
				if acc[i], err = r.Access(ch); err != nil {
					t.Fatal(err)
				}
			}
			for i := range en {
				for j := i + 1; j < len(en); j++ {
					visit(walkPair{path: path, a: en[i], b: en[j], aa: acc[i], ba: acc[j]})
				}
			}
			replayTo(t, r, seed, c, path)
		}
		ch := pick(en)
		if err := r.Take(ch); err != nil {
			t.Fatal(err)
		}
		path = append(path, ch)
	}
}

// pickSparing draws one of en, a fault only one time in eight, so that a
// walk keeps its budgets for states where faults are concurrent with other
// choices.
func pickSparing(rng *rand.Rand, en []Choice) Choice {
	ch := en[rng.IntN(len(en))]
	if ch.Fault != FaultNone && rng.IntN(8) != 0 {
		ch.Fault = FaultNone // every message can be delivered as well
	}
	return ch
}

// pairName names a pair of choices by fault and class, in a stable order.
func pairName(a Choice, aa Access, b Choice, ba Access) string {
	x, y := fmt.Sprintf("%s:%d", a.Fault, aa.class), fmt.Sprintf("%s:%d", b.Fault, ba.class)
	if y < x {
		x, y = y, x
	}
	return x + "|" + y
}

// TestIndependentSurvey, with QRLAB_SURVEY=1, takes every pair of
// choices of different events (independent or not) both ways and tallies,
// by the kinds of the two events, how many commute: what the relation
// could claim.
func TestIndependentSurvey(t *testing.T) {
	if os.Getenv("QRLAB_SURVEY") == "" {
		t.Skip("QRLAB_SURVEY=1 surveys which pairs commute")
	}
	type tally struct{ n, ok, differ, disable, stop int }
	tallies := map[string]*tally{}
	for _, c := range commuteCases() {
		r := commuteRunner(t, c)
		for seed := uint64(1); seed <= 3; seed++ {
			rng := rand.New(rand.NewPCG(uint64(c.intent)+7+seed, uint64(len(c.preset))))
			pick := func(en []Choice) Choice { return en[rng.IntN(len(en))] }
			walkPairs(t, r, c, seed, 1, pick, func(p walkPair) {
				if p.a.Seq == p.b.Seq {
					return
				}
				name := func(ch Choice, a Access) string {
					return fmt.Sprintf("%s:%d/%s", ch.Fault, a.class, ch.Actor)
				}
				key := name(p.a, p.aa) + " | " + name(p.b, p.ba)
				if name(p.b, p.ba) < name(p.a, p.aa) {
					key = name(p.b, p.ba) + " | " + name(p.a, p.aa)
				}
				if Independent(p.aa, p.ba) {
					key = "[indep] " + key
				}
				tl := tallies[key]
				if tl == nil {
					tl = &tally{}
					tallies[key] = tl
				}
				tl.n++
				res, why := tryPair(t, r, seed, c, p.path, p.a, p.b)
				switch res {
				case pairCommutes:
					tl.ok++
				case pairDiffers:
					tl.differ++
					t.Logf("%s %s: %s", c.preset, c.intent, why)
				case pairDisables:
					tl.disable++
				case pairStops:
					tl.stop++
				}
			})
		}
	}
	keys := make([]string, 0, len(tallies))
	for k := range tallies {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		tl := tallies[k]
		t.Logf("%-60s %5d pairs: %5d commute, %4d differ, %4d disable, %4d stop", k, tl.n, tl.ok, tl.differ, tl.disable, tl.stop)
	}
}

// TestIndependentUnknown: a choice of a kind or fault the relation does
// not know, and every choice of a run with adversaries, is dependent with
// every other.
func TestIndependentUnknown(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(1, 1, 1); err != nil {
		t.Fatal(err)
	}
	en := r.Enabled(nil)
	for len(en) > 0 && !en[0].Message() {
		if err := r.Take(en[0]); err != nil {
			t.Fatal(err)
		}
		en = r.Enabled(nil)
	}
	if len(en) == 0 {
		t.Fatal("no message ever pending")
	}
	lose := en[0]
	lose.Fault = FaultLose
	la, err := r.Access(lose)
	if err != nil {
		t.Fatal(err)
	}
	weird := en[0]
	weird.Fault = FaultDuplicate + 1
	wa, err := r.Access(weird)
	if err != nil {
		t.Fatal(err)
	}
	other := la
	other.Seq, other.exch = la.Seq+1000, la.exch+1000 // another exchange, same class
	if !Independent(la, Access{Seq: other.Seq, Fault: FaultNone, class: accFixed}) {
		t.Fatal("a loss and a fixed event on another exchange should be independent (the test's premise)")
	}
	unknown := Access{Seq: other.Seq, Fault: FaultNone, class: accUnknown}
	if Independent(la, unknown) || Independent(unknown, la) || Independent(wa, Access{Seq: other.Seq, class: accFixed}) {
		t.Error("an unknown kind or fault was independent of a loss")
	}
	if _, err := r.Access(Choice{Seq: 1 << 40}); err == nil {
		t.Error("Access of an event that is not pending: no error")
	}
	ra, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport,
		Adversaries: []string{"shoulder-surfer"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ra.Start(1, 1, 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range ra.Enabled(nil) {
		if a, err := ra.Access(c); err != nil || a.class != accUnknown {
			t.Errorf("with an adversary, %s %s: class %d, %v", c.Kind, c.Label, a.class, err)
		}
	}
}

// TestIndependentButBudget: every pair IndependentButBudget leaves apart
// and Independent does not (two losses, or two duplications, on two
// exchanges) commutes when the budget allows both, in states reached by
// random walks (three seeds) over two presets, both intents, with two losses and two
// duplications: taking a then b and b then a gives the same fingerprint,
// and each stays enabled after the other (where only one of the budget is
// left, taking one disables the other: counted apart).
func TestIndependentButBudget(t *testing.T) {
	checked, spent := map[Fault]int{}, 0
	for _, p := range []string{"msc4388", "rust-sdk-main"} {
		for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
			c := commuteCase{p, in, 2, 2}
			r := commuteRunner(t, c)
			rng := rand.New(rand.NewPCG(uint64(in)+3, uint64(len(p))))
			pick := func(en []Choice) Choice { return pickSparing(rng, en) }
			for seed := uint64(1); seed <= 3; seed++ {
				walkPairs(t, r, c, seed, 1, pick, func(w walkPair) {
					if Independent(w.aa, w.ba) || !IndependentButBudget(w.aa, w.ba) {
						return
					}
					if !IndependentButBudget(w.ba, w.aa) {
						t.Fatalf("IndependentButBudget is not symmetric on %v, %v", w.a, w.b)
					}
					if w.a.Fault != w.b.Fault || w.a.Fault != FaultLose && w.a.Fault != FaultDuplicate {
						t.Fatalf("IndependentButBudget leaves apart %s and %s, not a pair of losses or duplications", w.a.Fault, w.b.Fault)
					}
					replayTo(t, r, seed, c, w.path)
					left := r.st.lossMax - r.st.lossUsed
					if w.a.Fault == FaultDuplicate {
						left = r.st.dupMax - r.st.dupUsed
					}
					res, why := tryPair(t, r, seed, c, w.path, w.a, w.b)
					switch {
					case left < 2 && res == pairDisables:
						spent++ // the budget allows one: the pair is dependent by it alone
					case res == pairDiffers || res == pairDisables:
						t.Errorf("%s %s after %d steps (budget left %d): %s", p, in, len(w.path), left, why)
					default:
						checked[w.a.Fault]++
					}
				})
			}
		}
	}
	t.Logf("pairs that commute: %v; pairs only the budget kept apart (one left): %d", checked, spent)
	if checked[FaultLose] < 10 || checked[FaultDuplicate] < 10 {
		t.Errorf("only %v pairs checked", checked)
	}
}

// TestIndependentDiscarded: an answer on an exchange already done
// commutes with every choice on another exchange, whatever its class, in
// states reached by random walks (five seeds) over two presets, both
// intents, with two duplications and one loss; the pairs are counted by
// the other choice's class, and pairs with an event at its own time must
// be among them.
func TestIndependentDiscarded(t *testing.T) {
	byClass := map[accessClass]int{}
	for _, p := range []string{"msc4388", "rust-sdk-main"} {
		for _, in := range []qr.Intent{qr.Login, qr.Reciprocate} {
			c := commuteCase{p, in, 1, 2}
			r := commuteRunner(t, c)
			rng := rand.New(rand.NewPCG(uint64(in)+11, uint64(len(p))))
			pick := func(en []Choice) Choice { return pickSparing(rng, en) }
			for seed := uint64(1); seed <= 5; seed++ {
				walkPairs(t, r, c, seed, 1, pick, func(w walkPair) {
					if w.aa.class != accInert && w.ba.class != accInert || !Independent(w.aa, w.ba) {
						return
					}
					other := w.ba.class
					if other == accInert {
						other = w.aa.class
					}
					res, why := tryPair(t, r, seed, c, w.path, w.a, w.b)
					if res == pairDiffers || res == pairDisables {
						t.Errorf("%s %s seed %d after %d steps: %s", p, in, seed, len(w.path), why)
					}
					byClass[other]++
				})
			}
		}
	}
	t.Logf("pairs with a discarded answer checked, by the other choice's class: %v", byClass)
	if byClass[accFixed] == 0 {
		t.Errorf("no pair of a discarded answer and an event at its own time met: %v", byClass)
	}
}
