package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"qrlab/reports"
	"qrlab/scenarios"
)

// The limits of what the lab reads: every input goes through one, so that
// a wrong file (a device, a log, /dev/zero) is one clear error, not an
// unbounded read.
const (
	// MaxSpecBytes bounds a scenario or variant file (and a network
	// profile, which lives inside a scenario).
	MaxSpecBytes = 1 << 20
	// MaxManifestBytes bounds a sweep's sweep.json: a scenario and its
	// axes.
	MaxManifestBytes = 4 << 20
	// MaxRecordLine bounds one line of run records; a record is about a
	// kilobyte.
	MaxRecordLine = 1 << 20
)

// ErrTooLarge is wrapped by the errors of an input past its limit.
var ErrTooLarge = errors.New("input too large")

// ReadFile reads the file at path, refusing one of more than limit bytes;
// what names the kind of file in the error.
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path, limit, what)
}

// ReadAll reads r (named name) to its end, refusing more than limit bytes.
func ReadAll(r io.Reader, name string, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s has more than %d bytes, more than a %s can hold", ErrTooLarge, name, limit, what)
	}
	return b, nil
}

// readManifest is reports.ReadManifest of a file that is no larger than
// MaxManifestBytes (checked first, so that a huge or endless file is not
// read), whose JSON errors name fields, not Go types.
func readManifest(path string) (*reports.Manifest, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > MaxManifestBytes {
		return nil, fmt.Errorf("%w: %s is not a regular file of at most %d bytes, as a sweep's manifest is", ErrTooLarge, path, MaxManifestBytes)
	}
	b, err := ReadFile(path, MaxManifestBytes, "sweep's manifest")
	if err != nil {
		return nil, err
	}
	var m reports.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %s", path, JSONError("a sweep's manifest", err))
	}
	rm, err := reports.ReadManifest(path)
	if err != nil {
		return nil, err
	}
	if err := checkGrid(rm); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return rm, nil
}

// checkGrid refuses a manifest whose counts a report or a merge would
// size memory by and that no sweep writes: more points than the axes span
// (or than a grid may have), or points × runs past MaxJobs or the seeds.
func checkGrid(m *reports.Manifest) error {
	span := 1
	for _, a := range m.Axes {
		if len(a.Values) == 0 || span > scenarios.MaxPoints/len(a.Values) {
			return fmt.Errorf("axis %q: its values make a grid of no point or more than %d", a.Path, scenarios.MaxPoints)
		}
		span *= len(a.Values)
	}
	if m.Points != span {
		return fmt.Errorf("points %d, but the axes span %d", m.Points, span)
	}
	return CheckCounts(m.Points, m.Runs, m.Seed)
}

// scanRecords is reports.ScanFile with every line held to MaxRecordLine.
func scanRecords(path string, fn func(*reports.Record) error) (valid int64, n int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return reports.Scan(&lineLimit{r: f, name: path, line: 1}, path, fn)
}

// lineLimit reads r and fails once a line passes MaxRecordLine bytes.
type lineLimit struct {
	r    io.Reader
	name string
	cur  int // bytes of the current line so far
	line int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for start := 0; start < n; {
		end := n // the end of the current line within p (its newline, or n)
		if i := bytes.IndexByte(p[start:n], '\n'); i >= 0 {
			end = start + i
		}
		if l.cur+end-start > MaxRecordLine {
			// The byte that makes the line one too long is not passed on.
			return start + MaxRecordLine - l.cur, fmt.Errorf("%w: %s:%d: a line of more than %d bytes, more than a run record can hold", ErrTooLarge, l.name, l.line, MaxRecordLine)
		}
		if end == n {
			l.cur += end - start
			break
		}
		l.cur, l.line = 0, l.line+1
		start = end + 1
	}
	return n, err
}

// JSONError says what is wrong with JSON input (named what: "input", a
// file) in the terms of the JSON itself: which field takes which kind of
// value, or where the syntax breaks; never the Go types it is read into.
func JSONError(what string, err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, jsonKind(te.Type), article(te.Value))
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be a JSON object, not %s", what, article(te.Value))
	case errors.As(err, &se):
		return fmt.Sprintf("%s is not JSON: %v (at byte %d)", what, se, se.Offset)
	}
	return what + " is not a JSON object"
}

// jsonKind names the JSON value a Go type takes.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value"
}

// article puts "a" or "an" before a JSON value's kind as encoding/json
// names it (string, number, array, object, bool).
func article(kind string) string {
	switch {
	case kind == "":
		return "that value"
	case strings.ContainsRune("aeiou", rune(kind[0])):
		return "an " + kind
	}
	return "a " + kind
}
