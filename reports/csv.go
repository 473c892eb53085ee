package reports

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// CSVWriter writes records as CSV, one column per sweep axis after the
// grid point, then the run's figures.
type CSVWriter struct {
	w    *csv.Writer
	axes []string
	row  []string
}

// csvColumns follow the grid point and the axes. root_cause is the
// simulator's first fault, verbatim (identifiers included); the store_
// columns are the rendezvous server's cost (sim.StoreCost), empty in
// records written before it was measured.
var csvColumns = []string{"seed", "variant", "network", "intent", "success", "agreement",
	"new_outcome", "new_reason", "existing_outcome", "existing_reason", "disagree", "root_cause", "signed_in_ms", "secrets_ms", "end_ms",
	"messages", "requests", "lost", "store_session_ms", "store_byte_ms", "store_peak_sessions", "store_peak_bytes", "store_left_sessions",
	"store_deleting_sessions", "adversaries", "attacker_won", "violation", "trace_hash"}

// NewCSVWriter writes CSV rows to w, starting with the header line when
// header is set (a new file rather than one being appended to). Write
// errors surface at Flush.
func NewCSVWriter(w io.Writer, axes []string, header bool) *CSVWriter {
	c := &CSVWriter{w: csv.NewWriter(w), axes: axes}
	if header {
		head := []string{"point"}
		for _, a := range axes {
			head = append(head, "axis:"+a)
		}
		c.w.Write(append(head, csvColumns...))
	}
	return c
}

// Write writes one record.
func (c *CSVWriter) Write(r *Record) error {
	c.row = c.row[:0]
	c.row = append(c.row, strconv.Itoa(r.Point))
	for _, a := range c.axes {
		c.row = append(c.row, valueText(r.Axes[a]))
	}
	viol := ""
	if r.Violation != nil {
		viol = r.Violation.Invariant
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	c.row = append(c.row, strconv.FormatUint(r.Seed, 10), r.Variant, r.Network, r.Intent, strconv.FormatBool(r.Success()),
		r.Agreement, r.New.Outcome, r.New.Reason, r.Existing.Outcome, r.Existing.Reason, strconv.FormatBool(r.Disagree()), r.RootCause,
		i(int64(r.SignedInMillis)), i(int64(r.SecretsMillis)), i(int64(r.EndMillis)),
		strconv.Itoa(r.Messages), strconv.Itoa(r.Requests), strconv.Itoa(r.Lost))
	if sc := r.StoreCost; sc != nil {
		c.row = append(c.row, i(sc.SessionMillis), i(sc.ByteMillis), strconv.Itoa(sc.PeakSessions), strconv.Itoa(sc.PeakBytes), strconv.Itoa(sc.Left),
			strconv.Itoa(sc.Deleting))
	} else {
		c.row = append(c.row, "", "", "", "", "", "")
	}
	c.row = append(c.row, strings.Join(r.Adversaries, "+"), r.AttackerWon, viol, r.TraceHash)
	return c.w.Write(c.row)
}

// Flush writes buffered rows out and reports a write error.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
