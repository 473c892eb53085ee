package channel

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"io"

	"golang.org/x/crypto/chacha20poly1305"

	"qrlab/model/channel/frame"
)

// Labels of the ECIES key schedule (2024 text and vodozemac alike).
const (
	eciesLabelKeyS      = "MATRIX_QR_CODE_LOGIN_ENCKEY_S"
	eciesLabelKeyG      = "MATRIX_QR_CODE_LOGIN_ENCKEY_G"
	eciesLabelCheckCode = "MATRIX_QR_CODE_LOGIN_CHECKCODE"
)

// eciesHash is the KDF hash: SHA-256 in the text, SHA-512 in vodozemac.
func eciesHash(c Construction) func() hash.Hash {
	if c == ECIESVodozemac {
		return sha512.New
	}
	return sha256.New
}

// eciesKeys are the secrets one ECIES handshake derives.
type eciesKeys struct {
	keyS, keyG []byte
	code       [2]byte
}

// deriveECIES runs HKDF (zero salt) over the shared secret: one extract, then
// an expand per output, with info strings carrying both public keys.
func deriveECIES(c Construction, shared [KeySize]byte, gp, sp PublicKey) (eciesKeys, error) {
	var k eciesKeys
	h := eciesHash(c)
	prk, err := hkdf.Extract(h, shared[:], nil)
	if err != nil {
		return k, err
	}
	x := newExpander(h, prk)
	k.keyS = x.expand(chacha20poly1305.KeySize, []byte(infoString(eciesLabelKeyS, gp, sp)))
	k.keyG = x.expand(chacha20poly1305.KeySize, []byte(infoString(eciesLabelKeyG, gp, sp)))
	copy(k.code[:], x.expand(2, []byte(infoString(eciesLabelCheckCode, gp, sp))))
	return k, nil
}

// expander is HKDF-Expand (RFC 5869) for outputs no longer than one hash
// block, keyed once: T(1) = HMAC(PRK, info || 0x01), truncated. Every output
// of the channel's key schedules fits in one block, so this is HKDF-Expand
// exactly, without a new HMAC per output (the pinned tests check it against
// crypto/hkdf).
type expander struct {
	mac hash.Hash
	buf []byte
}

func newExpander(h func() hash.Hash, prk []byte) *expander {
	return &expander{mac: hmac.New(h, prk)}
}

// expand returns the first n bytes of T(1) for the info made of parts.
func (x *expander) expand(n int, info ...[]byte) []byte {
	if n > x.mac.Size() {
		panic("channel: expander asked for more than one block") // programmer error
	}
	x.mac.Reset()
	for _, p := range info {
		x.mac.Write(p)
	}
	x.mac.Write([]byte{1})
	x.buf = x.mac.Sum(x.buf[:0])
	return append([]byte(nil), x.buf[:n]...)
}

// counterAEAD is one ECIES direction: ChaCha20-Poly1305 with the nonce set to
// a little-endian message counter. Both seal and open take a counter value
// whatever the outcome, as vodozemac does.
type counterAEAD struct {
	aead  cipher.AEAD
	key   [KeySize]byte
	next  uint64
	nonce [chacha20poly1305.NonceSize]byte
	// static: the static-nonce mutation, the counter never moves.
	static bool
}

func newCounterAEAD(key []byte, start uint64) (*counterAEAD, error) {
	a, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	c := &counterAEAD{aead: a, next: start}
	copy(c.key[:], key)
	return c, nil
}

func (c *counterAEAD) take() []byte {
	binary.LittleEndian.PutUint64(c.nonce[:8], c.next)
	if !c.static {
		c.next++
	}
	return c.nonce[:]
}

func (c *counterAEAD) seal(pt, aad []byte) ([]byte, error) {
	return c.aead.Seal(nil, c.take(), pt, aad), nil
}

func (c *counterAEAD) sealedUnder() (*[KeySize]byte, [NonceSize]byte) { return &c.key, c.nonce }

func (c *counterAEAD) open(ct, aad []byte) ([]byte, error) {
	pt, err := c.aead.Open(nil, c.take(), ct, aad)
	if err != nil {
		return nil, ErrAuthentication
	}
	return pt, nil
}

// newECIESChannel derives both directions for one side.
func newECIESChannel(cfg Config, role Role, key *PrivateKey, peer PublicKey) (*Channel, error) {
	shared, err := key.agree(peer)
	if err != nil {
		return nil, err
	}
	gp, sp := peer, key.Public()
	if role == RoleGenerator {
		gp, sp = sp, gp
	}
	keys, err := deriveECIES(cfg.Construction, shared, gp, sp)
	if err != nil {
		return nil, err
	}
	toG, err := newCounterAEAD(keys.keyS, 0)
	if err != nil {
		return nil, err
	}
	keyG := keys.keyG
	if cfg.SharedDirectionKey {
		keyG = keys.keyS // mutation: one key both ways
	}
	toS, err := newCounterAEAD(keyG, cfg.GeneratorNonceStart)
	if err != nil {
		return nil, err
	}
	toG.static, toS.static = cfg.StaticNonce, cfg.StaticNonce
	c := &Channel{cfg: cfg, role: role, ours: key.Public(), theirs: peer, code: NewCheckCode(keys.code, cfg.digits())}
	if role == RoleGenerator {
		c.send, c.recv = toS, toG
	} else {
		c.send, c.recv = toG, toS
	}
	return c, nil
}

// initiateECIES is S's handshake: LoginInitiate = b64(ct) "|" b64(Sp).
func initiateECIES(cfg Config, gp PublicKey, plaintext, aad []byte, rand io.Reader) (*Channel, string, error) {
	key, err := GenerateKey(rand)
	if err != nil {
		return nil, "", err
	}
	c, err := newECIESChannel(cfg, RoleScanner, key, gp)
	if err != nil {
		return nil, "", err
	}
	ct, _ := c.send.seal(plaintext, aad)
	c.observe(plaintext)
	payload, err := frame.EncodeInitiate(cfg.Construction.framing(), frame.Payload{Key: c.ours[:], Ciphertext: ct})
	if err != nil {
		return nil, "", err
	}
	return c, payload, nil
}

// acceptECIES is G's handshake: parse and open LoginInitiate. The key is
// checked before the ciphertext (see frame.DecodeInitiate).
func (g *Generator) acceptECIES(initiate string, aad []byte) (*Channel, []byte, error) {
	p, err := frame.DecodeInitiate(g.cfg.Construction.framing(), initiate)
	if err != nil {
		return nil, nil, initiateError(err)
	}
	c, err := newECIESChannel(g.cfg, RoleGenerator, g.key, PublicKey(p.Key))
	if err != nil {
		return nil, nil, err
	}
	pt, err := c.recv.open(p.Ciphertext, aad)
	if err != nil {
		return nil, nil, err
	}
	return c, pt, nil
}
