package variant

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"

	"qrlab/model/rendezvous"
)

// The mutations: deliberate defects a known-bad design (a mutant) carries.
// Each is a guarded deviation in the package that owns the behaviour; an
// honest preset has none, and every honest path is unchanged by their
// existence.
const (
	// MutNoCheckCode: G proceeds as if the check code was confirmed, never
	// asking the user for it (model/login).
	MutNoCheckCode = "no-check-code"
	// MutSecretsBeforeDeviceCheck: E skips the device check (GET
	// /devices/{id} answering 404) and still sends the secrets (model/login).
	MutSecretsBeforeDeviceCheck = "secrets-before-device-check"
	// MutSecretsBeforeSuccess: E sends m.login.secrets right after
	// m.login.protocol_accepted, without waiting for m.login.success
	// (model/login).
	MutSecretsBeforeSuccess = "secrets-before-success"
	// MutStaticNonce: every message of one channel direction is sealed with
	// the same nonce (model/channel).
	MutStaticNonce = "static-nonce"
	// MutSharedDirectionKey: one key (and nonce sequence) serves both
	// directions of the channel (model/channel).
	MutSharedDirectionKey = "shared-direction-key"
	// MutAcceptUnexpectedMessages: an undecodable or out-of-place message is
	// skipped and the device polls on, instead of ending the login
	// (model/login).
	MutAcceptUnexpectedMessages = "accept-unexpected-messages"
	// MutIgnoreETag: the ETag store accepts a PUT whatever its If-Match
	// (model/rendezvous; etag flavour only).
	MutIgnoreETag = "ignore-etag"
	// MutIgnoreSequenceToken: the JSON store accepts a PUT whatever its
	// sequence_token (model/rendezvous; JSON flavours only).
	MutIgnoreSequenceToken = "ignore-sequence-token"
	// MutNoExpiry: the store never expires a session and the devices set no
	// deadline (device code lifetime, device-appears wait): a device whose
	// peer vanished waits for ever (model/rendezvous and model/login).
	MutNoExpiry = "no-expiry"
	// MutReuseEphemeralKey: G's and S's ephemeral channel keys come from
	// fixed seeds, so every session shares them (model/channel).
	MutReuseEphemeralKey = "reuse-ephemeral-key"
	// MutNoAADBinding: payloads are sealed and opened without the 2026
	// session binding although the variant has aad_binding on
	// (model/login).
	MutNoAADBinding = "no-aad-binding"
	// MutNoWhoamiCheck: the new device calls whoami but compares neither the
	// device ID nor the expected account with its answer (model/login).
	MutNoWhoamiCheck = "no-whoami-check"
)

// MutationNames lists every mutation a variant may name, in a stable order.
func MutationNames() []string {
	return []string{MutNoCheckCode, MutSecretsBeforeDeviceCheck, MutSecretsBeforeSuccess, MutStaticNonce,
		MutSharedDirectionKey, MutAcceptUnexpectedMessages, MutIgnoreETag, MutIgnoreSequenceToken, MutNoExpiry,
		MutReuseEphemeralKey, MutNoAADBinding, MutNoWhoamiCheck}
}

// Mutations is the list of mutations a variant carries ("mutations" in a
// preset file: a JSON list of names). The zero value is the honest design.
// It is a comparable value, so a Variant stays comparable.
type Mutations struct {
	joined string // the names in file order, joined by ","
}

// NewMutations makes a Mutations value of names (validated by
// Variant.Validate, not here).
func NewMutations(names ...string) Mutations { return Mutations{joined: strings.Join(names, ",")} }

// List returns the names in file order (nil for none).
func (m Mutations) List() []string {
	if m.joined == "" {
		return nil
	}
	return strings.Split(m.joined, ",")
}

// IsZero reports whether there is no mutation (the honest design).
func (m Mutations) IsZero() bool { return m.joined == "" }

// Has reports whether the named mutation is present.
func (m Mutations) Has(name string) bool {
	if m.joined == "" {
		return false
	}
	for _, n := range strings.Split(m.joined, ",") {
		if n == name {
			return true
		}
	}
	return false
}

// String returns the names joined by ", " ("" for none).
func (m Mutations) String() string { return strings.ReplaceAll(m.joined, ",", ", ") }

// MarshalJSON writes the list of names.
func (m Mutations) MarshalJSON() ([]byte, error) {
	l := m.List()
	if l == nil {
		l = []string{}
	}
	return json.Marshal(l)
}

// UnmarshalJSON reads a list of names.
func (m *Mutations) UnmarshalJSON(b []byte) error {
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return &json.UnmarshalTypeError{Value: "value other than a list of names", Type: reflect.TypeOf([]string(nil)), Field: "mutations"}
	}
	for _, n := range l {
		if n == "" || strings.Contains(n, ",") {
			return fmt.Errorf("%w: field mutations: %q is not valid (want %s)", ErrVariant, n, strings.Join(MutationNames(), ", "))
		}
	}
	*m = NewMutations(l...)
	return nil
}

// validateMutations checks the names against the known list and the
// variant's other knobs.
func (v *Variant) validateMutations() error {
	seen := map[string]bool{}
	for _, n := range v.Mutations.List() {
		known := false
		for _, k := range MutationNames() {
			known = known || n == k
		}
		if !known {
			return fieldError("mutations", strconv.Quote(n), strings.Join(MutationNames(), ", "))
		}
		if seen[n] {
			return fieldError("mutations", strconv.Quote(n), "each name once")
		}
		seen[n] = true
		rc, err := rendezvous.Preset(v.Rendezvous.Preset)
		if err != nil {
			continue // reported by rendezvous.preset
		}
		switch {
		case n == MutIgnoreETag && rc.Flavour != rendezvous.FlavourETag:
			return fieldError("mutations", strconv.Quote(n), "ignore-sequence-token with a JSON rendezvous (ignore-etag needs rendezvous flavour etag)")
		case n == MutIgnoreSequenceToken && rc.Flavour == rendezvous.FlavourETag:
			return fieldError("mutations", strconv.Quote(n), "ignore-etag with an etag rendezvous")
		case n == MutNoAADBinding && !v.Channel.AADBinding:
			return fieldError("mutations", strconv.Quote(n), "a variant with channel.aad_binding true (there is no binding to drop)")
		}
	}
	return nil
}

//go:embed mutants/*.json
var mutantFS embed.FS

// MutantPrefix names a mutant where a preset name is expected:
// Load("mutant/static-nonce") is LoadMutant("static-nonce").
const MutantPrefix = "mutant/"

// MutantNames lists the embedded mutants (known-bad designs, each an honest
// preset plus one mutation) in sorted order. They are not presets: Names
// does not list them.
func MutantNames() []string { return jsonNames(mutantFS, "mutants") }

// LoadMutant returns the embedded mutant name, parsed and validated; its
// Name is "mutant/<name>".
func LoadMutant(name string) (Variant, error) {
	file := path.Join("mutants", name+".json")
	b, err := mutantFS.ReadFile(file)
	if err != nil || strings.Contains(name, "/") {
		return Variant{}, fmt.Errorf("%w: unknown mutant %q (have %s)", ErrVariant, name, strings.Join(MutantNames(), ", "))
	}
	v, err := Parse(b, file)
	if err != nil {
		return Variant{}, err
	}
	if v.Mutations.IsZero() {
		return Variant{}, fmt.Errorf("%w: %s: a mutant needs at least one mutation", ErrVariant, file)
	}
	v.Name = MutantPrefix + name
	return v, nil
}

// MutantBase returns the honest preset a mutant file names as its base
// (the "base" line of its description: "Base: <preset>.").
func MutantBase(v Variant) string {
	_, rest, ok := strings.Cut(v.Description, "Base: ")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, ".")
	if strings.ContainsAny(name, " /") {
		return ""
	}
	return name
}
