package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"qrlab/reports"
	"qrlab/scenarios"
	"qrlab/sim"
)

const reportUsage = `usage: simrun report DIR [flags]

Writes DIR/report.md and DIR/report.html, with their plots as PNG and SVG
under DIR/plots, from the run records in DIR/runs.jsonl (a sweep's
directory: DIR/sweep.json names the grid). DIR may also be a records file
(simrun run --out FILE); the report then goes beside it, one group, no
diagrams. The report re-runs two seeds (a typical run and a failing one)
to draw them as Mermaid sequence diagrams. The same records give the same
report.md, whatever their order.

Exit status: 0 ok, 2 for bad usage or input.
Flags:
`

// runReport is simrun report.
func runReport(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun report", reportUsage, stderr, nil)
	out := fs.String("out", "", "write the report here instead of beside the records")
	pos, code := parseInterspersed(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "simrun report: want one DIR (a sweep's directory) or a records file")
		return 2
	}
	src := pos[0]
	dst := *out
	if dst == "" {
		dst = src
		if st, err := os.Stat(src); err == nil && !st.IsDir() {
			dst = filepath.Dir(src)
		}
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	}
	return writeReport(src, dst, stdout, stderr)
}

// writeReport reads the records of src (a sweep directory or a records
// file) and writes the report into dst.
func writeReport(src, dst string, stdout, stderr io.Writer) int {
	records := src
	var m *reports.Manifest
	if st, err := os.Stat(src); err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	} else if st.IsDir() {
		records = filepath.Join(src, "runs.jsonl")
		m, err = reports.ReadManifest(filepath.Join(src, "sweep.json"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "simrun report: %v\n", err)
			return 2
		}
	}
	b := reports.NewBuilder(m)
	if _, _, err := reports.ScanFile(records, b.Add); err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	}
	if b.Runs() == 0 {
		fmt.Fprintf(stderr, "simrun report: %s holds no run records\n", records)
		return 2
	}
	b.Finish()
	if _, _, err := reports.ScanFile(records, func(r *reports.Record) error { b.Pick(r); return nil }); err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	}
	if m != nil {
		typical, failing := b.Chosen()
		for _, c := range []struct {
			title string
			r     *reports.Record
		}{{"A typical run", typical}, {"A failing run", failing}} {
			if c.r == nil {
				continue
			}
			d, err := diagram(m, c.r)
			if err != nil {
				fmt.Fprintf(stderr, "simrun report: no diagram of point %d seed %d: %v\n", c.r.Point, c.r.Seed, err)
				continue
			}
			b.Diagrams = append(b.Diagrams, reports.Diagram{Title: fmt.Sprintf("%s: point %d, seed %d", c.title, c.r.Point, c.r.Seed),
				Point: c.r.Point, Seed: c.r.Seed, Mermaid: d})
		}
	}
	if err := b.Write(dst); err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "report: %s, %s (%d runs)\n", filepath.Join(dst, "report.md"), filepath.Join(dst, "report.html"), b.Runs())
	return 0
}

// maxDiagramLines keeps a diagram of a long run readable.
const maxDiagramLines = 160

// diagram re-runs one record's seed at its grid point and draws it. The
// trace hash must match the record's: same scenario, same run.
func diagram(m *reports.Manifest, r *reports.Record) (string, error) {
	sc, err := scenarios.Parse(m.Scenario, "sweep.json")
	if err != nil {
		return "", err
	}
	ps, err := sc.At(m.PointValues(r.Point))
	if err != nil {
		return "", err
	}
	cfg, err := ps.Config()
	if err != nil {
		return "", err
	}
	cfg.KeepTrace = true
	runner, err := sim.NewRunner(cfg)
	if err != nil {
		return "", err
	}
	res, err := runner.Run(r.Seed)
	if err != nil {
		return "", err
	}
	if res.TraceHash != r.TraceHash {
		return "", fmt.Errorf("the run does not reproduce (trace hash %s, record %s): the simulator changed since the sweep", res.TraceHash, r.TraceHash)
	}
	var buf bytes.Buffer
	if err := sim.WriteMermaid(&buf, runner.Trace().Events); err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) > maxDiagramLines {
		n := len(lines) - maxDiagramLines
		lines = append(lines[:maxDiagramLines], fmt.Sprintf("    Note over N,User: %d more lines (simrun replay shows the whole run)", n))
	}
	return strings.Join(lines, "\n"), nil
}
