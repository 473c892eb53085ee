package channel

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"
)

// The RFC 9180 key schedule for base mode with HKDF-SHA256 and
// ChaCha20-Poly1305. The KEM (DHKEM X25519) is circl's; the key schedule is
// written here so that every HKDF step is one HMAC and the two hashes of
// constants (psk_id_hash and info_hash) are computed once, which keeps a
// handshake near its X25519 floor. The RFC 9180 test vectors and a
// byte-for-byte comparison with circl's own HPKE contexts pin it.

// hpkeSuiteID is "HPKE" || kem_id || kdf_id || aead_id.
var hpkeSuiteID = []byte{'H', 'P', 'K', 'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x03}

var hpkeVersion = []byte("HPKE-v1")

// labeledExtract is LabeledExtract(salt, label, ikm): one HMAC keyed with the
// salt (an empty salt is HashLen zeros, which HMAC's key padding gives too).
func labeledExtract(salt []byte, label string, ikm []byte) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(hpkeVersion)
	m.Write(hpkeSuiteID)
	m.Write([]byte(label))
	m.Write(ikm)
	return m.Sum(nil)
}

// labeledExpand is LabeledExpand(prk, label, info, L) for L up to one block,
// on an expander already keyed with prk.
func labeledExpand(x *expander, label string, info []byte, l int) []byte {
	var length [2]byte
	binary.BigEndian.PutUint16(length[:], uint16(l))
	return x.expand(l, length[:], hpkeVersion, hpkeSuiteID, []byte(label), info)
}

// keyScheduleContext is mode_base || psk_id_hash || info_hash.
func keyScheduleContext(info []byte) []byte {
	ksc := []byte{0x00}
	ksc = append(ksc, labeledExtract(nil, "psk_id_hash", nil)...)
	return append(ksc, labeledExtract(nil, "info_hash", info)...)
}

// channelKSC is the key schedule context for the channel's own info string,
// computed once.
var channelKSC = keyScheduleContext([]byte(hpkeInfo))

// hpkeContext is an RFC 9180 encryption context: the sequence-numbered AEAD
// and the exporter.
type hpkeContext struct {
	*seqAEAD
	exporterSecret []byte
	exporter       *expander
}

// hpkeKeySchedule is KeySchedule(mode_base, shared_secret, info, "", "").
func hpkeKeySchedule(sharedSecret, info []byte) (*hpkeContext, error) {
	ksc := channelKSC
	if string(info) != hpkeInfo {
		ksc = keyScheduleContext(info)
	}
	secret := labeledExtract(sharedSecret, "secret", nil)
	x := newExpander(sha256.New, secret)
	key := labeledExpand(x, "key", ksc, chacha20poly1305.KeySize)
	nonce := labeledExpand(x, "base_nonce", ksc, chacha20poly1305.NonceSize)
	exp := labeledExpand(x, "exp", ksc, sha256.Size)
	a, err := newSeqAEAD(key, nonce)
	if err != nil {
		return nil, err
	}
	return &hpkeContext{seqAEAD: a, exporterSecret: exp}, nil
}

// Export is the secret export interface: LabeledExpand(exporter_secret,
// "sec", exporterContext, l), for l up to 32 bytes.
func (c *hpkeContext) Export(exporterContext []byte, l int) []byte {
	if c.exporter == nil {
		c.exporter = newExpander(sha256.New, c.exporterSecret)
	}
	return labeledExpand(c.exporter, "sec", exporterContext, l)
}
