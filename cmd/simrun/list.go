package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"qrlab/scenarios"
)

const listUsage = `usage: simrun list [--json]

Lists the built-in scenarios (scenarios/library): name, grid points and
runs per point, sweep axes, and what each asks. Run one with
simrun run --scenario NAME (no sweep) or simrun sweep NAME.

Exit status: 0 ok, 2 for bad usage.
Flags:
`

// runList is simrun list.
func runList(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun list", listUsage, stderr, nil)
	asJSON := fs.Bool("json", false, "one JSON object per scenario")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	for _, n := range scenarios.Names() {
		sc, err := scenarios.Load(n)
		if err != nil {
			fmt.Fprintf(stderr, "simrun list: %v\n", err)
			return 2
		}
		var axes []string
		for _, a := range sc.Sweep {
			axes = append(axes, fmt.Sprintf("%s (%d)", a.Path, len(a.Values)))
		}
		if *asJSON {
			b, _ := json.Marshal(map[string]any{"name": sc.Name, "description": sc.Description, "points": sc.GridSize(),
				"runs_per_point": sc.Runs, "axes": axes})
			fmt.Fprintf(stdout, "%s\n", b)
			continue
		}
		fmt.Fprintf(stdout, "%-24s %3d point(s) × %-5d %s\n", sc.Name, sc.GridSize(), sc.Runs, sc.Description)
		if len(axes) > 0 {
			fmt.Fprintf(stdout, "%-24s sweep: %s\n", "", strings.Join(axes, ", "))
		}
	}
	return 0
}
