package channel

import (
	"encoding/base64"
	"fmt"
	"io"

	"github.com/cloudflare/circl/dh/x25519"

	"qrlab/model/wire"
)

// KeySize is the length in bytes of X25519 public and private keys.
const KeySize = 32

// b64 is the encoding of keys and payloads on the wire: standard alphabet,
// unpadded, with non-canonical trailing bits rejected.
var b64 = base64.RawStdEncoding.Strict()

// decodeB64 decodes unpadded standard base64, accepting padded input too.
func decodeB64(s string) ([]byte, error) {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return b64.DecodeString(s)
}

// PublicKey is an X25519 public key, as carried in QR codes and handshake
// payloads.
type PublicKey [KeySize]byte

// String returns the key as unpadded standard base64, the form the texts use
// inside info strings.
func (k PublicKey) String() string { return b64.EncodeToString(k[:]) }

// ParsePublicKey decodes a base64 (padded or not) X25519 public key.
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	b, err := decodeB64(s)
	if err != nil {
		return k, fmt.Errorf("channel: public key: %w: %v", ErrMalformed, err)
	}
	if len(b) != KeySize {
		return k, fmt.Errorf("channel: public key: %w: %d bytes, want %d", ErrMalformed, len(b), KeySize)
	}
	copy(k[:], b)
	return k, nil
}

// PrivateKey is an ephemeral X25519 key pair. It is built from bytes of a
// caller-supplied random stream, never from a global source.
type PrivateKey struct {
	scalar [KeySize]byte
	pub    PublicKey
}

// GenerateKey reads 32 bytes from rand and makes a key pair of them.
func GenerateKey(rand io.Reader) (*PrivateKey, error) {
	var b [KeySize]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return nil, fmt.Errorf("channel: generate key: %w: %w", wire.ErrRandom, err)
	}
	return NewPrivateKey(b[:])
}

// NewPrivateKey makes a key pair from a 32-byte X25519 private key.
func NewPrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != KeySize {
		return nil, fmt.Errorf("channel: private key: %w: %d bytes, want %d", ErrMalformed, len(b), KeySize)
	}
	k := &PrivateKey{}
	copy(k.scalar[:], b)
	pub := (*x25519.Key)(&k.pub)
	x25519.KeyGen(pub, (*x25519.Key)(&k.scalar))
	return k, nil
}

// Public returns the public half of the key pair.
func (k *PrivateKey) Public() PublicKey { return k.pub }

// Bytes returns a copy of the private key's 32 bytes.
func (k *PrivateKey) Bytes() []byte { return append([]byte(nil), k.scalar[:]...) }

// agree computes X25519(k, peer). It refuses low-order peer keys, whose
// shared secret would be all zeros (vodozemac's "non-contributory" check).
func (k *PrivateKey) agree(peer PublicKey) ([KeySize]byte, error) {
	var shared x25519.Key
	if !x25519.Shared(&shared, (*x25519.Key)(&k.scalar), (*x25519.Key)(&peer)) {
		return shared, fmt.Errorf("channel: key agreement with %s: %w", peer, ErrLowOrderKey)
	}
	return shared, nil
}
