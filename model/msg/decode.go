package msg

import (
	"encoding/base64"
	"strconv"

	"qrlab/model/wire"
)

// Option adjusts how Decode judges a message. Options are plain values
// (the zero Option changes nothing), so passing them costs no allocation.
type Option struct {
	set optionKind
	gen Generation
}

type optionKind uint8

const (
	optNone optionKind = iota
	optGeneration
	optStrictFields
	optUnpadded
)

type options struct {
	gen             Generation
	strictFields    bool
	requireUnpadded bool
}

// WithGeneration makes Decode follow one generation of the texts where the
// message shapes differ (see Generation). Without it Decode accepts both.
func WithGeneration(g Generation) Option {
	return Option{set: optGeneration, gen: g}
}

// DisallowUnknownFields makes Decode refuse, with KindUnknownField, any field
// the message type does not define, at any level. Without it such fields are
// ignored, as Matrix clients (serde in the Rust SDK, plain objects in the JS
// SDK) ignore them.
func DisallowUnknownFields() Option {
	return Option{set: optStrictFields}
}

// RequireUnpaddedBase64 makes Decode refuse padded base64 keys in
// m.login.secrets. Without it a key may carry its "=" padding: the texts say
// unpadded, but the Matrix appendix asks decoders to accept padding and the
// Rust SDK and vodozemac do.
func RequireUnpaddedBase64() Option {
	return Option{set: optUnpadded}
}

// Top-level keys of every message type, as slot indices.
const (
	fType = iota
	fProtocols
	fHomeserver
	fBaseURL
	fProtocol
	fGrant
	fDeviceID
	fReason
	fCrossSigning
	fBackup
	fSignature
	nTop
)

// topName names a top-level key by slot index, for error paths.
func topName(i int) string {
	switch i {
	case fType:
		return "type"
	case fProtocols:
		return "protocols"
	case fHomeserver:
		return "homeserver"
	case fBaseURL:
		return "base_url"
	case fProtocol:
		return "protocol"
	case fGrant:
		return "device_authorization_grant"
	case fDeviceID:
		return "device_id"
	case fReason:
		return "reason"
	case fCrossSigning:
		return "cross_signing"
	case fSignature:
		return "signature"
	}
	return "backup"
}

func topField(k []byte) int {
	switch string(k) {
	case "type":
		return fType
	case "protocols":
		return fProtocols
	case "homeserver":
		return fHomeserver
	case "base_url":
		return fBaseURL
	case "protocol":
		return fProtocol
	case "device_authorization_grant":
		return fGrant
	case "device_id":
		return fDeviceID
	case "reason":
		return fReason
	case "cross_signing":
		return fCrossSigning
	case "backup":
		return fBackup
	case "signature":
		return fSignature
	}
	return -1
}

// Keys of the nested objects, as slot indices, with their full paths.
const (
	fVerificationURI = iota
	fVerificationURIComplete
	nGrant
)

// grantPath gives the full path of a device_authorization_grant key.
func grantPath(i int) string {
	if i == fVerificationURI {
		return "device_authorization_grant.verification_uri"
	}
	return "device_authorization_grant.verification_uri_complete"
}

func grantField(k []byte) int {
	switch string(k) {
	case "verification_uri":
		return fVerificationURI
	case "verification_uri_complete":
		return fVerificationURIComplete
	}
	return -1
}

const (
	fMasterKey = iota
	fSelfSigningKey
	fUserSigningKey
	nCross
)

// crossPath gives the full path of a cross_signing key.
func crossPath(i int) string {
	switch i {
	case fMasterKey:
		return "cross_signing.master_key"
	case fSelfSigningKey:
		return "cross_signing.self_signing_key"
	}
	return "cross_signing.user_signing_key"
}

func crossField(k []byte) int {
	switch string(k) {
	case "master_key":
		return fMasterKey
	case "self_signing_key":
		return fSelfSigningKey
	case "user_signing_key":
		return fUserSigningKey
	}
	return -1
}

const (
	fAlgorithm = iota
	fKey
	fBackupVersion
	nBackup
)

// backupPath gives the full path of a backup key.
func backupPath(i int) string {
	switch i {
	case fAlgorithm:
		return "backup.algorithm"
	case fKey:
		return "backup.key"
	}
	return "backup.backup_version"
}

func backupField(k []byte) int {
	switch string(k) {
	case "algorithm":
		return fAlgorithm
	case "key":
		return fKey
	case "backup_version":
		return fBackupVersion
	}
	return -1
}

// Decode parses one m.login.* message from its JSON text and returns it as
// one of this package's types (a value, not a pointer). It never panics; any
// refusal is an *Error whose Kind says why and whose Path says where.
//
// Checks run in a fixed order, so one input always yields the same error:
// JSON syntax over the whole document, then "type", then duplicate fields,
// then unknown fields (only with DisallowUnknownFields), then each field in
// the order the texts list them.
func Decode(b []byte, opts ...Option) (Message, error) {
	var o options
	for _, opt := range opts {
		switch opt.set {
		case optGeneration:
			o.gen = opt.gen
		case optStrictFields:
			o.strictFields = true
		case optUnpadded:
			o.requireUnpadded = true
		}
	}
	m, err := decode(b, o)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// decoder holds one decode's input, options and, once known, message type.
type decoder struct {
	b   []byte
	o   options
	typ string
}

func (d *decoder) fail(kind Kind, path, detail string) *Error {
	return &Error{Kind: kind, Type: d.typ, Path: path, Detail: detail}
}

func decode(b []byte, o options) (Message, *Error) {
	r := wire.Reader{B: b}
	r.Space()
	if r.I >= len(b) {
		return nil, &Error{Kind: KindNotJSON, Offset: r.I, Detail: "no JSON value"}
	}
	var slots [nTop]slot
	var unknown keyRef
	if b[r.I] != '{' {
		first := b[r.I]
		if f := r.Value(0); !f.OK() {
			return nil, notJSON(f)
		}
		r.Space()
		if r.I != len(b) {
			return nil, &Error{Kind: KindNotJSON, Offset: r.I, Detail: "data after the top-level value"}
		}
		return nil, &Error{Kind: KindNotObject, Detail: "the top-level value is " + withArticle(jsonKindName(first))}
	}
	if err := readObject(&r, 1, topField, slots[:], &unknown); err != nil {
		return nil, err
	}
	r.Space()
	if r.I != len(b) {
		return nil, &Error{Kind: KindNotJSON, Offset: r.I, Detail: "data after the top-level object"}
	}
	d := decoder{b: b, o: o}
	return d.message(&slots, unknown)
}

// Which top-level keys each message type defines, as bit masks over slots.
const (
	maskEmpty     = 1 << fType
	maskProtocols = maskEmpty | 1<<fProtocols | 1<<fHomeserver | 1<<fBaseURL
	maskProtocol  = maskEmpty | 1<<fProtocol | 1<<fGrant | 1<<fDeviceID
	maskFailure   = maskEmpty | 1<<fReason | 1<<fHomeserver
	maskSecrets   = maskEmpty | 1<<fCrossSigning | 1<<fBackup
	maskProof     = maskEmpty | 1<<fDeviceID | 1<<fSignature
)

func (d *decoder) message(slots *[nTop]slot, unknown keyRef) (Message, *Error) {
	t := slots[fType]
	if t.n == 0 {
		return nil, d.fail(KindMissingType, "", `no "type" key`)
	}
	if t.n > 1 {
		return nil, d.fail(KindDuplicateField, "type", "")
	}
	if d.b[t.start] != '"' {
		return nil, d.fail(KindWrongType, "type", "want string, got "+jsonKindName(d.b[t.start]))
	}
	var mask uint
	raw := wire.Unescape(d.b[t.start+1 : t.end-1])
	switch string(raw) {
	case TypeProtocols:
		d.typ, mask = TypeProtocols, maskProtocols
	case TypeProtocol:
		d.typ, mask = TypeProtocol, maskProtocol
	case TypeProtocolAccepted:
		d.typ, mask = TypeProtocolAccepted, maskEmpty
	case TypeSuccess:
		d.typ, mask = TypeSuccess, maskEmpty
	case TypeDeclined:
		d.typ, mask = TypeDeclined, maskEmpty
	case TypeFailure:
		d.typ, mask = TypeFailure, maskFailure
	case TypeSecrets:
		d.typ, mask = TypeSecrets, maskSecrets
	case TypeProofOfPossession:
		d.typ, mask = TypeProofOfPossession, maskProof
	default:
		return nil, d.fail(KindUnknownType, "type", quoteTrunc(string(raw)))
	}
	for i := range slots {
		if mask&(1<<i) != 0 && slots[i].n > 1 {
			return nil, d.fail(KindDuplicateField, topName(i), "")
		}
	}
	if d.o.strictFields {
		// Report the first offending key in document order.
		at, path := -1, ""
		if unknown.set {
			at, path = unknown.start, string(wire.Unescape(d.b[unknown.start+1:unknown.end-1]))
		}
		for i := range slots {
			if mask&(1<<i) == 0 && slots[i].n > 0 && (at < 0 || slots[i].key < at) {
				at, path = slots[i].key, topName(i)
			}
		}
		if at >= 0 {
			return nil, d.fail(KindUnknownField, path, "not a field of "+d.typ)
		}
	}
	switch d.typ {
	case TypeProtocols:
		return d.protocols(slots)
	case TypeProtocol:
		return d.protocol(slots)
	case TypeProtocolAccepted:
		return ProtocolAccepted{}, nil
	case TypeSuccess:
		return Success{}, nil
	case TypeDeclined:
		return Declined{}, nil
	case TypeFailure:
		return d.failure(slots)
	case TypeProofOfPossession:
		return d.proof(slots)
	}
	return d.secrets(slots)
}

// proof reads io.qrlab.login.proof_of_possession: device_id and a
// signature that is unpadded base64 of exactly 64 bytes.
func (d *decoder) proof(slots *[nTop]slot) (Message, *Error) {
	var m ProofOfPossession
	var err *Error
	if m.DeviceID, err = d.required(slots[fDeviceID], "device_id"); err != nil {
		return nil, err
	}
	sig, err := d.required(slots[fSignature], "signature")
	if err != nil {
		return nil, err
	}
	raw, e := base64.RawStdEncoding.Strict().DecodeString(sig)
	if e != nil || len(raw) != len(m.Signature) {
		return nil, d.fail(KindBadKey, "signature", "not unpadded base64 of 64 bytes")
	}
	copy(m.Signature[:], raw)
	return m, nil
}

// isNull reports whether a present slot holds null.
func (d *decoder) isNull(s slot) bool { return s.n > 0 && d.b[s.start] == 'n' }

// stringAt returns the string in slot s, which must be present.
func (d *decoder) stringAt(s slot, path string) (string, *Error) {
	if d.b[s.start] != '"' {
		return "", d.fail(KindWrongType, path, "want string, got "+jsonKindName(d.b[s.start]))
	}
	return string(wire.Unescape(d.b[s.start+1 : s.end-1])), nil
}

// required returns the string in slot s, which must be present and a string.
func (d *decoder) required(s slot, path string) (string, *Error) {
	if s.n == 0 {
		return "", d.fail(KindMissingField, path, "")
	}
	return d.stringAt(s, path)
}

// optional returns the string in slot s; absent and null both give "".
func (d *decoder) optional(s slot, path string) (string, *Error) {
	if s.n == 0 || d.isNull(s) {
		return "", nil
	}
	return d.stringAt(s, path)
}

// nested reads the object in slot s (which must be one) into slots, applying
// the duplicate and unknown-field rules; pathOf names the keys by index.
func (d *decoder) nested(s slot, path string, lookup func([]byte) int, slots []slot, pathOf func(int) string) *Error {
	if d.b[s.start] != '{' {
		return d.fail(KindWrongType, path, "want object, got "+jsonKindName(d.b[s.start]))
	}
	r := wire.Reader{B: d.b, I: s.start}
	var unknown keyRef
	if err := readObject(&r, 2, lookup, slots, &unknown); err != nil {
		return err // unreachable: the whole document was validated
	}
	for i := range slots {
		if slots[i].n > 1 {
			return d.fail(KindDuplicateField, pathOf(i), "")
		}
	}
	if d.o.strictFields && unknown.set {
		key := string(wire.Unescape(d.b[unknown.start+1 : unknown.end-1]))
		return d.fail(KindUnknownField, path+"."+key, "not a field of "+path)
	}
	return nil
}

func (d *decoder) protocols(slots *[nTop]slot) (Message, *Error) {
	var m Protocols
	s := slots[fProtocols]
	if s.n == 0 {
		return nil, d.fail(KindMissingField, "protocols", "")
	}
	if d.b[s.start] != '[' {
		return nil, d.fail(KindWrongType, "protocols", "want array, got "+jsonKindName(d.b[s.start]))
	}
	r := wire.Reader{B: d.b, I: s.start + 1}
	for {
		r.Space()
		if r.I >= s.end || d.b[r.I] == ']' {
			break
		}
		if d.b[r.I] == ',' {
			r.I++
			continue
		}
		path := "protocols[" + strconv.Itoa(len(m.Protocols)) + "]"
		if d.b[r.I] != '"' {
			return nil, d.fail(KindWrongType, path, "want string, got "+jsonKindName(d.b[r.I]))
		}
		start := r.I
		if _, f := r.Str(); !f.OK() {
			return nil, notJSON(f) // unreachable: validated
		}
		m.Protocols = append(m.Protocols, string(wire.Unescape(d.b[start+1:r.I-1])))
	}
	if len(m.Protocols) == 0 && d.o.gen == Gen2024 {
		return nil, d.fail(KindWrongGeneration, "protocols",
			"an empty list is a 2026 form; the 2024 text lists at least one protocol")
	}

	hs, bu := slots[fHomeserver], slots[fBaseURL]
	var err *Error
	switch {
	case d.o.gen == Gen2024 && bu.n > 0:
		return nil, d.fail(KindWrongGeneration, "base_url", "base_url is the 2026 key; 2024 uses homeserver")
	case d.o.gen == Gen2026 && hs.n > 0:
		return nil, d.fail(KindWrongGeneration, "homeserver", "homeserver is the 2024 key; 2026 uses base_url")
	case hs.n > 0 && bu.n > 0:
		return nil, d.fail(KindWrongGeneration, "homeserver",
			"both homeserver (2024) and base_url (2026) are present")
	case hs.n > 0:
		m.ServerKey = KeyHomeserver
		m.Server, err = d.stringAt(hs, "homeserver")
	case bu.n > 0:
		m.ServerKey = KeyBaseURL
		m.Server, err = d.stringAt(bu, "base_url")
	case d.o.gen == Gen2024:
		return nil, d.fail(KindMissingField, "homeserver", "")
	default:
		return nil, d.fail(KindMissingField, "base_url", "")
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (d *decoder) protocol(slots *[nTop]slot) (Message, *Error) {
	var m Protocol
	name, err := d.required(slots[fProtocol], "protocol")
	if err != nil {
		return nil, err
	}
	if name != ProtocolDeviceAuthorizationGrant {
		return nil, d.fail(KindWrongProtocol, "protocol", quoteTrunc(name))
	}
	s := slots[fGrant]
	if s.n == 0 {
		return nil, d.fail(KindMissingField, "device_authorization_grant", "")
	}
	var g [nGrant]slot
	if err := d.nested(s, "device_authorization_grant", grantField, g[:], grantPath); err != nil {
		return nil, err
	}
	if m.Grant.VerificationURI, err = d.required(g[fVerificationURI], grantPath(fVerificationURI)); err != nil {
		return nil, err
	}
	if m.Grant.VerificationURIComplete, err = d.optional(g[fVerificationURIComplete],
		grantPath(fVerificationURIComplete)); err != nil {
		return nil, err
	}
	if m.DeviceID, err = d.required(slots[fDeviceID], "device_id"); err != nil {
		return nil, err
	}
	return m, nil
}

func (d *decoder) failure(slots *[nTop]slot) (Message, *Error) {
	var m Failure
	reason, err := d.required(slots[fReason], "reason")
	if err != nil {
		return nil, err
	}
	m.Reason = Reason(reason)
	if !m.Reason.Known(d.o.gen) {
		if m.Reason.Known(GenAny) {
			return nil, d.fail(KindWrongGeneration, "reason", quoteTrunc(reason)+" is a 2026 reason")
		}
		return nil, d.fail(KindUnknownReason, "reason", quoteTrunc(reason))
	}
	if m.Homeserver, err = d.optional(slots[fHomeserver], "homeserver"); err != nil {
		return nil, err
	}
	return m, nil
}

func (d *decoder) secrets(slots *[nTop]slot) (Message, *Error) {
	var m Secrets
	s := slots[fCrossSigning]
	if s.n == 0 {
		return nil, d.fail(KindMissingField, "cross_signing", "")
	}
	var c [nCross]slot
	if err := d.nested(s, "cross_signing", crossField, c[:], crossPath); err != nil {
		return nil, err
	}
	keys := [nCross]*SigningKey{&m.CrossSigning.Master, &m.CrossSigning.SelfSigning, &m.CrossSigning.UserSigning}
	for i, k := range keys {
		if err := d.key(c[i], crossPath(i), (*[32]byte)(k)); err != nil {
			return nil, err
		}
	}

	s = slots[fBackup]
	if s.n == 0 || d.isNull(s) {
		return m, nil
	}
	var bk [nBackup]slot
	if err := d.nested(s, "backup", backupField, bk[:], backupPath); err != nil {
		return nil, err
	}
	alg, err := d.required(bk[fAlgorithm], backupPath(fAlgorithm))
	if err != nil {
		return nil, err
	}
	if alg != BackupAlgorithmMegolmV1 {
		return nil, d.fail(KindUnknownAlgorithm, backupPath(fAlgorithm), quoteTrunc(alg))
	}
	m.Backup = new(Backup)
	if err := d.key(bk[fKey], backupPath(fKey), (*[32]byte)(&m.Backup.Key)); err != nil {
		return nil, err
	}
	if m.Backup.Version, err = d.required(bk[fBackupVersion], backupPath(fBackupVersion)); err != nil {
		return nil, err
	}
	return m, nil
}

// key decodes the base64 key in slot s into k.
func (d *decoder) key(s slot, path string, k *[32]byte) *Error {
	if s.n == 0 {
		return d.fail(KindMissingField, path, "")
	}
	if d.b[s.start] != '"' {
		return d.fail(KindWrongType, path, "want string, got "+jsonKindName(d.b[s.start]))
	}
	if detail := decodeKey32(wire.Unescape(d.b[s.start+1:s.end-1]), !d.o.requireUnpadded, k); detail != "" {
		return d.fail(KindBadKey, path, detail)
	}
	return nil
}

// b64Values maps a byte to its value in the standard base64 alphabet, or
// 0xff when it is not in it.
const b64Values = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x3e\xff\xff\xff\x3f" +
	"\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\xff\xff\xff\xff\xff\xff" +
	"\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e" +
	"\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\xff\xff\xff\xff\xff" +
	"\xff\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28" +
	"\x29\x2a\x2b\x2c\x2d\x2e\x2f\x30\x31\x32\x33\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// decodeKey32 decodes standard-alphabet base64 of exactly 32 bytes into k:
// 43 characters, or 44 ending in "=" when padding is allowed. The last
// character's two unused bits must be zero, so each key has one encoding.
// It returns "" on success, else what is wrong.
func decodeKey32(s []byte, allowPadding bool, k *[32]byte) string {
	if allowPadding && len(s) == 44 && s[43] == '=' {
		s = s[:43]
	}
	if len(s) != 43 {
		if len(s) == 44 && s[43] == '=' {
			return "padded base64 refused"
		}
		return "want base64 of 32 bytes (43 characters), got " + strconv.Itoa(len(s)) + " characters"
	}
	var v [43]byte
	for i, c := range s {
		x := b64Values[c]
		if x == 0xff {
			return "character " + strconv.Quote(string(rune(c))) + " at " + strconv.Itoa(i) +
				" is not in the standard base64 alphabet"
		}
		v[i] = x
	}
	if v[42]&3 != 0 {
		return "non-zero trailing bits in the last base64 character"
	}
	for g := 0; g < 10; g++ {
		a, b, c, e := v[4*g], v[4*g+1], v[4*g+2], v[4*g+3]
		k[3*g] = a<<2 | b>>4
		k[3*g+1] = b<<4 | c>>2
		k[3*g+2] = c<<6 | e
	}
	k[30] = v[40]<<2 | v[41]>>4
	k[31] = v[41]<<4 | v[42]>>2
	return ""
}
