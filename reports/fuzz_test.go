package reports

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzRecords feeds arbitrary bytes to Scan and Builder.Add against the
// fixture's sweep: no panic; a refusal wraps ErrRecords; what is accepted
// counts each run of the sweep at most once. Seeds: testdata/fuzz/FuzzRecords.
func FuzzRecords(f *testing.F) {
	m, _ := fixture()
	f.Fuzz(func(t *testing.T, b []byte) {
		bl := NewBuilder(m)
		_, n, err := Scan(bytes.NewReader(b), "f.jsonl", bl.Add)
		if err != nil && !errors.Is(err, ErrRecords) {
			t.Fatalf("refusal %v does not wrap ErrRecords", err)
		}
		if bl.Runs()+bl.Duplicates() != n || bl.Runs() > m.Jobs() {
			t.Fatalf("%d records read, %d runs and %d duplicates counted (sweep of %d)", n, bl.Runs(), bl.Duplicates(), m.Jobs())
		}
		bl.Finish()
	})
}
