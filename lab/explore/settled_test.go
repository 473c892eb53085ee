package explore

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"os"
	"slices"
	"strings"
	"testing"

	"qrlab/sim"
)

// TestSettledSources measures what keeps a state after a fault that is
// over (sim.Runner.FaultSettled: a loss or a duplicate spent, every
// exchange it touched finished) apart from every state of the same
// exploration without faults. It explores without faults first and keeps,
// for each state, a hash of every part of its encoding
// (sim.Runner.FingerprintParts, the budgets left out); then explores with
// the faults and, for the settled states (every QRLAB_SETTLED_EVERY-th by
// hash, default 1), finds the fault-free states that differ from it in
// the fewest leaf parts, and counts the parts in which the first of them
// differs. It is a measurement, not a check (QRLAB_SETTLED=1;
// QRLAB_FP_VARIANT, QRLAB_FP_INTENT, QRLAB_FP_LOSS, QRLAB_FP_DUP,
// QRLAB_FP_TIME, QRLAB_FP_STATES, QRLAB_FP_DEPTH as TestFingerprintSources).
func TestSettledSources(t *testing.T) {
	if os.Getenv("QRLAB_SETTLED") == "" {
		t.Skip("a measurement: QRLAB_SETTLED=1")
	}
	depth := envInt("QRLAB_FP_DEPTH", 6)
	every := uint64(envInt("QRLAB_SETTLED_EVERY", 1))
	seed := maphash.MakeSeed()
	pathID := map[string]int{}
	var paths []string
	// vec is a state's parts as a hash per path id (0: absent).
	vec := func(r *sim.Runner) (full uint64, v []uint64) {
		enc, parts := r.FingerprintParts(depth)
		full = maphash.Bytes(seed, without(nil, enc, parts["budgets"]))
		for p, rs := range parts {
			if p == "budgets" {
				continue
			}
			id, ok := pathID[p]
			if !ok {
				id = len(paths)
				pathID[p] = id
				paths = append(paths, p)
			}
			var h maphash.Hash
			h.SetSeed(seed)
			for _, x := range rs {
				h.Write(enc[x[0]:x[1]])
			}
			for len(v) <= id {
				v = append(v, 0)
			}
			v[id] = h.Sum64() | 1
		}
		return full, v
	}
	o := envOptions(t)
	// fp is the state's fingerprint without the budgets.
	fp := func(r *sim.Runner) uint64 {
		r.FingerprintBudgets(false)
		f, _ := r.Fingerprint()
		r.FingerprintBudgets(true)
		return f[0] ^ f[1]*0x9e3779b97f4a7c15
	}
	clean := map[uint64]bool{}
	var cleanV [][]uint64
	stateHook = func(r *sim.Runner) {
		full := fp(r)
		_, v := vec(r)
		if !clean[full] {
			clean[full] = true
			cleanV = append(cleanV, v)
		}
	}
	defer func() { stateHook = nil }()
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("without faults: %d states (%s), %d encodings\n", res.States, res.Cut, len(clean))

	// A path is a leaf when no other path lies below it.
	leafOf := func() []bool {
		leaf := make([]bool, len(paths))
		for i, p := range paths {
			leaf[i] = true
			for _, q := range paths {
				if strings.HasPrefix(q, p+".") {
					leaf[i] = false
					break
				}
			}
		}
		return leaf
	}
	seen := map[uint64]bool{}
	settled, matched, sampled := 0, 0, 0
	var samples [][]uint64
	stateHook = func(r *sim.Runner) {
		if !r.FaultSettled() {
			return
		}
		full := fp(r)
		if seen[full] {
			return
		}
		seen[full] = true
		settled++
		if clean[full] {
			matched++
			return
		}
		if full%every != 0 {
			return
		}
		sampled++
		_, v := vec(r)
		samples = append(samples, v)
	}
	o.Loss, o.Dup, o.MaxStates = envInt("QRLAB_FP_LOSS", 1), envInt("QRLAB_FP_DUP", 0), envInt("QRLAB_FP_STATES", 200000)
	res, err = Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	leaf := leafOf()
	at := func(v []uint64, i int) uint64 {
		if i < len(v) {
			return v[i]
		}
		return 0
	}
	alone := map[string]int{}
	inDiff := map[string]int{}
	dist := map[int]int{}
	sets := map[string]int{}
	// Groups of parts: how many samples differ from their nearest
	// fault-free state only within each.
	groups := [][]string{
		{"events.at"},
		{"core.wait", "core.waited", "core.tries", "core.timerPurpose"},
		{"Acts.At", "checked404", "grantAt", "unverified", "result", "At"},
		{"events.at", "core.wait", "core.waited", "core.tries", "core.timerPurpose", "Acts.At", "checked404", "grantAt", "unverified", "result", "At"},
	}
	within := make([]int, len(groups))
	randDiff := 0
	for _, s := range samples {
		best, bestD := -1, 1<<30
		for j, c := range cleanV {
			d := 0
			for i := range paths {
				if leaf[i] && at(s, i) != at(c, i) {
					d++
					if d >= bestD {
						break
					}
				}
			}
			if d < bestD {
				best, bestD = j, d
			}
		}
		dist[min(bestD, 20)]++
		var diff []string
		for i, p := range paths {
			if leaf[i] && at(s, i) != at(cleanV[best], i) {
				diff = append(diff, p)
				inDiff[p]++
			}
		}
		if len(diff) == 1 {
			alone[diff[0]]++
		}
		for gi, g := range groups {
			all := len(diff) > 0
			for _, p := range diff {
				in := false
				for _, q := range g {
					in = in || p == q || strings.HasSuffix(p, "."+q)
				}
				all = all && in
			}
			if all {
				within[gi]++
			}
		}
		for _, p := range diff {
			if strings.Contains(p, "rand.") || strings.Contains(p, "DeviceCode") {
				randDiff++
				break
			}
		}
		if len(diff) <= 6 {
			sets[strings.Join(diff, " + ")]++
		}
	}
	fmt.Printf("with faults: %d states (%s); %d settled, %d equal to a fault-free state but for the budgets, %d others sampled\n",
		res.States, res.Cut, settled, matched, sampled)
	fmt.Printf("leaf parts that differ from the nearest fault-free state, by count (of %d):\n", len(leaf))
	var ds []int
	for d := range dist {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	for _, d := range ds {
		fmt.Printf("  %2d parts: %d states\n", d, dist[d])
	}
	for gi, g := range groups {
		fmt.Printf("differ only within %v: %d\n", g, within[gi])
	}
	fmt.Printf("differ in a random stream's position or a device code: %d\n", randDiff)
	show := func(title string, m map[string]int, n int) {
		type row struct {
			k string
			n int
		}
		var rows []row
		for k, c := range m {
			rows = append(rows, row{k, c})
		}
		slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.k, b.k)) })
		fmt.Println(title)
		for i, r := range rows {
			if i == n {
				break
			}
			fmt.Printf("  %7d  %s\n", r.n, r.k)
		}
	}
	show("the only part that differs:", alone, 40)
	show("parts in the difference:", inDiff, 60)
	show("differences of up to six parts:", sets, 40)
}
