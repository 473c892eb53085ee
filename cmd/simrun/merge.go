package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"qrlab/reports"
)

const mergeUsage = `usage: simrun merge --out DIR SHARD_DIR...

Joins the output directories of one sweep's shards (simrun sweep --shard
K/N) into DIR: the records of every shard, each run once, in DIR/runs.jsonl
and DIR/runs.csv, a sweep.json without the shard, and the report. Shards
of different sweeps (another scenario, --runs or --seed) are refused.

Exit status: 0 ok, 2 for bad usage or input.
Flags:
`

// runMerge is simrun merge.
func runMerge(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun merge", mergeUsage, stderr, nil)
	out := fs.String("out", "", "the merged sweep's directory (new)")
	noReport := fs.Bool("no-report", false, "do not write the report")
	shards, code := parseInterspersed(fs, args)
	if code >= 0 {
		return code
	}
	if *out == "" || len(shards) == 0 {
		fmt.Fprintln(stderr, "simrun merge: want --out DIR and at least one shard directory")
		return 2
	}
	if _, err := os.Stat(filepath.Join(*out, "runs.jsonl")); err == nil {
		fmt.Fprintf(stderr, "simrun merge: %s already holds records; choose a new --out\n", *out)
		return 2
	}
	var m *reports.Manifest
	for _, d := range shards {
		if filepath.Clean(d) == filepath.Clean(*out) {
			fmt.Fprintf(stderr, "simrun merge: --out %s is one of the shards\n", d)
			return 2
		}
		sm, err := reports.ReadManifest(filepath.Join(d, "sweep.json"))
		if err != nil {
			fmt.Fprintf(stderr, "simrun merge: %v\n", err)
			return 2
		}
		if m == nil {
			c := *sm
			m = &c
			m.Shard, m.Merged = "", nil
		} else if sm.Fingerprint != m.Fingerprint {
			fmt.Fprintf(stderr, "simrun merge: %s is shard %q of another sweep (%s, fingerprint %s; the first shard's is %s)\n",
				d, sm.Shard, sm.Name, sm.Fingerprint, m.Fingerprint)
			return 2
		}
		if sm.Shard == "" {
			m.Merged = append(m.Merged, "all")
		} else {
			m.Merged = append(m.Merged, sm.Merged...)
			if len(sm.Merged) == 0 {
				m.Merged = append(m.Merged, sm.Shard)
			}
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "simrun merge: %v\n", err)
		return 2
	}
	f, err := os.Create(filepath.Join(*out, "runs.jsonl"))
	if err != nil {
		fmt.Fprintf(stderr, "simrun merge: %v\n", err)
		return 2
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<16)
	done := newBitset(m.Jobs())
	kept, dups := 0, 0
	for _, d := range shards {
		_, _, err := reports.ScanFile(filepath.Join(d, "runs.jsonl"), func(r *reports.Record) error {
			j, ok := m.Job(r.Point, r.Seed)
			if !ok {
				return fmt.Errorf("record of point %d seed %d is not part of the sweep", r.Point, r.Seed)
			}
			if done.get(j) {
				dups++
				return nil
			}
			done.set(j)
			kept++
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = w.Write(append(b, '\n'))
			return err
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "simrun merge: %v\n", err)
			return 2
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "simrun merge: %v\n", err)
		return 2
	}
	if err := reports.WriteManifest(filepath.Join(*out, "sweep.json"), m); err != nil {
		fmt.Fprintf(stderr, "simrun merge: %v\n", err)
		return 2
	}
	if err := rewriteCSV(*out, m); err != nil {
		fmt.Fprintf(stderr, "simrun merge: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "merged %d shard(s) of sweep %s: %d runs of %d (%d duplicates dropped)\n", len(shards), m.Name, kept, m.Jobs(), dups)
	if kept < m.Jobs() {
		fmt.Fprintf(stderr, "simrun merge: %d runs of the sweep are missing (a shard not merged, or not finished: --resume it)\n", m.Jobs()-kept)
	}
	if !*noReport && kept > 0 {
		return writeReport(*out, *out, stdout, stderr)
	}
	return 0
}
