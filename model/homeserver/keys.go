package homeserver

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// keysUpload answers POST /keys/upload: the device keys are checked (their
// owner and device, the device's own signature and, when StrictSignatures is
// on, every other signature by the owner) before anything is stored.
func (h *Server) keysUpload(now Millis, ref tokenRef, body []byte, fx []Effect) (Response, []Effect) {
	reject := func(status int, errcode, msg string) (Response, []Effect) {
		fx = append(fx, Effect{Kind: EffectKeysRejected, User: ref.user, Device: ref.device})
		return matrixError(status, errcode, msg), fx
	}
	v, err := canonicaljson.Parse(body)
	if err != nil {
		return reject(400, ErrcodeNotJSON, "Body: "+err.Error())
	}
	if v.Kind != canonicaljson.Object {
		return reject(400, ErrcodeBadJSON, "Body: must be a JSON object.")
	}
	a := h.account(ref.user)
	d := a.devices[ref.device]

	var keys *canonicaljson.Value
	if dk, ok := v.Get("device_keys"); ok && dk.Kind != canonicaljson.Null {
		if dk.Kind != canonicaljson.Object {
			return reject(400, ErrcodeBadJSON, "device_keys: must be an object.")
		}
		if errcode, err := h.checkDeviceKeys(a, d, ref, dk); err != nil {
			return reject(400, errcode, err.Error())
		}
		keys = dk
	}
	var otkIDs []string
	for _, field := range []string{"one_time_keys", "fallback_keys"} {
		ks, ok := v.Get(field)
		if !ok || ks.Kind == canonicaljson.Null {
			continue
		}
		if ks.Kind != canonicaljson.Object {
			return reject(400, ErrcodeBadJSON, field+": must be an object.")
		}
		for _, m := range ks.Obj {
			alg, _, ok := strings.Cut(m.Key, ":")
			if !ok || alg == "" {
				return reject(400, ErrcodeBadJSON, fmt.Sprintf("%s: key ID %q is not <algorithm>:<id>.", field, m.Key))
			}
			if m.Value.Kind != canonicaljson.String && m.Value.Kind != canonicaljson.Object {
				return reject(400, ErrcodeBadJSON, fmt.Sprintf("%s[%q]: must be a string or an object.", field, m.Key))
			}
			if field == "one_time_keys" {
				otkIDs = append(otkIDs, m.Key)
			}
		}
	}

	// Everything checked: store.
	if d == nil {
		d = &device{id: ref.device, visibleAt: never}
		a.devices[ref.device] = d
		a.order = append(a.order, ref.device)
	}
	if keys != nil {
		kv := *keys
		d.keys = &kv
		d.keysJSON = canonicaljson.Append(nil, &kv)
		fx = append(fx, Effect{Kind: EffectKeysUploaded, User: ref.user, Device: ref.device, At: now})
	}
	if len(otkIDs) > 0 && d.otks == nil {
		d.otks = make(map[string]struct{})
		d.otkCounts = make(map[string]int)
	}
	for _, id := range otkIDs {
		if _, dup := d.otks[id]; dup {
			continue
		}
		d.otks[id] = struct{}{}
		alg, _, _ := strings.Cut(id, ":")
		d.otkCounts[alg]++
	}
	return Response{Status: 200, Header: wire.JSONHeader(), Body: otkCountsBody(d.otkCounts)}, fx
}

// otkCountsBody is {"one_time_key_counts":{...}}, algorithms sorted, with
// signed_curve25519 always present (as Synapse answers).
func otkCountsBody(counts map[string]int) []byte {
	algs := make([]string, 0, len(counts)+1)
	for alg := range counts {
		algs = append(algs, alg)
	}
	if _, ok := counts["signed_curve25519"]; !ok {
		algs = append(algs, "signed_curve25519")
	}
	slices.Sort(algs)
	b := []byte(`{"one_time_key_counts":{`)
	for i, alg := range algs {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendString(b, alg)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(counts[alg]), 10)
	}
	return append(b, "}}"...)
}

// errUnknownSigner is the cause of a signature by a key the server does
// not know.
var errUnknownSigner = errors.New("signature by an unknown key")

// checkDeviceKeys validates a device_keys object for the device ref and
// returns the errcode and error of the first problem.
func (h *Server) checkDeviceKeys(a *account, d *device, ref tokenRef, dk *canonicaljson.Value) (string, error) {
	str := func(field string) (string, string, error) {
		v, ok := dk.Get(field)
		if !ok {
			return "", ErrcodeMissingParam, fmt.Errorf("device_keys.%s: missing", field)
		}
		if v.Kind != canonicaljson.String {
			return "", ErrcodeBadJSON, fmt.Errorf("device_keys.%s: must be a string", field)
		}
		return v.Str, "", nil
	}
	user, code, err := str("user_id")
	if err != nil {
		return code, err
	}
	if user != ref.user {
		return ErrcodeInvalidParam, fmt.Errorf("device_keys.user_id: %q does not match the access token's user %q", user, ref.user)
	}
	dev, code, err := str("device_id")
	if err != nil {
		return code, err
	}
	if dev != ref.device {
		return ErrcodeInvalidParam, fmt.Errorf("device_keys.device_id: %q does not match the access token's device %q", dev, ref.device)
	}
	algs, ok := dk.Get("algorithms")
	if !ok {
		return ErrcodeMissingParam, errors.New("device_keys.algorithms: missing")
	}
	if algs.Kind != canonicaljson.Array {
		return ErrcodeBadJSON, errors.New("device_keys.algorithms: must be an array")
	}
	for i, alg := range algs.Arr {
		if alg.Kind != canonicaljson.String {
			return ErrcodeBadJSON, fmt.Errorf("device_keys.algorithms[%d]: must be a string", i)
		}
	}
	ks, ok := dk.Get("keys")
	if !ok {
		return ErrcodeMissingParam, errors.New("device_keys.keys: missing")
	}
	if ks.Kind != canonicaljson.Object {
		return ErrcodeBadJSON, errors.New("device_keys.keys: must be an object")
	}
	for _, m := range ks.Obj {
		if m.Value.Kind != canonicaljson.String {
			return ErrcodeBadJSON, fmt.Errorf("device_keys.keys[%q]: must be a string", m.Key)
		}
	}
	for _, alg := range []string{"ed25519", "curve25519"} {
		id := alg + ":" + ref.device
		k, ok := ks.Get(id)
		if !ok {
			return ErrcodeMissingParam, fmt.Errorf("device_keys.keys[%q]: missing", id)
		}
		if raw, err := DecodeBase64(k.Str); err != nil || len(raw) != 32 {
			return ErrcodeInvalidParam, fmt.Errorf("device_keys.keys[%q]: not base64 of 32 bytes: %w", id, ErrBadKey)
		}
	}
	pub, err := deviceSigningKey(dk, ref.device)
	if err != nil {
		return ErrcodeInvalidParam, err
	}
	if d != nil && d.keys != nil {
		if old, err := deviceSigningKey(d.keys, ref.device); err == nil && !bytes.Equal(old, pub) {
			return ErrcodeInvalidParam, fmt.Errorf("device_keys.keys[\"ed25519:%s\"]: the device already uploaded another identity key", ref.device)
		}
	}
	sigs, ok := dk.Get("signatures")
	if !ok {
		return ErrcodeMissingParam, errors.New("device_keys.signatures: missing")
	}
	if sigs.Kind != canonicaljson.Object {
		return ErrcodeBadJSON, errors.New("device_keys.signatures: must be an object")
	}
	for _, m := range sigs.Obj {
		if m.Value.Kind != canonicaljson.Object {
			return ErrcodeBadJSON, fmt.Errorf("device_keys.signatures[%q]: must be an object", m.Key)
		}
	}
	self := "ed25519:" + ref.device
	var msg []byte // dk's signing bytes, the same for every signature on it
	if err := h.verify(dk, &msg, ref.user, self, pub); err != nil {
		return ErrcodeInvalidSignature, fmt.Errorf("device_keys: %w", err)
	}
	if !h.cfg.StrictSignatures {
		return "", nil
	}
	own, _ := sigs.Get(ref.user)
	for _, m := range own.Obj {
		if m.Key == self {
			continue
		}
		var key ed25519.PublicKey
		switch {
		case a.ssk != nil && m.Key == a.ssk.keyID:
			key = a.ssk.pub
		case a.master != nil && m.Key == a.master.keyID:
			key = a.master.pub
		default:
			return ErrcodeInvalidSignature, fmt.Errorf("device_keys.signatures[%q][%q]: %w", ref.user, m.Key, errUnknownSigner)
		}
		if err := h.verify(dk, &msg, ref.user, m.Key, key); err != nil {
			return ErrcodeInvalidSignature, fmt.Errorf("device_keys: %w", err)
		}
	}
	return "", nil
}
