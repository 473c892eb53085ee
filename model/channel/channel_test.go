package channel

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/channel/frame"
)

// pair is one completed handshake.
type pair struct {
	g, s       *Channel
	initiate   string
	ok         string
	initiateAD []byte
}

// handshake runs G and S through LoginInitiate and LoginOk.
func handshake(t testing.TB, cfg Config, seed uint64, aad []byte) pair {
	t.Helper()
	rnd := seeded.Stream(seed)
	gen, err := NewGenerator(cfg, rnd)
	if err != nil {
		t.Fatal(err)
	}
	s, initiate, err := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), aad, rnd)
	if err != nil {
		t.Fatal(err)
	}
	g, pt, err := gen.Accept(initiate, aad, rnd)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	if string(pt) != LoginInitiate {
		t.Fatalf("G opened %q, want %q", pt, LoginInitiate)
	}
	ok, err := g.Seal([]byte(LoginOk), aad)
	if err != nil {
		t.Fatal(err)
	}
	pt, err = s.Open(ok, aad)
	if err != nil {
		t.Fatalf("S opening LoginOk: %v", err)
	}
	if string(pt) != LoginOk {
		t.Fatalf("S opened %q, want %q", pt, LoginOk)
	}
	return pair{g: g, s: s, initiate: initiate, ok: ok, initiateAD: aad}
}

// configs lists every construction with its default knobs plus the
// non-default knobs each one supports.
func configs() map[string]Config {
	m := map[string]Config{}
	for _, c := range Constructions() {
		m[string(c)] = DefaultConfig(c)
		m[string(c)+"/10-99"] = Config{Construction: c, Digits: Digits10To99}
		m[string(c)+"/00-99"] = Config{Construction: c, Digits: Digits00To99}
		if !c.IsHPKE() {
			m[string(c)+"/g-nonce-1"] = Config{Construction: c, GeneratorNonceStart: 1}
		}
	}
	m["hpke-spec/base64-keys"] = Config{Construction: HPKESpec, CheckCodeKeys: KeysBase64}
	return m
}

func TestRoundTripEveryConstruction(t *testing.T) {
	for name, cfg := range configs() {
		t.Run(name, func(t *testing.T) {
			for _, aad := range [][]byte{nil, []byte("bound")} {
				p := handshake(t, cfg, 1, aad)
				if p.g.CheckCode() != p.s.CheckCode() {
					t.Fatalf("check codes differ: G %s, S %s", p.g.CheckCode(), p.s.CheckCode())
				}
				if p.g.PeerKey() != p.s.PublicKey() || p.s.PeerKey() != p.g.PublicKey() {
					t.Fatal("the two ends disagree on the keys")
				}
				msgs := []string{`{"type":"m.login.protocols"}`, "", "ünïcödé ✓", strings.Repeat("x", 4000)}
				for i, m := range msgs {
					from, to := p.s, p.g
					if i%2 == 1 {
						from, to = p.g, p.s
					}
					payload, err := from.Seal([]byte(m), aad)
					if err != nil {
						t.Fatal(err)
					}
					got, err := to.Open(payload, aad)
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if string(got) != m {
						t.Fatalf("message %d: got %q", i, got)
					}
				}
				// Two in a row from one side are fine for the channel itself:
				// each direction has its own counter.
				a, _ := p.g.Seal([]byte("a"), aad)
				b, _ := p.g.Seal([]byte("b"), aad)
				for _, want := range []struct{ p, m string }{{a, "a"}, {b, "b"}} {
					got, err := p.s.Open(want.p, aad)
					if err != nil || string(got) != want.m {
						t.Fatalf("in-order burst: %q, %v", got, err)
					}
				}
			}
		})
	}
}

func TestCheckCodeRenderings(t *testing.T) {
	cases := []struct {
		b      [2]byte
		d      Digits
		want   string
		wantIn [2]int
	}{
		{[2]byte{0, 0}, Digits00To99, "00", [2]int{0, 99}},
		{[2]byte{0, 0}, Digits10To99, "10", [2]int{10, 99}},
		{[2]byte{9, 9}, Digits00To99, "99", [2]int{0, 99}},
		{[2]byte{0xff, 0xff}, Digits00To99, "55", [2]int{0, 99}},
		{[2]byte{0xff, 0xff}, Digits10To99, "45", [2]int{10, 99}},
		{[2]byte{8, 7}, Digits10To99, "97", [2]int{10, 99}},
		{[2]byte{7, 3}, DigitsDefault, "73", [2]int{0, 99}},
	}
	for _, c := range cases {
		cc := NewCheckCode(c.b, c.d)
		if cc.String() != c.want {
			t.Errorf("%v in %s: got %s, want %s", c.b, c.d, cc, c.want)
		}
	}
	// Every byte pair renders in range, and 10-99 never leads with 0.
	for b0 := range 256 {
		for b1 := range 256 {
			v := NewCheckCode([2]byte{byte(b0), byte(b1)}, Digits10To99).Value()
			if v < 10 || v > 99 {
				t.Fatalf("10-99 code %d out of range for %d,%d", v, b0, b1)
			}
			if w := NewCheckCode([2]byte{byte(b0), byte(b1)}, Digits00To99).Value(); w < 0 || w > 99 {
				t.Fatalf("00-99 code %d out of range", w)
			}
		}
	}
}

func TestDefaultDigitsPerConstruction(t *testing.T) {
	want := map[Construction]Digits{ECIESSpec: Digits00To99, ECIESVodozemac: Digits00To99, HPKESpec: Digits10To99, HPKEVodozemac: Digits00To99}
	for c, d := range want {
		p := handshake(t, DefaultConfig(c), 3, nil)
		if got := p.s.CheckCode().Digits(); got != d {
			t.Errorf("%s: default digits %s, want %s", c, got, d)
		}
	}
}

func TestDeterministicFromSeed(t *testing.T) {
	for _, c := range Constructions() {
		a := handshake(t, DefaultConfig(c), 42, nil)
		b := handshake(t, DefaultConfig(c), 42, nil)
		if a.initiate != b.initiate || a.ok != b.ok || a.g.CheckCode() != b.g.CheckCode() {
			t.Errorf("%s: same seed gave different handshakes", c)
		}
		d := handshake(t, DefaultConfig(c), 43, nil)
		if a.initiate == d.initiate {
			t.Errorf("%s: different seeds gave the same LoginInitiate", c)
		}
	}
}

// mustFail checks that opening fails with one of the package's sentinel
// errors and yields nothing.
func mustFail(t *testing.T, what string, pt []byte, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: opened (plaintext %q), want an error", what, pt)
	}
	if pt != nil {
		t.Fatalf("%s: error %v came with plaintext %q", what, err, pt)
	}
	if !errors.Is(err, ErrAuthentication) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrLowOrderKey) {
		t.Fatalf("%s: error %v wraps no sentinel", what, err)
	}
}

// flipped returns payload with one bit of its decoded bytes flipped and
// re-encoded, and false when i is past the end.
func flipped(payload string, i int) (string, bool) {
	raw, err := decodeB64(payload)
	if err != nil || i >= len(raw) {
		return "", false
	}
	raw = append([]byte(nil), raw...)
	raw[i] ^= 0x01
	return b64.EncodeToString(raw), true
}

func TestTamperedPayloadsNeverOpen(t *testing.T) {
	for _, c := range Constructions() {
		cfg := DefaultConfig(c)
		t.Run(string(c), func(t *testing.T) {
			// LoginInitiate: every bit position flipped (ECIES: in the
			// ciphertext part and in the key part).
			rnd := seeded.Stream(7)
			retry := cfg
			retry.RetryAccept = true
			gen, _ := NewGenerator(retry, rnd)
			_, initiate, err := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
			if err != nil {
				t.Fatal(err)
			}
			var variants []string
			if c.IsHPKE() {
				for i := 0; ; i++ {
					v, ok := flipped(initiate, i)
					if !ok {
						break
					}
					variants = append(variants, v)
				}
			} else {
				ct, key, _ := strings.Cut(initiate, "|")
				for i := 0; ; i++ {
					v, ok := flipped(ct, i)
					if !ok {
						break
					}
					variants = append(variants, v+"|"+key)
				}
				for i := 0; i < KeySize; i++ {
					v, _ := flipped(key, i)
					variants = append(variants, ct+"|"+v)
				}
			}
			variants = append(variants, initiate[:len(initiate)-4], "", "|", "AAAA", initiate+"AAAA")
			for i, v := range variants {
				ch, pt, err := gen.Accept(v, nil, rnd)
				if ch != nil {
					t.Fatalf("variant %d of LoginInitiate accepted", i)
				}
				mustFail(t, fmt.Sprintf("LoginInitiate variant %d", i), pt, err)
			}
			// With RetryAccept the generator stays usable after forgeries.
			if _, _, err := gen.Accept(initiate, nil, rnd); err != nil {
				t.Fatalf("genuine LoginInitiate after forgeries: %v", err)
			}

			// LoginOk and a later payload, each bit flipped, on fresh pairs.
			for _, stage := range []string{"login-ok", "later"} {
				for i := 0; ; i++ {
					p := handshakeUpTo(t, cfg, 9, stage)
					payload := p.pending
					v, ok := flipped(payload, i)
					if !ok {
						break
					}
					pt, err := p.recv.Open(v, nil)
					mustFail(t, fmt.Sprintf("%s bit %d", stage, i), pt, err)
				}
			}
		})
	}
}

// staged is a pair stopped with one payload in flight.
type staged struct {
	recv    *Channel
	pending string
}

func handshakeUpTo(t *testing.T, cfg Config, seed uint64, stage string) staged {
	t.Helper()
	rnd := seeded.Stream(seed)
	gen, _ := NewGenerator(cfg, rnd)
	s, initiate, err := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := gen.Accept(initiate, nil, rnd)
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := g.Seal([]byte(LoginOk), nil)
	if stage == "login-ok" {
		return staged{recv: s, pending: ok}
	}
	if _, err := s.Open(ok, nil); err != nil {
		t.Fatal(err)
	}
	later, _ := s.Seal([]byte(`{"type":"m.login.protocol"}`), nil)
	return staged{recv: g, pending: later}
}

func TestReplayReorderReflectTruncate(t *testing.T) {
	for _, c := range Constructions() {
		t.Run(string(c), func(t *testing.T) {
			p := handshake(t, DefaultConfig(c), 11, nil)
			m1, _ := p.s.Seal([]byte("one"), nil)
			m2, _ := p.s.Seal([]byte("two"), nil)

			// Reordered: two before one.
			pt, err := p.g.Open(m2, nil)
			mustFail(t, "reordered", pt, err)

			p = handshake(t, DefaultConfig(c), 11, nil)
			m1, _ = p.s.Seal([]byte("one"), nil)
			if _, err := p.g.Open(m1, nil); err != nil {
				t.Fatal(err)
			}
			pt, err = p.g.Open(m1, nil)
			mustFail(t, "replayed", pt, err)

			// The handshake payloads replayed later.
			p = handshake(t, DefaultConfig(c), 11, nil)
			pt, err = p.s.Open(p.ok, nil)
			mustFail(t, "LoginOk replayed", pt, err)
			pt, err = p.g.Open(p.initiate, nil)
			mustFail(t, "LoginInitiate replayed as a message", pt, err)

			// Reflected: S opening its own payload.
			p = handshake(t, DefaultConfig(c), 11, nil)
			m1, _ = p.s.Seal([]byte("one"), nil)
			pt, err = p.s.Open(m1, nil)
			mustFail(t, "reflected", pt, err)

			// Truncated, in every length.
			p = handshake(t, DefaultConfig(c), 11, nil)
			m1, _ = p.s.Seal([]byte("a longer message to cut"), nil)
			raw, _ := decodeB64(m1)
			for n := range len(raw) {
				pt, err := p.g.Open(b64.EncodeToString(raw[:n]), nil)
				mustFail(t, fmt.Sprintf("truncated to %d", n), pt, err)
			}
		})
	}
}

func TestFailedOpenNonceBehaviour(t *testing.T) {
	// ECIES (both): a failed open consumes a receive nonce, so the genuine
	// payload no longer opens. HPKE (both): it does not, so it still opens.
	for _, c := range Constructions() {
		p := handshake(t, DefaultConfig(c), 13, nil)
		m, _ := p.s.Seal([]byte("genuine"), nil)
		bad, _ := flipped(m, 0)
		if _, err := p.g.Open(bad, nil); err == nil {
			t.Fatalf("%s: tampered payload opened", c)
		}
		_, err := p.g.Open(m, nil)
		if c.IsHPKE() && err != nil {
			t.Errorf("%s: genuine payload after a failed open: %v, want it to open", c, err)
		}
		if !c.IsHPKE() && !errors.Is(err, ErrAuthentication) {
			t.Errorf("%s: genuine payload after a failed open: %v, want ErrAuthentication (nonce consumed)", c, err)
		}
	}
}

func TestAADBinding(t *testing.T) {
	aad, err := BindingAAD(AADBaseURL16, "https://matrix.example.com", "abc-def", "1")
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{0, 26}, "https://matrix.example.com"...)
	want = append(append(want, 7), "abc-def"...)
	want = append(append(want, 1), '1')
	if !bytes.Equal(aad, want) {
		t.Fatalf("BindingAAD = %x, want %x", aad, want)
	}
	// The later revision's example: EncodeStringAsBytes8("abcdef").
	aad8, err := BindingAAD(AADBaseURL8, "abcdef", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if want8 := []byte{0x06, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0, 0}; !bytes.Equal(aad8, want8) {
		t.Fatalf("BindingAAD(bytes8) = %x, want %x", aad8, want8)
	}
	other := map[string][3]string{
		"other session":  {"https://matrix.example.com", "abc-xyz", "1"},
		"other position": {"https://matrix.example.com", "abc-def", "2"},
		"other server":   {"https://evil.example.com", "abc-def", "1"},
	}
	for _, c := range Constructions() {
		for name, o := range other {
			wrong, _ := BindingAAD(AADBaseURL16, o[0], o[1], o[2])
			// LoginInitiate moved.
			rnd := seeded.Stream(17)
			gen, _ := NewGenerator(DefaultConfig(c), rnd)
			_, initiate, _ := Initiate(DefaultConfig(c), gen.PublicKey(), []byte(LoginInitiate), aad, rnd)
			ch, pt, err := gen.Accept(initiate, wrong, rnd)
			if ch != nil {
				t.Fatalf("%s: LoginInitiate opened in %s", c, name)
			}
			mustFail(t, string(c)+" initiate "+name, pt, err)
			// Later payloads moved.
			p := handshake(t, DefaultConfig(c), 17, aad)
			m, _ := p.s.Seal([]byte("bound"), aad)
			pt, err = p.g.Open(m, wrong)
			mustFail(t, string(c)+" message "+name, pt, err)
			// And with AAD dropped altogether (the no-aad-binding mutant).
			p = handshake(t, DefaultConfig(c), 17, aad)
			m, _ = p.g.Seal([]byte("bound"), aad)
			pt, err = p.s.Open(m, nil)
			mustFail(t, string(c)+" message without AAD", pt, err)
		}
	}
	if _, err := BindingAAD(AADBaseURL8, strings.Repeat("u", 256), "i", "t"); !errors.Is(err, ErrMalformed) {
		t.Errorf("256-byte URL in bytes8: %v, want ErrMalformed", err)
	}
	if _, err := BindingAAD(AADBaseURL16, "u", strings.Repeat("i", 256), "t"); !errors.Is(err, ErrMalformed) {
		t.Errorf("256-byte ID: %v, want ErrMalformed", err)
	}
	if _, err := BindingAAD(AADBaseURL16, "u", "i", strings.Repeat("t", 256)); !errors.Is(err, ErrMalformed) {
		t.Errorf("256-byte token: %v, want ErrMalformed", err)
	}
	if _, err := BindingAAD(AADBaseURL16, strings.Repeat("u", 65536), "i", "t"); !errors.Is(err, ErrMalformed) {
		t.Errorf("65536-byte URL: %v, want ErrMalformed", err)
	}
}

func TestLowOrderKeysRefused(t *testing.T) {
	var zero PublicKey
	for _, c := range Constructions() {
		_, _, err := Initiate(DefaultConfig(c), zero, []byte(LoginInitiate), nil, seeded.Stream(1))
		if !errors.Is(err, ErrLowOrderKey) {
			t.Errorf("%s: Initiate to the zero key: %v, want ErrLowOrderKey", c, err)
		}
		gen, _ := NewGenerator(DefaultConfig(c), seeded.Stream(2))
		var payload string
		if c.IsHPKE() {
			payload = b64.EncodeToString(make([]byte, KeySize+tagSize))
		} else {
			payload = b64.EncodeToString(make([]byte, tagSize)) + "|" + zero.String()
		}
		_, _, err = gen.Accept(payload, nil, seeded.Stream(3))
		if !errors.Is(err, ErrLowOrderKey) {
			t.Errorf("%s: Accept from the zero key: %v, want ErrLowOrderKey", c, err)
		}
	}
}

func TestGeneratorKeyIsSingleUse(t *testing.T) {
	for _, c := range Constructions() {
		rnd := seeded.Stream(5)
		gen, _ := NewGenerator(DefaultConfig(c), rnd)
		_, initiate, _ := Initiate(DefaultConfig(c), gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
		if _, _, err := gen.Accept(initiate, nil, rnd); err != nil {
			t.Fatal(err)
		}
		_, initiate2, _ := Initiate(DefaultConfig(c), gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
		if _, _, err := gen.Accept(initiate2, nil, rnd); !errors.Is(err, ErrState) {
			t.Errorf("%s: second Accept: %v, want ErrState", c, err)
		}
	}
}

func TestConstructionsDoNotInteroperate(t *testing.T) {
	// Spec ECIES and vodozemac ECIES differ in the KDF only: the same keys
	// give different payloads and neither opens the other's.
	cross := func(a, b Construction) error {
		rnd := seeded.Stream(21)
		gen, _ := NewGenerator(DefaultConfig(a), rnd)
		_, initiate, _ := Initiate(DefaultConfig(b), gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
		_, _, err := gen.Accept(initiate, nil, rnd)
		return err
	}
	if err := cross(ECIESSpec, ECIESVodozemac); !errors.Is(err, ErrAuthentication) {
		t.Errorf("ecies-spec G accepting ecies-vodozemac S: %v, want ErrAuthentication", err)
	}
	if err := cross(ECIESVodozemac, ECIESSpec); !errors.Is(err, ErrAuthentication) {
		t.Errorf("ecies-vodozemac G accepting ecies-spec S: %v, want ErrAuthentication", err)
	}
	// The two HPKE constructions share suite and info, so LoginInitiate is
	// the same and opens across; they part at the response label, so LoginOk
	// does not open across, and at the check-code label.
	if err := cross(HPKESpec, HPKEVodozemac); err != nil {
		t.Errorf("hpke-spec G accepting hpke-vodozemac S: %v, want success (same first payload)", err)
	}
	spec := handshake(t, DefaultConfig(HPKESpec), 23, nil)
	vodo := handshake(t, Config{Construction: HPKEVodozemac}, 23, nil)
	if spec.initiate != vodo.initiate {
		t.Error("hpke-spec and hpke-vodozemac LoginInitiate differ for the same randomness")
	}
	if spec.ok == vodo.ok {
		t.Error("hpke-spec and hpke-vodozemac LoginOk are equal; the response labels should part them")
	}
	if spec.g.CheckCode().Bytes() == vodo.g.CheckCode().Bytes() {
		t.Error("hpke-spec and hpke-vodozemac check-code bytes are equal; the labels should part them")
	}
	rnd := seeded.Stream(23)
	gen, _ := NewGenerator(DefaultConfig(HPKESpec), rnd)
	s, initiate, _ := Initiate(DefaultConfig(HPKEVodozemac), gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
	g, _, _ := gen.Accept(initiate, nil, rnd)
	ok, _ := g.Seal([]byte(LoginOk), nil)
	pt, err := s.Open(ok, nil)
	mustFail(t, "hpke-spec LoginOk opened by hpke-vodozemac", pt, err)
}

func TestConfigValidation(t *testing.T) {
	bad := []Config{
		{Construction: "ecies-made-up"},
		{Construction: HPKESpec, GeneratorNonceStart: 1},
		{Construction: ECIESSpec, Digits: 9},
		{Construction: HPKESpec, CheckCodeKeys: 7},
	}
	for _, cfg := range bad {
		if _, err := NewGenerator(cfg, seeded.Stream(1)); !errors.Is(err, ErrConfig) {
			t.Errorf("NewGenerator(%+v): %v, want ErrConfig", cfg, err)
		}
		if _, _, err := Initiate(cfg, PublicKey{9}, nil, nil, seeded.Stream(1)); !errors.Is(err, ErrConfig) {
			t.Errorf("Initiate(%+v): %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := ParseConstruction("ecies"); err == nil || !strings.Contains(err.Error(), "ecies-spec") {
		t.Errorf("ParseConstruction error should list the valid names: %v", err)
	}
	if _, err := ParseDigits("0-9"); !errors.Is(err, ErrConfig) {
		t.Errorf("ParseDigits: %v", err)
	}
}

func TestShortRandomnessIsAnError(t *testing.T) {
	for _, c := range Constructions() {
		if _, err := NewGenerator(DefaultConfig(c), bytes.NewReader(make([]byte, 31))); err == nil {
			t.Errorf("%s: NewGenerator with 31 random bytes succeeded", c)
		}
		gen, _ := NewGenerator(DefaultConfig(c), seeded.Stream(1))
		if _, _, err := Initiate(DefaultConfig(c), gen.PublicKey(), nil, nil, bytes.NewReader(nil)); err == nil {
			t.Errorf("%s: Initiate with no randomness succeeded", c)
		}
	}
}

func TestPublicKeyParsing(t *testing.T) {
	k, err := ParsePublicKey("2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws")
	if err != nil {
		t.Fatal(err)
	}
	if k[0] != 0xd8 || k[31] != 0x6b || k.String() != "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws" {
		t.Fatalf("parsed %x / %s", k, k)
	}
	if _, err := ParsePublicKey("2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws="); err != nil {
		t.Errorf("padded key refused: %v", err)
	}
	for _, bad := range []string{"", "2IZo", "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws!", "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Wt"} {
		if _, err := ParsePublicKey(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePublicKey(%q): %v, want ErrMalformed", bad, err)
		}
	}
}

func TestScannerKeyKnownBeforeInitiate(t *testing.T) {
	for _, c := range Constructions() {
		rnd := seeded.Stream(51)
		gen, _ := NewGenerator(DefaultConfig(c), rnd)
		sc, err := NewScanner(DefaultConfig(c), rnd)
		if err != nil {
			t.Fatal(err)
		}
		sp := sc.PublicKey()
		s, _, err := sc.Initiate(gen.PublicKey(), []byte(LoginInitiate), nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.PublicKey() != sp {
			t.Errorf("%s: announced Sp %s, channel used %s", c, sp, s.PublicKey())
		}
		if _, _, err := sc.Initiate(gen.PublicKey(), []byte(LoginInitiate), nil); !errors.Is(err, ErrState) {
			t.Errorf("%s: second Initiate: %v, want ErrState", c, err)
		}
	}
}

func TestForgedInitiateUsesTheGeneratorUp(t *testing.T) {
	for _, c := range Constructions() {
		rnd := seeded.Stream(53)
		gen, _ := NewGenerator(DefaultConfig(c), rnd)
		_, initiate, _ := Initiate(DefaultConfig(c), gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
		// Rejected before decryption: nothing is used up.
		if _, _, err := gen.Accept("not base64 at all!", nil, rnd); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v, want ErrMalformed", c, err)
		}
		// A forgery that reaches decryption uses the key up, as vodozemac does.
		_, forgedPayload, _ := Initiate(DefaultConfig(c), gen.PublicKey(), []byte(LoginInitiate), []byte("x"), seeded.Stream(55))
		if _, _, err := gen.Accept(forgedPayload, nil, rnd); !errors.Is(err, ErrAuthentication) {
			t.Fatalf("%s: forged payload: %v, want ErrAuthentication", c, err)
		}
		if _, _, err := gen.Accept(initiate, nil, rnd); !errors.Is(err, ErrState) {
			t.Errorf("%s: genuine payload after a forgery: %v, want ErrState (key used up)", c, err)
		}
	}
}

// TestShortInitiateSpendsTheKeyInVodozemacOnly feeds G a LoginInitiate whose
// key is well formed but whose ciphertext is 15 bytes, one short of a tag,
// then the genuine one. vodozemac decrypts the short one and so uses its key
// up; the spec constructions refuse it as malformed and keep the key. A
// payload too short to hold the key keeps it everywhere.
func TestShortInitiateSpendsTheKeyInVodozemacOnly(t *testing.T) {
	short := bytes.Repeat([]byte{0xa5}, frame.TagSize-1)
	for _, c := range Constructions() {
		rnd := seeded.Stream(59)
		gen, _ := NewGenerator(DefaultConfig(c), rnd)
		_, initiate, _ := Initiate(DefaultConfig(c), gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
		var tooShortForKey, tooShortForTag string
		if c.IsHPKE() {
			raw, err := b64.DecodeString(initiate)
			if err != nil {
				t.Fatal(err)
			}
			tooShortForKey = b64.EncodeToString(raw[:frame.KeySize-1])
			tooShortForTag = b64.EncodeToString(append(raw[:frame.KeySize:frame.KeySize], short...))
		} else {
			key := initiate[strings.IndexByte(initiate, '|'):]
			tooShortForKey = b64.EncodeToString(short) + key[:len(key)-1]
			tooShortForTag = b64.EncodeToString(short) + key
		}
		if _, _, err := gen.Accept(tooShortForKey, nil, rnd); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: key too short: %v, want ErrMalformed", c, err)
		}
		if _, _, err := gen.Accept(tooShortForTag, nil, rnd); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: ciphertext too short: %v, want ErrMalformed", c, err)
		}
		_, _, err := gen.Accept(initiate, nil, rnd)
		vodozemac := c == ECIESVodozemac || c == HPKEVodozemac
		switch {
		case vodozemac && !errors.Is(err, ErrState):
			t.Errorf("%s: genuine payload after a short one: %v, want ErrState (vodozemac decrypts it and spends the key)", c, err)
		case !vodozemac && err != nil:
			t.Errorf("%s: genuine payload after a short one: %v, want it opened (refused before decryption)", c, err)
		}
	}
}

// TestVodozemacRefusesOverpaddingUnspent: a genuine payload with an '=' more
// than its padding allows, or with a CRLF in it, is refused before decryption
// by the vodozemac constructions (spending no nonce, so the genuine payload
// still opens after it) and read as the genuine payload by the spec ones.
func TestVodozemacRefusesOverpaddingUnspent(t *testing.T) {
	for _, c := range Constructions() {
		for _, mangle := range []func(string) string{
			func(m string) string { return m + strings.Repeat("=", 4-len(m)%4) + "=" },
			func(m string) string { return m[:4] + "\r\n" + m[4:] },
		} {
			p := handshake(t, DefaultConfig(c), 61, nil)
			m, _ := p.s.Seal([]byte("genuine"), nil)
			bad := mangle(m)
			pt, err := p.g.Open(bad, nil)
			vodozemac := c == ECIESVodozemac || c == HPKEVodozemac
			if vodozemac {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%s: Open(%q) = %q, %v; want ErrMalformed", c, bad, pt, err)
				}
				if pt, err = p.g.Open(m, nil); err != nil || string(pt) != "genuine" {
					t.Errorf("%s: genuine payload after %q: %q, %v; want it opened (no nonce spent)", c, bad, pt, err)
				}
			} else if err != nil || string(pt) != "genuine" {
				t.Errorf("%s: Open(%q) = %q, %v; want the genuine payload (lenient base64)", c, bad, pt, err)
			}
		}
	}
}

func TestShortCiphertextSpendsAnECIESNonce(t *testing.T) {
	for _, c := range Constructions() {
		p := handshake(t, DefaultConfig(c), 57, nil)
		m, _ := p.s.Seal([]byte("genuine"), nil)
		if _, err := p.g.Open(b64.EncodeToString([]byte("short")), nil); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: short payload: %v", c, err)
		}
		_, err := p.g.Open(m, nil)
		if c.IsHPKE() != (err == nil) {
			t.Errorf("%s: genuine payload after a short one: %v (ECIES spends a nonce, HPKE does not)", c, err)
		}
	}
}

// TestBindingAADRevisions pins the AAD of each MSC4388 revision for one
// input, and the root-slash form of a base URL with no path.
func TestBindingAADRevisions(t *testing.T) {
	cases := []struct {
		layout AADLayout
		base   string
		want   string
	}{
		{AADBaseURL16, "https://h", "\x00\x09https://h\x01i\x01t"},
		{AADBaseURL8, "https://h", "\x09https://h\x01i\x01t"},
		{AADRaw, "https://h", "https://hit"},
		{AADAll16, "https://h", "\x00\x09https://h\x00\x01i\x00\x01t"},
		{AADBaseURL16 | AADRootSlash, "https://h", "\x00\x0ahttps://h/\x01i\x01t"},
		{AADBaseURL16 | AADRootSlash, "https://h/", "\x00\x0ahttps://h/\x01i\x01t"},
		{AADBaseURL16 | AADRootSlash, "https://h/p", "\x00\x0bhttps://h/p\x01i\x01t"},
	}
	for _, c := range cases {
		got, err := BindingAAD(c.layout, c.base, "i", "t")
		if err != nil || string(got) != c.want {
			t.Errorf("%v %q: got %q, %v; want %q", c.layout, c.base, got, err, c.want)
		}
	}
	if _, err := BindingAAD(AADAll16, "u", "i", strings.Repeat("t", 65536)); !errors.Is(err, ErrMalformed) {
		t.Errorf("all-bytes16 took a 65536-byte token: %v", err)
	}
}
