package homeserver

import (
	"crypto/ecdh"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"

	"qrlab/model/wire"
)

// PathRoomKeysVersion is the key backup version endpoint: GET answers the
// account's current backup version.
const PathRoomKeysVersion = "/_matrix/client/v3/room_keys/version"

// BackupAlgorithm is the one backup algorithm the model serves (the same
// string as msg.BackupAlgorithmMegolmV1).
const BackupAlgorithm = "m.megolm_backup.v1.curve25519-aes-sha2"

// backup is an account's current key backup version.
type backup struct {
	version string
	pub     [32]byte
}

var bodyNoBackup = []byte(`{"errcode":"M_NOT_FOUND","error":"No current backup version"}`)

// CreateBackup makes a new current key backup version for the user with a
// Curve25519 key drawn from rnd, and returns the private key and the
// version ("1" for the first, then counting up), as the device that created
// it would hold them.
func (h *Server) CreateBackup(userID string, rnd io.Reader) (priv [32]byte, version string, err error) {
	if _, err := io.ReadFull(rnd, priv[:]); err != nil {
		return priv, "", fmt.Errorf("backup key: %w: %w", wire.ErrRandom, err)
	}
	k, err := ecdh.X25519().NewPrivateKey(priv[:])
	if err != nil {
		return priv, "", fmt.Errorf("backup key: %w", err)
	}
	var pub [32]byte
	copy(pub[:], k.PublicKey().Bytes())
	a := h.account(userID)
	a.backups++
	version = strconv.Itoa(a.backups)
	a.backup = &backup{version: version, pub: pub}
	return priv, version, nil
}

// SetBackup makes version, with the Curve25519 public key pub, the user's
// current backup version (a test's way to make the server disagree with a
// device's secrets).
func (h *Server) SetBackup(userID, version string, pub [32]byte) {
	h.account(userID).backup = &backup{version: version, pub: pub}
}

// backupVersion answers GET room_keys/version for the requesting user.
func (h *Server) backupVersion(userID string) Response {
	a := h.accounts[userID]
	if a == nil || a.backup == nil {
		return fixed(404, bodyNoBackup)
	}
	bk := a.backup
	b := make([]byte, 0, 192)
	b = append(b, `{"algorithm":`...)
	b = wire.AppendString(b, BackupAlgorithm)
	b = append(b, `,"auth_data":{"public_key":`...)
	b = wire.AppendString(b, base64.RawStdEncoding.EncodeToString(bk.pub[:]))
	b = append(b, `},"count":0,"etag":"0","version":`...)
	b = wire.AppendString(b, bk.version)
	b = append(b, '}')
	return Response{Status: 200, Header: wire.JSONHeader(), Body: b}
}
