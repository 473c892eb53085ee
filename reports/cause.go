package reports

import (
	"fmt"
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
// identifiers blanked, joined by NUL.
func causeKey(r *Record) string {
	dis := "no"
	if r.Disagree() {
		dis = "yes"
	}
	cause := genericPath(r.RootCause)
	if r.Violation != nil {
		cause = "violation: " + r.Violation.Invariant
	}
	if cause == "" {
		cause = "none recorded"
	}
	return strings.Join([]string{ending(r.New), ending(r.Existing), dis, cause}, "\x00")
}

// genericPath blanks the per-run identifiers of the paths in a root cause
// (a rendezvous session's id, a device id), so that runs with the same
// cause count together: the segment after "rendezvous" or "devices", and
// any segment of eight or more characters with a digit, becomes {id}.
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
		keys := sortedByCount(l.g.causes)
		rest := 0
		for i, k := range keys {
			if i >= maxCauses {
				rest += l.g.causes[k]
				continue
			}
			parts := strings.Split(k, "\x00")
			cause := parts[3]
			if cause != "none recorded" && !strings.HasPrefix(cause, "violation") {
				cause = "`" + cause + "`"
			}
			rows = append(rows, []string{l.label, "`" + parts[0] + "`", "`" + parts[1] + "`", parts[2], cause,
				fmt.Sprint(l.g.causes[k]), pct(l.g.causes[k], l.g.n)})
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
