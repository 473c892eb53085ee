package homeserver

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"strings"

	"qrlab/model/oauth"
	"qrlab/model/wire"
	"qrlab/model/wire/canonicaljson"
)

// Time and the request and response types are package wire's, shared with
// the provider and the rendezvous store.
type (
	// Millis is virtual time in milliseconds.
	Millis = wire.Millis
	// Request is one HTTP request.
	Request = wire.Request
	// Response is one HTTP response.
	Response = wire.Response
	// Header is a list of header lines.
	Header = wire.Header
)

// never is the visibility time of a device the server holds keys for but
// has not learned of.
const never Millis = math.MaxInt64

// Errors of the account and device API.
var (
	// ErrNoAccount: no such user.
	ErrNoAccount = errors.New("no such account")
	// ErrNoDevice: no such device.
	ErrNoDevice = errors.New("no such device")
	// ErrNoKeys: the device has uploaded no device keys.
	ErrNoKeys = errors.New("no device keys")
	// ErrNoCrossSigning: the user has no (valid) cross-signing keys.
	ErrNoCrossSigning = errors.New("no cross-signing keys")
	// ErrKeyObject: a key object is malformed (wrong user, usage, keys).
	ErrKeyObject = errors.New("malformed key object")
)

// crossKey is one public cross-signing key, kept with the object it came in.
type crossKey struct {
	obj   canonicaljson.Value
	keyID string
	pub   ed25519.PublicKey
}

// account is what the server knows of one user.
type account struct {
	userID  string
	master  *crossKey
	ssk     *crossKey
	usk     *crossKey
	devices map[string]*device
	order   []string // device IDs in creation order
	backup  *backup  // current key backup version (nil: none)
	backups int      // backup versions created so far
}

// device is one device of a user.
type device struct {
	id        string
	visibleAt Millis               // in the device list from then on
	keys      *canonicaljson.Value // device_keys as accepted, signatures included
	keysJSON  []byte               // and in canonical form
	otks      map[string]struct{}
	otkCounts map[string]int
}

// tokenRef binds a locally issued access token to its device.
type tokenRef struct {
	user, device string
}

// EffectKind names something that happened in the homeserver.
type EffectKind uint8

// The effects traces and monitors are told about.
const (
	// EffectDeviceCreated: a device was added to a user's list (it becomes
	// visible at Effect.At).
	EffectDeviceCreated EffectKind = iota + 1
	// EffectTokenFirstUse: a provider token was used for the first time.
	EffectTokenFirstUse
	// EffectKeysUploaded: device keys were accepted.
	EffectKeysUploaded
	// EffectKeysRejected: a keys/upload was refused.
	EffectKeysRejected
	// EffectUnknownToken: a request carried an unknown or expired token.
	EffectUnknownToken
)

// String returns the effect's name as traces print it.
func (k EffectKind) String() string {
	switch k {
	case EffectDeviceCreated:
		return "device-created"
	case EffectTokenFirstUse:
		return "token-first-use"
	case EffectKeysUploaded:
		return "keys-uploaded"
	case EffectKeysRejected:
		return "keys-rejected"
	case EffectUnknownToken:
		return "unknown-token"
	}
	return "effect(?)"
}

// Effect is one thing that happened, for traces and monitors.
type Effect struct {
	Kind   EffectKind
	User   string
	Device string
	// At is when a created device becomes visible.
	At Millis
}

// Server is the homeserver model: accounts, devices, keys and the client-
// server endpoints of QR-code login. It delegates authentication to an
// oauth.Server and learns of new devices from it. Like the provider it is a
// plain value driven by one goroutine.
type Server struct {
	cfg Config
	// memo, when set, remembers the Ed25519 verifications the server made
	// (UseMemo); it is no part of the server's state.
	memo     *VerifyMemo
	op       *oauth.Server
	now      Millis
	accounts map[string]*account
	tokens   map[string]tokenRef
	used     map[string]struct{} // provider tokens seen at least once
	cursor   int                 // provider issuances already applied

	versions  []byte
	issuerDoc []byte
}

// New makes a homeserver with no accounts. op is the provider it trusts
// (nil: only tokens added with AddDevice work, and the auth metadata
// endpoints answer 404).
func New(cfg Config, op *oauth.Server) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Versions = append([]string(nil), cfg.Versions...)
	cfg.UnstableFeatures = append([]Feature(nil), cfg.UnstableFeatures...)
	h := &Server{
		cfg:      cfg,
		op:       op,
		accounts: make(map[string]*account),
		tokens:   make(map[string]tokenRef),
		used:     make(map[string]struct{}),
	}
	b := []byte(`{"versions":[`)
	for i, v := range cfg.Versions {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendString(b, v)
	}
	b = append(b, `],"unstable_features":{`...)
	for i, f := range cfg.UnstableFeatures {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendString(b, f.Name)
		if f.Enabled {
			b = append(b, ":true"...)
		} else {
			b = append(b, ":false"...)
		}
	}
	h.versions = append(b, "}}"...)
	if op != nil {
		h.issuerDoc = wire.AppendString([]byte(`{"issuer":`), op.Issuer())
		h.issuerDoc = append(h.issuerDoc, '}')
	}
	return h, nil
}

// Config returns the configuration the homeserver runs with.
func (h *Server) Config() Config { return h.cfg }

// UserID returns the full user ID of a localpart on this server.
func (h *Server) UserID(localpart string) string {
	return "@" + localpart + ":" + h.cfg.ServerName
}

func (h *Server) clock(now Millis) Millis {
	if now < h.now {
		return h.now
	}
	h.now = now
	return now
}

func (h *Server) account(userID string) *account {
	a := h.accounts[userID]
	if a == nil {
		a = &account{userID: userID, devices: make(map[string]*device)}
		h.accounts[userID] = a
	}
	return a
}

// ensureDevice makes sure the device is in the list from at on (the
// earliest of all reasons wins).
func (h *Server) ensureDevice(userID, deviceID string, at Millis, fx []Effect) []Effect {
	a := h.account(userID)
	d := a.devices[deviceID]
	if d == nil {
		d = &device{id: deviceID, visibleAt: never}
		a.devices[deviceID] = d
		a.order = append(a.order, deviceID)
	}
	if at < d.visibleAt {
		created := d.visibleAt == never
		d.visibleAt = at
		if created {
			fx = append(fx, Effect{Kind: EffectDeviceCreated, User: userID, Device: deviceID, At: at})
		}
	}
	return fx
}

// sync applies the provider's token issuances not yet seen.
func (h *Server) sync(fx []Effect) []Effect {
	if h.op == nil {
		return fx
	}
	for _, iss := range h.op.Issuances(h.cursor) {
		h.cursor++
		if h.cfg.DeviceOnIssue {
			fx = h.ensureDevice(iss.UserID, iss.DeviceID, iss.At+h.cfg.IssueDelay, fx)
		}
	}
	return fx
}

// AddIdentity stores a user's public cross-signing keys (as a device would
// upload them with /keys/device_signing/upload).
func (h *Server) AddIdentity(id *Identity) error {
	return h.SetCrossSigningKeys(id.UserID, id.MasterKeyJSON(), id.SelfSigningKeyJSON(), id.UserSigningKeyJSON())
}

// SetCrossSigningKeys stores a user's public cross-signing key objects after
// checking them: each names the user and its usage and holds one Ed25519
// key, and the self-signing and user-signing keys are signed by the master
// key.
func (h *Server) SetCrossSigningKeys(userID string, master, selfSigning, userSigning []byte) error {
	k, err := CheckCrossSigningKeys(userID, master, selfSigning, userSigning)
	if err != nil {
		return err
	}
	h.SetCheckedCrossSigningKeys(k)
	return nil
}

// CrossSigningKeys is a user's three public cross-signing keys, checked by
// CheckCrossSigningKeys. It is never changed after the check, so servers
// may share one: an account that exists before a run can have its keys
// checked once and stored in each run's server, instead of the same
// signatures by the same key over the same bytes verified again per run.
type CrossSigningKeys struct {
	userID           string
	master, ssk, usk *crossKey
}

// CheckCrossSigningKeys parses and checks a user's public cross-signing
// key objects, as SetCrossSigningKeys does, without storing them.
func CheckCrossSigningKeys(userID string, master, selfSigning, userSigning []byte) (*CrossSigningKeys, error) {
	mk, err := parseCrossKey(userID, UsageMaster, master)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	ssk, err := parseCrossKey(userID, UsageSelfSigning, selfSigning)
	if err != nil {
		return nil, fmt.Errorf("self-signing key: %w", err)
	}
	usk, err := parseCrossKey(userID, UsageUserSigning, userSigning)
	if err != nil {
		return nil, fmt.Errorf("user-signing key: %w", err)
	}
	if err := Verify(&ssk.obj, userID, mk.keyID, mk.pub); err != nil {
		return nil, fmt.Errorf("self-signing key: %w", err)
	}
	if err := Verify(&usk.obj, userID, mk.keyID, mk.pub); err != nil {
		return nil, fmt.Errorf("user-signing key: %w", err)
	}
	return &CrossSigningKeys{userID: userID, master: mk, ssk: ssk, usk: usk}, nil
}

// SetCheckedCrossSigningKeys stores keys that CheckCrossSigningKeys
// accepted as their user's.
func (h *Server) SetCheckedCrossSigningKeys(k *CrossSigningKeys) {
	a := h.account(k.userID)
	a.master, a.ssk, a.usk = k.master, k.ssk, k.usk
}

// parseCrossKey reads one cross-signing key object.
func parseCrossKey(userID, usage string, doc []byte) (*crossKey, error) {
	v, err := canonicaljson.Parse(doc)
	if err != nil {
		return nil, err
	}
	if v.Kind != canonicaljson.Object {
		return nil, ErrNotObject
	}
	if u, ok := v.Get("user_id"); !ok || u.Kind != canonicaljson.String || u.Str != userID {
		return nil, fmt.Errorf("user_id is not %q: %w", userID, ErrKeyObject)
	}
	us, ok := v.Get("usage")
	if !ok || us.Kind != canonicaljson.Array || !containsString(us.Arr, usage) {
		return nil, fmt.Errorf("usage lacks %q: %w", usage, ErrKeyObject)
	}
	keys, ok := v.Get("keys")
	if !ok || keys.Kind != canonicaljson.Object || len(keys.Obj) != 1 {
		return nil, fmt.Errorf("keys must hold exactly one key: %w", ErrKeyObject)
	}
	m := keys.Obj[0]
	b64, isEd := strings.CutPrefix(m.Key, "ed25519:")
	if !isEd || m.Value.Kind != canonicaljson.String || m.Value.Str != b64 {
		return nil, fmt.Errorf("keys: %q must be ed25519:<key> naming its own value: %w", m.Key, ErrKeyObject)
	}
	pub, err := DecodeBase64(b64)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("keys: %q: %w", m.Key, ErrBadKey)
	}
	return &crossKey{obj: v, keyID: m.Key, pub: pub}, nil
}

func containsString(vs []canonicaljson.Value, s string) bool {
	for _, v := range vs {
		if v.Kind == canonicaljson.String && v.Str == s {
			return true
		}
	}
	return false
}

// AddDevice adds a device that is visible from now and signed in with an
// access token issued outside the provider (the existing device of a
// scenario).
func (h *Server) AddDevice(now Millis, userID, deviceID, accessToken string) {
	now = h.clock(now)
	h.ensureDevice(userID, deviceID, now, nil)
	if accessToken != "" {
		h.tokens[accessToken] = tokenRef{userID, deviceID}
	}
}

// DeviceExists reports whether the device is in the user's device list at
// now (what GET /devices/{id} answers).
// It changes nothing: issuances of the provider not yet applied count too.
func (h *Server) DeviceExists(now Millis, userID, deviceID string) bool {
	if a := h.accounts[userID]; a != nil {
		if d := a.devices[deviceID]; d != nil && d.visibleAt <= now {
			return true
		}
	}
	if h.op == nil || !h.cfg.DeviceOnIssue {
		return false
	}
	for _, iss := range h.op.Issuances(h.cursor) {
		if iss.UserID == userID && iss.DeviceID == deviceID && iss.At+h.cfg.IssueDelay <= now {
			return true
		}
	}
	return false
}

// DeviceKeysJSON returns the device keys a device uploaded, in canonical
// form.
func (h *Server) DeviceKeysJSON(userID, deviceID string) ([]byte, bool) {
	a := h.accounts[userID]
	if a == nil {
		return nil, false
	}
	d := a.devices[deviceID]
	if d == nil || d.keysJSON == nil {
		return nil, false
	}
	return d.keysJSON, true
}

// VerifyDevice checks, by verifying the signatures afresh, that a device is
// cross-signed by its user's identity: the self-signing key is signed by
// the master key, the device keys carry a valid signature by the device's
// own Ed25519 key, and a valid signature by the self-signing key. It
// returns nil when all three hold, or the first failure. (With a memo, a verification already made over the same bytes is looked
// up, not made again: UseMemo.)
func (h *Server) VerifyDevice(userID, deviceID string) error {
	a := h.accounts[userID]
	if a == nil {
		return fmt.Errorf("%s: %w", userID, ErrNoAccount)
	}
	if a.master == nil || a.ssk == nil {
		return fmt.Errorf("%s: %w", userID, ErrNoCrossSigning)
	}
	var sskMsg []byte
	if err := h.verify(&a.ssk.obj, &sskMsg, userID, a.master.keyID, a.master.pub); err != nil {
		return fmt.Errorf("%s: self-signing key: %w", userID, err)
	}
	d := a.devices[deviceID]
	if d == nil {
		return fmt.Errorf("%s %s: %w", userID, deviceID, ErrNoDevice)
	}
	if d.keys == nil {
		return fmt.Errorf("%s %s: %w", userID, deviceID, ErrNoKeys)
	}
	devKey, err := deviceSigningKey(d.keys, deviceID)
	if err != nil {
		return fmt.Errorf("%s %s: %w", userID, deviceID, err)
	}
	var msg []byte // the device keys' signing bytes, the same for both signatures
	if err := h.verify(d.keys, &msg, userID, "ed25519:"+deviceID, devKey); err != nil {
		return fmt.Errorf("%s %s: device self-signature: %w", userID, deviceID, err)
	}
	if err := h.verify(d.keys, &msg, userID, a.ssk.keyID, a.ssk.pub); err != nil {
		return fmt.Errorf("%s %s: cross-signature: %w", userID, deviceID, err)
	}
	return nil
}

// CrossSigned reports whether the device is cross-signed by its user's
// identity, as VerifyDevice computes it.
func (h *Server) CrossSigned(userID, deviceID string) bool {
	return h.VerifyDevice(userID, deviceID) == nil
}

// deviceSigningKey returns the Ed25519 key a device_keys object names for
// its device.
func deviceSigningKey(keys *canonicaljson.Value, deviceID string) (ed25519.PublicKey, error) {
	ks, ok := keys.Get("keys")
	if !ok || ks.Kind != canonicaljson.Object {
		return nil, fmt.Errorf("device_keys.keys: %w", ErrKeyObject)
	}
	v, ok := ks.Get("ed25519:" + deviceID)
	if !ok || v.Kind != canonicaljson.String {
		return nil, fmt.Errorf("device_keys.keys[\"ed25519:%s\"]: %w", deviceID, ErrKeyObject)
	}
	pub, err := DecodeBase64(v.Str)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("device_keys.keys[\"ed25519:%s\"]: %w", deviceID, ErrBadKey)
	}
	return pub, nil
}
