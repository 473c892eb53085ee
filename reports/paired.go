package reports

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Paired statistics for comparing two grid points of one sweep. Every
// point runs the same seeds, so run i at point A and run i at point B form
// a pair; a paired test uses that and sees differences that two separate
// intervals hide.

// PairedTable is the 2×2 table of paired successes: Both and Neither
// count the concordant pairs, OnlyA the pairs where A succeeded and B
// failed, OnlyB the reverse.
type PairedTable struct {
	Both, OnlyA, OnlyB, Neither int
}

// N is the number of pairs.
func (t PairedTable) N() int { return t.Both + t.OnlyA + t.OnlyB + t.Neither }

// Diff is the difference of the success proportions, A minus B.
func (t PairedTable) Diff() float64 {
	if t.N() == 0 {
		return 0
	}
	return float64(t.OnlyA-t.OnlyB) / float64(t.N())
}

// logBinom is log(n choose k).
func logBinom(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// binomHalfCDF is P(X <= k) for X ~ Binomial(n, 1/2), summed in log space
// so that it stays accurate for thousands of trials.
func binomHalfCDF(k, n int) float64 {
	if k < 0 {
		return 0
	}
	if k >= n {
		return 1
	}
	lhalf := float64(n) * math.Log(0.5)
	s := 0.0
	for i := 0; i <= k; i++ {
		s += math.Exp(logBinom(n, i) + lhalf)
	}
	return min(s, 1)
}

// McNemarExact is the two-sided p-value of the exact (conditional)
// McNemar test: under equal success rates the b discordant pairs of one
// kind among the b+c discordant pairs are Binomial(b+c, 1/2), and the
// p-value is twice the smaller tail, at most 1. It is 1 when there is no
// discordant pair. The same function is the exact sign test on paired
// differences (b positive, c negative, zeros dropped).
func McNemarExact(b, c int) float64 {
	if b < 0 || c < 0 || b+c == 0 {
		return 1
	}
	return min(1, 2*binomHalfCDF(min(b, c), b+c))
}

// NewcombePaired is the 95% interval for the difference of paired
// proportions (A's success rate minus B's) by Newcombe's method 10 (R. G.
// Newcombe, "Improved confidence intervals for the difference between
// binomial proportions based on paired data", Statistics in Medicine 17
// (1998) 2635–2650): the Wilson score interval of each margin, combined
// by "square and add" with a correction for the correlation of the two
// margins. It stays inside [-1, 1] and is not degenerate at zero
// discordant pairs, unlike the Wald interval.
func NewcombePaired(t PairedTable) (lo, hi float64) {
	n := t.N()
	if n == 0 {
		return 0, 0
	}
	a1 := t.Both + t.OnlyA // A's successes
	b1 := t.Both + t.OnlyB // B's successes
	p1, p2 := float64(a1)/float64(n), float64(b1)/float64(n)
	l1, u1 := Wilson(a1, n)
	l2, u2 := Wilson(b1, n)
	phi := 0.0
	if a1 > 0 && a1 < n && b1 > 0 && b1 < n {
		prod := float64(a1) * float64(n-a1) * float64(b1) * float64(n-b1)
		cross := float64(t.Both)*float64(t.Neither) - float64(t.OnlyA)*float64(t.OnlyB)
		switch {
		case cross > float64(n)/2:
			phi = (cross - float64(n)/2) / math.Sqrt(prod)
		case cross < 0:
			phi = cross / math.Sqrt(prod)
		}
	}
	d := p1 - p2
	dl1, du2 := p1-l1, u2-p2
	dl2, du1 := p2-l2, u1-p1
	lo = d - math.Sqrt(max(0, dl1*dl1+du2*du2-2*phi*dl1*du2))
	hi = d + math.Sqrt(max(0, dl2*dl2+du1*du1-2*phi*dl2*du1))
	return max(-1, lo), min(1, hi)
}

// z80 is the standard normal quantile for 80% power.
const z80 = 0.8416212335729143

// McNemarN is the number of pairs McNemar's test needs to detect a
// difference delta of paired proportions with 80% power at two-sided
// alpha 0.05 when a share pd of the pairs is discordant, by Connor's
// formula (R. J. Connor, "Sample size for testing differences in
// proportions for the paired-sample design", Biometrics 43 (1987)
// 207–211): n = (z95·√pd + z80·√(pd − delta²))² / delta².
func McNemarN(delta, pd float64) float64 {
	delta = math.Abs(delta)
	if delta == 0 || delta*delta > pd {
		return math.Inf(1)
	}
	s := z95*math.Sqrt(pd) + z80*math.Sqrt(pd-delta*delta)
	return s * s / (delta * delta)
}

// McNemarMDE is the smallest difference of paired proportions that n
// pairs detect with 80% power at two-sided alpha 0.05 when a share pd of
// them is discordant (Connor's formula, solved for delta by bisection; a
// difference is at most pd, every discordant pair one way). When the
// observed discordance could not show any difference at this n (none at
// all, or too little), it answers for the most favourable case instead,
// a discordant share equal to the difference itself: the least the runs
// could have detected. It is 1 when even that is out of reach.
func McNemarMDE(n int, pd float64) float64 {
	if n <= 0 {
		return 1
	}
	nn := float64(n)
	solve := func(need func(d float64) float64, hi float64) float64 {
		lo := 0.0
		for range 60 {
			mid := (lo + hi) / 2
			if need(mid) > nn {
				lo = mid
			} else {
				hi = mid
			}
		}
		return hi
	}
	if pd > 0 && pd <= 1 && McNemarN(pd, pd) <= nn {
		return solve(func(d float64) float64 { return McNemarN(d, pd) }, pd)
	}
	if McNemarN(1, 1) > nn {
		return 1
	}
	return solve(func(d float64) float64 { return McNemarN(d, d) }, 1)
}

// BootstrapResamples and bootstrapSeed fix the paired bootstrap, so that
// the same records give the same interval.
const (
	BootstrapResamples = 2000
	bootstrapSeed      = 0x71726c6162 // "qrlab"
)

// median of sorted values (the mean of the middle two for an even count).
func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// PairedShift is the median of paired differences d (A minus B, one per
// seed where both points got there) with a 95% percentile interval from a
// paired bootstrap: BootstrapResamples resamples of the pairs drawn from a
// PCG stream with a fixed seed, so the interval is the same on every
// machine. The p-value is the exact sign test (McNemarExact on the counts
// of positive and negative differences): it assumes nothing about the
// shape of the times, which are skewed and heavily tied (virtual
// milliseconds), where a Wilcoxon test's symmetry assumption does not
// hold.
func PairedShift(d []float64) (est, lo, hi, p float64) {
	if len(d) == 0 {
		return 0, 0, 0, 1
	}
	s := slices.Clone(d)
	slices.Sort(s)
	est = median(s)
	pos, neg := 0, 0
	for _, x := range d {
		if x > 0 {
			pos++
		} else if x < 0 {
			neg++
		}
	}
	p = McNemarExact(pos, neg)
	r := rand.New(rand.NewPCG(bootstrapSeed, uint64(len(d))))
	meds := make([]float64, BootstrapResamples)
	buf := make([]float64, len(d))
	for i := range meds {
		for j := range buf {
			buf[j] = d[r.IntN(len(d))]
		}
		slices.Sort(buf)
		meds[i] = median(buf)
	}
	slices.Sort(meds)
	lo = meds[int(0.025*float64(len(meds)))]
	hi = meds[int(math.Ceil(0.975*float64(len(meds))))-1]
	return est, min(lo, est), max(hi, est), p
}
