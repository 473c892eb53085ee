package reports

import (
	"fmt"
	"math"
)

// storeCost sums the rendezvous server's cost over a group's runs that
// measured it (sim.StoreCost): per run, the session-milliseconds (all,
// and those after the run ended), the byte-milliseconds stored and the
// peak payload bytes.
type storeCost struct {
	sess, after, bytes, peak moments
	maxSessions, maxBytes    int
	left                     int // runs that left a live session behind
}

func (c *storeCost) add(r *Record) {
	sc := r.StoreCost
	if sc == nil {
		return
	}
	c.sess.add(sc.SessionMillis)
	c.after.add(sc.LeftMillis)
	c.bytes.add(sc.ByteMillis)
	c.peak.add(int64(sc.PeakBytes))
	c.maxSessions, c.maxBytes = max(c.maxSessions, sc.PeakSessions), max(c.maxBytes, sc.PeakBytes)
	if sc.Left > 0 {
		c.left++
	}
}

func (c *storeCost) merge(o *storeCost) {
	c.sess.merge(o.sess)
	c.after.merge(o.after)
	c.bytes.merge(o.bytes)
	c.peak.merge(o.peak)
	c.maxSessions, c.maxBytes = max(c.maxSessions, o.maxSessions), max(c.maxBytes, o.maxBytes)
	c.left += o.left
}

// perSuccess is a sum over the group's runs spread over its successful
// logins, over scale ("–" when none succeeded, or when some runs did not
// measure the cost).
func perSuccess(m moments, scale float64, g *group) string {
	ok := g.n - g.fail
	if ok == 0 || m.n != g.n {
		return "–"
	}
	return fmt.Sprintf("%.1f", float64(m.sum)/scale/float64(ok))
}

// costBlocks is the rendezvous server's cost per grid point (nothing when
// no record measured it: records written before it was).
func (b *Builder) costBlocks() ([]block, error) {
	if b.total.cost.sess.n == 0 {
		return nil, nil
	}
	out := []block{{kind: "h2", text: "Rendezvous server cost"},
		{kind: "p", text: "What each run cost the rendezvous server, read from the simulated store's own state after every request it answered: " +
			"sessions alive × seconds and kilobytes stored × seconds (the integrals), and the most payload bytes held at once (the peak). " +
			"A session counts from its creation until it is deleted or expires. One still alive when the run ends counts on until its expiry " +
			"(the after-the-login column), since nothing else removes it, unless a device had sent its DELETE: the simulator stops once both devices are done, " +
			"before a DELETE sent at the very end arrives, so such a session counts to the run's end (a DELETE the network lost too). Means per run with 95% intervals (normal approximation); " +
			"per success is the total over the point's runs divided by its successful logins, failed attempts' cost included."}}
	var rows [][]string
	for _, l := range b.pointGroups() {
		c, g := &l.g.cost, l.g
		if c.sess.n == 0 {
			continue
		}
		rows = append(rows, append(append([]string(nil), l.cells...), fmt.Sprint(c.sess.n),
			c.sess.ci(1000), c.after.ci(1000), perSuccess(c.sess, 1000, g),
			c.bytes.ci(1e6), perSuccess(c.bytes, 1e6, g),
			c.peak.ci(1), fmt.Sprint(c.maxBytes), fmt.Sprint(c.maxSessions),
			fmt.Sprintf("%d (%s)", c.left, pct(c.left, c.sess.n))))
	}
	head := append(b.labelHead(), "runs", "session·s / run", "of which after the login", "session·s / success",
		"kB·s / run", "kB·s / success", "peak bytes / run", "max bytes", "max sessions", "runs leaving a session")
	out = append(out, block{kind: "table", head: head, rows: rows,
		notes: "kB is 1,000 bytes of session payload. max bytes and max sessions: the largest peak of any run of the point (an attacker's sessions included: they cost the server too)."})
	if len(b.points) > 1 {
		for i, a := range b.m.Axes {
			p, err := meanPlot("Rendezvous server cost against "+a.Path, "sessions alive × seconds per run", a, b.axisSeries(i, maxSeries), sessionCost)
			if err != nil {
				return nil, err
			}
			out = append(out, block{kind: "figure", fig: &figure{stem: fmt.Sprintf("cost-%d", i+1), p: p,
				caption: fmt.Sprintf("Mean session·s per run against %s, with 95%% intervals (the table above gives n and the bytes).", a.Path)}})
		}
	}
	return out, nil
}

// sessionCost is a group's mean session·s per run and the half-width of
// its 95% interval (normal approximation, as in the table).
func sessionCost(g *group) (float64, float64, bool) {
	m := g.cost.sess
	if m.n == 0 {
		return 0, 0, false
	}
	mean, sd := m.meanSD(1000)
	if m.n < 2 {
		return mean, 0, true
	}
	return mean, z95 * sd / math.Sqrt(float64(m.n)), true
}
