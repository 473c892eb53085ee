package channel

import (
	"testing"

	"qrlab/internal/seeded"
)

// mutationPair runs a handshake under cfg and returns G's and S's ends.
func mutationPair(t *testing.T, cfg Config, seed byte) (g, s *Channel) {
	t.Helper()
	r := seeded.Stream(uint64(seed))
	gen, err := NewGenerator(cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	s, init, err := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), nil, r)
	if err != nil {
		t.Fatal(err)
	}
	g, _, err = gen.Accept(init, nil, r)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := g.Seal([]byte(LoginOk), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ok, nil); err != nil {
		t.Fatalf("%s: LoginOk: %v", cfg.Construction, err)
	}
	return g, s
}

// TestMutationStaticNonce: with the mutation, the same plaintext seals to
// the same ciphertext and a payload opens twice; honest channels never.
func TestMutationStaticNonce(t *testing.T) {
	for _, c := range Constructions() {
		for _, static := range []bool{false, true} {
			g, s := mutationPair(t, Config{Construction: c, StaticNonce: static}, 1)
			a, _ := s.Seal([]byte("same"), nil)
			b, _ := s.Seal([]byte("same"), nil)
			if (a == b) != static {
				t.Fatalf("%s static=%v: equal ciphertexts %v", c, static, a == b)
			}
			if _, err := g.Open(a, nil); err != nil {
				t.Fatalf("%s static=%v: first open: %v", c, static, err)
			}
			_, err := g.Open(a, nil)
			if (err == nil) != static {
				t.Fatalf("%s static=%v: replay opened %v", c, static, err == nil)
			}
		}
	}
}

// TestMutationSharedDirectionKey: with one key both ways a device opens its
// own payload reflected back; honest channels refuse it. The handshake and
// the messages still work both ways.
func TestMutationSharedDirectionKey(t *testing.T) {
	for _, c := range Constructions() {
		for _, shared := range []bool{false, true} {
			g, s := mutationPair(t, Config{Construction: c, SharedDirectionKey: shared}, 2)
			p, _ := s.Seal([]byte("to G"), nil)
			_, err := s.Open(p, nil)
			if (err == nil) != shared {
				t.Fatalf("%s shared=%v: reflection opened %v", c, shared, err == nil)
			}
			g2, s2 := mutationPair(t, Config{Construction: c, SharedDirectionKey: shared}, 2)
			p, _ = s2.Seal([]byte("to G"), nil)
			if pt, err := g2.Open(p, nil); err != nil || string(pt) != "to G" {
				t.Fatalf("%s shared=%v: S to G: %v", c, shared, err)
			}
			q, _ := g2.Seal([]byte("to S"), nil)
			if pt, err := s2.Open(q, nil); err != nil || string(pt) != "to S" {
				t.Fatalf("%s shared=%v: G to S: %v", c, shared, err)
			}
			_ = g
		}
	}
}

// TestMutationReuseEphemeralKey: with the mutation two sessions drawing
// different randomness share both ephemeral keys and the check code.
func TestMutationReuseEphemeralKey(t *testing.T) {
	for _, c := range Constructions() {
		for _, reuse := range []bool{false, true} {
			cfg := Config{Construction: c, ReuseEphemeralKey: reuse}
			g1, s1 := mutationPair(t, cfg, 3)
			g2, s2 := mutationPair(t, cfg, 4)
			same := g1.PublicKey() == g2.PublicKey() && s1.PublicKey() == s2.PublicKey()
			if same != reuse {
				t.Fatalf("%s reuse=%v: keys shared %v", c, reuse, same)
			}
		}
	}
}
