package channel

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem"
	"golang.org/x/crypto/chacha20poly1305"

	"qrlab/model/channel/frame"
	"qrlab/model/wire"
)

// HPKE suite and labels. Where the 2026 text and vodozemac differ, both are
// named.
const (
	// hpkeInfo is the HPKE info string of both HPKE constructions.
	hpkeInfo = "MATRIX_QR_CODE_LOGIN"
	// hpkeSpecResponseLabel is the exporter context for the response secret
	// in the 2026 text (after Oblivious HTTP's "message/bhttp response").
	hpkeSpecResponseLabel = "MATRIX_QR_CODE_LOGIN response"
	// hpkeVodozemacResponseLabel is vodozemac's exporter context for it.
	hpkeVodozemacResponseLabel = "MATRIX_QR_CODE_LOGIN_RESPONSE"
	// hpkeCheckCodeLabel starts the check-code exporter context in both.
	hpkeCheckCodeLabel = "MATRIX_QR_CODE_LOGIN_CHECKCODE"
	// responseNonceSize is the length of G's random response nonce: the
	// larger of the AEAD key and nonce sizes, as RFC 9458 section 4.4 says.
	responseNonceSize = frame.NonceSize
)

// hpkeSuite is RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256 and ChaCha20-Poly1305.
var hpkeSuite = hpke.NewSuite(hpke.KEM_X25519_HKDF_SHA256, hpke.KDF_HKDF_SHA256, hpke.AEAD_ChaCha20Poly1305)

var hpkeScheme = hpke.KEM_X25519_HKDF_SHA256.Scheme()

// hpkeRecipient is G's key in the form the HPKE library wants, with its
// public key computed once.
type hpkeRecipient struct {
	key *PrivateKey
	sk  kem.PrivateKey
}

func newHPKERecipient(seed []byte) (*hpkeRecipient, error) {
	sk, err := hpkeScheme.UnmarshalBinaryPrivateKey(seed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	pub, err := sk.Public().MarshalBinary()
	if err != nil {
		return nil, err
	}
	k := &PrivateKey{}
	copy(k.scalar[:], seed)
	copy(k.pub[:], pub)
	return &hpkeRecipient{key: k, sk: sk}, nil
}

// hpkeDerivePublic returns the public key DeriveKeyPair(seed) makes, which is
// the enc an HPKE sender drawing seed will send.
func hpkeDerivePublic(seed []byte) PublicKey {
	pub, _ := hpkeScheme.DeriveKeyPair(seed)
	var pk PublicKey
	b, _ := pub.MarshalBinary()
	copy(pk[:], b)
	return pk
}

// hpkeSetupSender runs SetupBaseS(pkR, info): the KEM (circl's DHKEM,
// with the ephemeral key derived from 32 bytes of rand) and then the key
// schedule, returning enc and the sender context.
func hpkeSetupSender(pkR PublicKey, info []byte, rand io.Reader) ([]byte, *hpkeContext, error) {
	pk, err := hpkeScheme.UnmarshalBinaryPublicKey(pkR[:])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	seed := make([]byte, hpkeScheme.EncapsulationSeedSize())
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, nil, fmt.Errorf("draw ephemeral key: %w: %w", wire.ErrRandom, err)
	}
	enc, ss, err := hpkeScheme.EncapsulateDeterministically(pk, seed)
	if err != nil {
		return nil, nil, hpkeError(err)
	}
	ctx, err := hpkeKeySchedule(ss, info)
	if err != nil {
		return nil, nil, err
	}
	return enc, ctx, nil
}

// hpkeSetupReceiver runs SetupBaseR(enc, skR, info).
func hpkeSetupReceiver(r *hpkeRecipient, enc, info []byte) (*hpkeContext, error) {
	ss, err := hpkeScheme.Decapsulate(r.sk, enc)
	if err != nil {
		return nil, hpkeError(err)
	}
	return hpkeKeySchedule(ss, info)
}

// hpkeError maps the library's errors onto ours.
func hpkeError(err error) error {
	switch {
	case errors.Is(err, hpke.ErrInvalidKEMSharedSecret):
		return fmt.Errorf("%w: %v", ErrLowOrderKey, err)
	case errors.Is(err, hpke.ErrInvalidKEMPublicKey), errors.Is(err, kem.ErrPubKeySize):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return err
}

// seqAEAD is an RFC 9180 AEAD context: nonce = base nonce XOR big-endian
// sequence number, which only moves on success. It serves both the HPKE
// context proper and the G-to-S response context.
type seqAEAD struct {
	aead  cipher.AEAD
	key   [KeySize]byte
	base  [chacha20poly1305.NonceSize]byte
	seq   uint64
	nonce [chacha20poly1305.NonceSize]byte
	// static: the static-nonce mutation, the sequence number never moves.
	static bool
}

func (r *seqAEAD) current() []byte {
	r.nonce = r.base
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], r.seq)
	for i := range s {
		r.nonce[4+i] ^= s[i]
	}
	return r.nonce[:]
}

func (r *seqAEAD) seal(pt, aad []byte) ([]byte, error) {
	ct := r.aead.Seal(nil, r.current(), pt, aad)
	if !r.static {
		r.seq++
	}
	return ct, nil
}

func (r *seqAEAD) sealedUnder() (*[KeySize]byte, [NonceSize]byte) { return &r.key, r.nonce }

func (r *seqAEAD) open(ct, aad []byte) ([]byte, error) {
	pt, err := r.aead.Open(nil, r.current(), ct, aad)
	if err != nil {
		return nil, ErrAuthentication
	}
	if !r.static {
		r.seq++
	}
	return pt, nil
}

// newResponseAEAD derives the response key and base nonce (RFC 9458 section
// 4.4): salt = enc || responseNonce, prk = Extract(salt, secret),
// key = Expand(prk, "key", 32), nonce = Expand(prk, "nonce", 12).
func newResponseAEAD(secret, enc, respNonce []byte) (*seqAEAD, error) {
	var salt [KeySize + responseNonceSize]byte
	n := copy(salt[:], enc)
	copy(salt[n:], respNonce)
	m := hmac.New(sha256.New, salt[:n+len(respNonce)]) // HKDF-Extract(salt, secret)
	m.Write(secret)
	x := newExpander(sha256.New, m.Sum(nil))
	return newSeqAEAD(x.expand(chacha20poly1305.KeySize, []byte("key")), x.expand(chacha20poly1305.NonceSize, []byte("nonce")))
}

// twin is a fresh direction under the same key and base nonce (the
// shared-direction-key mutation).
func (r *seqAEAD) twin() *seqAEAD { return &seqAEAD{aead: r.aead, key: r.key, base: r.base} }

func newSeqAEAD(key, baseNonce []byte) (*seqAEAD, error) {
	a, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	r := &seqAEAD{aead: a}
	copy(r.key[:], key)
	copy(r.base[:], baseNonce)
	return r, nil
}

// responseLabel is the exporter context of the response secret.
func responseLabel(c Construction) []byte {
	if c == HPKEVodozemac {
		return []byte(hpkeVodozemacResponseLabel)
	}
	return []byte(hpkeSpecResponseLabel)
}

// checkCodeContext is the exporter context of the check code.
func checkCodeContext(cfg Config, gp, sp PublicKey) []byte {
	if cfg.Construction == HPKEVodozemac {
		return []byte(infoString(hpkeCheckCodeLabel, gp, sp))
	}
	if cfg.CheckCodeKeys == KeysBase64 {
		return []byte(hpkeCheckCodeLabel + gp.String() + sp.String())
	}
	b := make([]byte, 0, len(hpkeCheckCodeLabel)+2*KeySize)
	b = append(b, hpkeCheckCodeLabel...)
	b = append(b, gp[:]...)
	return append(b, sp[:]...)
}

func hpkeCheckCode(cfg Config, ctx *hpkeContext, gp, sp PublicKey) CheckCode {
	var b [2]byte
	copy(b[:], ctx.Export(checkCodeContext(cfg, gp, sp), 2))
	return NewCheckCode(b, cfg.digits())
}

// initiateHPKE is S's handshake: LoginInitiate = b64(enc || ct), where enc
// is S's ephemeral public key Sp.
func initiateHPKE(cfg Config, gp PublicKey, plaintext, aad []byte, rand io.Reader) (*Channel, string, error) {
	enc, ctx, err := hpkeSetupSender(gp, []byte(hpkeInfo), rand)
	if err != nil {
		return nil, "", err
	}
	ctx.static = cfg.StaticNonce
	ct, _ := ctx.seal(plaintext, aad)
	var sp PublicKey
	copy(sp[:], enc)
	c := &Channel{
		cfg: cfg, role: RoleScanner, ours: sp, theirs: gp,
		code:       hpkeCheckCode(cfg, ctx, gp, sp),
		send:       ctx,
		respSecret: ctx.Export(responseLabel(cfg.Construction), 32),
	}
	c.observe(plaintext)
	payload, err := frame.EncodeInitiate(cfg.Construction.framing(), frame.Payload{Key: enc, Ciphertext: ct})
	if err != nil {
		return nil, "", err
	}
	return c, payload, nil
}

// acceptHPKE is G's handshake: open b64(enc || ct), then set up the response
// direction with a fresh response nonce drawn from rand.
func (g *Generator) acceptHPKE(initiate string, aad []byte, rand io.Reader) (*Channel, []byte, error) {
	p, err := frame.DecodeInitiate(g.cfg.Construction.framing(), initiate)
	if err != nil {
		return nil, nil, initiateError(err)
	}
	enc, ct := p.Key, p.Ciphertext
	ctx, err := hpkeSetupReceiver(g.hpke, enc, []byte(hpkeInfo))
	if err != nil {
		return nil, nil, err
	}
	ctx.static = g.cfg.StaticNonce
	pt, err := ctx.open(ct, aad)
	if err != nil {
		return nil, nil, err
	}
	respNonce := make([]byte, responseNonceSize)
	if _, err := io.ReadFull(rand, respNonce); err != nil {
		return nil, nil, fmt.Errorf("draw response nonce: %w: %w", wire.ErrRandom, err)
	}
	resp, err := newResponseAEAD(ctx.Export(responseLabel(g.cfg.Construction), 32), enc, respNonce)
	if err != nil {
		return nil, nil, err
	}
	if g.cfg.SharedDirectionKey {
		resp = ctx.twin() // mutation: G answers under S's key and nonces
	}
	resp.static = g.cfg.StaticNonce
	var sp PublicKey
	copy(sp[:], enc)
	gp := g.key.Public()
	c := &Channel{
		cfg: g.cfg, role: RoleGenerator, ours: gp, theirs: sp,
		code:        hpkeCheckCode(g.cfg, ctx, gp, sp),
		send:        resp,
		recv:        ctx,
		firstPrefix: respNonce,
	}
	return c, pt, nil
}

// openFirstResponse is S opening LoginOk = b64(responseNonce || ct), which
// Open has parsed: it
// derives the receive direction and keeps it only if the payload opens, so a
// forged LoginOk cannot poison the channel.
func (c *Channel) openFirstResponse(p frame.Payload, aad []byte) ([]byte, error) {
	resp, err := newResponseAEAD(c.respSecret, c.ours[:], p.Nonce)
	if err != nil {
		return nil, fmt.Errorf("channel: open payload %d: %w", c.opened+1, err)
	}
	if ctx, ok := c.send.(*hpkeContext); ok && c.cfg.SharedDirectionKey {
		resp = ctx.twin() // mutation: one key both ways
	}
	resp.static = c.cfg.StaticNonce
	pt, err := resp.open(p.Ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("channel: open payload %d: %w", c.opened+1, err)
	}
	c.recv = resp
	c.respSecret = nil
	c.opened++
	return pt, nil
}

// AADLayout says how BindingAAD frames the three strings it binds. The
// MSC4388 texts changed it between revisions, so each is modelled.
type AADLayout uint8

const (
	// AADBaseURL16 frames the base URL with a big-endian u16 length and the
	// ID and token with a u8 length, as the text does since e43db14 (still
	// in 726e115): Bytes16(BaseUrl) || Bytes8(ID) || Bytes8(Token).
	AADBaseURL16 AADLayout = iota
	// AADBaseURL8 frames all three with a u8 length. No text revision read
	// shows it (a design alternative kept from an earlier reading).
	AADBaseURL8
	// AADRaw concatenates the three strings with no framing, as the text
	// did from a44815f to 5b6dc1e: BaseUrl || ID || Token.
	AADRaw
	// AADAll16 frames all three with a u16 length, as the text did from
	// 5b6dc1e to e43db14.
	AADAll16

	// AADRootSlash may be or-ed into a layout: a base URL with no path is
	// bound with a trailing "/" (what a URL type's string form gives),
	// although the QR code carries it without one.
	AADRootSlash AADLayout = 0x80
)

// String names the layout.
func (l AADLayout) String() string {
	name := "bytes16"
	switch l &^ AADRootSlash {
	case AADBaseURL8:
		name = "bytes8"
	case AADRaw:
		name = "raw"
	case AADAll16:
		name = "all-bytes16"
	}
	if l&AADRootSlash != 0 {
		name += "+root-slash"
	}
	return name
}

// BindingAAD builds the 2026 texts' additional data, which binds a payload to
// one rendezvous session and one position in it: by default
// Bytes16(baseURL) || Bytes8(rendezvousID) || Bytes8(sequenceToken), where
// BytesN is a big-endian length of N bits before the UTF-8 bytes; the other
// layouts are earlier revisions. The base URL is used exactly as the QR
// code carries it, unless the layout has AADRootSlash.
func BindingAAD(layout AADLayout, baseURL, rendezvousID, sequenceToken string) ([]byte, error) {
	if layout&AADRootSlash != 0 {
		baseURL = withRootSlash(baseURL)
		layout &^= AADRootSlash
	}
	widths := [3]int{2, 1, 1}
	switch layout {
	case AADBaseURL8:
		widths = [3]int{1, 1, 1}
	case AADRaw:
		widths = [3]int{0, 0, 0}
	case AADAll16:
		widths = [3]int{2, 2, 2}
	}
	b := make([]byte, 0, 6+len(baseURL)+len(rendezvousID)+len(sequenceToken))
	for i, f := range [3]struct{ name, s string }{{"base URL", baseURL}, {"rendezvous ID", rendezvousID}, {"sequence token", sequenceToken}} {
		switch widths[i] {
		case 1:
			if len(f.s) > 0xFF {
				return nil, fmt.Errorf("channel: binding AAD: %w: %s of %d bytes exceeds 255", ErrMalformed, f.name, len(f.s))
			}
			b = append(b, byte(len(f.s)))
		case 2:
			if len(f.s) > 0xFFFF {
				return nil, fmt.Errorf("channel: binding AAD: %w: %s of %d bytes exceeds 65535", ErrMalformed, f.name, len(f.s))
			}
			b = binary.BigEndian.AppendUint16(b, uint16(len(f.s)))
		}
		b = append(b, f.s...)
	}
	return b, nil
}

// withRootSlash appends "/" to an absolute URL that has no path, as a URL
// type's string form does ("https://host" becomes "https://host/").
func withRootSlash(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if ok && rest != "" && !strings.ContainsAny(rest, "/?#") {
		return u + "/"
	}
	return u
}
