package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"qrlab/reports"
	"qrlab/scenarios"
	"qrlab/sim"
)

// Report reads the records of src (a sweep directory or a records file)
// and writes the report into dst; it returns the number of runs. warn,
// when set, is told of a diagram that could not be drawn.
func Report(src, dst string, warn func(error)) (runs int, err error) {
	records := src
	var m *reports.Manifest
	if st, err := os.Stat(src); err != nil {
		return 0, err
	} else if st.IsDir() {
		records = filepath.Join(src, "runs.jsonl")
		m, err = readManifest(filepath.Join(src, "sweep.json"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
	}
	b := reports.NewBuilder(m)
	if _, _, err := scanRecords(records, b.Add); err != nil {
		return 0, err
	}
	if b.Runs() == 0 {
		return 0, fmt.Errorf("%s holds no run records", records)
	}
	if warn != nil {
		for _, w := range b.Warnings() {
			warn(errors.New(w))
		}
	}
	b.Finish()
	if _, _, err := scanRecords(records, func(r *reports.Record) error { b.Pick(r); return nil }); err != nil {
		return 0, err
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
				if warn != nil {
					warn(fmt.Errorf("no diagram of point %d seed %d: %v", c.r.Point, c.r.Seed, err))
				}
				continue
			}
			b.Diagrams = append(b.Diagrams, reports.Diagram{Title: fmt.Sprintf("%s: point %d, seed %d", c.title, c.r.Point, c.r.Seed),
				Point: c.r.Point, Seed: c.r.Seed, Mermaid: d})
		}
	}
	if err := b.Write(dst); err != nil {
		return 0, err
	}
	return b.Runs(), nil
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
