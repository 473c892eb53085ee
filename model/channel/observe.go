package channel

import (
	"crypto/sha256"
	"encoding/hex"
)

// NonceSize is the length of a channel AEAD nonce (ChaCha20-Poly1305).
const NonceSize = 12

// KeyFingerprint names an AEAD key without revealing it: the first eight
// bytes of its SHA-256.
type KeyFingerprint [8]byte

func (f KeyFingerprint) String() string { return hex.EncodeToString(f[:]) }

// Sealing is one payload a channel sealed, as Config.Observe is told of it.
type Sealing struct {
	// Role is the sealing side; Own and Peer are the channel's ephemeral
	// public keys, this side's and the other's.
	Role      Role
	Own, Peer PublicKey
	// Key names the AEAD key the payload was sealed under; Nonce is the
	// nonce it used.
	Key   KeyFingerprint
	Nonce [NonceSize]byte
	// Plaintext is what was sealed; it belongs to the channel's caller and
	// must not be kept or changed.
	Plaintext []byte
}

// Observer is told of every payload a channel seals.
type Observer func(Sealing)

// Opening is one payload a channel opened, as Config.ObserveOpen is told
// of it.
type Opening struct {
	// Role is the opening side; Own and Peer the channel's public keys.
	Role      Role
	Own, Peer PublicKey
	// Payload is the payload string that opened; Plaintext what it held
	// (the caller's: not to be kept or changed).
	Payload   string
	Plaintext []byte
}

// OpenObserver is told of every payload a channel opens.
type OpenObserver func(Opening)

// observeOpen tells the configuration's open observer, if any, of a
// payload just opened.
func (c *Channel) observeOpen(payload string, plaintext []byte) {
	if c.cfg.ObserveOpen != nil {
		c.cfg.ObserveOpen(Opening{Role: c.role, Own: c.ours, Peer: c.theirs, Payload: payload, Plaintext: plaintext})
	}
}

// observe tells the configuration's observer, if any, of the seal just
// made on the send direction.
func (c *Channel) observe(plaintext []byte) {
	if c.cfg.Observe == nil {
		return
	}
	key, nonce := c.send.sealedUnder()
	sum := sha256.Sum256(key[:])
	s := Sealing{Role: c.role, Own: c.ours, Peer: c.theirs, Nonce: nonce, Plaintext: plaintext}
	copy(s.Key[:], sum[:])
	c.cfg.Observe(s)
}
