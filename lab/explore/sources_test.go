package explore

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// TestFingerprintSources measures what makes states distinct: over the
// states an exploration meets, for every part of the state (a struct field
// down to a few levels, the pending events, the budgets), how many distinct
// states would be left if that part were dropped from the encoding. It is
// a measurement, not a check (QRLAB_FP_SOURCES=1; QRLAB_FP_STATES, default
// 20000, cuts the exploration; QRLAB_FP_LOSS/QRLAB_FP_DUP the budgets;
// QRLAB_FP_TIME=abstract under the time abstraction).
func TestFingerprintSources(t *testing.T) {
	if os.Getenv("QRLAB_FP_SOURCES") == "" {
		t.Skip("a measurement: QRLAB_FP_SOURCES=1")
	}
	seed := maphash.MakeSeed()
	all := map[uint64]bool{}
	groups := parseGroups(os.Getenv("QRLAB_FP_GROUPS"))
	var order []uint64
	masked := map[string]map[uint64]bool{}
	var buf []byte
	stateHook = func(r *sim.Runner) {
		enc, parts := r.FingerprintParts(envInt("QRLAB_FP_DEPTH", 4))
		h := maphash.Bytes(seed, enc)
		if !all[h] {
			all[h] = true
			order = append(order, h)
		}
		if len(groups) > 0 {
			parts = groupParts(parts, groups)
		}
		// A state without a part is the same with it dropped.
		for path, m := range masked {
			if parts[path] == nil {
				m[h] = true
			}
		}
		for path, rs := range parts {
			buf = without(buf[:0], enc, rs)
			m := masked[path]
			if m == nil {
				m = map[uint64]bool{}
				for _, h := range order[:len(order)-1] {
					m[h] = true
				}
				masked[path] = m
			}
			m[maphash.Bytes(seed, buf)] = true
		}
	}
	defer func() { stateHook = nil }()
	o := envOptions(t)
	o.Loss, o.Dup, o.MaxStates = envInt("QRLAB_FP_LOSS", 1), envInt("QRLAB_FP_DUP", 0), envInt("QRLAB_FP_STATES", 20000)
	res, err := Explore(o)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		path string
		n    int
	}
	var rows []row
	for p, m := range masked {
		rows = append(rows, row{p, len(m)})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(a.path, b.path)) })
	fmt.Printf("%d states explored (%s), %d distinct encodings met\n", res.States, res.Cut, len(all))
	for _, r := range rows {
		if r.n < len(all) || len(groups) > 0 {
			fmt.Printf("%8d  %5.1f%%  %s\n", r.n, 100*float64(r.n)/float64(len(all)), r.path)
		}
	}
}

// parseGroups reads "name=path,path;name=path" (QRLAB_FP_GROUPS): parts
// dropped together.
func parseGroups(s string) map[string][]string {
	g := map[string][]string{}
	for _, def := range strings.Split(s, ";") {
		name, paths, ok := strings.Cut(def, "=")
		if ok {
			g[name] = strings.Split(paths, ",")
		}
	}
	return g
}

// groupParts returns each group's ranges (sorted, merged), for the groups
// with any.
func groupParts(parts map[string][][2]int, groups map[string][]string) map[string][][2]int {
	out := map[string][][2]int{}
	for name, paths := range groups {
		var rs [][2]int
		for _, p := range paths {
			rs = append(rs, parts[p]...)
		}
		if len(rs) == 0 {
			continue
		}
		slices.SortFunc(rs, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
		merged := rs[:1]
		for _, r := range rs[1:] {
			if l := &merged[len(merged)-1]; r[0] <= l[1] {
				l[1] = max(l[1], r[1])
				continue
			}
			merged = append(merged, r)
		}
		out[name] = merged
	}
	return out
}

// envInt is the environment's integer k, or d when it is unset or not one.
func envInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}

// envOptions are the fingerprint measurements' exploration: depth first
// on one worker, seed 1, of the variant QRLAB_FP_VARIANT (msc4388), the
// intent QRLAB_FP_INTENT (login) and the time QRLAB_FP_TIME (exact).
func envOptions(t *testing.T) Options {
	t.Helper()
	o := Options{Mode: "dfs", Seed: 1, Workers: 1}
	o.VariantName = cmp.Or(os.Getenv("QRLAB_FP_VARIANT"), "msc4388")
	v, err := variant.Load(o.VariantName)
	if err != nil {
		t.Fatal(err)
	}
	o.Variant = v
	if os.Getenv("QRLAB_FP_INTENT") == "reciprocate" {
		o.Intent = qr.Reciprocate
	}
	if os.Getenv("QRLAB_FP_TIME") == TimeAbstract {
		o.Time = TimeAbstract
	}
	return o
}

// without appends to buf the encoding enc with the byte ranges rs (in
// order, not overlapping) left out.
func without(buf, enc []byte, rs [][2]int) []byte {
	at := 0
	for _, x := range rs {
		buf = append(buf, enc[at:x[0]]...)
		at = x[1]
	}
	return append(buf, enc[at:]...)
}
