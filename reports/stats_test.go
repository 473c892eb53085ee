package reports

import (
	"math"
	"testing"
)

// TestWilson checks the interval against values computed independently
// from the score formula (z = 1.959964); 0 of 10 gives the textbook upper
// bound z²/(n+z²) = 0.2775.
func TestWilson(t *testing.T) {
	cases := []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 10, 0, 0.27753},
		{1, 10, 0.01788, 0.40415},
		{5, 10, 0.23659, 0.76341},
		{10, 10, 0.72247, 1},
		{10, 100, 0.05523, 0.17437},
		{0, 1000, 0, 0.00383},
		{81, 263, 0.25529, 0.36621},
	}
	for _, c := range cases {
		lo, hi := Wilson(c.k, c.n)
		if math.Abs(lo-c.lo) > 5e-5 || math.Abs(hi-c.hi) > 5e-5 {
			t.Errorf("Wilson(%d, %d) = [%.5f, %.5f], want [%.5f, %.5f]", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, hi := Wilson(0, 0); lo != 0 || hi != 0 {
		t.Errorf("Wilson(0, 0) = [%g, %g]", lo, hi)
	}
}

// TestHist checks the nearest-rank quantiles and the CDF's thinning.
func TestHist(t *testing.T) {
	h := newHist()
	for _, v := range []int64{5, 1, 3, 3, 9, 7, 3, 2, 8, 10} {
		h.add(v)
	}
	for _, c := range []struct {
		p    float64
		want int64
	}{{0, 1}, {0.1, 1}, {0.5, 3}, {0.6, 5}, {0.9, 9}, {0.99, 10}, {1, 10}} {
		if got := h.quantile(c.p); got != c.want {
			t.Errorf("quantile(%g) = %d, want %d", c.p, got, c.want)
		}
	}
	if m := h.mean(); m != 5.1 {
		t.Errorf("mean %g", m)
	}
	xs, ys := h.cdf(3)
	if len(xs) > 4 || xs[len(xs)-1] != 10 || ys[len(ys)-1] != 1 {
		t.Errorf("cdf %v %v", xs, ys)
	}
}
