package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"qrlab/lab"
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
	st, err := os.Stat(src)
	if err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	}
	dst := *out
	if dst == "" {
		dst = src
		if !st.IsDir() {
			dst = filepath.Dir(src)
		}
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	}
	return writeReport(src, dst, stdout, stderr)
}

// writeReport writes the report of src's records into dst and says where.
func writeReport(src, dst string, stdout, stderr io.Writer) int {
	runs, err := lab.Report(src, dst, func(err error) { fmt.Fprintf(stderr, "simrun report: %v\n", err) })
	if err != nil {
		fmt.Fprintf(stderr, "simrun report: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "report: %s, %s (%d runs)\n", filepath.Join(dst, "report.md"), filepath.Join(dst, "report.html"), runs)
	return 0
}
