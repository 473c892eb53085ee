package channel

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/circl/hpke"
	"golang.org/x/crypto/chacha20poly1305"
	"qrlab/internal/seeded"
)

// These tests recompute the derivations of each construction by hand, from
// the literal labels of the texts and of vodozemac, so that a changed label,
// hash, nonce layout or key order fails here even if both ends of our own
// channel changed together.

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestECIESDerivationPinned(t *testing.T) {
	for _, tc := range []struct {
		c Construction
		h func() hash.Hash
	}{{ECIESSpec, sha256.New}, {ECIESVodozemac, sha512.New}} {
		t.Run(string(tc.c), func(t *testing.T) {
			rnd := seeded.Stream(31)
			gen, _ := NewGenerator(DefaultConfig(tc.c), rnd)
			s, initiate, err := Initiate(DefaultConfig(tc.c), gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
			if err != nil {
				t.Fatal(err)
			}
			gp, sp := gen.PublicKey(), s.PublicKey()
			shared, err := gen.key.agree(sp)
			if err != nil {
				t.Fatal(err)
			}
			info := func(l string) string { return l + "|" + gp.String() + "|" + sp.String() }
			keyS, _ := hkdf.Key(tc.h, shared[:], nil, info("MATRIX_QR_CODE_LOGIN_ENCKEY_S"), 32)
			keyG, _ := hkdf.Key(tc.h, shared[:], nil, info("MATRIX_QR_CODE_LOGIN_ENCKEY_G"), 32)
			code, _ := hkdf.Key(tc.h, shared[:], nil, info("MATRIX_QR_CODE_LOGIN_CHECKCODE"), 2)

			// LoginInitiate = b64(Seal(EncKey_S, nonce 0, INITIATE)) | b64(Sp).
			aeadS, _ := chacha20poly1305.New(keyS)
			want := b64.EncodeToString(aeadS.Seal(nil, make([]byte, 12), []byte(LoginInitiate), nil)) + "|" + sp.String()
			if initiate != want {
				t.Fatalf("LoginInitiate\n got %s\nwant %s", initiate, want)
			}
			g, _, err := gen.Accept(initiate, nil, rnd)
			if err != nil {
				t.Fatal(err)
			}
			// LoginOk = b64(Seal(EncKey_G, nonce 0, OK)); then counter 1, 2 ...
			aeadG, _ := chacha20poly1305.New(keyG)
			for n := uint64(0); n < 3; n++ {
				nonce := make([]byte, 12)
				binary.LittleEndian.PutUint64(nonce, n)
				got, _ := g.Seal([]byte("m"), nil)
				if want := b64.EncodeToString(aeadG.Seal(nil, nonce, []byte("m"), nil)); got != want {
					t.Fatalf("G payload with nonce %d: got %s, want %s", n, got, want)
				}
			}
			if g.CheckCode().Bytes() != [2]byte(code) || s.CheckCode().Bytes() != [2]byte(code) {
				t.Fatalf("check code bytes %v / %v, want %v", g.CheckCode().Bytes(), s.CheckCode().Bytes(), code)
			}
		})
	}
}

func TestECIESGeneratorNonceStartPinned(t *testing.T) {
	cfg := Config{Construction: ECIESSpec, GeneratorNonceStart: 1}
	rnd := seeded.Stream(33)
	gen, _ := NewGenerator(cfg, rnd)
	s, initiate, _ := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
	g, _, _ := gen.Accept(initiate, nil, rnd)
	ok, _ := g.Seal([]byte(LoginOk), nil)
	shared, _ := gen.key.agree(s.PublicKey())
	keyG, _ := hkdf.Key(sha256.New, shared[:], nil, "MATRIX_QR_CODE_LOGIN_ENCKEY_G|"+gen.PublicKey().String()+"|"+s.PublicKey().String(), 32)
	aeadG, _ := chacha20poly1305.New(keyG)
	nonce := make([]byte, 12)
	nonce[0] = 1
	if want := b64.EncodeToString(aeadG.Seal(nil, nonce, []byte(LoginOk), nil)); ok != want {
		t.Fatalf("LoginOk with G starting at 1: got %s, want %s", ok, want)
	}
	// A G that starts at 1 and an S that expects 0 do not interoperate.
	s0, initiate0, _ := Initiate(DefaultConfig(ECIESSpec), gen.PublicKey(), []byte(LoginInitiate), nil, seeded.Stream(34))
	gen2 := &Generator{cfg: cfg, key: gen.key}
	g1, _, err := gen2.Accept(initiate0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok1, _ := g1.Seal([]byte(LoginOk), nil)
	pt, err := s0.Open(ok1, nil)
	mustFail(t, "G nonce 1 against S expecting 0", pt, err)
}

// hpkeByHand sets up the receiver side directly with the library, from G's
// key and S's LoginInitiate, independent of the channel code.
func hpkeByHand(t *testing.T, gen *Generator, initiate string) (enc []byte, ctx hpke.Opener) {
	t.Helper()
	raw, _ := decodeB64(initiate)
	enc = raw[:32]
	skR, err := hpke.KEM_X25519_HKDF_SHA256.Scheme().UnmarshalBinaryPrivateKey(gen.key.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := hpke.NewSuite(0x0020, 0x0001, 0x0003).NewReceiver(skR, []byte("MATRIX_QR_CODE_LOGIN"))
	ctx, err = r.Setup(enc)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := ctx.Open(raw[32:], nil); err != nil || string(pt) != LoginInitiate {
		t.Fatalf("opening LoginInitiate by hand: %q, %v", pt, err)
	}
	return enc, ctx
}

func TestHPKEDerivationPinned(t *testing.T) {
	for _, tc := range []struct {
		cfg       Config
		respLabel string
		codeCtx   func(gp, sp PublicKey) []byte
	}{
		{DefaultConfig(HPKESpec), "MATRIX_QR_CODE_LOGIN response", func(gp, sp PublicKey) []byte {
			return append(append([]byte("MATRIX_QR_CODE_LOGIN_CHECKCODE"), gp[:]...), sp[:]...)
		}},
		{Config{Construction: HPKESpec, CheckCodeKeys: KeysBase64}, "MATRIX_QR_CODE_LOGIN response", func(gp, sp PublicKey) []byte {
			return []byte("MATRIX_QR_CODE_LOGIN_CHECKCODE" + gp.String() + sp.String())
		}},
		{DefaultConfig(HPKEVodozemac), "MATRIX_QR_CODE_LOGIN_RESPONSE", func(gp, sp PublicKey) []byte {
			return []byte("MATRIX_QR_CODE_LOGIN_CHECKCODE|" + gp.String() + "|" + sp.String())
		}},
	} {
		t.Run(string(tc.cfg.Construction), func(t *testing.T) {
			rnd := seeded.Stream(35)
			gen, _ := NewGenerator(tc.cfg, rnd)
			s, initiate, err := Initiate(tc.cfg, gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
			if err != nil {
				t.Fatal(err)
			}
			enc, ctx := hpkeByHand(t, gen, initiate)
			if [32]byte(enc) != s.PublicKey() {
				t.Fatal("enc is not S's public key")
			}
			g, _, err := gen.Accept(initiate, nil, rnd)
			if err != nil {
				t.Fatal(err)
			}
			ok, _ := g.Seal([]byte(LoginOk), nil)
			raw, _ := decodeB64(ok)
			nonce, ct := raw[:32], raw[32:]
			// Response key and nonce, RFC 9458 section 4.4 with the label.
			secret := ctx.Export([]byte(tc.respLabel), 32)
			prk, _ := hkdf.Extract(sha256.New, secret, append(append([]byte{}, enc...), nonce...))
			key, _ := hkdf.Expand(sha256.New, prk, "key", 32)
			base, _ := hkdf.Expand(sha256.New, prk, "nonce", 12)
			aead, _ := chacha20poly1305.New(key)
			pt, err := aead.Open(nil, base, ct, nil)
			if err != nil || string(pt) != LoginOk {
				t.Fatalf("LoginOk by hand: %q, %v", pt, err)
			}
			// Second G payload: base nonce XOR sequence number 1.
			m2, _ := g.Seal([]byte("second"), nil)
			raw2, _ := decodeB64(m2)
			n1 := append([]byte{}, base...)
			n1[11] ^= 1
			if pt, err := aead.Open(nil, n1, raw2, nil); err != nil || string(pt) != "second" {
				t.Fatalf("second response payload by hand: %q, %v", pt, err)
			}
			code := ctx.Export(tc.codeCtx(gen.PublicKey(), s.PublicKey()), 2)
			if g.CheckCode().Bytes() != [2]byte(code) || s.CheckCode().Bytes() != [2]byte(code) {
				t.Fatalf("check code bytes %v / %v, want %v", g.CheckCode().Bytes(), s.CheckCode().Bytes(), code)
			}
		})
	}
}

// rfcVector is one RFC 9180 test vector (hex strings).
type rfcVector struct {
	Info, IkmE, IkmR, SkRm, PkRm, Enc string
	ExporterSecret                    string `json:"exporter_secret"`
	BaseNonce                         string `json:"base_nonce"`
	Encryptions                       []struct {
		Seq         int
		Aad, Ct, Pt string
	}
	Exports []struct {
		ExporterContext string `json:"exporter_context"`
		L               uint
		ExportedValue   string `json:"exported_value"`
	}
}

func TestHPKEAgainstRFC9180Vectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "rfc9180_x25519_sha256_chacha20poly1305.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Vector rfcVector }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	v := file.Vector
	// The vector's ephemeral key comes from ikmE through DeriveKeyPair: feed
	// ikmE as the "random" stream, as the channel's S does with its stream.
	var pkR PublicKey
	copy(pkR[:], hexBytes(t, v.PkRm))
	enc, sealer, err := hpkeSetupSender(pkR, hexBytes(t, v.Info), strings.NewReader(string(hexBytes(t, v.IkmE))))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(enc) != v.Enc {
		t.Fatalf("enc = %x, want %s", enc, v.Enc)
	}
	rcp, err := newHPKERecipient(hexBytes(t, v.SkRm))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(rcp.key.pub[:]) != v.PkRm {
		t.Fatalf("recipient public key %x, want %s", rcp.key.pub, v.PkRm)
	}
	opener, err := hpkeSetupReceiver(rcp, enc, hexBytes(t, v.Info))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*hpkeContext{sealer, opener} {
		if hex.EncodeToString(c.exporterSecret) != v.ExporterSecret {
			t.Fatalf("exporter secret %x, want %s", c.exporterSecret, v.ExporterSecret)
		}
		if hex.EncodeToString(c.base[:]) != v.BaseNonce {
			t.Fatalf("base nonce %x, want %s", c.base, v.BaseNonce)
		}
	}
	seq := 0
	for _, e := range v.Encryptions {
		for ; seq < e.Seq; seq++ {
			ct, _ := sealer.seal(nil, nil)
			if _, err := opener.open(ct, nil); err != nil {
				t.Fatal(err)
			}
		}
		ct, err := sealer.seal(hexBytes(t, e.Pt), hexBytes(t, e.Aad))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(ct) != e.Ct {
			t.Fatalf("seq %d: ct %x, want %s", e.Seq, ct, e.Ct)
		}
		pt, err := opener.open(ct, hexBytes(t, e.Aad))
		if err != nil || hex.EncodeToString(pt) != e.Pt {
			t.Fatalf("seq %d: open %x, %v", e.Seq, pt, err)
		}
		seq++
	}
	for _, x := range v.Exports {
		got := sealer.Export(hexBytes(t, x.ExporterContext), int(x.L))
		if hex.EncodeToString(got) != x.ExportedValue {
			t.Fatalf("export %q: %x, want %s", x.ExporterContext, got, x.ExportedValue)
		}
	}
}

// golden is the known-answer record of one construction's handshake from a
// fixed seed, so that any change to the bytes on the wire shows up in review.
type golden struct {
	Construction string   `json:"construction"`
	Seed         uint64   `json:"seed"`
	GeneratorKey string   `json:"generator_key"`
	ScannerKey   string   `json:"scanner_key"`
	Initiate     string   `json:"login_initiate"`
	Ok           string   `json:"login_ok"`
	Messages     []string `json:"messages"`
	CheckCode    string   `json:"check_code"`
}

func TestGoldenHandshakes(t *testing.T) {
	var got []golden
	for _, c := range Constructions() {
		p := handshake(t, DefaultConfig(c), 2024, nil)
		m1, _ := p.s.Seal([]byte(`{"type":"m.login.protocol"}`), nil)
		m2, _ := p.g.Seal([]byte(`{"type":"m.login.protocol_accepted"}`), nil)
		got = append(got, golden{string(c), 2024, p.g.PublicKey().String(), p.s.PublicKey().String(), p.initiate, p.ok, []string{m1, m2}, p.g.CheckCode().String()})
	}
	path := filepath.Join("testdata", "golden_handshakes.json")
	out, _ := json.MarshalIndent(got, "", "  ")
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(out) {
		t.Fatalf("handshake bytes changed; if intended, run go test ./model/channel -run Golden -update\n got: %s", out)
	}
}

// TestHPKEMatchesCircl runs the same setup through circl's complete HPKE and
// through ours (circl's KEM, our key schedule): enc, ciphertexts and exports
// must be identical, in both roles.
func TestHPKEMatchesCircl(t *testing.T) {
	suite := hpke.NewSuite(hpke.KEM_X25519_HKDF_SHA256, hpke.KDF_HKDF_SHA256, hpke.AEAD_ChaCha20Poly1305)
	for i := range 20 {
		rnd := seeded.Stream(uint64(100 + i))
		rcp, err := newHPKERecipient(func() []byte { b := make([]byte, 32); rnd.Read(b); return b }())
		if err != nil {
			t.Fatal(err)
		}
		seed := make([]byte, 32)
		rnd.Read(seed)
		info := []byte(hpkeInfo)
		if i%2 == 1 {
			info = []byte("another info")
		}
		enc, ours, err := hpkeSetupSender(rcp.key.Public(), info, strings.NewReader(string(seed)))
		if err != nil {
			t.Fatal(err)
		}
		pk, _ := hpke.KEM_X25519_HKDF_SHA256.Scheme().UnmarshalBinaryPublicKey(rcp.key.pub[:])
		snd, _ := suite.NewSender(pk, info)
		encC, theirs, err := snd.Setup(strings.NewReader(string(seed)))
		if err != nil {
			t.Fatal(err)
		}
		if string(enc) != string(encC) {
			t.Fatalf("enc differs from circl's")
		}
		rcv, _ := suite.NewReceiver(rcp.sk, info)
		theirOpener, err := rcv.Setup(enc)
		if err != nil {
			t.Fatal(err)
		}
		ourOpener, err := hpkeSetupReceiver(rcp, enc, info)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			pt := []byte(fmt.Sprintf("message %d", j))
			aad := []byte{byte(j)}
			a, _ := ours.seal(pt, aad)
			b, _ := theirs.Seal(pt, aad)
			if string(a) != string(b) {
				t.Fatalf("ciphertext %d differs from circl's", j)
			}
			if got, err := theirOpener.Open(a, aad); err != nil || string(got) != string(pt) {
				t.Fatalf("circl could not open our ciphertext %d: %v", j, err)
			}
			if got, err := ourOpener.open(b, aad); err != nil || string(got) != string(pt) {
				t.Fatalf("we could not open circl's ciphertext %d: %v", j, err)
			}
		}
		for _, ctx := range []string{"", "MATRIX_QR_CODE_LOGIN response", "x"} {
			if string(ours.Export([]byte(ctx), 32)) != string(theirs.Export([]byte(ctx), 32)) ||
				string(ourOpener.Export([]byte(ctx), 2)) != string(theirOpener.Export([]byte(ctx), 2)) {
				t.Fatalf("export %q differs from circl's", ctx)
			}
		}
	}
}
