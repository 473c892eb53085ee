package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/model/variant"
)

func TestVariantsListsEveryPreset(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runVariants(nil, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, n := range variant.Names() {
		if !strings.Contains(out.String(), "\n"+n+"\n") && !strings.HasPrefix(out.String(), n+"\n") {
			t.Errorf("preset %s not listed", n)
		}
	}
	if !strings.Contains(out.String(), "channel.construction") {
		t.Errorf("knobs not listed:\n%s", out.String())
	}
}

func TestVariantsJSONRoundTripsThroughFile(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runVariants([]string{"--json", "msc4388"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	path := filepath.Join(t.TempDir(), "msc4388.json")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := runVariants([]string{"--file", path}, nil, &out, &errb); code != 0 {
		t.Fatalf("the printed preset does not load back: exit %d: %s", code, errb.String())
	}
}

func TestVariantsErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"name":"bad","bogus":1}`), 0o644)
	for _, args := range [][]string{{"no-such-variant"}, {"--file", bad}, {"--file", "/nonexistent"}, {"--bogus"}} {
		var out, errb bytes.Buffer
		if code := runVariants(args, nil, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errb.String())
		}
	}
}

func TestVariantsProvenance(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runVariants([]string{"--provenance"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, n := range variant.Names() {
		st, err := variant.Status(n)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s, n+"  ["+st+"]") {
			t.Errorf("preset %s not listed with its status %q", n, st)
		}
	}
	if strings.Contains(s, "MISSING") || !strings.Contains(s, "sources cited:") {
		t.Errorf("a knob without provenance, or no sources:\n%s", s)
	}
}
