package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zeros is an endless input, as /dev/zero is.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

// TestInputLimits: every input is read through a limit that fits its
// format, with one clear error past it: an endless standard input for qr
// decode, a scenario or variant file of /dev/zero, an endless line of run
// records for report and merge.
func TestInputLimits(t *testing.T) {
	z := &zeros{}
	var out, errb bytes.Buffer
	if code := dispatch([]string{"qr", "decode", "-"}, z, &out, &errb); code != 2 || !strings.Contains(errb.String(), "more than 8192 bytes") {
		t.Errorf("qr decode of an endless input: exit %d %q", code, errb.String())
	}
	if z.n > 1<<20 {
		t.Errorf("qr decode read %d bytes of an endless input", z.n)
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), 1<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"run", "--scenario", big}, {"sweep", big}, {"variants", "--file", big}} {
		code, _, errs := simrun(t, args...)
		if code != 2 || !strings.Contains(errs, "has more than 1048576 bytes") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d %q", args, code, errs)
		}
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if code, _, errs := simrun(t, "run", "--scenario", "/dev/zero"); code != 2 || !strings.Contains(errs, "more than") {
			t.Errorf("run --scenario /dev/zero: exit %d %q", code, errs)
		}
	}
	// A records file with one endless line.
	recs := filepath.Join(dir, "runs.jsonl")
	if err := os.WriteFile(recs, append([]byte("{"), bytes.Repeat([]byte(" "), 1<<20+1)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := simrun(t, "report", recs, "--out", filepath.Join(dir, "rep")); code != 2 || !strings.Contains(errs, "runs.jsonl:1: a line of more than") {
		t.Errorf("report of an endless line: exit %d %q", code, errs)
	}
}

// TestQRDecodeEscapes: a decoded payload's text fields print with control
// and format characters escaped, printable ones as they are.
func TestQRDecodeEscapes(t *testing.T) {
	// msc4388, login, base URL "https://x" U+202E "é" ESC.
	code, out, errs := simrun(t, "qr", "decode", "TUFUUklYAwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAJhYgAPaHR0cHM6Ly944oCuw6kb")
	if code != 0 || !strings.Contains(out, `"base_url":"https://x\u202eé\u001b"`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
