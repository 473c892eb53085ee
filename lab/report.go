package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
	if m != nil {
		typical, failing := b.Chosen()
		for _, c := range []struct {
			title, name string
			r           *reports.Record
		}{{"A typical run", "typical", typical}, {"A failing run", "failing", failing}, {"An attacker's winning run", "attacker-won", b.Won()}} {
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
			d.Title, d.Name = fmt.Sprintf("%s: point %d, seed %d", c.title, c.r.Point, c.r.Seed), c.name
			b.Diagrams = append(b.Diagrams, d)
		}
	}
	if err := b.Write(dst); err != nil {
		return 0, err
	}
	return b.Runs(), nil
}

// maxDiagramSteps keeps a diagram of a long run readable.
const maxDiagramSteps = 160

// diagram re-runs one record's seed at its grid point and draws it. The
// trace hash must match the record's: same scenario, same run.
func diagram(m *reports.Manifest, r *reports.Record) (reports.Diagram, error) {
	d := reports.Diagram{Point: r.Point, Seed: r.Seed}
	sc, err := scenarios.Parse(m.Scenario, "sweep.json")
	if err != nil {
		return d, err
	}
	ps, err := sc.At(m.PointValues(r.Point))
	if err != nil {
		return d, err
	}
	cfg, err := ps.Config()
	if err != nil {
		return d, err
	}
	cfg.KeepTrace = true
	runner, err := sim.NewRunner(cfg)
	if err != nil {
		return d, err
	}
	res, err := runner.Run(r.Seed)
	if err != nil {
		return d, err
	}
	if res.TraceHash != r.TraceHash {
		return d, fmt.Errorf("the run does not reproduce (trace hash %s, record %s): the simulator changed since the sweep", res.TraceHash, r.TraceHash)
	}
	d.Steps = sim.Sequence(runner.Trace().Events)
	if len(d.Steps) > maxDiagramSteps {
		d.More = len(d.Steps) - maxDiagramSteps
		d.Steps = d.Steps[:maxDiagramSteps]
	}
	d.Mermaid = sim.MermaidOf(d.Steps)
	if d.More > 0 {
		d.Mermaid += fmt.Sprintf("    Note over N,User: %d more steps (simrun replay shows the whole run)\n", d.More)
	}
	return d, nil
}
