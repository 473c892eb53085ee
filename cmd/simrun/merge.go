package main

import (
	"fmt"
	"io"

	"qrlab/lab"
)

const mergeUsage = `usage: simrun merge --out DIR SHARD_DIR...

Joins the output directories of one sweep's shards (simrun sweep --shard
K/N) into DIR: the records of every shard, each run once, in DIR/runs.jsonl
and DIR/runs.csv, a sweep.json without the shard, and the report. Shards
of different sweeps (another scenario, --runs or --seed) are refused, and
so, unless --allow-partial, is a merge that would miss runs (a shard not
given or not finished) or that is given a shard twice.

Exit status: 0 ok, 2 for bad usage or input (a partial merge included).
Flags:
`

// runMerge is simrun merge.
func runMerge(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun merge", mergeUsage, stderr, nil)
	out := fs.String("out", "", "the merged sweep's directory (new)")
	noReport := fs.Bool("no-report", false, "do not write the report")
	partial := fs.Bool("allow-partial", false, "merge even when runs are missing or a shard is given twice")
	shards, code := parseInterspersed(fs, args)
	if code >= 0 {
		return code
	}
	if *out == "" || len(shards) == 0 {
		fmt.Fprintln(stderr, "simrun merge: want --out DIR and at least one shard directory")
		return 2
	}
	r, err := lab.Merge(*out, shards, *partial)
	if err != nil {
		fmt.Fprintf(stderr, "simrun merge: %v\n", err)
		return 2
	}
	m, kept, dups := r.Manifest, r.Kept, r.Dups
	fmt.Fprintf(stdout, "merged %d shard(s) of sweep %s: %d runs of %d (%d duplicates dropped)\n", len(shards), m.Name, kept, m.Jobs(), dups)
	if r.Missing > 0 {
		fmt.Fprintf(stderr, "simrun merge: %d runs of the sweep are missing (--allow-partial)\n", r.Missing)
	}
	if !*noReport && kept > 0 {
		return writeReport(*out, *out, stdout, stderr)
	}
	return 0
}
