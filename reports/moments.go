package reports

import (
	"fmt"
	"math"
	"math/bits"
)

// moments is the count, sum and sum of squares of non-negative integers
// (milliseconds, bytes, requests), kept exactly: the sum in an int64, the
// squares in 128 bits. Exact sums do not depend on the order the values
// came in, so neither do the means and intervals drawn from them.
type moments struct {
	n      int
	sum    int64
	hi, lo uint64 // sum of squares
}

func (m *moments) add(v int64) {
	v = max(v, 0)
	m.n++
	m.sum += v
	h, l := bits.Mul64(uint64(v), uint64(v))
	var c uint64
	m.lo, c = bits.Add64(m.lo, l, 0)
	m.hi += h + c
}

func (m *moments) merge(o moments) {
	m.n += o.n
	m.sum += o.sum
	var c uint64
	m.lo, c = bits.Add64(m.lo, o.lo, 0)
	m.hi += o.hi + c
}

// meanSD is the mean and the sample standard deviation, each divided by
// scale (1000 for milliseconds to seconds).
func (m moments) meanSD(scale float64) (mean, sd float64) {
	if m.n == 0 {
		return 0, 0
	}
	n := float64(m.n)
	mean = float64(m.sum) / n
	if m.n > 1 {
		sq := float64(m.hi)*math.Exp2(64) + float64(m.lo)
		sd = math.Sqrt(max(0, (sq-float64(m.sum)*mean)/(n-1)))
	}
	return mean / scale, sd / scale
}

// ci is the mean over scale with its normal-approximation 95% interval
// ("–" for no values), one decimal.
func (m moments) ci(scale float64) string {
	if m.n == 0 {
		return "–"
	}
	mean, sd := m.meanSD(scale)
	if m.n < 2 {
		return fmt.Sprintf("%.1f", mean)
	}
	h := z95 * sd / math.Sqrt(float64(m.n))
	return fmt.Sprintf("%.1f [%.1f–%.1f]", mean, max(0, mean-h), mean+h)
}
