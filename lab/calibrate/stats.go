package calibrate

import (
	"math"
	"slices"
)

// quantile is the q-quantile of sorted xs (linear between order
// statistics; NaN for none).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	h := q * float64(len(xs)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (h-float64(lo))*(xs[hi]-xs[lo])
}

// ksDistance is the two-sample Kolmogorov–Smirnov statistic: the largest
// gap between the two empirical distribution functions (NaN when a sample
// is empty).
func ksDistance(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	var i, j int
	d := 0.0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// ksCritical is the two-sample KS distance above which the samples differ
// at the 5% level (asymptotic: 1.358·sqrt((n+m)/(n·m))).
func ksCritical(n, m int) float64 {
	if n == 0 || m == 0 {
		return math.NaN()
	}
	return 1.358 * math.Sqrt(float64(n+m)/float64(n*m))
}

// wilson is the 95% Wilson score interval of k successes in n trials.
func wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959964
	p := float64(k) / float64(n)
	den := 1 + z*z/float64(n)
	c := (p + z*z/(2*float64(n))) / den
	h := z * math.Sqrt(p*(1-p)/float64(n)+z*z/(4*float64(n)*float64(n))) / den
	return max(0, c-h), min(1, c+h)
}
