package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// agreements are the values of a record's "agreement".
var agreements = []string{"both-success", "both-failure", "new-only", "existing-only", "unfinished"}

// decodeRecord reads one line as a run record and checks its schema: no
// field a record does not have, and the fields every record carries
// (variant, agreement, trace_hash) present, so that "{}" or a scenario file
// is not read as a run.
//
// fast, when not nil, reads the lines it can read exactly (recordDecoder);
// the others, and every line when it is nil, encoding/json reads.
func decodeRecord(fast *recordDecoder, line []byte, rec *Record) (jsonErr, schemaErr error) {
	if fast == nil || !fast.decode(line, rec) {
		*rec = Record{}
		if jsonErr, schemaErr = decodeRecordJSON(line, rec); jsonErr != nil || schemaErr != nil {
			return jsonErr, schemaErr
		}
	}
	return nil, checkRecord(rec)
}

// decodeRecordJSON reads one line as a record with encoding/json, refusing
// unknown fields and text after the object.
func decodeRecordJSON(line []byte, rec *Record) (jsonErr, schemaErr error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return nil, fmt.Errorf("not a run record: unknown field %s", f)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("not a run record: field %q holds a %s", te.Field, te.Value)
		}
		return errors.New(strings.TrimPrefix(err.Error(), "json: ")), nil
	}
	if dec.More() {
		return nil, errors.New("not a run record: text after the record's object")
	}
	return nil, nil
}

// checkRecord checks a decoded record's schema: the fields every record
// carries, a known agreement, a point that is not negative.
func checkRecord(rec *Record) error {
	var missing []string
	if rec.Variant == "" {
		missing = append(missing, `"variant"`)
	}
	if rec.Agreement == "" {
		missing = append(missing, `"agreement"`)
	}
	if rec.TraceHash == "" {
		missing = append(missing, `"trace_hash"`)
	}
	if len(missing) > 0 {
		return fmt.Errorf("not a run record: no %s (simrun sweep and simrun run --out write records)", strings.Join(missing, ", "))
	}
	known := false
	for _, a := range agreements {
		known = known || rec.Agreement == a
	}
	if !known {
		return fmt.Errorf("not a run record: agreement %q is none of %s", rec.Agreement, strings.Join(agreements, ", "))
	}
	if rec.Point < 0 {
		return fmt.Errorf("not a run record: point %d is negative", rec.Point)
	}
	return nil
}

// check refuses a record that is not part of the builder's sweep: its
// point and seed must be a run of the sweep (plain records: point 0, any
// seed), and its axes the values of its point.
func (b *Builder) check(r *Record) error {
	if r.Point < 0 || r.Point >= len(b.points) {
		return fmt.Errorf("%w: point %d outside the sweep's %d points", ErrRecords, r.Point, len(b.points))
	}
	if b.plain {
		return nil
	}
	if _, ok := b.m.Job(r.Point, r.Seed); !ok {
		return fmt.Errorf("%w: seed %d of point %d is not part of the sweep (seeds %d to %d)", ErrRecords, r.Seed, r.Point,
			b.m.Seed, b.m.Seed+uint64(b.m.Runs)-1)
	}
	want := b.m.PointValues(r.Point)
	if len(r.Axes) != len(want) {
		return fmt.Errorf("%w: point %d: the record has %d axis values, the sweep %d", ErrRecords, r.Point, len(r.Axes), len(want))
	}
	for i, a := range b.m.Axes {
		got, ok := r.Axes[a.Path]
		if !ok {
			return fmt.Errorf("%w: point %d: the record has no value for axis %q", ErrRecords, r.Point, a.Path)
		}
		if !sameJSON(got, want[i]) {
			return fmt.Errorf("%w: point %d: axis %q is %s in the record and %s in the sweep", ErrRecords, r.Point, a.Path, got, want[i])
		}
	}
	return nil
}

// sameJSON reports whether two JSON texts are equal but for white space.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

// runKey is what makes a record a duplicate of another: its job in the
// sweep, or its seed for plain records.
func (b *Builder) runKey(r *Record) uint64 {
	if b.plain {
		return r.Seed
	}
	j, _ := b.m.Job(r.Point, r.Seed)
	return uint64(j)
}

// seenSet marks runs already counted. It grows with the runs it is given
// (blocks of 4096 keys), not with the size of the sweep.
type seenSet map[uint64]*[64]uint64

// add marks k and reports whether it was new.
func (s seenSet) add(k uint64) bool {
	blk := s[k/4096]
	if blk == nil {
		blk = new([64]uint64)
		s[k/4096] = blk
	}
	w, bit := (k%4096)/64, uint64(1)<<(k%64)
	if blk[w]&bit != 0 {
		return false
	}
	blk[w] |= bit
	return true
}

// Duplicates is the number of records Add dropped because their run
// (point and seed) had been added already.
func (b *Builder) Duplicates() int { return b.dups }

// Warnings says what Add dropped, for the caller to print (none when
// nothing was).
func (b *Builder) Warnings() []string {
	if b.dups == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d duplicate record(s) dropped (the same point and seed more than once; each run counts once)", b.dups)}
}
