package reports

import (
	"math"
	"slices"
)

// z95 is the standard normal quantile for a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson returns the Wilson score interval at 95% for k successes in n
// trials (0, 0 when n is 0). Unlike the normal approximation it stays
// inside [0, 1] and is sensible at k = 0 and k = n, which is where a
// failure rate of a good design lives.
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 0
	}
	p := float64(k) / float64(n)
	nn := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nn
	centre := (p + z2/(2*nn)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/nn+z2/(4*nn*nn))
	lo, hi = max(0, centre-half), min(1, centre+half)
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return lo, hi
}

// hist counts exact values (virtual milliseconds, request counts): memory
// grows with the number of distinct values, not of runs, and quantiles are
// exact whatever order the values came in.
type hist struct {
	counts map[int64]int
	n      int
	sum    int64
}

func newHist() *hist { return &hist{counts: map[int64]int{}} }

func (h *hist) add(v int64) {
	h.counts[v]++
	h.n++
	h.sum += v
}

func (h *hist) merge(o *hist) {
	for v, c := range o.counts {
		h.counts[v] += c
	}
	h.n += o.n
	h.sum += o.sum
}

// sorted returns the distinct values in ascending order.
func (h *hist) sorted() []int64 {
	vs := make([]int64, 0, len(h.counts))
	for v := range h.counts {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// quantile is the nearest-rank quantile: the smallest value with at least
// p of the values at or below it.
func (h *hist) quantile(p float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(h.n)))
	rank = max(rank, 1)
	seen := 0
	vs := h.sorted()
	for _, v := range vs {
		seen += h.counts[v]
		if seen >= rank {
			return v
		}
	}
	return vs[len(vs)-1]
}

func (h *hist) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.n)
}

// cdf returns up to max points (value, fraction at or below it), thinned
// evenly by value rank when there are more distinct values.
func (h *hist) cdf(maxPoints int) (xs, ys []float64) {
	vs := h.sorted()
	step := 1
	if len(vs) > maxPoints {
		step = (len(vs) + maxPoints - 1) / maxPoints
	}
	seen := 0
	for i, v := range vs {
		seen += h.counts[v]
		if i%step == 0 || i == len(vs)-1 {
			xs = append(xs, float64(v))
			ys = append(ys, float64(seen)/float64(h.n))
		}
	}
	return xs, ys
}
