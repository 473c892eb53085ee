package sim

import (
	"testing"
)

// rackRig is a tcp rig (10 ms each way, no loss of its own) with recovery
// rec and one connection whose RTT was sampled once at rtt ms, so SRTT is
// rtt and the minimum RTT too; the returned conn is that connection.
func rackRig(t *testing.T, rec string, rtt Millis) (*Runner, *run, *tcpConn) {
	t.Helper()
	k := DefaultTCP()
	k.LossRecovery = rec
	r, w := tcpRig(t, k, Link{})
	r.tp.conns = append(r.tp.conns, tcpConn{link: LinkNewHS, failAt: never, breakAt: never, busy: -1})
	c := &r.tp.conns[0]
	c.setRTO(Millis(k.InitialRTOMillis))
	r.tp.sample(&c.est[0], rtt)
	r.tp.sample(&c.est[1], rtt)
	return r, w, c
}

// TestRACKTLPTiming: when each recovery resends a lost segment. Every
// packet's fate is scripted (fates: lost or not, in the order the model
// sends them), the link takes 10 ms each way, so a segment's
// acknowledgment is back 20 ms after its send. With a 20 ms SRTT the RTO
// is 20 + max(4·10, 200) = 220 ms, RACK's reordering window 20/4 = 5 ms,
// and the tail loss probe 2·20 + 2 = 42 ms with two segments outstanding,
// 2·20 + 200 = 240 ms with one (capped by the RTO to 220 ms).
func TestRACKTLPTiming(t *testing.T) {
	const mss = 1460
	for _, c := range []struct {
		name  string
		rec   string
		rtt   Millis
		segs  int
		fates []bool
		at    Millis
	}{
		// One segment, lost once: with Linux's RTO the probe's 240 ms
		// is capped by the 220 ms RTO, so both recoveries resend at 220.
		{"one segment, probe capped by the RTO", RecoveryRACKTLP, 20, 1, []bool{true, false}, 220 + 10},
		{"one segment, rto", RecoveryRTO, 20, 1, []bool{true, false}, 220 + 10},
		// A 300 ms sample: RTO 300 + 4·150 = 900 ms, probe 2·300 + 200
		// = 800 ms: the probe comes first.
		{"one segment, probe before the RTO", RecoveryRACKTLP, 300, 1, []bool{true, false}, 800 + 10},
		{"one segment, rto after a 300 ms sample", RecoveryRTO, 300, 1, []bool{true, false}, 900 + 10},
		// Lost twice: the probe does not double the RTO (220, then 220
		// after the probe); rto doubles (220, then 440).
		{"one segment lost twice", RecoveryRACKTLP, 20, 1, []bool{true, true, false}, 440 + 10},
		{"one segment lost twice, rto", RecoveryRTO, 20, 1, []bool{true, true, false}, 660 + 10},
		// Five segments, the second lost: three later ones are in when
		// their acknowledgments are back at 20 ms, so it is resent then
		// (fast retransmit); rto waits the RTO.
		{"middle segment, three later in", RecoveryRACKTLP, 20, 5, []bool{false, true, false, false, false, false}, 20 + 10},
		{"middle segment, rto", RecoveryRTO, 20, 5, []bool{false, true, false, false, false, false}, 220 + 10},
		// Three segments, the second lost: one later segment is in, so
		// RACK waits its reordering window (5 ms) and timer slack (2 ms).
		{"middle segment, one later in", RecoveryRACKTLP, 20, 3, []bool{false, true, false, false}, 20 + 5 + 2 + 10},
		// The fast retransmission is lost too: the RTO from it.
		{"middle segment, retransmission lost", RecoveryRACKTLP, 20, 5, []bool{false, true, false, false, false, true, false}, 20 + 220 + 10},
		// Four segments, the last two lost: the probe goes 42 ms after the
		// acknowledgments of the first two (20 ms) and resends the last
		// segment; its acknowledgment (82 ms) has RACK resend the third.
		{"two tail segments", RecoveryRACKTLP, 20, 4, []bool{false, false, true, true, false, false}, 82 + 10},
		{"two tail segments, rto", RecoveryRTO, 20, 4, []bool{false, false, true, false, true, false}, 220 + 10},
		// The last of three lost: one segment outstanding after the
		// acknowledgments at 20 ms, so the probe waits 240 ms capped by
		// the RTO (220 ms), from that acknowledgment.
		{"one tail segment", RecoveryRACKTLP, 20, 3, []bool{false, false, true, false}, 20 + 220 + 10},
		// The second and the last of four lost: the second is resent at
		// 27 ms (one later segment in), arrives at 37, and its
		// acknowledgment at 47 ms has RACK resend the last, sent before it.
		{"hole and tail", RecoveryRACKTLP, 20, 4, []bool{false, true, false, true, false, false}, 47 + 10},
	} {
		r, w, conn := rackRig(t, c.rec, c.rtt)
		r.tp.fates = append([]bool(nil), c.fates...)
		at, losses, fail, why := r.tp.transfer(w, conn, true, 0, c.segs*mss)
		wantLost := 0
		for _, f := range c.fates {
			if f {
				wantLost++
			}
		}
		if fail != never || at != c.at || losses != wantLost || len(r.tp.fates) != 0 {
			t.Errorf("%s: arrived at %d (fail %d %s), %d lost, %d fates left; want %d, %d lost, all fates used",
				c.name, at, fail, why, losses, len(r.tp.fates), c.at, wantLost)
		}
	}
}

// TestRACKTLPLossFreeSame: on a profile without loss the two recoveries
// give the same trace (a loss-free flight draws the same in both), and on
// a lossy one they differ (the test would notice a knob that is ignored).
func TestRACKTLPLossFreeSame(t *testing.T) {
	hash := func(profile, rec string) string {
		k := DefaultTCP()
		k.LossRecovery = rec
		r := mustRunner(t, tcpConfig(t, profile, &k))
		if _, err := r.Run(3); err != nil {
			t.Fatal(err)
		}
		return r.Trace().Hash()
	}
	if a, b := hash("lan", RecoveryRACKTLP), hash("lan", RecoveryRTO); a != b {
		t.Errorf("lan: the recoveries give different traces %s and %s", a, b)
	}
	differ := 0
	for _, p := range []string{"lossy-3g", "flaky"} {
		if hash(p, RecoveryRACKTLP) != hash(p, RecoveryRTO) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("lossy-3g and flaky: the recoveries give the same traces")
	}
}

// TestLossRecoveryKeepsDevicesDraws: the loss recovery moves only the
// transport's draws. On lossy-3g with a user who mistypes half the codes,
// every seed shows and types the same codes in the same order under both
// recoveries (the devices' keys, the provider's user code, the user's
// typos), while the traces differ.
func TestLossRecoveryKeepsDevicesDraws(t *testing.T) {
	a, b := DefaultTCP(), DefaultTCP()
	a.LossRecovery, b.LossRecovery = RecoveryRACKTLP, RecoveryRTO
	sameDevicesDraws(t, "loss_recovery", a, b)
}
