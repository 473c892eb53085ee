package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFuzzPeerUsage: missing or bad flags are usage errors that say what.
func TestFuzzPeerUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--construction", "ecies-spec"}, "--peer is required"},
		{[]string{"--peer", "true", "--construction", "rot13"}, "--construction"},
		{[]string{"--peer", "true", "--construction", "ecies-spec", "extra"}, "unexpected argument"},
		{[]string{"--peer", "true", "--construction", "ecies-spec", "--corpus-out", "x"}, "--corpus-out needs --corpus"},
	} {
		var out, errb bytes.Buffer
		if code := runFuzzPeer(c.args, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
}

// TestFuzzPeerAgainstSimrunChannel: simrun channel (run by the test binary)
// speaks protocol version 2, and fuzzing it finds no disagreement with the
// model; the corpus directory gains the sequences that showed new
// behaviour. A peer that is not there exits 1 with the reason.
func TestFuzzPeerAgainstSimrunChannel(t *testing.T) {
	dir := t.TempDir()
	peerCmd := "SIMRUN_TEST_MAIN=1 " + os.Args[0] + " channel --construction hpke-spec --role generator"
	var out, errb bytes.Buffer
	code := runFuzzPeer([]string{"--peer", peerCmd, "--construction", "hpke-spec", "--runs", "100",
		"--corpus", filepath.Join(dir, "corpus"), "--out", filepath.Join(dir, "out")}, nil, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "100 sequences") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "corpus", "*.json")); len(entries) == 0 {
		t.Error("the corpus gained nothing")
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a reproducer was written though the peer agreed")
	}
	// With --corpus-out, the corpus replays and stays as it was; what is new
	// goes to the other folder.
	before, _ := filepath.Glob(filepath.Join(dir, "corpus", "*.json"))
	out.Reset()
	code = runFuzzPeer([]string{"--peer", peerCmd, "--construction", "hpke-spec", "--runs", "100", "--seed", "2",
		"--corpus", filepath.Join(dir, "corpus"), "--corpus-out", filepath.Join(dir, "grown"), "--out", filepath.Join(dir, "out")}, nil, &out, &errb)
	after, _ := filepath.Glob(filepath.Join(dir, "corpus", "*.json"))
	grown, _ := filepath.Glob(filepath.Join(dir, "grown", "*.json"))
	if code != 0 || len(after) != len(before) || !strings.Contains(out.String(), "corpus "+filepath.Join(dir, "grown")) {
		t.Errorf("--corpus-out: exit %d, corpus %d -> %d entries, %d grown\nstdout %s", code, len(before), len(after), len(grown), out.String())
	}
	errb.Reset()
	if code := runFuzzPeer([]string{"--peer", "exit 0", "--construction", "hpke-spec", "--runs", "1"}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "hello") {
		t.Errorf("a peer that exits: %d, %q", code, errb.String())
	}
}
