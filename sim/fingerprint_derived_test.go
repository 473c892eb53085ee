package sim

import (
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestChaCha8BlockDerived: at every position of a ChaCha8 stream, across
// several reseeds, its block of output is the block of its seed and
// counter: the block of a stream rebuilt (UnmarshalBinary) from the same
// seed at the start of the same counter's block. So the fingerprint may
// leave the block out (derivedFields) without merging two states.
func TestChaCha8BlockDerived(t *testing.T) {
	a := rand.NewChaCha8([32]byte{1, 2, 3})
	for k := range 600 {
		st := reflect.ValueOf(a).Elem().FieldByName("state")
		seed, c := st.FieldByName("seed"), st.FieldByName("c").Uint()
		// The encoding UnmarshalBinary reads: the seed and the position
		// (c/4 blocks of 32 values in).
		data := binary.BigEndian.AppendUint64([]byte("chacha8:"), c/4*32)
		for i := range 4 {
			data = binary.LittleEndian.AppendUint64(data, seed.Index(i).Uint())
		}
		var b rand.ChaCha8
		if err := b.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		buf, want := st.FieldByName("buf"), reflect.ValueOf(&b).Elem().FieldByName("state").FieldByName("buf")
		for i := range buf.Len() {
			if buf.Index(i).Uint() != want.Index(i).Uint() {
				t.Fatalf("after %d draws the block is not the block of the seed and counter %d (word %d)", k, c, i)
			}
		}
		a.Uint64()
	}
}

// TestDerivedFieldsFound: every derivedFields name is a field of a type
// the fingerprint meets in a run's state, left out of the encoding, so
// that a renamed field fails here instead of being encoded silently.
func TestDerivedFieldsFound(t *testing.T) {
	r := snapCases[0].runner(t)
	if err := snapCases[0].start(r, 1); err != nil {
		t.Fatal(err)
	}
	r.Fingerprint()
	found := map[string]bool{}
	for typ, p := range r.ps.byType {
		if typ.Kind() != reflect.Struct {
			continue
		}
		for i, f := range p.fields {
			name := typ.PkgPath() + "." + typ.Name() + "." + typ.Field(i).Name
			if derivedFields[name] {
				found[name] = true
				if !f.noEnc {
					t.Errorf("%s is encoded", name)
				}
			}
		}
	}
	for name := range derivedFields {
		if !found[name] {
			t.Errorf("derived field %s is in no type of the state", name)
		}
	}
}
