package calibrate

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// TestValidateCC: names the kernel could take pass, anything else is
// refused with the name quoted; Options default to Linux's own default.
func TestValidateCC(t *testing.T) {
	for _, ok := range []string{"cubic", "reno", "bbr", "dctcp", "htcp", "westwood"} {
		if err := ValidateCC(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Cubic", "bbr2!", "cubic\n", "a b", strings.Repeat("x", 16), "../x"} {
		if err := ValidateCC(bad); err == nil || !strings.Contains(err.Error(), "congestion control") {
			t.Errorf("%q: error %v, want a refusal naming the congestion control", bad, err)
		}
	}
	var o Options
	o.defaults()
	if o.CC != "cubic" {
		t.Errorf("default congestion control %q, want cubic", o.CC)
	}
	if _, err := SetCC("cubic"); err == nil {
		t.Error("SetCC outside the calibration's own namespace was not refused")
	}
}

// TestRowRecordsCC: a row's congestion control is in its JSON as "cc"
// and read back; a saved row without it reads as "" and the tables name
// the host's (bbr) for it.
func TestRowRecordsCC(t *testing.T) {
	b, err := json.Marshal(Row{Profile: Profile{Name: "p"}, CC: "cubic"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cc":"cubic"`) {
		t.Fatalf("row JSON %s lacks the cc", b)
	}
	var back Row
	if err := json.Unmarshal(b, &back); err != nil || back.CC != "cubic" {
		t.Fatalf("read back cc %q (%v)", back.CC, err)
	}
	var old Row
	if err := json.Unmarshal([]byte(`{"profile":{"Name":"p"}}`), &old); err != nil || old.CC != "" {
		t.Fatalf("a saved row without cc reads %q (%v)", old.CC, err)
	}
	if ccName(old.CC) != "bbr, the host's" || ccName("cubic") != "cubic" {
		t.Errorf("table names %q and %q", ccName(old.CC), ccName("cubic"))
	}
}

// TestJitterOfMean: the jitter the harness feeds the simulator gives, as
// the simulator draws a delay (uniform [0, J) truncated to whole
// milliseconds), the measured mean lateness, not the third or so of it
// that twice the mean would give.
func TestJitterOfMean(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, m := range []float64{0.3, 0.72, 1, 2.5, 9} {
		j := jitterOfMean(m)
		sum := 0.0
		const n = 200_000
		for range n {
			sum += math.Floor(r.Float64() * j)
		}
		if got := sum / n; math.Abs(got-m) > 0.02*m+0.005 {
			t.Errorf("mean %.2f: jitter %.3f averages %.3f once truncated", m, j, got)
		}
	}
	if jitterOfMean(0) != 0 || jitterOfMean(math.NaN()) != 0 {
		t.Error("no lateness must give no jitter")
	}
}

// TestHandshakePacing: with bbr the handshake waits two segments' time
// at BBR's initial pacing rate, 1.82 ms each at a 51.44 ms first RTT (50
// ms and 0.72 ms of lateness each way; ss showed 6.3-6.4 Mbit/s, 1,448
// bytes in 1.8 ms) and four times that at 200 ms; cubic and reno do not
// pace.
func TestHandshakePacing(t *testing.T) {
	got := handshakePacing("bbr", Profile{RTTMillis: 50}, 0.72)
	if math.Abs(got-3.60) > 0.01 {
		t.Errorf("bbr at 50 ms: %.3f ms, want 3.60", got)
	}
	if got := handshakePacing("bbr", Profile{RTTMillis: 200}, 0.72); math.Abs(got-14.10) > 0.02 {
		t.Errorf("bbr at 200 ms: %.3f ms, want 14.10", got)
	}
	for _, cc := range []string{"cubic", "reno"} {
		if got := handshakePacing(cc, Profile{RTTMillis: 200}, 0.72); got != 0 {
			t.Errorf("%s: %.3f ms of pacing, want none", cc, got)
		}
	}
}

// TestResimIdleRun: the idle run saved in testdata (200 real logins per
// profile, the host's bbr) read back through Resim: its loss-free row
// gives the plain simulator's token distance the README states (0.210
// against seeds 1-200), and with the harness cost (the shim's lateness as
// an unbiased jitter) 0.090, where the earlier harness model gave 0.200;
// with the handshake pacing term 0.095 and 3.6 ms of it; the real side is
// kept whole. (The other two rows take seconds more; simrun calibrate
// --resim prints them.)
func TestResimIdleRun(t *testing.T) {
	b, err := os.ReadFile("testdata/real-idle-0906.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Profile.LossPercent != 0 {
		t.Fatalf("%d rows, first %+v; want the three default profiles", len(rows), rows[0].Profile)
	}
	for _, c := range []struct {
		pacing        bool
		ks, handshake float64
	}{{false, 0.090, 0}, {true, 0.095, 3.6}} {
		out, err := Resim(rows[:1], Options{Seed: 1, HandshakePacing: c.pacing})
		if err != nil {
			t.Fatal(err)
		}
		r := out[0]
		if r.Real.N != 200 || r.Sim.N != 200 || len(r.Real.Exchanges) != 15 {
			t.Errorf("n real %d, sim %d, %d exchange kinds", r.Real.N, r.Sim.N, len(r.Real.Exchanges))
		}
		if math.Abs(r.KSToken-0.210) > 1e-9 || math.Abs(r.KSTokenHarness-c.ks) > 1e-9 {
			t.Errorf("pacing %v: KS token %.3f, with the harness cost %.3f; want 0.210 and %.3f", c.pacing, r.KSToken, r.KSTokenHarness, c.ks)
		}
		if h := r.Harness.HandshakeMillis; math.Abs(h-c.handshake) > 0.05 {
			t.Errorf("pacing %v: handshake pacing %.2f ms for a bbr run at 50 ms, want %.1f", c.pacing, h, c.handshake)
		}
	}
}
