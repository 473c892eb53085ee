package homeserver

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cloudflare/circl/dh/x25519"

	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// Errors of signing and verification.
var (
	// ErrNotObject: a document to sign or verify is not a JSON object.
	ErrNotObject = errors.New("not a JSON object")
	// ErrNoSignature: the object carries no signature by that entity and
	// key.
	ErrNoSignature = errors.New("no such signature")
	// ErrBadSignature: a signature does not verify (or is not base64 of 64
	// bytes).
	ErrBadSignature = errors.New("signature does not verify")
	// ErrBadKey: a public key is not base64 of 32 bytes, or a seed is not 32
	// bytes.
	ErrBadKey = errors.New("malformed key")
)

// Base64 is Matrix's unpadded standard base64.
var Base64 = base64.RawStdEncoding

// DecodeBase64 decodes Matrix base64, padded or not (the spec asks decoders
// to accept both).
func DecodeBase64(s string) ([]byte, error) {
	return Base64.DecodeString(strings.TrimRight(s, "="))
}

// SigningKey is an Ed25519 key pair, as Matrix uses them for device keys
// and cross-signing keys. Its key ID is "ed25519:" followed by the
// unpadded base64 of the public key (cross-signing) or the device ID
// (device keys).
type SigningKey struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	b64  string
}

// NewSigningKey draws a seed of 32 bytes from rnd and derives the key pair
// from it. (ed25519.GenerateKey ignores its reader since Go 1.26, so seeds
// are drawn explicitly to keep runs reproducible.)
func NewSigningKey(rnd io.Reader) (*SigningKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rnd, seed); err != nil {
		return nil, fmt.Errorf("%w: %w", wire.ErrRandom, err)
	}
	return SigningKeyFromSeed(seed)
}

// SigningKeyFromSeed makes the key pair of a 32-byte seed (the form in
// which m.login.secrets carries private cross-signing keys).
func SigningKeyFromSeed(seed []byte) (*SigningKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("seed of %d bytes: %w", len(seed), ErrBadKey)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	return &SigningKey{priv: priv, pub: pub, b64: Base64.EncodeToString(pub)}, nil
}

// Public returns the public key.
func (k *SigningKey) Public() ed25519.PublicKey { return k.pub }

// PublicBase64 returns the public key in unpadded base64.
func (k *SigningKey) PublicBase64() string { return k.b64 }

// KeyID returns "ed25519:<public key>", the ID of a cross-signing key.
func (k *SigningKey) KeyID() string { return "ed25519:" + k.b64 }

// Seed returns a copy of the 32-byte seed.
func (k *SigningKey) Seed() []byte { return append([]byte(nil), k.priv.Seed()...) }

// HasSeed reports whether seed is the key's 32-byte seed.
func (k *SigningKey) HasSeed(seed []byte) bool {
	return len(seed) == ed25519.SeedSize && bytes.Equal(k.priv[:ed25519.SeedSize], seed)
}

// Sign signs msg.
func (k *SigningKey) Sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

// SigningBytes returns the bytes a signature over obj covers: the canonical
// JSON of the object without its "signatures" and "unsigned" members.
func SigningBytes(obj *canonicaljson.Value) ([]byte, error) {
	if obj.Kind != canonicaljson.Object {
		return nil, ErrNotObject
	}
	stripped := obj.Without("signatures", "unsigned")
	return canonicaljson.Append(nil, &stripped), nil
}

// Sign adds to obj the signature of signer (a user ID or server name) with
// key under keyID, as the appendix's "Signing Details" say: other
// signatures and "unsigned" are kept and not covered.
func Sign(obj *canonicaljson.Value, signer, keyID string, key *SigningKey) error {
	msg, err := SigningBytes(obj)
	if err != nil {
		return err
	}
	addSignature(obj, signer, keyID, key.Sign(msg))
	return nil
}

// addSignature puts sig into obj's signatures under signer and keyID. A
// signature is not covered by signatures, so adding one leaves obj's
// signing bytes as they were.
func addSignature(obj *canonicaljson.Value, signer, keyID string, raw []byte) {
	sig := Base64.EncodeToString(raw)
	sigs, ok := obj.Get("signatures")
	if !ok || sigs.Kind != canonicaljson.Object {
		obj.Set("signatures", canonicaljson.Value{Kind: canonicaljson.Object})
		sigs, _ = obj.Get("signatures")
	}
	entity, ok := sigs.Get(signer)
	if !ok || entity.Kind != canonicaljson.Object {
		sigs.Set(signer, canonicaljson.Value{Kind: canonicaljson.Object})
		entity, _ = sigs.Get(signer)
	}
	entity.Set(keyID, canonicaljson.StringValue(sig))
}

// SignJSON signs a JSON object document and returns it in canonical form.
func SignJSON(doc []byte, signer, keyID string, key *SigningKey) ([]byte, error) {
	v, err := canonicaljson.Parse(doc)
	if err != nil {
		return nil, err
	}
	if err := Sign(&v, signer, keyID, key); err != nil {
		return nil, err
	}
	return canonicaljson.Append(nil, &v), nil
}

// Verify checks the signature of signer under keyID on obj with pub, the
// appendix's "Checking for a Signature" for one key.
func Verify(obj *canonicaljson.Value, signer, keyID string, pub ed25519.PublicKey) error {
	var msg []byte
	return verify(nil, obj, &msg, signer, keyID, pub)
}

// verify is Verify with the server's memo.
func (h *Server) verify(obj *canonicaljson.Value, msg *[]byte, signer, keyID string, pub ed25519.PublicKey) error {
	return verify(h.memo, obj, msg, signer, keyID, pub)
}

// UseMemo has the server remember the Ed25519 verifications it makes by
// their exact inputs in m (nil: every signature is checked afresh). The
// memo is no part of the server's state: a server with one gives the same
// answers as one without.
func (h *Server) UseMemo(m *VerifyMemo) { h.memo = m }

// verify is Verify with the memo m (nil: none) and obj's signing bytes kept
// in *msg (worked out at the first signature checked when nil), for several
// signatures on one object.
func verify(m *VerifyMemo, obj *canonicaljson.Value, msg *[]byte, signer, keyID string, pub ed25519.PublicKey) error {
	if obj.Kind != canonicaljson.Object {
		return ErrNotObject
	}
	sigs, ok := obj.Get("signatures")
	if !ok {
		return fmt.Errorf("signatures of %s by %s: %w", signer, keyID, ErrNoSignature)
	}
	entity, ok := sigs.Get(signer)
	if !ok {
		return fmt.Errorf("signatures of %s by %s: %w", signer, keyID, ErrNoSignature)
	}
	sv, ok := entity.Get(keyID)
	if !ok || sv.Kind != canonicaljson.String {
		return fmt.Errorf("signatures of %s by %s: %w", signer, keyID, ErrNoSignature)
	}
	sig, err := DecodeBase64(sv.Str)
	if err != nil || len(sig) != ed25519.SignatureSize || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("signatures of %s by %s: %w", signer, keyID, ErrBadSignature)
	}
	if *msg == nil {
		if *msg, err = SigningBytes(obj); err != nil {
			return err
		}
	}
	if !m.verify(pub, *msg, sig) {
		return fmt.Errorf("signatures of %s by %s: %w", signer, keyID, ErrBadSignature)
	}
	return nil
}

// VerifyMemo remembers Ed25519 verifications by their exact inputs (the
// public key, the signature and the whole signed message, byte for byte):
// each result is computed for real the first time, by ed25519.Verify, and
// looked up after. It serves a model checker that goes through the same
// key upload on many paths. At most memoMax results are kept (all are
// dropped when full). Not safe for concurrent use: one per runner.
type VerifyMemo struct {
	m   map[string]bool
	key []byte
}

// memoMax bounds a VerifyMemo.
const memoMax = 4096

// NewVerifyMemo returns an empty memo.
func NewVerifyMemo() *VerifyMemo { return &VerifyMemo{m: map[string]bool{}} }

// verify is ed25519.Verify, remembered when m is not nil; pub and sig
// have their sizes.
func (m *VerifyMemo) verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if m == nil {
		return ed25519.Verify(pub, msg, sig)
	}
	m.key = append(append(append(m.key[:0], pub...), sig...), msg...)
	if ok, seen := m.m[string(m.key)]; seen {
		return ok
	}
	ok := ed25519.Verify(pub, msg, sig)
	if len(m.m) >= memoMax {
		clear(m.m)
	}
	m.m[string(m.key)] = ok
	return ok
}

// SignMemo remembers Ed25519 signatures by their exact inputs (the whole
// private key and the whole message, byte for byte): each is computed for
// real the first time, by ed25519.Sign, and looked up after. Ed25519
// signing is deterministic (Go 1.26.8, src/crypto/internal/fips140/ed25519/
// ed25519.go, signWithDom: the nonce is SHA-512 of the key's prefix and the
// message), so a remembered signature is the one
// signing again gives. It serves a model checker whose new device signs
// the same device keys on many paths. At most memoMax signatures are kept
// (all are dropped when full). Not safe for concurrent use: one per
// runner.
type SignMemo struct {
	m   map[string][]byte
	key []byte
}

// NewSignMemo returns an empty memo.
func NewSignMemo() *SignMemo { return &SignMemo{m: map[string][]byte{}} }

// Sign is k.Sign(msg), remembered in m when m is not nil. The signature
// it returns is the caller's own.
func (m *SignMemo) Sign(k *SigningKey, msg []byte) []byte {
	if m == nil {
		return k.Sign(msg)
	}
	m.key = append(append(m.key[:0], k.priv...), msg...)
	if sig, ok := m.m[string(m.key)]; ok {
		return append([]byte(nil), sig...)
	}
	sig := k.Sign(msg)
	if len(m.m) >= memoMax {
		clear(m.m)
	}
	m.m[string(m.key)] = append([]byte(nil), sig...)
	return sig
}

// VerifyJSON parses a JSON object document and checks one signature on it.
func VerifyJSON(doc []byte, signer, keyID string, pub ed25519.PublicKey) error {
	v, err := canonicaljson.Parse(doc)
	if err != nil {
		return err
	}
	return Verify(&v, signer, keyID, pub)
}

// Cross-signing key usages.
const (
	UsageMaster      = "master"
	UsageSelfSigning = "self_signing"
	UsageUserSigning = "user_signing"
)

// Identity is a user's cross-signing identity with its private keys: the
// master key, the self-signing key (signs the user's own devices) and the
// user-signing key (signs other users' master keys). The existing device
// holds one; m.login.secrets hands it to the new device.
type Identity struct {
	UserID      string
	Master      *SigningKey
	SelfSigning *SigningKey
	UserSigning *SigningKey
}

// NewIdentity draws the three keys' seeds from rnd, master first.
func NewIdentity(userID string, rnd io.Reader) (*Identity, error) {
	id := &Identity{UserID: userID}
	var err error
	if id.Master, err = NewSigningKey(rnd); err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if id.SelfSigning, err = NewSigningKey(rnd); err != nil {
		return nil, fmt.Errorf("self-signing key: %w", err)
	}
	if id.UserSigning, err = NewSigningKey(rnd); err != nil {
		return nil, fmt.Errorf("user-signing key: %w", err)
	}
	return id, nil
}

// crossSigningKey is the public object of one cross-signing key, signed by
// signer (nil: unsigned).
func crossSigningKey(userID, usage string, k *SigningKey, signer *SigningKey) []byte {
	v := canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{
		{Key: "keys", Value: canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{
			{Key: k.KeyID(), Value: canonicaljson.StringValue(k.PublicBase64())},
		}}},
		{Key: "usage", Value: canonicaljson.Value{Kind: canonicaljson.Array, Arr: []canonicaljson.Value{canonicaljson.StringValue(usage)}}},
		{Key: "user_id", Value: canonicaljson.StringValue(userID)},
	}}
	if signer != nil {
		_ = Sign(&v, userID, signer.KeyID(), signer) // v is an object: cannot fail
	}
	return canonicaljson.Append(nil, &v)
}

// MasterKeyJSON is the public master key object.
func (id *Identity) MasterKeyJSON() []byte {
	return crossSigningKey(id.UserID, UsageMaster, id.Master, nil)
}

// SelfSigningKeyJSON is the public self-signing key object, signed by the
// master key.
func (id *Identity) SelfSigningKeyJSON() []byte {
	return crossSigningKey(id.UserID, UsageSelfSigning, id.SelfSigning, id.Master)
}

// UserSigningKeyJSON is the public user-signing key object, signed by the
// master key.
func (id *Identity) UserSigningKeyJSON() []byte {
	return crossSigningKey(id.UserID, UsageUserSigning, id.UserSigning, id.Master)
}

// Device key algorithms a Matrix device announces.
var DeviceAlgorithms = []string{"m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"}

// DeviceKeys are a device's identity keys: the Ed25519 signing key and the
// Curve25519 key of Olm.
type DeviceKeys struct {
	UserID     string
	DeviceID   string
	Ed25519    *SigningKey
	Curve25519 []byte // public key, 32 bytes
}

// NewDeviceKeys draws the Ed25519 seed and then the Curve25519 private key
// from rnd.
func NewDeviceKeys(userID, deviceID string, rnd io.Reader) (*DeviceKeys, error) {
	ed, err := NewSigningKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("ed25519 device key: %w", err)
	}
	var priv, pub x25519.Key
	if _, err := io.ReadFull(rnd, priv[:]); err != nil {
		return nil, fmt.Errorf("curve25519 device key: %w: %w", wire.ErrRandom, err)
	}
	// The public key is X25519(priv, 9) (RFC 7748 §6.1), as crypto/ecdh
	// computes it; circl's base-point ladder takes half the time.
	x25519.KeyGen(&pub, &priv)
	return &DeviceKeys{UserID: userID, DeviceID: deviceID, Ed25519: ed, Curve25519: pub[:]}, nil
}

// KeyID returns "ed25519:<device ID>", the ID of the device's signing key.
func (d *DeviceKeys) KeyID() string { return "ed25519:" + d.DeviceID }

// Object returns the unsigned device_keys object.
func (d *DeviceKeys) Object() canonicaljson.Value {
	algs := make([]canonicaljson.Value, len(DeviceAlgorithms))
	for i, a := range DeviceAlgorithms {
		algs[i] = canonicaljson.StringValue(a)
	}
	return canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{
		{Key: "algorithms", Value: canonicaljson.Value{Kind: canonicaljson.Array, Arr: algs}},
		{Key: "device_id", Value: canonicaljson.StringValue(d.DeviceID)},
		{Key: "keys", Value: canonicaljson.Value{Kind: canonicaljson.Object, Obj: []canonicaljson.Member{
			{Key: "curve25519:" + d.DeviceID, Value: canonicaljson.StringValue(Base64.EncodeToString(d.Curve25519))},
			{Key: "ed25519:" + d.DeviceID, Value: canonicaljson.StringValue(d.Ed25519.PublicBase64())},
		}}},
		{Key: "user_id", Value: canonicaljson.StringValue(d.UserID)},
	}}
}

// Signed returns the device_keys object signed by the device's own key and,
// when ssk is not nil, by the user's self-signing key: the object the new
// device uploads in one keys/upload once it holds the secrets.
func (d *DeviceKeys) Signed(ssk *SigningKey) []byte { return d.SignedMemo(ssk, nil) }

// SignedMemo is Signed with its signatures remembered in m (nil: none):
// the same bytes.
func (d *DeviceKeys) SignedMemo(ssk *SigningKey, m *SignMemo) []byte {
	v := d.Object()
	msg, _ := SigningBytes(&v) // v is an object: cannot fail
	addSignature(&v, d.UserID, d.KeyID(), m.Sign(d.Ed25519, msg))
	if ssk != nil {
		// The first signature is not covered: the same bytes are signed.
		addSignature(&v, d.UserID, ssk.KeyID(), m.Sign(ssk, msg))
	}
	return canonicaljson.Append(nil, &v)
}

// KeysUploadBody wraps a device_keys object into a keys/upload body.
func KeysUploadBody(deviceKeys []byte) []byte {
	b := make([]byte, 0, len(deviceKeys)+16)
	b = append(b, `{"device_keys":`...)
	b = append(b, deviceKeys...)
	return append(b, '}')
}
