package channel

import (
	"fmt"
	"testing"
)

// sealings runs a handshake and three messages each way under cfg with an
// observer, and returns what it was told.
func sealings(t *testing.T, cfg Config) []Sealing {
	t.Helper()
	var got []Sealing
	cfg.Observe = func(s Sealing) {
		s.Plaintext = append([]byte(nil), s.Plaintext...)
		got = append(got, s)
	}
	p := handshake(t, cfg, 7, nil)
	for i := range 3 {
		for _, c := range []*Channel{p.s, p.g} {
			if _, err := c.Seal(fmt.Appendf(nil, "message %d from %s", i, c.Role()), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return got
}

// repeated returns the first (key, nonce) pair sealed twice, or "".
func repeated(ss []Sealing) string {
	seen := map[[8 + NonceSize]byte]bool{}
	for _, s := range ss {
		var k [8 + NonceSize]byte
		copy(k[:], s.Key[:])
		copy(k[8:], s.Nonce[:])
		if seen[k] {
			return fmt.Sprintf("key %s nonce %x", s.Key, s.Nonce)
		}
		seen[k] = true
	}
	return ""
}

// TestObserveEverySeal: the observer hears every seal, LoginInitiate and
// LoginOk included, with its plaintext, and honest channels never repeat a
// (key, nonce) pair.
func TestObserveEverySeal(t *testing.T) {
	for name, cfg := range configs() {
		ss := sealings(t, cfg)
		if len(ss) != 8 {
			t.Fatalf("%s: observer heard %d seals, want 8 (LoginInitiate, LoginOk, 6 messages)", name, len(ss))
		}
		if string(ss[0].Plaintext) != LoginInitiate || ss[0].Role != RoleScanner {
			t.Errorf("%s: first seal %q by %s, want LoginInitiate by S", name, ss[0].Plaintext, ss[0].Role)
		}
		if string(ss[1].Plaintext) != LoginOk || ss[1].Role != RoleGenerator {
			t.Errorf("%s: second seal %q by %s, want LoginOk by G", name, ss[1].Plaintext, ss[1].Role)
		}
		if r := repeated(ss); r != "" {
			t.Errorf("%s: honest channel sealed twice under %s", name, r)
		}
	}
}

// TestObserveNonceMutations: the static-nonce and shared-direction-key
// mutations show as a repeated (key, nonce) pair.
func TestObserveNonceMutations(t *testing.T) {
	for _, c := range Constructions() {
		for _, m := range []string{"static-nonce", "shared-direction-key"} {
			cfg := DefaultConfig(c)
			cfg.StaticNonce, cfg.SharedDirectionKey = m == "static-nonce", m == "shared-direction-key"
			if r := repeated(sealings(t, cfg)); r == "" {
				t.Errorf("%s with %s: no (key, nonce) pair repeated", c, m)
			}
		}
	}
}

// TestObserveChangesNothing: the same seed seals the same payloads with and
// without an observer.
func TestObserveChangesNothing(t *testing.T) {
	for name, cfg := range configs() {
		a := handshake(t, cfg, 3, []byte("ad"))
		cfg.Observe = func(Sealing) {}
		b := handshake(t, cfg, 3, []byte("ad"))
		if a.initiate != b.initiate || a.ok != b.ok {
			t.Errorf("%s: the observer changed the handshake's payloads", name)
		}
	}
}

// TestObserveEveryOpen: the open observer hears every payload that opened,
// handshake included, with the payload string and what it held, and
// nothing for a payload that did not open.
func TestObserveEveryOpen(t *testing.T) {
	for name, cfg := range configs() {
		var got []Opening
		cfg.ObserveOpen = func(o Opening) { got = append(got, o) }
		p := handshake(t, cfg, 5, nil)
		m, err := p.g.Seal([]byte("hello"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.s.Open(m, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := p.s.Open(m, nil); err == nil {
			t.Fatalf("%s: a replay opened", name)
		}
		if len(got) != 3 {
			t.Fatalf("%s: heard %d opens, want 3 (LoginInitiate, LoginOk, hello)", name, len(got))
		}
		want := []struct {
			role    Role
			payload string
			pt      string
		}{{RoleGenerator, p.initiate, LoginInitiate}, {RoleScanner, p.ok, LoginOk}, {RoleScanner, m, "hello"}}
		for i, w := range want {
			if got[i].Role != w.role || got[i].Payload != w.payload || string(got[i].Plaintext) != w.pt {
				t.Errorf("%s: open %d: %s %q, want %s opening %q", name, i, got[i].Role, got[i].Plaintext, w.role, w.pt)
			}
		}
	}
}
