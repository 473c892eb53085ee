package reports

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"qrlab/sim"
)

// ending names how one device ended: its reason, else its outcome, else
// "did not finish".
func ending(e sim.Ending) string {
	switch {
	case e.Success:
		return "success"
	case e.Reason != "":
		return e.Reason
	case e.Outcome != "":
		return e.Outcome
	}
	return "did not finish"
}

// causeKey is what a failed run is counted under in the causes table: both
// devices' endings, whether they disagree, and the root cause with its
// identifiers blanked, joined by NUL. The cause is the one causeText gives.
func causeKey(r *Record) string {
	dis := "no"
	if r.Disagree() {
		dis = "yes"
	}
	return strings.Join([]string{ending(r.New), ending(r.Existing), dis, CauseShape(causeText(r))}, "\x00")
}

// causeText is a failed run's root cause as the tables show it: the
// violated invariant, else the root cause with its identifiers blanked,
// else "none recorded".
func causeText(r *Record) string {
	switch {
	case r.Violation != nil:
		return "violation: " + r.Violation.Invariant
	case r.RootCause == "":
		return "none recorded"
	}
	return genericPath(r.RootCause)
}

// addCause counts a failed run under its causeKey.
func (g *group) addCause(r *Record) {
	k := causeKey(r)
	t := g.causes[k]
	if t == nil {
		t = &CauseTally{}
		g.causes[k] = t
	}
	t.Add(causeText(r), r.RootCause, r.Seed)
}

// causesByCount orders a group's cause keys by runs, most first, then by
// key.
func causesByCount(m map[string]*CauseTally) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a].N != m[b].N {
			return m[b].N - m[a].N
		}
		return strings.Compare(a, b)
	})
	return keys
}

// genericPath blanks the per-run identifiers of the paths in a root cause
// (a rendezvous session's id, a device id), so that runs with the same
// cause count together: the segment after "rendezvous" or "devices", and
// any segment of eight or more characters with a digit, becomes {id}, as
// does every value of a query.
func genericPath(s string) string {
	words := strings.Split(s, " ")
	for i, w := range words {
		if !strings.HasPrefix(w, "/") {
			continue
		}
		segs := strings.Split(w, "/")
		for j, g := range segs {
			afterName := j > 0 && (segs[j-1] == "rendezvous" || segs[j-1] == "devices")
			if g != "" && (afterName || len(g) >= 8 && strings.ContainsAny(g, "0123456789") && !strings.Contains(g, ".")) {
				segs[j] = "{id}"
			}
		}
		words[i] = strings.Join(segs, "/")
		if path, query, ok := strings.Cut(words[i], "?"); ok {
			// A query's values (a user code, a state) are the run's own.
			params := strings.Split(query, "&")
			for j, kv := range params {
				if k, _, ok := strings.Cut(kv, "="); ok {
					params[j] = k + "={id}"
				}
			}
			words[i] = path + "?" + strings.Join(params, "&")
		}
	}
	return strings.Join(words, " ")
}

// failedAt is when a failed run ended: the later device's ending, or the
// run's end when that is later (a device that never ended).
func failedAt(r *Record) int64 {
	return int64(max(r.EndMillis, r.New.At, r.Existing.At))
}

// maxCauses bounds the causes listed per group; the rest are pooled.
const maxCauses = 6

// causeBlocks is the failed runs by cause: both devices' endings side by
// side, whether they disagree, and the first fault the simulator saw, per
// group, with time to failure next to time to success.
func (b *Builder) causeBlocks() ([]block, error) {
	if b.total.fail == 0 {
		return nil, nil
	}
	out := []block{{kind: "h2", text: "Failures by cause"},
		{kind: "p", text: "Each failed run is counted under both devices' endings (reason, or outcome), whether they disagree (one device succeeded), and its root cause: the first fault an honest party met as the simulator saw it (an HTTP error answer or a timeout, with the request; the browser failing to open; the user cancelling). Identifiers in paths are shown as {id}. Expected errors (discovery probes, the existing device's lookup of the new device, the device grant's pending polls) are not faults."}}
	groups, by := b.plotGroups(12)
	var rows [][]string
	for _, l := range groups {
		keys := causesByCount(l.g.causes)
		rest := 0
		for i, k := range keys {
			t := l.g.causes[k]
			if i >= maxCauses {
				rest += t.N
				continue
			}
			parts := strings.Split(k, "\x00")
			cause := t.Text()
			if cause != "none recorded" && !strings.HasPrefix(cause, "violation") {
				cause = "`" + cause + "`"
			}
			rows = append(rows, []string{l.label, "`" + parts[0] + "`", "`" + parts[1] + "`", parts[2], cause,
				fmt.Sprint(t.N), pct(t.N, l.g.n)})
		}
		if rest > 0 {
			rows = append(rows, []string{l.label, "other", "", "", "", fmt.Sprint(rest), pct(rest, l.g.n)})
		}
	}
	out = append(out, block{kind: "table", head: []string{by, "new device", "existing device", "disagree", "root cause", "runs", "of the runs"}, rows: rows})
	var trows [][]string
	for _, l := range groups {
		g := l.g
		trows = append(trows, []string{l.label, fmt.Sprint(g.secrets.n), quant(g.secrets, .5), quant(g.secrets, .9), quant(g.secrets, 1),
			fmt.Sprint(g.failEnd.n), quant(g.failEnd, .5), quant(g.failEnd, .9), quant(g.failEnd, 1)})
	}
	out = append(out, block{kind: "table", head: []string{by, "got secrets", "to secrets p50", "p90", "max", "failed", "to failure p50", "p90", "max"}, rows: trows,
		notes: "Time to failure is when the last device ended (or the run stopped) in failed runs; time to success is time to secrets in runs that got them."})
	return out, nil
}

// numHole stands in a cause's shape for one of its standalone numbers.
const numHole = "\x01"

// causeShape splits a root cause into its shape, the text with every
// standalone number (a run of digits between characters that are neither
// letters, digits nor '_', '-' or '.': "404", "9316", but not the digits
// of "v1", "0x03" or "msc4388-726e115") replaced by numHole, and those
// numbers in order.
func causeShape(s string) (shape string, nums []string) {
	word := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.'
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > i && (i == 0 || !word(s[i-1])) && (j == len(s) || !word(s[j])) {
			b.WriteString(numHole)
			nums = append(nums, s[i:j])
			i = j
			continue
		}
		if j == i {
			j++
		}
		for j < len(s) && word(s[j]) && word(s[j-1]) {
			j++ // the rest of a word: no standalone number starts inside it
		}
		b.WriteString(s[i:j])
		i = j
	}
	return b.String(), nums
}

// CauseTally counts the runs that failed with one shape of root cause
// (see causeShape): the numbers every run of it gave the same are kept,
// those that varied from run to run (a length read from random bytes, a
// count) are blanked, so that one failure is one group whatever the seed.
// It keeps the verbatim cause of the run with the lowest order as an
// example. The result depends only on the runs added, not on their order.
type CauseTally struct {
	N       int
	shape   string
	nums    []string // "" where the runs differ
	example string
	order   uint64
}

// Add counts one run whose root cause reads cause (its shape must be the
// tally's, as CauseShape gives it) and verbatim example (its identifiers
// in place); order ranks the runs for the example (lowest first).
func (t *CauseTally) Add(cause, example string, order uint64) {
	shape, nums := causeShape(cause)
	t.merge(&CauseTally{N: 1, shape: shape, nums: nums, example: example, order: order})
}

func (t *CauseTally) merge(o *CauseTally) {
	if o.N == 0 {
		return
	}
	if t.N == 0 {
		*t = CauseTally{N: o.N, shape: o.shape, nums: slices.Clone(o.nums), example: o.example, order: o.order}
		return
	}
	t.N += o.N
	for i := range t.nums {
		if i >= len(o.nums) || t.nums[i] != o.nums[i] {
			t.nums[i] = ""
		}
	}
	if o.order < t.order || o.order == t.order && o.example < t.example {
		t.example, t.order = o.example, o.order
	}
}

// Text is the cause with the numbers that varied shown as "…".
func (t *CauseTally) Text() string {
	parts := strings.Split(t.shape, numHole)
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(p)
		if i < len(parts)-1 {
			n := "…"
			if i < len(t.nums) && t.nums[i] != "" {
				n = t.nums[i]
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// Example is the verbatim cause of the lowest-ordered run counted.
func (t *CauseTally) Example() string { return t.example }

// CauseShape is the key runs with the same cause but for its numbers share
// (numbers replaced by a placeholder byte).
func CauseShape(s string) string {
	shape, _ := causeShape(s)
	return shape
}
