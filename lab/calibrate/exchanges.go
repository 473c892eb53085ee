package calibrate

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strings"

	"qrlab/sim"
)

// Per-exchange timings: how long each HTTP exchange of a login took, from
// the client handing the request over (a connection still to be opened
// included) to its answer read, grouped by kind (client, method and path
// with its identifiers blanked). Set side by side, real and simulated,
// they show which exchanges carry a difference in time to token.

// Exchange is one HTTP exchange's kind and duration.
type Exchange struct {
	Kind   string
	Millis float64
	// Failed: no answer (a timeout or a transport error).
	Failed bool
}

// exchangeKind names an exchange of client by its method and its URL's
// path, each identifier-like segment (8 or more characters with a digit or
// a capital: session IDs, device IDs, grant codes) written "*", the query
// dropped and the live server's mount of the provider ("/oauth/") taken
// off, so that a real and a simulated login's exchanges meet under one
// name.
func exchangeKind(client, method, u string) string {
	if p, err := url.Parse(u); err == nil {
		u = p.Path
	} else if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	u = strings.TrimPrefix(u, "/oauth")
	if !strings.HasPrefix(u, "/") {
		u = "/oauth" + u
	}
	segs := strings.Split(u, "/")
	for i, s := range segs {
		if len(s) >= 8 && strings.ContainsFunc(s, func(r rune) bool { return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' }) {
			segs[i] = "*"
		}
	}
	return client + " " + method + " " + strings.Join(segs, "/")
}

// simExchanges pairs a kept trace's sends and answers of the devices and
// the browser, first in first out per client and request (a client has
// one such request in flight at a time).
func simExchanges(events []sim.Event) []Exchange {
	type key struct {
		a    sim.Actor
		name string
	}
	open := map[key][]sim.Millis{}
	var out []Exchange
	client := func(a sim.Actor) bool {
		return a == sim.ActorNew || a == sim.ActorExisting || a == sim.ActorBrowser
	}
	for i := range events {
		e := &events[i]
		if !client(e.Actor) || (e.Kind != sim.EvSend && e.Kind != sim.EvRecv) {
			continue
		}
		k := key{e.Actor, e.Name}
		if e.Kind == sim.EvSend {
			open[k] = append(open[k], e.At)
			continue
		}
		q := open[k]
		if len(q) == 0 {
			continue
		}
		open[k] = q[1:]
		method, path, _ := strings.Cut(e.Name, " ")
		out = append(out, Exchange{Kind: exchangeKind(e.Actor.String(), method, path), Millis: float64(e.At - q[0]),
			Failed: e.Status == 0})
	}
	return out
}

// exchangeSide gathers logins' exchanges by kind: the durations of those
// answered (sorted) and the count of those that failed.
func exchangeSide(outs []Outcome) (map[string][]float64, map[string]int) {
	ms, failed := map[string][]float64{}, map[string]int{}
	for _, o := range outs {
		for _, x := range o.Exchanges {
			if x.Failed {
				failed[x.Kind]++
				continue
			}
			ms[x.Kind] = append(ms[x.Kind], x.Millis)
		}
	}
	for _, v := range ms {
		slices.Sort(v)
	}
	if len(failed) == 0 {
		failed = nil
	}
	return ms, failed
}

// WriteExchanges writes, per profile and exchange kind (most frequent
// first), the exchanges per login, their mean, p50, p90 and p99 real /
// simulated (no KS distance: a simulated exchange without loss takes the
// round trip to the millisecond, a real one a millisecond or two more, so
// the distance measures that step, not the recovery), the share slower than the round trip plus
// 250 ms (a loss recovered) and the extra time per login the real side
// spent in that kind over the simulator (count per login × mean, real less
// simulated).
func WriteExchanges(w io.Writer, rows []Row) {
	for _, r := range rows {
		if len(r.Real.Exchanges) == 0 {
			continue
		}
		kinds := make([]string, 0, len(r.Real.Exchanges))
		for k := range r.Real.Exchanges {
			kinds = append(kinds, k)
		}
		slices.SortFunc(kinds, func(a, b string) int {
			if d := len(r.Real.Exchanges[b]) - len(r.Real.Exchanges[a]); d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		slow := float64(r.Profile.RTTMillis) + 250
		fmt.Fprintf(w, "%s: exchanges by kind, real / sim (%d / %d logins)\n", r.Profile.Name, r.Real.N, r.Sim.N)
		fmt.Fprintf(w, "| kind | per login | mean ms | p50 | p90 | p99 | > RTT+250 ms | extra ms / login |\n|---|---|---|---|---|---|---|---|\n")
		var total float64
		for _, k := range kinds {
			re, si := r.Real.Exchanges[k], r.Sim.Exchanges[k]
			perR, perS := float64(len(re))/float64(r.Real.N), float64(len(si))/float64(max(1, r.Sim.N))
			extra := perR*mean(re) - perS*mean(si)
			if !math.IsNaN(extra) {
				total += extra
			}
			fmt.Fprintf(w, "| %s | %.1f / %.1f | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f | %.3f / %.3f | %+.0f |\n", k, perR, perS,
				mean(re), mean(si), quantile(re, 0.5), quantile(si, 0.5), quantile(re, 0.9), quantile(si, 0.9),
				quantile(re, 0.99), quantile(si, 0.99), above(re, slow), above(si, slow), extra)
		}
		fmt.Fprintf(w, "| all kinds | | | | | | | %+.0f |\n", total)
		for k, n := range r.Real.ExchangeFails {
			fmt.Fprintf(w, "%s real exchanges failed: %s %d\n", r.Profile.Name, k, n)
		}
		for k, n := range r.Sim.ExchangeFails {
			fmt.Fprintf(w, "%s sim exchanges failed: %s %d\n", r.Profile.Name, k, n)
		}
		fmt.Fprintln(w)
	}
}

// WriteDelayHistogram writes, per profile, how every answered exchange's
// duration falls into bands of round trips (all kinds together), real and
// simulated, as shares.
func WriteDelayHistogram(w io.Writer, rows []Row) {
	for _, r := range rows {
		if len(r.Real.Exchanges) == 0 {
			continue
		}
		var re, si []float64
		for _, v := range r.Real.Exchanges {
			re = append(re, v...)
		}
		for _, v := range r.Sim.Exchanges {
			si = append(si, v...)
		}
		slices.Sort(re)
		slices.Sort(si)
		rtt := float64(r.Profile.RTTMillis)
		edges := []float64{rtt + 100, rtt + 300, 2*rtt + 400, 3*rtt + 700, 4*rtt + 1000, 6*rtt + 2000, math.Inf(1)}
		fmt.Fprintf(w, "%s: exchange durations, share real / sim (n %d / %d)\n", r.Profile.Name, len(re), len(si))
		lo := 0.0
		for _, hi := range edges {
			fmt.Fprintf(w, "  [%5.0f, %5.0f) ms: %.4f / %.4f\n", lo, hi, between(re, lo, hi), between(si, lo, hi))
			lo = hi
		}
	}
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// above is the share of xs above t (NaN for none).
func above(xs []float64, t float64) float64 { return between(xs, t+1e-9, math.Inf(1)) }

// between is the share of xs in [lo, hi) (NaN for none).
func between(xs []float64, lo, hi float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	n := 0
	for _, x := range xs {
		if x >= lo && x < hi {
			n++
		}
	}
	return float64(n) / float64(len(xs))
}
