package calibrate

import (
	"math"
	"testing"
)

// TestStats checks the quantile, the KS distance and the Wilson interval
// on small cases worked by hand.
func TestStats(t *testing.T) {
	if q := quantile([]float64{1, 2, 3, 4}, 0.5); q != 2.5 {
		t.Errorf("median of 1..4 = %g, want 2.5", q)
	}
	if d := ksDistance([]float64{1, 2, 3}, []float64{1, 2, 3}); d != 0 {
		t.Errorf("KS of equal samples = %g, want 0", d)
	}
	if d := ksDistance([]float64{1, 2}, []float64{3, 4}); d != 1 {
		t.Errorf("KS of disjoint samples = %g, want 1", d)
	}
	if d := ksDistance([]float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}); d != 0.5 {
		t.Errorf("KS of half-overlapping samples = %g, want 0.5", d)
	}
	lo, hi := wilson(0, 50)
	if lo != 0 || math.Abs(hi-0.0713) > 0.001 {
		t.Errorf("Wilson 0/50 = [%g, %g], want [0, 0.0713]", lo, hi)
	}
	lo, hi = wilson(5, 10)
	if math.Abs(lo-0.2366) > 0.001 || math.Abs(hi-0.7634) > 0.001 {
		t.Errorf("Wilson 5/10 = [%g, %g], want [0.2366, 0.7634]", lo, hi)
	}
}
