package channel

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"qrlab/model/channel/frame"
	"qrlab/model/wire"
)

// Role says which side of the channel a device is on.
type Role uint8

const (
	// RoleGenerator is G: it showed the QR code and receives the first payload.
	RoleGenerator Role = iota + 1
	// RoleScanner is S: it scanned the QR code and sends the first payload.
	RoleScanner
)

// String returns "generator" or "scanner".
func (r Role) String() string {
	switch r {
	case RoleGenerator:
		return "generator"
	case RoleScanner:
		return "scanner"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Well-known plaintexts of the handshake.
const (
	// LoginInitiate is what S seals into its first payload.
	LoginInitiate = "MATRIX_QR_CODE_LOGIN_INITIATE"
	// LoginOk is what G seals into its first payload.
	LoginOk = "MATRIX_QR_CODE_LOGIN_OK"
)

// sealer is one direction of the channel, from the sending side.
type sealer interface {
	seal(pt, aad []byte) ([]byte, error)
	// sealedUnder returns the key and nonce of the last seal.
	sealedUnder() (key *[KeySize]byte, nonce [NonceSize]byte)
}

// opener is one direction of the channel, from the receiving side. It is
// given the raw ciphertext (tag included).
type opener interface {
	open(ct, aad []byte) ([]byte, error)
}

// Channel is one device's end of an established secure channel. It is not
// safe for concurrent use; the protocol uses it strictly in turn anyway.
type Channel struct {
	cfg    Config
	role   Role
	ours   PublicKey
	theirs PublicKey
	code   CheckCode

	send sealer
	recv opener

	// HPKE only: G prefixes its first payload with the response nonce it
	// drew; S builds its receive direction from the first payload it opens.
	firstPrefix []byte
	respSecret  []byte

	sealed, opened uint64
}

// Config returns the channel's construction and knobs.
func (c *Channel) Config() Config { return c.cfg }

// Role returns which side this end is.
func (c *Channel) Role() Role { return c.role }

// PublicKey returns this side's ephemeral public key (Gp for G, Sp for S).
func (c *Channel) PublicKey() PublicKey { return c.ours }

// PeerKey returns the other side's ephemeral public key.
func (c *Channel) PeerKey() PublicKey { return c.theirs }

// CheckCode returns the code both sides derive. S shows it once LoginOk
// opened; the user types it on G.
func (c *Channel) CheckCode() CheckCode { return c.code }

// Sealed returns how many payloads this side has sealed, handshake included.
func (c *Channel) Sealed() uint64 { return c.sealed }

// Opened returns how many payloads this side has opened, handshake included.
func (c *Channel) Opened() uint64 { return c.opened }

// Seal encrypts plaintext for the other side, bound to aad, and returns the
// payload string to put in the mailbox.
func (c *Channel) Seal(plaintext, aad []byte) (string, error) {
	ct, err := c.send.seal(plaintext, aad)
	if err != nil {
		return "", fmt.Errorf("channel: seal payload %d: %w", c.sealed+1, err)
	}
	kind, p := frame.Message, frame.Payload{Ciphertext: ct}
	if c.firstPrefix != nil {
		kind, p.Nonce = frame.Response, c.firstPrefix
		c.firstPrefix = nil
	}
	payload, err := frame.Encode(c.cfg.Construction.framing(), kind, p)
	if err != nil {
		return "", fmt.Errorf("channel: seal payload %d: %w", c.sealed+1, err)
	}
	c.sealed++
	c.observe(plaintext)
	return payload, nil
}

// Open authenticates and decrypts a payload from the other side, bound to
// aad. A payload that was tampered with, truncated, replayed, reordered,
// reflected back or sealed under other AAD fails with ErrAuthentication and
// yields no plaintext.
func (c *Channel) Open(payload string, aad []byte) ([]byte, error) {
	kind := frame.Message
	if c.recv == nil {
		kind = frame.Response // S's first payload in HPKE: LoginOk
	}
	p, err := frame.Decode(c.cfg.Construction.framing(), kind, payload)
	if err != nil {
		if e, ok := err.(*frame.Error); ok && e.Problem == frame.BadLength {
			if ctr, ok := c.recv.(*counterAEAD); ok {
				ctr.take() // vodozemac spends a nonce on a too-short ciphertext too
			}
		}
		return nil, openError(c.opened+1, err)
	}
	if c.recv == nil {
		pt, err := c.openFirstResponse(p, aad)
		if err == nil {
			c.observeOpen(payload, pt)
		}
		return pt, err
	}
	pt, err := c.recv.open(p.Ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("channel: open payload %d: %w", c.opened+1, err)
	}
	c.opened++
	c.observeOpen(payload, pt)
	return pt, nil
}

// tagSize is the ChaCha20-Poly1305 tag length.
const tagSize = frame.TagSize

// Generator is G before the channel exists: an ephemeral key pair whose
// public half goes into the QR code.
type Generator struct {
	cfg  Config
	key  *PrivateKey
	hpke *hpkeRecipient
	used bool
}

// NewGenerator draws G's ephemeral key pair from rand.
func NewGenerator(cfg Config, rand io.Reader) (*Generator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var seed [KeySize]byte
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, fmt.Errorf("channel: generate key: %w: %w", wire.ErrRandom, err)
	}
	if cfg.ReuseEphemeralKey {
		seed = reusedGeneratorSeed // mutation: every session has this key
	}
	g := &Generator{cfg: cfg}
	if cfg.Construction.IsHPKE() {
		r, err := newHPKERecipient(seed[:])
		if err != nil {
			return nil, err
		}
		g.hpke = r
		g.key = r.key
		return g, nil
	}
	k, err := NewPrivateKey(seed[:])
	if err != nil {
		return nil, err
	}
	g.key = k
	return g, nil
}

// PublicKey returns Gp, the key the QR code carries.
func (g *Generator) PublicKey() PublicKey { return g.key.Public() }

// Accept opens S's LoginInitiate payload and, on success, returns G's end of
// the channel and the plaintext S sealed. rand supplies the HPKE response
// nonce (ECIES draws nothing).
//
// The key is single use, as in vodozemac and the texts ("failing and
// aborting"): once a payload got as far as decryption, success or not, a
// further Accept fails with ErrState. So one forged LoginInitiate locks the
// real scanner out. A payload rejected before decryption (not base64, no
// separator, a key of the wrong length) uses nothing. A ciphertext too short
// to hold a tag is refused with ErrMalformed in every construction, but only
// the spec constructions keep the key: vodozemac checks no ciphertext length
// before it decrypts, so in ecies-vodozemac and hpke-vodozemac it uses the
// key up (see decryptsShort). Config.RetryAccept keeps the key after a failed
// decryption instead, a design option no source ships.
func (g *Generator) Accept(initiate string, aad []byte, rand io.Reader) (*Channel, []byte, error) {
	if g.used {
		return nil, nil, fmt.Errorf("channel: accept: %w: this generator key was already used", ErrState)
	}
	var (
		c   *Channel
		pt  []byte
		err error
	)
	if g.hpke != nil {
		c, pt, err = g.acceptHPKE(initiate, aad, rand)
	} else {
		c, pt, err = g.acceptECIES(initiate, aad)
	}
	if err != nil {
		if !g.cfg.RetryAccept && (!errors.Is(err, ErrMalformed) || g.decryptsShort(err)) {
			g.used = true
		}
		return nil, nil, fmt.Errorf("channel: accept initial payload: %w", err)
	}
	g.used = true
	c.opened = 1
	c.observeOpen(initiate, pt)
	return c, pt, nil
}

// decryptsShort reports whether a framing refusal of a LoginInitiate is one
// that vodozemac does not make: a ciphertext shorter than the tag, behind a
// well-formed key. vodozemac (src/ecies/messages.rs InitialMessage::decode
// and src/hpke/messages.rs, commit cfc4eeebdf0953314144a6b709449b0434019ca2)
// decodes such a payload, hands it to Ecies::establish_inbound_channel or
// HpkeRecipientChannel::establish_channel, which take the key by value, and
// only the AEAD refuses it; the key is gone. The spec constructions keep the
// framing's refusal: the 2024 and 2026 texts are silent on a ciphertext
// shorter than the tag, and the model's reading is the safer one.
func (g *Generator) decryptsShort(err error) bool {
	if g.cfg.Construction != ECIESVodozemac && g.cfg.Construction != HPKEVodozemac {
		return false
	}
	var e *frame.Error
	if !errors.As(err, &e) || e.Problem != frame.BadLength {
		return false
	}
	if g.hpke != nil {
		// b64(enc || ct): vodozemac refuses fewer bytes than the key only.
		return e.Field == frame.FieldPayload && e.Len >= frame.KeySize
	}
	return e.Field == frame.FieldCiphertext
}

// Scanner is S before the channel exists: the seed of its ephemeral key,
// drawn when it is made, so that S's key is fixed (and can be shown) before
// it seals anything.
type Scanner struct {
	cfg  Config
	seed [KeySize]byte
	pub  *PublicKey
	used bool
}

// NewScanner draws S's ephemeral key seed from rand.
func NewScanner(cfg Config, rand io.Reader) (*Scanner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Scanner{cfg: cfg}
	if _, err := io.ReadFull(rand, s.seed[:]); err != nil {
		return nil, fmt.Errorf("channel: generate key: %w: %w", wire.ErrRandom, err)
	}
	if cfg.ReuseEphemeralKey {
		s.seed = reusedScannerSeed // mutation: every session has this key
	}
	return s, nil
}

// PublicKey returns Sp, the key S's first payload will carry. It is computed
// on demand: a caller that never asks does not pay for it.
func (s *Scanner) PublicKey() PublicKey {
	if s.pub == nil {
		var pk PublicKey
		if s.cfg.Construction.IsHPKE() {
			pk = hpkeDerivePublic(s.seed[:])
		} else {
			k, _ := NewPrivateKey(s.seed[:])
			pk = k.Public()
		}
		s.pub = &pk
	}
	return *s.pub
}

// Initiate seals plaintext (LoginInitiate in the protocol) to Gp and
// returns S's end of the channel and the payload to send. The key is single
// use: a second Initiate fails with ErrState.
func (s *Scanner) Initiate(gp PublicKey, plaintext, aad []byte) (*Channel, string, error) {
	if s.used {
		return nil, "", fmt.Errorf("channel: initiate: %w: this scanner key already made a channel", ErrState)
	}
	var (
		c       *Channel
		payload string
		err     error
	)
	seed := bytes.NewReader(s.seed[:])
	if s.cfg.Construction.IsHPKE() {
		c, payload, err = initiateHPKE(s.cfg, gp, plaintext, aad, seed)
	} else {
		c, payload, err = initiateECIES(s.cfg, gp, plaintext, aad, seed)
	}
	if err != nil {
		return nil, "", fmt.Errorf("channel: initiate: %w", err)
	}
	s.used = true
	c.sealed = 1
	return c, payload, nil
}

// Initiate is S's whole side of the handshake in one call: NewScanner with
// rand, then Scanner.Initiate.
func Initiate(cfg Config, gp PublicKey, plaintext, aad []byte, rand io.Reader) (*Channel, string, error) {
	s, err := NewScanner(cfg, rand)
	if err != nil {
		return nil, "", err
	}
	return s.Initiate(gp, plaintext, aad)
}

// The fixed seeds of the reuse-ephemeral-key mutation.
var (
	reusedGeneratorSeed = [KeySize]byte{'q', 'r', 'l', 'a', 'b', ' ', 'r', 'e', 'u', 's', 'e', 'd', ' ', 'G', 1}
	reusedScannerSeed   = [KeySize]byte{'q', 'r', 'l', 'a', 'b', ' ', 'r', 'e', 'u', 's', 'e', 'd', ' ', 'S', 2}
)

// infoString builds "<label>|<Gp b64>|<Sp b64>", the info and context
// strings of the ECIES KDF and vodozemac's HPKE check code.
func infoString(label string, gp, sp PublicKey) string {
	var sb strings.Builder
	sb.Grow(len(label) + 2 + 2*43)
	sb.WriteString(label)
	sb.WriteByte('|')
	sb.WriteString(gp.String())
	sb.WriteByte('|')
	sb.WriteString(sp.String())
	return sb.String()
}
