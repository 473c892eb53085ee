package lab

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"qrlab/reports"
	"qrlab/scenarios"
)

// openDir prepares a sweep's directory: a new sweep writes its manifest;
// resume checks that the directory holds the same sweep (and shard), reads
// which runs are recorded, cuts a record the last process left half
// written (telling warn), and rewrites the CSV from the records. A record
// outside the sweep or outside its shard (mine says which jobs are) is an
// error.
func openDir(dir string, resume bool, m *reports.Manifest, mine func(job int) bool, warn func(error)) (done *doneSet, prior int, err error) {
	done = newDoneSet()
	mpath := filepath.Join(dir, "sweep.json")
	jsonlPath := filepath.Join(dir, "runs.jsonl")
	old, err := readManifest(mpath)
	switch {
	case err == nil && !resume:
		return nil, 0, fmt.Errorf("%s already holds a sweep (%s); --resume continues it, or choose another --out", dir, old.Name)
	case err == nil:
		if old.Fingerprint != m.Fingerprint {
			return nil, 0, fmt.Errorf("%s holds a different sweep (fingerprint %s, this one %s): resuming needs the same scenario, --runs %d and --seed %d",
				dir, old.Fingerprint, m.Fingerprint, old.Runs, old.Seed)
		}
		if old.Shard != m.Shard {
			return nil, 0, fmt.Errorf("%s holds shard %q, not %q", dir, old.Shard, m.Shard)
		}
	case errors.Is(err, os.ErrNotExist):
		if _, serr := os.Stat(jsonlPath); serr == nil {
			return nil, 0, fmt.Errorf("%s has runs.jsonl but no sweep.json; choose another --out", dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, 0, err
		}
		if err := reports.WriteManifest(mpath, m); err != nil {
			return nil, 0, err
		}
		return done, 0, nil
	default:
		return nil, 0, err
	}
	// Resume.
	valid, _, err := scanRecords(jsonlPath, func(r *reports.Record) error {
		j, ok := m.Job(r.Point, r.Seed)
		if !ok {
			return fmt.Errorf("record of point %d seed %d is not part of this sweep", r.Point, r.Seed)
		}
		if !mine(j) {
			return fmt.Errorf("record of point %d seed %d is not part of shard %s", r.Point, r.Seed, m.Shard)
		}
		if !done.get(j) {
			done.set(j)
			prior++
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("resume: %v", err)
	}
	if err == nil {
		if st, _ := os.Stat(jsonlPath); st != nil && st.Size() > valid {
			if warn != nil {
				warn(fmt.Errorf("resume: dropping a half-written record at the end of %s", jsonlPath))
			}
			if err := os.Truncate(jsonlPath, valid); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := RewriteCSV(dir, m); err != nil {
		return nil, 0, fmt.Errorf("resume: %v", err)
	}
	return done, prior, nil
}

// RewriteCSV makes DIR/runs.csv from DIR/runs.jsonl.
func RewriteCSV(dir string, m *reports.Manifest) error {
	f, err := os.Create(filepath.Join(dir, "runs.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	cw := reports.NewCSVWriter(bw, axisPaths(m), true)
	_, _, err = scanRecords(filepath.Join(dir, "runs.jsonl"), func(r *reports.Record) error { return cw.Write(r) })
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// WritePoint writes the scenario of r's grid point, with r's seed as its
// one run, to DIR/points/point-P.json and returns the path: what
// simrun replay --scenario needs to reproduce r.
func WritePoint(dir string, sc scenarios.Scenario, m *reports.Manifest, r *reports.Record) (string, error) {
	ps, err := sc.At(m.PointValues(r.Point))
	if err != nil {
		return "", err
	}
	ps.Runs, ps.Seed = 1, r.Seed
	b, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return "", err
	}
	pd := filepath.Join(dir, "points")
	path := filepath.Join(pd, fmt.Sprintf("point-%d.json", r.Point))
	if err := os.MkdirAll(pd, 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

// MergeResult is what Merge did.
type MergeResult struct {
	Manifest   *reports.Manifest
	Kept, Dups int
	// Missing is the number of the sweep's runs no shard recorded;
	// Repeated the shards given more than once.
	Missing  int
	Repeated []string
}

// ErrPartial is Merge's error when shards are missing or repeated and the
// merge was not allowed to be partial; nothing is written.
var ErrPartial = errors.New("partial merge")

// Merge joins the directories of a sweep's shards into out: one manifest,
// every run once (duplicates dropped), and the CSV. Unless allowPartial,
// a shard given twice or a run that no shard recorded is an ErrPartial and
// out is left without records.
func Merge(out string, shards []string, allowPartial bool) (*MergeResult, error) {
	jsonlPath := filepath.Join(out, "runs.jsonl")
	if _, err := os.Stat(jsonlPath); err == nil {
		return nil, fmt.Errorf("%s already holds records; choose a new --out", out)
	}
	for _, d := range shards {
		if err := notBeingWritten(d); err != nil {
			return nil, err
		}
	}
	m, err := mergeManifest(out, shards)
	if err != nil {
		return nil, err
	}
	res := &MergeResult{Manifest: m, Repeated: repeatedShards(m.Merged)}
	if len(res.Repeated) > 0 && !allowPartial {
		return res, fmt.Errorf("%w: shard %s given more than once (--allow-partial merges anyway)", ErrPartial, strings.Join(res.Repeated, ", "))
	}
	lock, err := reports.LockDir(out)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	tmp := jsonlPath + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	defer f.Close()
	if err := mergeRecords(f, m, shards, res); err != nil {
		return nil, err
	}
	res.Missing = m.Jobs() - res.Kept
	if res.Missing > 0 && !allowPartial {
		return res, fmt.Errorf("%w: %d of the sweep's %d runs are in no shard (a shard not given, or not finished: --resume it; --allow-partial merges anyway)",
			ErrPartial, res.Missing, m.Jobs())
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, jsonlPath); err != nil {
		return nil, err
	}
	if err := reports.WriteManifest(filepath.Join(out, "sweep.json"), m); err != nil {
		return nil, err
	}
	if err := RewriteCSV(out, m); err != nil {
		return nil, err
	}
	return res, nil
}

// mergeRecords copies every shard's records to f, each run once, counting
// in res.
func mergeRecords(f *os.File, m *reports.Manifest, shards []string, res *MergeResult) error {
	w := bufio.NewWriterSize(f, 1<<16)
	done := newDoneSet()
	for _, d := range shards {
		_, _, err := scanRecords(filepath.Join(d, "runs.jsonl"), func(r *reports.Record) error {
			j, ok := m.Job(r.Point, r.Seed)
			if !ok {
				return fmt.Errorf("record of point %d seed %d is not part of the sweep", r.Point, r.Seed)
			}
			if done.get(j) {
				res.Dups++
				return nil
			}
			done.set(j)
			res.Kept++
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = w.Write(append(b, '\n'))
			return err
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return w.Flush()
}

// repeatedShards are the shards that merged more than once.
func repeatedShards(merged []string) []string {
	seen := map[string]int{}
	var rep []string
	for _, s := range merged {
		if seen[s]++; seen[s] == 2 {
			rep = append(rep, s)
		}
	}
	return rep
}

// mergeManifest is the manifest of the shards' sweep, with the shards it
// merges.
func mergeManifest(out string, shards []string) (*reports.Manifest, error) {
	var m *reports.Manifest
	for _, d := range shards {
		if filepath.Clean(d) == filepath.Clean(out) {
			return nil, fmt.Errorf("--out %s is one of the shards", d)
		}
		sm, err := readManifest(filepath.Join(d, "sweep.json"))
		if err != nil {
			return nil, err
		}
		if err := CheckCounts(sm.Points, sm.Runs, sm.Seed); err != nil {
			return nil, fmt.Errorf("%s: %v", filepath.Join(d, "sweep.json"), err)
		}
		if m == nil {
			c := *sm
			m = &c
			m.Shard, m.Merged = "", nil
		} else if sm.Fingerprint != m.Fingerprint {
			return nil, fmt.Errorf("%s is shard %q of another sweep (%s, fingerprint %s; the first shard's is %s)",
				d, sm.Shard, sm.Name, sm.Fingerprint, m.Fingerprint)
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
	return m, nil
}

// notBeingWritten refuses a shard folder whose sweep still runs (another
// process holds its lock): its records would be cut short.
func notBeingWritten(dir string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil // mergeManifest says what is wrong with it
	}
	l, err := reports.LockDir(dir)
	if err != nil {
		return fmt.Errorf("shard %s: %w", dir, err)
	}
	return l.Close()
}
