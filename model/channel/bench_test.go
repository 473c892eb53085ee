package channel

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cloudflare/circl/dh/x25519"
)

// x25519Floor does the four X25519 operations one handshake needs and
// nothing else: two key generations (G's and S's public keys) and two
// agreements (S's and G's shared secrets).
func x25519Floor(r *rand.ChaCha8) {
	var skG, skS, pkG, pkS, sh1, sh2 x25519.Key
	r.Read(skG[:])
	r.Read(skS[:])
	x25519.KeyGen(&pkG, &skG)
	x25519.KeyGen(&pkS, &skS)
	x25519.Shared(&sh1, &skS, &pkG)
	x25519.Shared(&sh2, &skG, &pkS)
}

// BenchmarkX25519Floor is the physical limit of a handshake on this machine.
func BenchmarkX25519Floor(b *testing.B) {
	r := rand.NewChaCha8([32]byte{1})
	for b.Loop() {
		x25519Floor(r)
	}
}

// floorPerOp times n rounds of the floor right after a handshake benchmark
// (testing.Benchmark cannot run inside a benchmark), so that the x-floor
// ratio compares two measurements taken under the same machine load.
func floorPerOp(n int) float64 {
	r := rand.NewChaCha8([32]byte{1})
	start := time.Now()
	for range n {
		x25519Floor(r)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// BenchmarkHandshake runs each construction's full handshake: both key
// pairs, LoginInitiate sealed and opened, LoginOk sealed and opened, and the
// check code on both sides. It also reports the cost as a multiple of the
// X25519 floor measured in the same run (x-floor; the target is at most 1.2).
func BenchmarkHandshake(b *testing.B) {
	for _, c := range Constructions() {
		b.Run(string(c), func(b *testing.B) {
			cfg := DefaultConfig(c)
			rnd := rand.NewChaCha8([32]byte{2})
			initiate := []byte(LoginInitiate)
			ok := []byte(LoginOk)
			b.ReportAllocs()
			for b.Loop() {
				gen, err := NewGenerator(cfg, rnd)
				if err != nil {
					b.Fatal(err)
				}
				s, payload, err := Initiate(cfg, gen.PublicKey(), initiate, nil, rnd)
				if err != nil {
					b.Fatal(err)
				}
				g, _, err := gen.Accept(payload, nil, rnd)
				if err != nil {
					b.Fatal(err)
				}
				okPayload, _ := g.Seal(ok, nil)
				if _, err := s.Open(okPayload, nil); err != nil {
					b.Fatal(err)
				}
				if g.CheckCode().String() != s.CheckCode().String() {
					b.Fatal("check codes differ")
				}
			}
			b.StopTimer()
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perOp/floorPerOp(min(b.N, 3000)), "x-floor")
		})
	}
}

// BenchmarkSealOpen is one established-channel message each way.
func BenchmarkSealOpen(b *testing.B) {
	for _, c := range Constructions() {
		b.Run(string(c), func(b *testing.B) {
			p := handshake(b, DefaultConfig(c), 1, nil)
			msg := []byte(`{"type":"m.login.protocol","protocol":"device_authorization_grant"}`)
			b.ReportAllocs()
			for b.Loop() {
				m, _ := p.s.Seal(msg, nil)
				if _, err := p.g.Open(m, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
