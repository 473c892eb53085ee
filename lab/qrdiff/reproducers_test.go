package qrdiff

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// loadReproducers reads the reproducers under testdata/reproducers: one per
// class of disagreement simrun fuzz-qr found against the wasm decoder
// (fuzz-qr --runs 20000 --seed 1).
func loadReproducers(t *testing.T) []Finding {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "reproducers", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no reproducers under testdata/reproducers: %v", err)
	}
	var out []Finding
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f Finding
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if f.Payload, err = hex.DecodeString(f.Hex); err != nil {
			t.Fatalf("%s: payload_hex: %v", path, err)
		}
		out = append(out, f)
	}
	return out
}

// Each stored reproducer still gets the model's recorded verdict, still
// shows its class against the wasm's recorded verdict, and is still
// classified as the same known departure: a change of the model or of the
// table that would turn a known class into a new one (or hide one) fails.
func TestReproducersStillClassify(t *testing.T) {
	for _, f := range loadReproducers(t) {
		m := ModelDecode(f.Payload)
		if m.OK != f.Model.OK || m.Error != f.Model.Error || !reflect.DeepEqual(m.Fields, f.Model.Fields) {
			t.Errorf("%s: the model now says %+v, the reproducer recorded %+v", f.Hex, m, f.Model)
			continue
		}
		if got := classify(m, f.Peer); got != f.Class {
			t.Errorf("%s: class %q, recorded %q", f.Hex, got, f.Class)
		}
		f.Model = m
		k := match(&f)
		if k == nil || f.Known == nil || k.Name != f.Known.Name {
			t.Errorf("%s (%s): classified %+v, recorded %+v", f.Hex, f.Class, k, f.Known)
		}
	}
}
