package sim

import (
	"testing"
	"time"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/variant"
)

// BenchmarkLoginFlow is one whole simulated login: default variant
// (msc4388), default transport (tcp) and network (its 4g), default user,
// every monitor on, the trace hashed. Compare with BenchmarkCryptoFloor:
// the target is at most 1.6 times the floor.
func BenchmarkLoginFlow(b *testing.B) { benchLogin(b, false, Transport{}) }

// BenchmarkLoginFlowUnchecked is the same login with the monitors'
// observations off: the difference with BenchmarkLoginFlow is what
// checking costs.
func BenchmarkLoginFlowUnchecked(b *testing.B) { benchLogin(b, true, Transport{}) }

func benchLogin(b *testing.B, unchecked bool, tp Transport) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Transport: tp})
	if err != nil {
		b.Fatal(err)
	}
	r.unchecked = unchecked
	b.ReportAllocs()
	ok := 0
	for i := 0; b.Loop(); i++ {
		res, err := r.Run(uint64(i))
		if err != nil || res.Violation != nil {
			b.Fatal(err, res.Violation)
		}
		if res.Success() {
			ok++
		}
	}
	b.ReportMetric(float64(ok)/float64(b.N), "signed-in/op")
}

// BenchmarkCryptoFloor is the same login's cryptographic operations alone:
// the secure channel (both ephemeral keys, the handshake, both check
// codes, the AAD binding and the seal and open of the six m.login messages
// the default flow exchanges, with their real encodings), the new device's
// keys (Ed25519 and Curve25519, two signatures) and the homeserver's two
// signature checks on keys/upload. The account's two cross-signatures are
// checked once and its self-signing key pair derived from its seed once,
// before the loop, as the simulator does once per Runner.
func BenchmarkCryptoFloor(b *testing.B) {
	v := variant.MustLoad("msc4388")
	cc, err := v.ChannelConfig()
	if err != nil {
		b.Fatal(err)
	}
	var sec msg.Secrets
	msgs := []msg.Message{
		msg.Protocols{Protocols: []string{msg.ProtocolDeviceAuthorizationGrant}, Server: "https://matrix.lab.example", ServerKey: msg.KeyBaseURL},
		msg.Protocol{Grant: msg.DeviceAuthorizationGrant{VerificationURI: "https://auth.lab.example/link",
			VerificationURIComplete: "https://auth.lab.example/link?code=ABCDEF"}, DeviceID: "ABCDEFGHIJ"},
		msg.ProtocolAccepted{},
		msg.Success{},
		sec,
	}
	var pts [][]byte
	for _, m := range msgs {
		p, err := msg.Encode(m)
		if err != nil {
			b.Fatal(err)
		}
		pts = append(pts, p)
	}
	// The account's identity exists before the login: the simulator draws
	// it and its homeserver checks its two cross-signatures once per
	// Runner, so here too they are checked once, outside the loop.
	id, err := homeserver.NewIdentity(AliceID, derive(0, streamIdentity))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := homeserver.CheckCrossSigningKeys(AliceID, id.MasterKeyJSON(), id.SelfSigningKeyJSON(), id.UserSigningKeyJSON()); err != nil {
		b.Fatal(err)
	}
	// The self-signing key pair, derived from its seed once per Runner too
	// (NewDeviceConfig.KnownKeys).
	ssk, err := homeserver.SigningKeyFromSeed(id.SelfSigning.Seed())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rnd := derive(uint64(i), streamNew)
		// The channel.
		aad := func(tok string) []byte {
			a, err := channel.BindingAAD(v.AADLayout(), BaseURL, "0123456789abcdef0123", tok)
			if err != nil {
				b.Fatal(err)
			}
			return a
		}
		g, err := channel.NewGenerator(cc, rnd)
		if err != nil {
			b.Fatal(err)
		}
		s, err := channel.NewScanner(cc, rnd)
		if err != nil {
			b.Fatal(err)
		}
		sch, initiate, err := s.Initiate(g.PublicKey(), []byte(channel.LoginInitiate), aad("1"))
		if err != nil {
			b.Fatal(err)
		}
		gch, _, err := g.Accept(initiate, aad("1"), rnd)
		if err != nil {
			b.Fatal(err)
		}
		ok, err := gch.Seal([]byte(channel.LoginOk), aad("2"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sch.Open(ok, aad("2")); err != nil {
			b.Fatal(err)
		}
		if gch.CheckCode() != sch.CheckCode() {
			b.Fatal("check codes differ")
		}
		for j, p := range pts {
			from, to := sch, gch
			if j%2 == 0 {
				from, to = gch, sch
			}
			tok := string(rune('3' + j))
			c, err := from.Seal(p, aad(tok))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := to.Open(c, aad(tok)); err != nil {
				b.Fatal(err)
			}
		}
		// The new device's keys, signed; the homeserver's checks.
		dk, err := homeserver.NewDeviceKeys(AliceID, "ABCDEFGHIJ", rnd)
		if err != nil {
			b.Fatal(err)
		}
		signed := dk.Signed(ssk)
		if err := homeserver.VerifyJSON(signed, AliceID, dk.KeyID(), dk.Ed25519.Public()); err != nil {
			b.Fatal(err)
		}
		if err := homeserver.VerifyJSON(signed, AliceID, ssk.KeyID(), ssk.Public()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginFlowTCP is BenchmarkLoginFlow with the tcp transport and
// its default knobs.
func BenchmarkLoginFlowTCP(b *testing.B) { benchLogin(b, false, Transport{Kind: TransportTCP}) }

// BenchmarkLoginFlowDatagram is BenchmarkLoginFlow over the datagram
// transport, on its (earlier) 4g profile.
func BenchmarkLoginFlowDatagram(b *testing.B) {
	benchLogin(b, false, Transport{Kind: TransportDatagram})
}

// BenchmarkCheckCost alternates one checked and one unchecked login, seed
// by seed, and reports the checked one's extra time in percent: the two
// share whatever load the machine is under at that moment, which separate
// benchmarks on a busy machine do not.
func BenchmarkCheckCost(b *testing.B) {
	var run [2]*Runner
	for i := range run {
		r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388")})
		if err != nil {
			b.Fatal(err)
		}
		r.unchecked = i == 1
		run[i] = r
	}
	var spent [2]time.Duration
	for i := 0; b.Loop(); i++ {
		for k := range run {
			k = (k + i) % 2 // alternate which goes first
			t0 := time.Now()
			if _, err := run[k].Run(uint64(i)); err != nil {
				b.Fatal(err)
			}
			spent[k] += time.Since(t0)
		}
	}
	b.ReportMetric(100*(float64(spent[0])/float64(spent[1])-1), "check-cost-%")
}
