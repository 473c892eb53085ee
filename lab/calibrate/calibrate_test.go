package calibrate

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// optIn skips unless QRLAB_CALIBRATE is set and the machine can shape
// loopback, or re-runs the test in a private network namespace and reports
// whether the caller is the outer process (which then returns).
func optIn(t *testing.T, name string) (outer bool) {
	t.Helper()
	if os.Getenv("QRLAB_CALIBRATE") == "" {
		t.Skip("opt-in: set QRLAB_CALIBRATE=1 (needs root, nft, iptables and a kernel with NFQUEUE)")
	}
	if InNamespace() {
		return false
	}
	if p := Prereqs(); p != "" {
		t.Skipf("cannot shape loopback here: missing %s", p)
	}
	if err := Reexec([]string{"-test.run=^" + name + "$", "-test.v"}, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
	return true
}

// TestShaperRoundTrip checks that a TCP round trip on the shaped loopback
// takes at least the shaper's delay twice (the delay is real), and that a
// 100% loss makes a connect fail.
func TestShaperRoundTrip(t *testing.T) {
	if optIn(t, "TestShaperRoundTrip") {
		return
	}
	s, err := NewShaper()
	if err != nil {
		t.Skipf("cannot shape loopback in the namespace: %v", err)
	}
	defer s.Close()
	if err := s.Set(0, 25*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b := make([]byte, 1)
		for {
			if _, err := c.Read(b); err != nil {
				return
			}
			c.Write(b)
		}
	}()
	start := time.Now()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("connect took %v, less than the 50 ms round trip the shaper adds", d)
	}
	b := []byte{1}
	start = time.Now()
	c.Write(b)
	if _, err := c.Read(b); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("an echo took %v, less than the 50 ms round trip", d)
	}
	if err := s.Set(100, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), 300*time.Millisecond); err == nil {
		t.Error("a connect went through with every packet dropped")
	}
}

// TestCalibrateRealStack runs a few logins per default profile on the real
// stack and in the simulator and logs the comparison. It checks that every
// side produced figures and that logins succeed on the clean profile; the
// agreement itself (KS distance, failure rates) is a measurement, reported
// by simrun calibrate, not asserted. QRLAB_CALIBRATE_N sets the logins per
// profile (default 4).
func TestCalibrateRealStack(t *testing.T) {
	if optIn(t, "TestCalibrateRealStack") {
		return
	}
	n := 4
	if v, err := strconv.Atoi(os.Getenv("QRLAB_CALIBRATE_N")); err == nil && v > 0 {
		n = v
	}
	rows, err := Run(context.Background(), Options{N: n, Seed: 1, Progress: testWriter{t}})
	if err != nil {
		t.Skipf("cannot run the real stack here: %v", err)
	}
	if len(rows) != len(DefaultProfiles()) {
		t.Fatalf("%d rows for %d profiles", len(rows), len(DefaultProfiles()))
	}
	var b strings.Builder
	WriteTable(&b, rows)
	WriteQuantiles(&b, rows)
	t.Log("\n" + b.String())
	clean := rows[0]
	if clean.CC != DefaultCC {
		t.Errorf("clean profile ran under congestion control %q, want the default %q read back", clean.CC, DefaultCC)
	}
	if clean.Real.Failures != 0 || len(clean.Real.Token) != n {
		t.Errorf("clean profile: %d of %d real logins failed (%v)", clean.Real.Failures, n, clean.Real.FailDetail)
	}
	if clean.Sim.Failures != 0 || len(clean.Sim.Token) != n {
		t.Errorf("clean profile: %d of %d simulated logins failed (%v)", clean.Sim.Failures, n, clean.Sim.FailDetail)
	}
	// The harness measurements are there: packets of every class with data
	// or control flags counted and none lost without a loss rule, requests
	// counted, and the second simulated side run.
	for _, c := range []string{"ctl", "ack", "data"} {
		if clean.Packets[c] <= 0 || clean.Packets[c+"-lost"] != 0 {
			t.Errorf("clean profile: %s packets per login %g, lost %g; want some, none lost", c, clean.Packets[c], clean.Packets[c+"-lost"])
		}
	}
	if clean.Harness.RequestsPerLogin < 10 || clean.SimHarness.N != n {
		t.Errorf("clean profile: %g requests per login measured, %d logins on the second simulated side; want ≥ 10 and %d",
			clean.Harness.RequestsPerLogin, clean.SimHarness.N, n)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}
