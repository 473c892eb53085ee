package lab

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"time"

	"qrlab/model/qr"
	"qrlab/scenarios"
	"qrlab/sim"
)

// Between says which value Quantile takes when p falls between two ranks.
type Between int

const (
	// Lower takes the lower of the two: xs[floor(p*(n-1))], a value that
	// was observed (run totals).
	Lower Between = iota
	// Midpoint takes the mean of the two, so that the median of an even
	// count is the mean of the middle two (fuzz speeds).
	Midpoint
)

// Quantile is the p-quantile (0 <= p <= 1) of xs, 0 for none. It sorts xs
// in place when they are not sorted yet.
func Quantile(xs []float64, p float64, how Between) float64 {
	if len(xs) == 0 {
		return 0
	}
	if !sort.Float64sAreSorted(xs) {
		sort.Float64s(xs)
	}
	pos := p * float64(len(xs)-1)
	lo := int(pos)
	if how == Lower || float64(lo) == pos {
		return xs[lo]
	}
	return (xs[lo] + xs[lo+1]) / 2
}

// Median is Quantile(xs, 0.5, Midpoint).
func Median(xs []float64) float64 { return Quantile(xs, .5, Midpoint) }

// quantiles returns the p50, p90 and p99 of xs (Lower), sorting xs once.
func quantiles(xs []float64) (p50, p90, p99 float64) {
	return Quantile(xs, .5, Lower), Quantile(xs, .9, Lower), Quantile(xs, .99, Lower)
}

// Totals aggregates simulated runs.
type Totals struct {
	Runs, Success, Violations int
	// Reasons counts failed logins by reason.
	Reasons   map[string]int
	Agreement map[string]int
	// SignedIn and Secrets are the seconds to the token and to the secrets
	// of the runs that got there.
	SignedIn, Secrets []float64
	Requests, Lost    int
	// Attacker counts what attackers obtained, by "what (exposure)".
	Attacker map[string]int
}

// NewTotals is an empty Totals.
func NewTotals() *Totals {
	return &Totals{Reasons: map[string]int{}, Agreement: map[string]int{}, Attacker: map[string]int{}}
}

// Add counts one run.
func (t *Totals) Add(r *sim.Result) {
	t.Runs++
	if r.Success() {
		t.Success++
	} else {
		reason := r.New.Reason
		if reason == "" {
			reason = r.Existing.Reason
		}
		if reason == "" {
			reason = "unfinished"
		}
		t.Reasons[reason]++
	}
	if r.Violation != nil {
		t.Violations++
	}
	t.Agreement[r.Agreement]++
	if r.SignedInMillis >= 0 {
		t.SignedIn = append(t.SignedIn, float64(r.SignedInMillis)/1000)
	}
	if r.SecretsMillis >= 0 {
		t.Secrets = append(t.Secrets, float64(r.SecretsMillis)/1000)
	}
	t.Requests += r.Requests
	t.Lost += r.Lost
	if r.AttackerWon != "" {
		k := r.AttackerWon
		if r.Exposure != "" {
			k += " (" + r.Exposure + ")"
		}
		t.Attacker[k]++
	}
}

func quantileMap(xs []float64) map[string]float64 {
	p50, p90, p99 := quantiles(xs)
	return map[string]float64{"p50": p50, "p90": p90, "p99": p99}
}

// Summary is the totals as a JSON object (simrun run --json).
func (t *Totals) Summary(elapsed time.Duration) map[string]any {
	return map[string]any{
		"runs": t.Runs, "success": t.Success, "violations": t.Violations, "failure_reasons": t.Reasons,
		"agreement": t.Agreement, "requests": t.Requests, "lost": t.Lost, "attacker_won": t.Attacker,
		"token_s":         quantileMap(t.SignedIn),
		"secrets_s":       quantileMap(t.Secrets),
		"runs_per_second": float64(t.Runs) / elapsed.Seconds(),
	}
}

// WriteText writes the totals of sc's runs under cfg as text.
func (t *Totals) WriteText(w io.Writer, sc scenarios.Scenario, cfg sim.Config, elapsed time.Duration) {
	intent := "the new device shows the QR code"
	if cfg.Intent == qr.Reciprocate {
		intent = "the existing device shows the QR code"
	}
	mode := ""
	if cfg.Swarm != nil {
		mode = ", swarm"
	}
	fmt.Fprintf(w, "\nscenario %s: variant %s, network %s over %s%s, %s; seeds %d..%d\n", sc.Name, cfg.Variant.Name, cfg.Network.Name,
		cfg.TransportKind(), mode, intent, sc.Seed, sc.Seed+uint64(max(t.Runs, 1))-1)
	fmt.Fprintf(w, "provenance: %s %s", cfg.Variant.Name, cfg.Variant.Status())
	if cfg.NewVariant != nil {
		fmt.Fprintf(w, "; new device %s %s", cfg.NewVariant.Name, cfg.NewVariant.Status())
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "runs %d  signed in %d (%.1f%%)  invariant violations %d\n", t.Runs, t.Success,
		100*float64(t.Success)/float64(max(t.Runs, 1)), t.Violations)
	if len(t.SignedIn) > 0 {
		p50, p90, p99 := quantiles(t.SignedIn)
		fmt.Fprintf(w, "time to token   p50 %.1fs  p90 %.1fs  p99 %.1fs\n", p50, p90, p99)
	}
	if len(t.Secrets) > 0 {
		p50, p90, p99 := quantiles(t.Secrets)
		fmt.Fprintf(w, "time to secrets p50 %.1fs  p90 %.1fs  p99 %.1fs\n", p50, p90, p99)
	}
	if len(t.Reasons) > 0 {
		writeCounts(w, "failures by reason:", t.Reasons, true)
	}
	writeCounts(w, "endings:", t.Agreement, false)
	if len(t.Attacker) > 0 {
		writeCounts(w, "attacker won:", t.Attacker, false)
	}
	fmt.Fprintf(w, "requests %d  lost on the network %d  wall %.2fs (%.0f runs/s)\n", t.Requests, t.Lost, elapsed.Seconds(),
		float64(t.Runs)/elapsed.Seconds())
	t.writeLegend(w, cfg)
}

// writeCounts writes a line of label and each key with its count: most
// frequent first (ties by name) when byCount, else by name.
func writeCounts(w io.Writer, label string, m map[string]int, byCount bool) {
	keys := slices.Sorted(maps.Keys(m))
	if byCount {
		sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	}
	fmt.Fprint(w, label)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s %d", k, m[k])
	}
	fmt.Fprintln(w)
}
