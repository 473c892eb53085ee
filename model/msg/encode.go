package msg

import (
	"encoding/base64"
	"unicode/utf8"

	"qrlab/model/wire"
)

// Encode writes m as compact canonical JSON: Matrix canonical JSON's rules
// (keys sorted by code point, no insignificant whitespace, UTF-8 without
// \u escapes except for control characters), so that the same message gives
// the same bytes on every run and traces hash alike. Secret keys are
// written as unpadded standard base64. Optional fields that are empty or nil
// are left out. Encode accepts the message types by value or by pointer; a
// nil pointer is refused, except to the three types without fields.
//
// Encode refuses what Decode would refuse, so anything it writes decodes
// back to an equal value: an unknown failure reason (KindUnknownReason),
// strings that are not valid UTF-8 or an out-of-range ServerKey
// (KindInvalid), and a nil message or pointer (KindInvalid).
func Encode(m Message) ([]byte, error) {
	e := encoder{}
	var err *Error
	switch v := m.(type) {
	case Protocols:
		err = e.protocols(&v)
	case *Protocols:
		if v == nil {
			return nil, nilPointer(TypeProtocols)
		}
		err = e.protocols(v)
	case Protocol:
		err = e.protocol(&v)
	case *Protocol:
		if v == nil {
			return nil, nilPointer(TypeProtocol)
		}
		err = e.protocol(v)
	case ProtocolAccepted, *ProtocolAccepted:
		e.empty(TypeProtocolAccepted)
	case Success, *Success:
		e.empty(TypeSuccess)
	case Declined, *Declined:
		e.empty(TypeDeclined)
	case ProofOfPossession:
		err = e.proof(&v)
	case *ProofOfPossession:
		if v == nil {
			return nil, nilPointer(TypeProofOfPossession)
		}
		err = e.proof(v)
	case Failure:
		err = e.failure(&v)
	case *Failure:
		if v == nil {
			return nil, nilPointer(TypeFailure)
		}
		err = e.failure(v)
	case Secrets:
		err = e.secrets(&v)
	case *Secrets:
		if v == nil {
			return nil, nilPointer(TypeSecrets)
		}
		err = e.secrets(v)
	case nil:
		return nil, &Error{Kind: KindInvalid, Detail: "nil message"}
	default:
		return nil, &Error{Kind: KindInvalid, Detail: "not a message type of package msg"}
	}
	if err != nil {
		return nil, err
	}
	return e.b, nil
}

func nilPointer(typ string) *Error {
	return &Error{Kind: KindInvalid, Type: typ, Detail: "nil pointer"}
}

// encoder appends one message to b.
type encoder struct {
	b   []byte
	typ string
}

func (e *encoder) fail(kind Kind, path, detail string) *Error {
	return &Error{Kind: kind, Type: e.typ, Path: path, Detail: detail}
}

// key writes "name": after a comma unless first.
func (e *encoder) key(name string, first bool) {
	if !first {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, name...)
	e.b = append(e.b, '"', ':')
}

// str writes s as a JSON string, refusing invalid UTF-8.
func (e *encoder) str(path, s string) *Error {
	if !utf8.ValidString(s) {
		return e.fail(KindInvalid, path, "string is not valid UTF-8")
	}
	e.b = wire.AppendString(e.b, s)
	return nil
}

// typeTail writes the last member, "type", and closes the object. "type"
// sorts after every other top-level key.
func (e *encoder) typeTail(first bool) {
	e.key("type", first)
	e.b = wire.AppendString(e.b, e.typ)
	e.b = append(e.b, '}')
}

func (e *encoder) empty(typ string) {
	e.typ = typ
	e.b = make([]byte, 0, len(typ)+11)
	e.b = append(e.b, '{')
	e.typeTail(true)
}

func (e *encoder) protocols(m *Protocols) *Error {
	e.typ = TypeProtocols
	n := 64 + len(m.Server)
	for _, p := range m.Protocols {
		n += len(p) + 3
	}
	e.b = make([]byte, 0, n)
	e.b = append(e.b, '{')
	// "base_url" < "protocols"; "homeserver" < "protocols".
	switch m.ServerKey {
	case KeyBaseURL:
		e.key("base_url", true)
		if err := e.str("base_url", m.Server); err != nil {
			return err
		}
	case KeyHomeserver:
		e.key("homeserver", true)
		if err := e.str("homeserver", m.Server); err != nil {
			return err
		}
	default:
		return e.fail(KindInvalid, "", "ServerKey is neither KeyBaseURL nor KeyHomeserver")
	}
	e.key("protocols", false)
	e.b = append(e.b, '[')
	for i, p := range m.Protocols {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if !utf8.ValidString(p) {
			return e.fail(KindInvalid, "protocols", "a protocol name is not valid UTF-8")
		}
		e.b = wire.AppendString(e.b, p)
	}
	e.b = append(e.b, ']')
	e.typeTail(false)
	return nil
}

func (e *encoder) protocol(m *Protocol) *Error {
	e.typ = TypeProtocol
	g := &m.Grant
	e.b = make([]byte, 0, 192+len(g.VerificationURI)+len(g.VerificationURIComplete)+len(m.DeviceID))
	e.b = append(e.b, '{')
	// device_authorization_grant < device_id < protocol < type.
	e.key("device_authorization_grant", true)
	e.b = append(e.b, '{')
	e.key("verification_uri", true)
	if err := e.str(grantPath(fVerificationURI), g.VerificationURI); err != nil {
		return err
	}
	if g.VerificationURIComplete != "" {
		e.key("verification_uri_complete", false)
		if err := e.str(grantPath(fVerificationURIComplete), g.VerificationURIComplete); err != nil {
			return err
		}
	}
	e.b = append(e.b, '}')
	e.key("device_id", false)
	if err := e.str("device_id", m.DeviceID); err != nil {
		return err
	}
	e.key("protocol", false)
	e.b = wire.AppendString(e.b, ProtocolDeviceAuthorizationGrant)
	e.typeTail(false)
	return nil
}

func (e *encoder) proof(m *ProofOfPossession) *Error {
	e.typ = TypeProofOfPossession
	e.b = make([]byte, 0, 160+len(m.DeviceID))
	e.b = append(e.b, '{')
	// device_id < signature < type.
	e.key("device_id", true)
	if err := e.str("device_id", m.DeviceID); err != nil {
		return err
	}
	e.key("signature", false)
	e.b = wire.AppendString(e.b, base64.RawStdEncoding.EncodeToString(m.Signature[:]))
	e.typeTail(false)
	return nil
}

func (e *encoder) failure(m *Failure) *Error {
	e.typ = TypeFailure
	if !m.Reason.Known(GenAny) {
		return e.fail(KindUnknownReason, "reason", quoteTrunc(string(m.Reason)))
	}
	e.b = make([]byte, 0, 80+len(m.Reason)+len(m.Homeserver))
	e.b = append(e.b, '{')
	// homeserver < reason < type.
	first := true
	if m.Homeserver != "" {
		e.key("homeserver", true)
		if err := e.str("homeserver", m.Homeserver); err != nil {
			return err
		}
		first = false
	}
	e.key("reason", first)
	e.b = wire.AppendString(e.b, string(m.Reason))
	e.typeTail(false)
	return nil
}

func (e *encoder) secrets(m *Secrets) *Error {
	e.typ = TypeSecrets
	e.b = make([]byte, 0, 384)
	e.b = append(e.b, '{')
	// backup < cross_signing < type; inside backup,
	// algorithm < backup_version < key.
	if bk := m.Backup; bk != nil {
		e.key("backup", true)
		e.b = append(e.b, '{')
		e.key("algorithm", true)
		e.b = wire.AppendString(e.b, BackupAlgorithmMegolmV1)
		e.key("backup_version", false)
		if err := e.str(backupPath(fBackupVersion), bk.Version); err != nil {
			return err
		}
		e.key("key", false)
		e.b = appendKey(e.b, bk.Key)
		e.b = append(e.b, '}')
	}
	e.key("cross_signing", m.Backup == nil)
	e.b = append(e.b, '{')
	e.key("master_key", true)
	e.b = appendKey(e.b, m.CrossSigning.Master)
	e.key("self_signing_key", false)
	e.b = appendKey(e.b, m.CrossSigning.SelfSigning)
	e.key("user_signing_key", false)
	e.b = appendKey(e.b, m.CrossSigning.UserSigning)
	e.b = append(e.b, '}')
	e.typeTail(false)
	return nil
}

// appendKey writes a 32-byte key as a JSON string of unpadded standard base64.
func appendKey(b []byte, k [32]byte) []byte {
	b = append(b, '"')
	b = base64.RawStdEncoding.AppendEncode(b, k[:])
	return append(b, '"')
}
