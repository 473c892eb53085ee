package variant

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
)

//go:embed presets/*.json
var presetFS embed.FS

// ErrVariant is wrapped by every error of this package, so a caller can tell a
// bad preset from other failures.
var ErrVariant = errors.New("invalid variant")

// Variant is one complete set of design knobs of QR-code login. It is plain
// data: the login state machines, the simulator and the reports read it.
type Variant struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Rendezvous  RendezvousKnobs `json:"rendezvous"`
	Channel     ChannelKnobs    `json:"channel"`
	QR          QRKnobs         `json:"qr"`
	Messages    MessageKnobs    `json:"messages"`
	Flow        FlowKnobs       `json:"flow"`
	Timing      TimingKnobs     `json:"timing"`
	OAuth       OAuthKnobs      `json:"oauth"`
	Homeserver  HomeserverKnobs `json:"homeserver"`
	// Mutations are deliberate defects (MutationNames), for the catalogue
	// of known-bad designs under mutants/; empty in every honest preset.
	Mutations Mutations `json:"mutations,omitzero"`
	// Provenance says where the preset and each knob value come from
	// (provenance.go); every built-in preset has it, a file of one's own
	// may leave it out.
	Provenance *Provenance `json:"provenance,omitempty"`
}

// RendezvousKnobs pick the mailbox API: a model/rendezvous preset and a few
// overrides that studies change most often.
type RendezvousKnobs struct {
	Preset       string `json:"preset"`
	TTLMillis    int64  `json:"ttl_ms,omitempty"`
	MaxDataBytes int    `json:"max_data_bytes,omitempty"`
	Token        string `json:"token,omitempty"`
	// Idempotency overrides how the store recognises a retried PUT: ""
	// (keep), "none", "same-data" (the text) or "previous-token" (Synapse
	// 1.157.0). Not with an etag rendezvous or with put_txn_id.
	Idempotency string `json:"idempotency,omitempty"`
	// PutTxnID: the client PUTs to {prefix}/{id}/{txnId} with a fresh
	// transaction ID per write, the same one on a retry of that write (the
	// later MSC4388 revision). It needs a rendezvous preset with
	// transaction-ID idempotency.
	PutTxnID bool `json:"put_txn_id,omitempty"`
	// Discovery: the creating device first asks GET {prefix} whether it may
	// create ({"create_available": bool}); false or 404 ends the login.
	Discovery bool `json:"discovery,omitempty"`
}

// ChannelKnobs pick the secure channel construction and how payloads are
// bound to the rendezvous session.
type ChannelKnobs struct {
	Construction        string `json:"construction"`
	Digits              string `json:"digits"`
	GeneratorNonceStart uint64 `json:"generator_nonce_start"`
	CheckCodeKeys       string `json:"check_code_keys"`
	RetryAccept         bool   `json:"retry_accept"`
	AADBinding          bool   `json:"aad_binding"`
	AADLayout           string `json:"aad_layout"`
	// AADRootSlash binds a base URL with no path with a trailing "/", as
	// a URL type's string form gives it (the Rust SDK's PR #6173 binds
	// Url::as_str()), although the QR code drops that slash.
	AADRootSlash bool `json:"aad_root_slash,omitempty"`
}

// QRKnobs pick the QR payload layout and how a scanner reads it.
type QRKnobs struct {
	Format string `json:"format"`
	// URLCheck: the scanning device refuses a QR code whose rendezvous or
	// base URL a URL parser would refuse (qr.CheckURL), as a device that
	// parses the URL with Url::parse does; off, it reads the bytes as they
	// are (the texts say nothing of parsing them).
	URLCheck bool `json:"url_check,omitempty"`
}

// MessageKnobs pick the generation of the m.login.* messages.
type MessageKnobs struct {
	Generation      string `json:"generation"`
	HomeserverField string `json:"homeserver_field"`
	StrictDecode    bool   `json:"strict_decode"`
	// HomeserverAccept is what a receiver takes as the homeserver of
	// m.login.protocols (homeserver or base_url) and m.login.failure
	// (homeserver): "any" (the default: a server name, as the texts have
	// it, or a URL, as earlier revisions and the Rust SDK send) or "url"
	// (the Rust SDK parses the field as a URL, so a server name makes the
	// whole message undecodable).
	HomeserverAccept string `json:"homeserver_accept,omitempty"`
}

// FlowKnobs are the ordering choices of the sign-in sequence and the shipped
// clients' quirks.
type FlowKnobs struct {
	Ack                       string `json:"ack"`
	UnableToOpenReason        bool   `json:"unable_to_open_reason"`
	Whoami                    bool   `json:"whoami"`
	ConfirmAccount            bool   `json:"confirm_account"`
	ProtocolsWaitForCheckCode bool   `json:"protocols_wait_for_check_code"`
	WriteConflict             string `json:"write_conflict"`
	Denial                    string `json:"denial"`
	DeviceID                  string `json:"device_id"`
	// UnexpectedMessage says which undecodable or out-of-place message is
	// answered with m.login.failure unexpected_message_received: "send"
	// (the default, the texts: every one, on both devices),
	// "new-device-only" (the Rust SDK: only a well-formed message out of
	// place, and only on the new device; the existing device, and either
	// device on a message it cannot decode, ends without a word) or
	// "silent" (none). A device that does not answer ends locally and
	// deletes the session.
	UnexpectedMessage string `json:"unexpected_message,omitempty"`
	// DeviceCheckError is what the existing device makes of a device check
	// (GET /devices/{id} before the browser) that answers neither 404 nor
	// 200, after the retries: "http-error" (the default: it ends locally
	// with http_error, or timeout when no answer came; the texts name only
	// 404 and 200) or "already-exists" (the Rust SDK: anything but a clean
	// 404 is device_already_exists, sent to the new device).
	DeviceCheckError string `json:"device_check_error,omitempty"`
	// ProofOfPossession is the optional step of MSC4108 5706fd4's
	// alternatives: "off" (the default, every text and client) or
	// "ed25519-channel" (a design alternative of the lab's making where the
	// text leaves the form open: before m.login.success the new device
	// publishes its device keys and sends m.login.proof_of_possession, an
	// Ed25519 signature over a digest of the check code's channel keys and
	// the rendezvous session; the existing device verifies it against the
	// key POST /keys/query lists for the device ID before sealing secrets).
	ProofOfPossession string `json:"proof_of_possession,omitempty"`
	// OpenVerificationURI is which verification URIs the existing device
	// opens: "any" (the default), "https" (MSC4108 5706fd4: clients MAY
	// open https URIs only) or "https-same-host" (https, and only on the
	// host of the provider its homeserver's auth metadata names). Any
	// other URI ends the login with unable_to_open_verification_uri.
	OpenVerificationURI string `json:"open_verification_uri,omitempty"`
	// TokenError is what the new device does when its token poll ends
	// with a failure other than a denial (access_denied,
	// authorization_declined) or an expiry (expired_token, or the device
	// code's lifetime passing), both of which it always tells the peer:
	// invalid_grant or any other error code, a body that is not JSON, a 200
	// without access_token, or a transport failure its policy makes fatal.
	// "delete-session" (the default): it ends locally with http_error (or
	// timeout) and deletes the rendezvous session (unless session_delete
	// is "never"), so the peer's next read ends with rendezvous_expired; "silent" (the Rust SDK): it ends
	// without a word and leaves the session, so the peer learns of it only
	// from the session's expiry or its own deadline.
	TokenError string `json:"token_error,omitempty"`
	// SessionDelete is whether a device deletes the rendezvous session
	// (DELETE, the texts' cancel) when its login ends: "on-end" (the
	// default: on every local failure, on the peer's m.login.failure or
	// m.login.declined, and on the new device's success) or "never" (the
	// Rust SDK: no request under its QR login deletes a session, so the
	// session lives until the server expires it and the peer learns of a
	// silent ending only from that expiry or its own deadline).
	SessionDelete string `json:"session_delete,omitempty"`
	// DeviceWait is how the existing device waits for the new device to
	// appear after m.login.success (timing.device_poll_*): "deadline" (the
	// default: a timer ends the wait with device_not_found after
	// device_poll_timeout_ms, even with a check in flight; an answer other
	// than 200 or 404 ends the login) or "after-each-check" (the Rust SDK:
	// the deadline is looked at only when a check returns; any answer but
	// 200, a failed request included, counts as not yet, and a 200 ends the
	// wait even past the deadline, so a check held in its retries can
	// outlast the deadline by as much as its policy's retry budget).
	DeviceWait string `json:"device_wait,omitempty"`
}

// TimingKnobs are the polling periods, timeouts and retries, in milliseconds.
type TimingKnobs struct {
	PollIntervalMillis       int64   `json:"poll_interval_ms"`
	PollBackoffMaxMillis     int64   `json:"poll_backoff_max_ms"`
	PollBackoffFactor        float64 `json:"poll_backoff_factor"`
	HTTPTimeoutMillis        int64   `json:"http_timeout_ms"`
	HTTPRetries              int     `json:"http_retries"`
	RetryBackoffMillis       int64   `json:"retry_backoff_ms"`
	DevicePollIntervalMillis int64   `json:"device_poll_interval_ms"`
	DevicePollTimeoutMillis  int64   `json:"device_poll_timeout_ms"`
	// Policies override, per request kind (the Kind* constants), the
	// timeout, retries and error handling above. A kind not named, and a
	// field left zero or empty, keeps the variant-wide value: the
	// http_timeout_ms, http_retries and retry_backoff_ms above, and an
	// error that ends the login once the retries are spent.
	Policies map[string]RequestPolicy `json:"policies,omitempty"`
}

// RequestPolicy is a client's handling of one kind of request.
type RequestPolicy struct {
	// TimeoutMillis is the client-side deadline of each try (0: the
	// variant's http_timeout_ms; NoTimeout, -1: none, as a browser's fetch
	// without an AbortSignal: the try ends only with its answer or when
	// its connection fails).
	TimeoutMillis int64 `json:"timeout_ms,omitempty"`
	// Retries is how often a try that got no answer, 429 or 5xx is sent
	// again (absent: the variant's http_retries).
	Retries *int `json:"retries,omitempty"`
	// TransportRetries, when set, is how often a try whose connection
	// failed (a reset, a connect that gave up: a transport error, not the
	// client's own timeout) is sent again, instead of Retries (absent: as
	// Retries). Only a harness that tells the two apart applies it (the
	// simulator's tcp transport; under datagram every loss is a timeout).
	TransportRetries *int `json:"transport_retries,omitempty"`
	// TimeoutRetries, when set, is how often a try that the client's own
	// timeout ended is sent again, instead of Retries (absent: as
	// Retries). With TransportRetries it lets a policy retry 429 and 5xx
	// only, as the Rust SDK's default RequestConfig does (a reqwest error,
	// timeout or broken connection, is not retried). Only a harness that
	// tells the causes apart applies it (the simulator does, under both
	// transports).
	TimeoutRetries *int `json:"timeout_retries,omitempty"`
	// BackoffMillis is the wait before the first retry (0:
	// retry_backoff_ms), and before every retry when BackoffFactor is 0
	// or 1.
	BackoffMillis int64 `json:"backoff_ms,omitempty"`
	// BackoffFactor multiplies the wait after each retry (0: 1, a constant
	// wait), up to BackoffMaxMillis: 2 gives 500, 1000, 2000 ms ... from a
	// backoff_ms of 500, as an exponential backoff without jitter does.
	BackoffFactor float64 `json:"backoff_factor,omitempty"`
	// RetryBudgetMillis bounds the sum of the waits (0: no bound): a retry
	// whose wait would take the sum past it is not made, and the failure
	// stands (the total delay of the backon crate's exponential backoff).
	// With it, Retries, TransportRetries and TimeoutRetries may be
	// Unlimited (-1): the budget alone ends the retrying.
	RetryBudgetMillis int64 `json:"retry_budget_ms,omitempty"`
	// HTTPError is what a 429 or 5xx does once the retries are spent:
	// "fatal" (the default: the login ends with http_error), "poll-again"
	// (rendezvous-poll only: the next poll comes after the poll interval)
	// or "ignore" (rendezvous-write only: the write counts as done).
	HTTPError string `json:"http_error,omitempty"`
	// TransportError is what a try with no answer (timeout, reset) does
	// once the retries are spent: "fatal" (the default: the login ends
	// with timeout), "poll-again" (rendezvous-poll only) or "backoff"
	// (token-poll only: the poll interval doubles, capped at
	// BackoffMaxMillis, and polling goes on).
	TransportError string `json:"transport_error,omitempty"`
	// BackoffMaxMillis caps a growing wait: the wait between retries when
	// BackoffFactor is above 1, and the token-poll interval after a
	// transport error (transport_error "backoff").
	BackoffMaxMillis int64 `json:"backoff_max_ms,omitempty"`
}

// Request kinds a policy can name.
const (
	KindRendezvousPoll  = "rendezvous-poll"
	KindRendezvousWrite = "rendezvous-write"
	KindTokenPoll       = "token-poll"
	KindWhoami          = "whoami"
	KindDevices         = "devices"
	KindKeysUpload      = "keys-upload"
	// KindRendezvousCreate is the POST that creates a rendezvous session.
	KindRendezvousCreate = "rendezvous-create"
	// KindDiscovery is a device's look at the homeserver's auth metadata
	// (auth_metadata, auth_issuer).
	KindDiscovery = "discovery"
	KindOther     = "" // every other request: the variant-wide values

	// NoTimeout as a policy's timeout_ms: the client sets no deadline.
	NoTimeout = -1
	// Unlimited as a policy's retries, transport_retries or
	// timeout_retries: retry until retry_budget_ms is spent.
	Unlimited = -1
	// MaxRetries is the largest retry count a policy may name.
	MaxRetries = 100

	ErrorFatal     = "fatal"
	ErrorPollAgain = "poll-again"
	ErrorIgnore    = "ignore"
	ErrorBackoff   = "backoff"
)

// PolicyKinds lists the kinds a policy can name, in schema order.
func PolicyKinds() []string {
	return []string{KindRendezvousPoll, KindRendezvousWrite, KindTokenPoll, KindWhoami, KindDevices, KindKeysUpload,
		KindRendezvousCreate, KindDiscovery}
}

// Policy is the effective policy of a request kind: the override, with the
// variant-wide values filled in.
func (t TimingKnobs) Policy(kind string) RequestPolicy {
	p := t.Policies[kind]
	if kind == KindOther {
		p = RequestPolicy{}
	}
	if p.TimeoutMillis == 0 {
		p.TimeoutMillis = t.HTTPTimeoutMillis
	}
	if p.Retries == nil {
		r := t.HTTPRetries
		p.Retries = &r
	}
	if p.BackoffMillis == 0 {
		p.BackoffMillis = t.RetryBackoffMillis
	}
	if p.HTTPError == "" {
		p.HTTPError = ErrorFatal
	}
	if p.TransportError == "" {
		p.TransportError = ErrorFatal
	}
	return p
}

// validatePolicies checks timing.policies: known kinds, ranges, and error
// handlings the kind supports.
func (t TimingKnobs) validatePolicies() error {
	for _, kind := range slices.Sorted(maps.Keys(t.Policies)) {
		p := t.Policies[kind]
		f := "timing.policies[" + strconv.Quote(kind) + "]"
		if !slices.Contains(PolicyKinds(), kind) {
			return fieldError(f, strconv.Quote(kind), strings.Join(PolicyKinds(), ", "))
		}
		if p.TimeoutMillis < NoTimeout {
			return fieldError(f+".timeout_ms", p.TimeoutMillis, "-1 (no timeout), 0 (inherit) or a positive number of milliseconds")
		}
		if p.BackoffMillis < 0 || p.BackoffMaxMillis < 0 {
			return fieldError(f+".backoff_ms/backoff_max_ms", fmt.Sprint(p.BackoffMillis, p.BackoffMaxMillis), "0 (inherit) or a positive number of milliseconds")
		}
		if p.RetryBudgetMillis < 0 {
			return fieldError(f+".retry_budget_ms", p.RetryBudgetMillis, "0 (no bound) or a positive number of milliseconds")
		}
		for _, r := range []struct {
			field string
			n     *int
		}{{".retries", p.Retries}, {".transport_retries", p.TransportRetries}, {".timeout_retries", p.TimeoutRetries}} {
			switch {
			case r.n == nil || (*r.n >= 0 && *r.n <= MaxRetries):
			case *r.n == Unlimited && p.RetryBudgetMillis > 0:
			case *r.n == Unlimited:
				return fieldError(f+r.field, *r.n, "0 to 100; -1 (unlimited) only with a positive retry_budget_ms")
			default:
				return fieldError(f+r.field, *r.n, "0 to 100, or -1 (unlimited) with a positive retry_budget_ms")
			}
		}
		if p.BackoffFactor != 0 && (p.BackoffFactor < 1 || p.BackoffFactor > 10) {
			return fieldError(f+".backoff_factor", p.BackoffFactor, "0 (constant wait) or a number from 1 to 10")
		}
		if p.RetryBudgetMillis > 0 && max(p.BackoffMillis, t.RetryBackoffMillis) <= 0 {
			return fieldError(f+".backoff_ms", p.BackoffMillis, "positive with a retry_budget_ms (the budget is spent by waits)")
		}
		httpOK := []string{"", ErrorFatal}
		netOK := []string{"", ErrorFatal}
		switch kind {
		case KindRendezvousPoll:
			httpOK, netOK = append(httpOK, ErrorPollAgain), append(netOK, ErrorPollAgain)
		case KindRendezvousWrite:
			httpOK = append(httpOK, ErrorIgnore)
		case KindTokenPoll:
			netOK = append(netOK, ErrorBackoff)
		}
		if !slices.Contains(httpOK, p.HTTPError) {
			return fieldError(f+".http_error", strconv.Quote(p.HTTPError), strings.Join(httpOK[1:], ", "))
		}
		if !slices.Contains(netOK, p.TransportError) {
			return fieldError(f+".transport_error", strconv.Quote(p.TransportError), strings.Join(netOK[1:], ", "))
		}
		grows := p.TransportError == ErrorBackoff || p.BackoffFactor > 1
		if grows != (p.BackoffMaxMillis > 0) {
			return fieldError(f+".backoff_max_ms", p.BackoffMaxMillis, `positive with transport_error "backoff" or a backoff_factor above 1, 0 otherwise`)
		}
	}
	return nil
}

// OAuthKnobs pick the authorization server and the client's answer to
// slow_down.
type OAuthKnobs struct {
	Preset   string `json:"preset"`
	SlowDown string `json:"slow_down"`
}

// HomeserverKnobs pick the homeserver model.
type HomeserverKnobs struct {
	Preset string `json:"preset"`
}

// Values of the enumerated knobs.
const (
	AckBeforeBrowser = "before-browser"
	AckAfterBrowser  = "after-browser"
	AckAfterConfirm  = "after-confirm"

	ConflictAbort  = "abort"
	ConflictIgnore = "ignore"
	ConflictRetry  = "retry"

	DenialDeclined      = "declined"
	DenialUserCancelled = "user-cancelled"

	DeviceIDCurve25519 = "curve25519"
	DeviceIDRandom     = "random"

	HomeserverServerName = "server-name"
	HomeserverURL        = "url"

	AcceptAny = "any"
	AcceptURL = "url"

	UnexpectedSend          = "send"
	UnexpectedNewDeviceOnly = "new-device-only"
	UnexpectedSilent        = "silent"

	DeviceCheckHTTPError     = "http-error"
	DeviceCheckAlreadyExists = "already-exists"

	ProofOff            = "off"
	ProofEd25519Channel = "ed25519-channel"

	OpenAnyURI        = "any"
	OpenHTTPS         = "https"
	OpenHTTPSSameHost = "https-same-host"

	TokenErrorDeleteSession = "delete-session"
	TokenErrorSilent        = "silent"

	SessionDeleteOnEnd = "on-end"
	SessionDeleteNever = "never"

	DeviceWaitDeadline       = "deadline"
	DeviceWaitAfterEachCheck = "after-each-check"

	SlowDownObey   = "obey"
	SlowDownIgnore = "ignore"

	Generation2024 = "2024"
	Generation2026 = "2026"

	LayoutBaseURL16 = "base-url-16"
	LayoutBaseURL8  = "base-url-8"
	LayoutRaw       = "raw"
	LayoutAll16     = "all-16"

	KeysRaw    = "raw"
	KeysBase64 = "base64"

	TokenCounter         = "counter"
	TokenDigest          = "digest"
	TokenContentHash     = "content-hash"
	TokenContentTimeHash = "content-time-hash"

	IdempotencyNone          = "none"
	IdempotencySameData      = "same-data"
	IdempotencyPreviousToken = "previous-token"
)

// Names lists the embedded presets in sorted order.
func Names() []string { return jsonNames(presetFS, "presets") }

// jsonNames lists the .json files of dir in fsys, without the extension,
// in sorted order.
func jsonNames(fsys embed.FS, dir string) []string {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// renamed maps the former names of presets to their names after the
// source audit, which named each preset after what it models. A former
// name still loads, under that name (so scenarios, tests and reports that
// use it keep their output while they move over); Names lists only the new
// names.
var renamed = map[string]string{
	"msc4388":           "msc4388-726e115",
	"msc4108-2024-spec": "msc4108-87f8317",
	"msc4388-txn":       "txn-put",
	"element-x":         "rust-sdk-pr6173",
	"element-web":       "js-sdk-develop",
}

// Renamed returns the current name of a preset's former name.
func Renamed(former string) (string, bool) {
	n, ok := renamed[former]
	return n, ok
}

// FormerNames lists the former preset names that still load, sorted.
func FormerNames() []string { return slices.Sorted(maps.Keys(renamed)) }

// Load returns the embedded preset name, parsed and validated. A former
// name (FormerNames) loads the renamed preset under the former name.
func Load(name string) (Variant, error) {
	if m, ok := strings.CutPrefix(name, MutantPrefix); ok {
		return LoadMutant(m)
	}
	if current, ok := renamed[name]; ok {
		v, err := Load(current)
		v.Name = name
		return v, err
	}
	presets, err := builtin()
	if err != nil {
		return Variant{}, err
	}
	v, ok := presets[name]
	if !ok {
		return Variant{}, fmt.Errorf("%w: unknown preset %q (have %s)", ErrVariant, name, strings.Join(Names(), ", "))
	}
	// The copy's policy map is its own: a caller that sets a kind's
	// policy must not change the preset for every later Load.
	v.Timing.Policies = maps.Clone(v.Timing.Policies)
	return v, nil
}

// builtin parses every embedded preset once: the files never change, and
// a preset's provenance makes parsing it cost more than a simulation step
// should. Load hands out copies (a Variant is a value; its Provenance is
// shared and never modified).
var builtin = sync.OnceValues(func() (map[string]Variant, error) {
	out := map[string]Variant{}
	for _, n := range Names() {
		file := path.Join("presets", n+".json")
		b, err := presetFS.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrVariant, file, err)
		}
		v, err := Parse(b, file)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
})

// MustLoad is Load for presets the caller knows exist (tests, built-in
// scenarios); it panics on a programmer error.
func MustLoad(name string) Variant {
	v, err := Load(name)
	if err != nil {
		panic(err)
	}
	return v
}

// Parse reads one preset file strictly and validates it. sourceName names the
// file in error messages; for an embedded preset (presets/<name>.json) the
// preset's name must be <name>. A file of one's own may have any name.
func Parse(b []byte, sourceName string) (Variant, error) {
	var v Variant
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return Variant{}, fmt.Errorf("%w: %s: %s", ErrVariant, sourceName, describeJSONError(b, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Variant{}, fmt.Errorf("%w: %s: data after the JSON object", ErrVariant, sourceName)
	}
	if base, ok := strings.CutSuffix(path.Base(sourceName), ".json"); ok && path.Dir(sourceName) == "presets" && v.Name != base {
		return Variant{}, fmt.Errorf("%w: %s: field name: %q does not match the file name %q", ErrVariant, sourceName, v.Name, base)
	}
	v.fillDefaults()
	if err := v.Validate(); err != nil {
		return Variant{}, fmt.Errorf("%s: %w", sourceName, err)
	}
	return v, nil
}

// fillDefaults spells out the optional knobs a preset file left out, so
// that listings show every value.
func (v *Variant) fillDefaults() {
	for _, d := range []struct {
		knob *string
		def  string
	}{
		{&v.Messages.HomeserverAccept, AcceptAny},
		{&v.Flow.UnexpectedMessage, UnexpectedSend},
		{&v.Flow.DeviceCheckError, DeviceCheckHTTPError},
		{&v.Flow.ProofOfPossession, ProofOff},
		{&v.Flow.OpenVerificationURI, OpenAnyURI},
		{&v.Flow.TokenError, TokenErrorDeleteSession},
		{&v.Flow.SessionDelete, SessionDeleteOnEnd},
		{&v.Flow.DeviceWait, DeviceWaitDeadline},
	} {
		if *d.knob == "" {
			*d.knob = d.def
		}
	}
}

// optional is oneOf for a knob whose empty value means its default.
func optional(field, value string, valid ...string) error {
	if value == "" {
		return nil
	}
	return oneOf(field, value, valid...)
}

// describeJSONError turns a decoder error into a message naming the field.
func describeJSONError(b []byte, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s: JSON %s where %s belongs", te.Field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + f
	}
	return err.Error()
}

// fieldError builds an error naming the field, the bad value and the valid
// values.
func fieldError(field string, value any, valid string) error {
	return fmt.Errorf("%w: field %s: %v is not valid (want %s)", ErrVariant, field, value, valid)
}

func oneOf(field, value string, valid ...string) error {
	for _, v := range valid {
		if value == v {
			return nil
		}
	}
	return fieldError(field, strconv.Quote(value), strings.Join(valid, ", "))
}

// Validate checks every knob and names the first bad field.
func (v *Variant) Validate() error {
	if v.Name == "" {
		return fieldError("name", `""`, "a non-empty name")
	}
	if _, err := v.RendezvousConfig(); err != nil {
		return err
	}
	if _, err := v.ChannelConfig(); err != nil {
		return err
	}
	if err := v.validateMutations(); err != nil {
		return err
	}
	if err := v.validateProvenance(); err != nil {
		return err
	}
	if f, err := qr.ParseFormat(v.QR.Format); err != nil || !f.Valid() {
		return fieldError("qr.format", strconv.Quote(v.QR.Format), formatNames())
	}
	checks := []error{
		oneOf("messages.generation", v.Messages.Generation, Generation2024, Generation2026),
		oneOf("flow.ack", v.Flow.Ack, AckBeforeBrowser, AckAfterBrowser, AckAfterConfirm),
		oneOf("flow.write_conflict", v.Flow.WriteConflict, ConflictAbort, ConflictIgnore, ConflictRetry),
		oneOf("flow.denial", v.Flow.Denial, DenialDeclined, DenialUserCancelled),
		oneOf("flow.device_id", v.Flow.DeviceID, DeviceIDCurve25519, DeviceIDRandom),
		oneOf("oauth.slow_down", v.OAuth.SlowDown, SlowDownObey, SlowDownIgnore),
		optional("messages.homeserver_accept", v.Messages.HomeserverAccept, AcceptAny, AcceptURL),
		optional("flow.unexpected_message", v.Flow.UnexpectedMessage, UnexpectedSend, UnexpectedNewDeviceOnly, UnexpectedSilent),
		optional("flow.device_check_error", v.Flow.DeviceCheckError, DeviceCheckHTTPError, DeviceCheckAlreadyExists),
		optional("flow.proof_of_possession", v.Flow.ProofOfPossession, ProofOff, ProofEd25519Channel),
		optional("flow.open_verification_uri", v.Flow.OpenVerificationURI, OpenAnyURI, OpenHTTPS, OpenHTTPSSameHost),
		optional("flow.token_error", v.Flow.TokenError, TokenErrorDeleteSession, TokenErrorSilent),
		optional("flow.session_delete", v.Flow.SessionDelete, SessionDeleteOnEnd, SessionDeleteNever),
		optional("flow.device_wait", v.Flow.DeviceWait, DeviceWaitDeadline, DeviceWaitAfterEachCheck),
	}
	if v.Messages.Generation == Generation2024 {
		checks = append(checks, oneOf("messages.homeserver_field", v.Messages.HomeserverField, HomeserverServerName, HomeserverURL))
	} else if v.Messages.HomeserverField != "" {
		checks = append(checks, fieldError("messages.homeserver_field", strconv.Quote(v.Messages.HomeserverField), `"" with generation 2026 (base_url is always a URL)`))
	}
	if v.Flow.UnableToOpenReason && v.Messages.Generation == Generation2024 {
		checks = append(checks, fieldError("flow.unable_to_open_reason", true, "false with generation 2024 (the reason is 2026 only)"))
	}
	if v.Flow.ProofOfPossession == ProofEd25519Channel && !v.Flow.Whoami {
		checks = append(checks, fieldError("flow.proof_of_possession", strconv.Quote(v.Flow.ProofOfPossession), `"off" when flow.whoami is false (the device keys it publishes name the account whoami gives)`))
	}
	if v.Flow.ConfirmAccount && !v.Flow.Whoami {
		checks = append(checks, fieldError("flow.confirm_account", true, "false when flow.whoami is false"))
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	t := v.Timing
	pos := []struct {
		field string
		val   int64
	}{
		{"timing.poll_interval_ms", t.PollIntervalMillis},
		{"timing.poll_backoff_max_ms", t.PollBackoffMaxMillis},
		{"timing.http_timeout_ms", t.HTTPTimeoutMillis},
		{"timing.retry_backoff_ms", t.RetryBackoffMillis},
		{"timing.device_poll_interval_ms", t.DevicePollIntervalMillis},
		{"timing.device_poll_timeout_ms", t.DevicePollTimeoutMillis},
	}
	for _, p := range pos {
		if p.val <= 0 {
			return fieldError(p.field, p.val, "a positive number of milliseconds")
		}
	}
	if t.PollBackoffMaxMillis < t.PollIntervalMillis {
		return fieldError("timing.poll_backoff_max_ms", t.PollBackoffMaxMillis, "at least timing.poll_interval_ms")
	}
	if t.PollBackoffFactor < 1 || t.PollBackoffFactor > 10 {
		return fieldError("timing.poll_backoff_factor", t.PollBackoffFactor, "a number from 1 to 10")
	}
	if t.HTTPRetries < 0 || t.HTTPRetries > 10 {
		return fieldError("timing.http_retries", t.HTTPRetries, "0 to 10")
	}
	if err := t.validatePolicies(); err != nil {
		return err
	}
	if _, err := oauth.Preset(v.OAuth.Preset); err != nil {
		return fieldError("oauth.preset", strconv.Quote(v.OAuth.Preset), strings.Join(oauth.PresetNames(), ", "))
	}
	if _, err := homeserver.Preset(v.Homeserver.Preset); err != nil {
		return fieldError("homeserver.preset", strconv.Quote(v.Homeserver.Preset), strings.Join(homeserver.PresetNames(), ", "))
	}
	return nil
}

func formatNames() string {
	fs := qr.Formats()
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// RendezvousConfig returns the rendezvous store configuration: the preset
// with the variant's overrides applied.
func (v *Variant) RendezvousConfig() (rendezvous.Config, error) {
	cfg, err := rendezvous.Preset(v.Rendezvous.Preset)
	if err != nil {
		return cfg, fieldError("rendezvous.preset", strconv.Quote(v.Rendezvous.Preset), strings.Join(rendezvous.PresetNames(), ", "))
	}
	if v.Rendezvous.TTLMillis < 0 {
		return cfg, fieldError("rendezvous.ttl_ms", v.Rendezvous.TTLMillis, "0 (keep) or a positive number of milliseconds")
	}
	if v.Rendezvous.TTLMillis > 0 {
		cfg.TTL = rendezvous.Millis(v.Rendezvous.TTLMillis)
	}
	if v.Rendezvous.MaxDataBytes < 0 {
		return cfg, fieldError("rendezvous.max_data_bytes", v.Rendezvous.MaxDataBytes, "0 (keep) or a positive byte count")
	}
	if v.Rendezvous.MaxDataBytes > 0 {
		cfg.MaxDataBytes = v.Rendezvous.MaxDataBytes
	}
	switch v.Rendezvous.Token {
	case "":
	case TokenCounter:
		cfg.Token = rendezvous.TokenCounter
	case TokenDigest:
		cfg.Token = rendezvous.TokenDigest
	case TokenContentHash:
		cfg.Token = rendezvous.TokenContentHash
	case TokenContentTimeHash:
		cfg.Token = rendezvous.TokenContentTimeHash
	default:
		return cfg, fieldError("rendezvous.token", strconv.Quote(v.Rendezvous.Token), `"", counter, digest, content-hash, content-time-hash`)
	}
	if v.Rendezvous.Idempotency != "" {
		if cfg.Flavour == rendezvous.FlavourETag || v.Rendezvous.PutTxnID {
			return cfg, fieldError("rendezvous.idempotency", strconv.Quote(v.Rendezvous.Idempotency), `"" with an etag rendezvous or put_txn_id`)
		}
		switch v.Rendezvous.Idempotency {
		case IdempotencyNone:
			cfg.Idempotency = rendezvous.IdempotencyNone
		case IdempotencySameData:
			cfg.Idempotency = rendezvous.IdempotencySameData
		case IdempotencyPreviousToken:
			cfg.Idempotency = rendezvous.IdempotencyPreviousToken
		default:
			return cfg, fieldError("rendezvous.idempotency", strconv.Quote(v.Rendezvous.Idempotency), `"", none, same-data, previous-token`)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("%w: field rendezvous: %w", ErrVariant, err)
	}
	if v.Rendezvous.PutTxnID && (cfg.Flavour == rendezvous.FlavourETag || cfg.Idempotency != rendezvous.IdempotencyTxnID) {
		return cfg, fieldError("rendezvous.put_txn_id", true, "false unless rendezvous.preset takes PUT /{id}/{txnId} ("+
			rendezvous.PresetNameSequenceTokenTxn+", "+rendezvous.PresetNameSequenceTokenSynapse+")")
	}
	if v.Rendezvous.Discovery && cfg.Flavour == rendezvous.FlavourETag {
		return cfg, fieldError("rendezvous.discovery", true, "false with an etag rendezvous (no discovery endpoint)")
	}
	// Store-side mutations (never in an honest preset).
	cfg.IgnoreToken = v.Mutations.Has(MutIgnoreETag) || v.Mutations.Has(MutIgnoreSequenceToken)
	cfg.NoExpiry = v.Mutations.Has(MutNoExpiry)
	return cfg, nil
}

// ChannelConfig returns the secure channel configuration.
func (v *Variant) ChannelConfig() (channel.Config, error) {
	c, err := channel.ParseConstruction(v.Channel.Construction)
	if err != nil {
		names := []string{}
		for _, c := range channel.Constructions() {
			names = append(names, string(c))
		}
		return channel.Config{}, fieldError("channel.construction", strconv.Quote(v.Channel.Construction), strings.Join(names, ", "))
	}
	cfg := channel.DefaultConfig(c)
	if v.Channel.Digits != "" {
		d, err := channel.ParseDigits(v.Channel.Digits)
		if err != nil {
			return cfg, fieldError("channel.digits", strconv.Quote(v.Channel.Digits), `"", 00-99, 10-99`)
		}
		cfg.Digits = d
	}
	if v.Channel.GeneratorNonceStart > 1 {
		return cfg, fieldError("channel.generator_nonce_start", v.Channel.GeneratorNonceStart, "0 or 1")
	}
	cfg.GeneratorNonceStart = v.Channel.GeneratorNonceStart
	switch v.Channel.CheckCodeKeys {
	case KeysRaw:
		cfg.CheckCodeKeys = channel.KeysRaw
	case KeysBase64:
		cfg.CheckCodeKeys = channel.KeysBase64
	default:
		return cfg, fieldError("channel.check_code_keys", strconv.Quote(v.Channel.CheckCodeKeys), "raw, base64")
	}
	cfg.RetryAccept = v.Channel.RetryAccept
	// Channel mutations (never in an honest preset).
	cfg.StaticNonce = v.Mutations.Has(MutStaticNonce)
	cfg.SharedDirectionKey = v.Mutations.Has(MutSharedDirectionKey)
	cfg.ReuseEphemeralKey = v.Mutations.Has(MutReuseEphemeralKey)
	if err := oneOf("channel.aad_layout", v.Channel.AADLayout, LayoutBaseURL16, LayoutBaseURL8, LayoutRaw, LayoutAll16); err != nil {
		return cfg, err
	}
	if v.Channel.AADBinding {
		rc, err := rendezvous.Preset(v.Rendezvous.Preset)
		if err == nil && rc.Flavour == rendezvous.FlavourETag {
			return cfg, fieldError("channel.aad_binding", true, "false with an etag rendezvous (no ID or sequence token to bind)")
		}
	}
	return cfg, nil
}

// AADLayout returns the binding layout as the channel package names it.
func (v *Variant) AADLayout() channel.AADLayout {
	l := channel.AADBaseURL16
	switch v.Channel.AADLayout {
	case LayoutBaseURL8:
		l = channel.AADBaseURL8
	case LayoutRaw:
		l = channel.AADRaw
	case LayoutAll16:
		l = channel.AADAll16
	}
	if v.Channel.AADRootSlash {
		l |= channel.AADRootSlash
	}
	return l
}

// QRFormat returns the QR payload format.
func (v *Variant) QRFormat() qr.Format { return qr.Format(v.QR.Format) }

// Generation returns the message generation for msg.WithGeneration.
func (v *Variant) Generation() msg.Generation {
	if v.Messages.Generation == Generation2024 {
		return msg.Gen2024
	}
	return msg.Gen2026
}

// OAuthConfig returns the authorization server configuration.
func (v *Variant) OAuthConfig() (oauth.Config, error) {
	c, err := oauth.Preset(v.OAuth.Preset)
	if err != nil {
		return c, fmt.Errorf("%w: field oauth.preset: %w", ErrVariant, err)
	}
	return c, nil
}

// HomeserverConfig returns the homeserver configuration.
func (v *Variant) HomeserverConfig() (homeserver.Config, error) {
	c, err := homeserver.Preset(v.Homeserver.Preset)
	if err != nil {
		return c, fmt.Errorf("%w: field homeserver.preset: %w", ErrVariant, err)
	}
	return c, nil
}

// Knob is one setting of a variant, for listings such as simrun variants.
type Knob struct {
	// Name is the field's path in the preset file, such as "flow.ack".
	Name string
	// Value is its value as text.
	Value string
}

// Knobs lists every knob of the variant in schema order.
func (v *Variant) Knobs() []Knob {
	b := func(x bool) string { return strconv.FormatBool(x) }
	i := func(x int64) string { return strconv.FormatInt(x, 10) }
	return []Knob{
		{"rendezvous.preset", v.Rendezvous.Preset},
		{"rendezvous.ttl_ms", i(v.Rendezvous.TTLMillis)},
		{"rendezvous.max_data_bytes", i(int64(v.Rendezvous.MaxDataBytes))},
		{"rendezvous.token", v.Rendezvous.Token},
		{"rendezvous.idempotency", v.Rendezvous.Idempotency},
		{"rendezvous.put_txn_id", b(v.Rendezvous.PutTxnID)},
		{"rendezvous.discovery", b(v.Rendezvous.Discovery)},
		{"channel.construction", v.Channel.Construction},
		{"channel.digits", v.Channel.Digits},
		{"channel.generator_nonce_start", strconv.FormatUint(v.Channel.GeneratorNonceStart, 10)},
		{"channel.check_code_keys", v.Channel.CheckCodeKeys},
		{"channel.retry_accept", b(v.Channel.RetryAccept)},
		{"channel.aad_binding", b(v.Channel.AADBinding)},
		{"channel.aad_layout", v.Channel.AADLayout},
		{"channel.aad_root_slash", b(v.Channel.AADRootSlash)},
		{"qr.format", v.QR.Format},
		{"qr.url_check", b(v.QR.URLCheck)},
		{"messages.generation", v.Messages.Generation},
		{"messages.homeserver_field", v.Messages.HomeserverField},
		{"messages.strict_decode", b(v.Messages.StrictDecode)},
		{"messages.homeserver_accept", v.Messages.HomeserverAccept},
		{"flow.ack", v.Flow.Ack},
		{"flow.unable_to_open_reason", b(v.Flow.UnableToOpenReason)},
		{"flow.whoami", b(v.Flow.Whoami)},
		{"flow.confirm_account", b(v.Flow.ConfirmAccount)},
		{"flow.protocols_wait_for_check_code", b(v.Flow.ProtocolsWaitForCheckCode)},
		{"flow.write_conflict", v.Flow.WriteConflict},
		{"flow.denial", v.Flow.Denial},
		{"flow.device_id", v.Flow.DeviceID},
		{"flow.unexpected_message", v.Flow.UnexpectedMessage},
		{"flow.device_check_error", v.Flow.DeviceCheckError},
		{"flow.proof_of_possession", v.Flow.ProofOfPossession},
		{"flow.open_verification_uri", v.Flow.OpenVerificationURI},
		{"flow.token_error", v.Flow.TokenError},
		{"flow.session_delete", v.Flow.SessionDelete},
		{"flow.device_wait", v.Flow.DeviceWait},
		{"timing.poll_interval_ms", i(v.Timing.PollIntervalMillis)},
		{"timing.poll_backoff_max_ms", i(v.Timing.PollBackoffMaxMillis)},
		{"timing.poll_backoff_factor", strconv.FormatFloat(v.Timing.PollBackoffFactor, 'g', -1, 64)},
		{"timing.http_timeout_ms", i(v.Timing.HTTPTimeoutMillis)},
		{"timing.http_retries", i(int64(v.Timing.HTTPRetries))},
		{"timing.retry_backoff_ms", i(v.Timing.RetryBackoffMillis)},
		{"timing.device_poll_interval_ms", i(v.Timing.DevicePollIntervalMillis)},
		{"timing.device_poll_timeout_ms", i(v.Timing.DevicePollTimeoutMillis)},
		{"timing.policies.rendezvous-poll", v.Timing.policyString(KindRendezvousPoll)},
		{"timing.policies.rendezvous-write", v.Timing.policyString(KindRendezvousWrite)},
		{"timing.policies.token-poll", v.Timing.policyString(KindTokenPoll)},
		{"timing.policies.whoami", v.Timing.policyString(KindWhoami)},
		{"timing.policies.devices", v.Timing.policyString(KindDevices)},
		{"timing.policies.keys-upload", v.Timing.policyString(KindKeysUpload)},
		{"timing.policies.rendezvous-create", v.Timing.policyString(KindRendezvousCreate)},
		{"timing.policies.discovery", v.Timing.policyString(KindDiscovery)},
		{"oauth.preset", v.OAuth.Preset},
		{"oauth.slow_down", v.OAuth.SlowDown},
		{"homeserver.preset", v.Homeserver.Preset},
		{"mutations", v.Mutations.String()},
	}
}

// Marshal writes the variant in the preset file format, indented, so that a
// modified variant can be saved as a new preset.
func (v Variant) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%w: marshal %s: %w", ErrVariant, v.Name, err)
	}
	return append(b, '\n'), nil
}

// policyString renders one kind's effective policy for Knobs, e.g.
// "timeout_ms=30000 retries=0 backoff_ms=500 http_error=fatal
// transport_error=backoff backoff_max_ms=10000".
func (t TimingKnobs) policyString(kind string) string {
	p := t.Policy(kind)
	out := fmt.Sprintf("timeout_ms=%d retries=%d backoff_ms=%d http_error=%s transport_error=%s",
		p.TimeoutMillis, *p.Retries, p.BackoffMillis, p.HTTPError, p.TransportError)
	if p.BackoffMaxMillis != 0 {
		out += fmt.Sprintf(" backoff_max_ms=%d", p.BackoffMaxMillis)
	}
	if p.TransportRetries != nil {
		out += fmt.Sprintf(" transport_retries=%d", *p.TransportRetries)
	}
	if p.TimeoutRetries != nil {
		out += fmt.Sprintf(" timeout_retries=%d", *p.TimeoutRetries)
	}
	if p.BackoffFactor != 0 {
		out += " backoff_factor=" + strconv.FormatFloat(p.BackoffFactor, 'g', -1, 64)
	}
	if p.RetryBudgetMillis != 0 {
		out += fmt.Sprintf(" retry_budget_ms=%d", p.RetryBudgetMillis)
	}
	return out
}
