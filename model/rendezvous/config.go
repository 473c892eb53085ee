package rendezvous

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"qrlab/model/wire"
)

// ErrConfig is wrapped by every error that Validate and New return for a
// configuration the store cannot run with.
var ErrConfig = errors.New("invalid rendezvous configuration")

// Millis is a point in time or a duration in milliseconds, package wire's.
// Points are milliseconds of virtual time, or since the Unix epoch when the
// caller wants real dates in the Expires and Last-Modified headers and in
// expires_ts.
type Millis = wire.Millis

// MillisOf converts a wall-clock time the caller provides to Millis since
// the Unix epoch (wire.MillisOf).
func MillisOf(t time.Time) Millis { return wire.MillisOf(t) }

// Common durations.
const (
	Second = wire.Second
	Minute = wire.Minute
)

// Flavour names one generation of the rendezvous API.
type Flavour uint8

// The three flavours of the API.
const (
	// FlavourETag is the 2024 MSC4108 API: raw text/plain payloads, ETag,
	// If-Match and If-None-Match.
	FlavourETag Flavour = iota + 1
	// FlavourSequenceToken2025 is the interim JSON API with expires_ts that
	// Synapse exposes as msc4108v2025_mode.
	FlavourSequenceToken2025
	// FlavourSequenceToken is the 2026 MSC4388 JSON API with expires_in_ms,
	// discovery and idempotent PUT.
	FlavourSequenceToken
)

// String returns the flavour's name as used on the command line.
func (f Flavour) String() string {
	switch f {
	case FlavourETag:
		return "etag"
	case FlavourSequenceToken2025:
		return "sequence-token-2025"
	case FlavourSequenceToken:
		return "sequence-token"
	}
	return fmt.Sprintf("flavour(%d)", uint8(f))
}

// ParseFlavour maps a flavour name to its Flavour.
func ParseFlavour(s string) (Flavour, error) {
	for _, f := range []Flavour{FlavourETag, FlavourSequenceToken2025, FlavourSequenceToken} {
		if f.String() == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("rendezvous: %w: unknown flavour %q (want etag, sequence-token-2025 or sequence-token)", ErrConfig, s)
}

// isJSON reports whether the flavour speaks JSON bodies (the sequence-token
// flavours) rather than raw text/plain payloads.
func (f Flavour) isJSON() bool { return f == FlavourSequenceToken2025 || f == FlavourSequenceToken }

// Access is the server policy for creating sessions. Reading, writing and
// deleting a session never need authentication.
type Access uint8

const (
	// AccessPublic lets anyone create a session.
	AccessPublic Access = iota
	// AccessAuthenticated requires a valid access token to create a session.
	AccessAuthenticated
	// AccessOff disables the API: every rendezvous path answers as an
	// unknown endpoint.
	AccessOff
)

// Refusal says how a create without an access token is refused in
// AccessAuthenticated mode.
type Refusal uint8

const (
	// RefuseMissingToken answers 401 M_MISSING_TOKEN, as Synapse
	// does (its generic "authentication required" path).
	RefuseMissingToken Refusal = iota
	// RefuseForbidden answers 403 M_FORBIDDEN, the code the MSC4388 text
	// lists for "not authorized to create".
	RefuseForbidden
)

// DiscoveryRefusal is how the discovery GET answers a requester without a
// token when creating needs one (AccessAuthenticated).
type DiscoveryRefusal uint8

const (
	// DiscoveryAnswerFalse answers 200 {"create_available": false}, one
	// of the answers the MSC4388 text allows.
	DiscoveryAnswerFalse DiscoveryRefusal = iota
	// DiscoveryMissingToken answers 401 M_MISSING_TOKEN, as Synapse
	// 1.157.0 does (its discovery servlet authenticates the request first).
	DiscoveryMissingToken
)

// OffAnswer says how a disabled API answers.
type OffAnswer uint8

const (
	// OffNotFound answers 404 M_UNRECOGNIZED, like any unknown endpoint.
	OffNotFound OffAnswer = iota
	// OffForbidden answers 403 M_FORBIDDEN.
	OffForbidden
)

// HardCapMode says what a create does when it finds HardCap sessions.
type HardCapMode uint8

const (
	// HardCapTrimToSoftCap runs the full eviction at once (expired sessions,
	// then the oldest ones down to SoftCap), as Synapse does.
	HardCapTrimToSoftCap HardCapMode = iota
	// HardCapEvictOldest drops expired sessions and then only as many of the
	// oldest as needed to make room for the new one.
	HardCapEvictOldest
)

// TokenStyle is how ETags (etag flavour) and sequence tokens are made.
type TokenStyle uint8

const (
	// TokenCounter is the decimal write counter of the session (the MSC4388
	// text's recommendation). Unique per session and per write.
	TokenCounter TokenStyle = iota
	// TokenDigest is unpadded base64url of the first 16 bytes of
	// SHA-256(id || 0x00 || counter || data): unique per write and, with
	// overwhelming probability, across sessions.
	TokenDigest
	// TokenContentHash is unpadded base64url of SHA-256(data) alone, as
	// Synapse makes both its ETags and its 2025 sequence tokens:
	// identical payloads get identical tokens, against the texts' rule.
	TokenContentHash
	// TokenContentTimeHash is unpadded base64url of SHA-256(data || the
	// write's time in ms as a 16-byte big-endian integer), as Synapse
	// 1.157.0 makes MSC4388 sequence tokens (msc4388_rendezvous session.rs):
	// identical payloads collide only when written in the same millisecond.
	TokenContentTimeHash
)

// IDStyle is the shape of session IDs.
type IDStyle uint8

const (
	// IDULID is a 26-character ULID (48-bit millisecond time, 80 random
	// bits, Crockford base32), as Synapse makes them.
	IDULID IDStyle = iota
	// IDUUID is a random (version 4) UUID in the usual 36-character form,
	// as the texts' examples show.
	IDUUID
)

// ContentTypeRule is how strictly the etag flavour checks Content-Type.
type ContentTypeRule uint8

const (
	// ContentTypeExact accepts the bytes "text/plain" only.
	ContentTypeExact ContentTypeRule = iota
	// ContentTypeMediaType accepts text/plain in any letter case and with
	// optional surrounding whitespace, but no parameters (Synapse's
	// media-type equality).
	ContentTypeMediaType
	// ContentTypeLenient accepts text/plain with any parameters, such as
	// "text/plain; charset=utf-8".
	ContentTypeLenient
)

// ConditionalRule is how If-Match and If-None-Match are parsed (etag flavour).
type ConditionalRule uint8

const (
	// ConditionalStrict accepts exactly one strong, quoted entity tag; a weak
	// tag, "*", a list or an unquoted value is a malformed request (400
	// M_INVALID_PARAM), as the 2024 text says.
	ConditionalStrict ConditionalRule = iota
	// ConditionalRFC9110 parses the full RFC 9110 grammar ("*" or a list of
	// possibly weak tags), with strong comparison for If-Match and weak
	// comparison for If-None-Match, as Synapse does.
	ConditionalRFC9110
)

// ErrcodeForm says whether errcodes new to these proposals go out in their
// stable or unstable form.
type ErrcodeForm uint8

const (
	// ErrcodesByPath uses the unstable form for requests (and sessions
	// created) on an unstable path, the stable form otherwise.
	ErrcodesByPath ErrcodeForm = iota
	// ErrcodesStable always uses the stable form.
	ErrcodesStable
	// ErrcodesUnstable always uses the unstable form.
	ErrcodesUnstable
)

// DeleteBody is what a successful DELETE answers in the JSON flavours.
type DeleteBody uint8

const (
	// DeleteBodyEmptyObject answers 200 with the JSON body {}.
	DeleteBodyEmptyObject DeleteBody = iota
	// DeleteBodyNone answers 200 with no body and no Content-Type, as
	// Synapse's 2025 mode does.
	DeleteBodyNone
)

// Idempotency is how a retried PUT is recognised (sequence-token flavour).
type Idempotency uint8

const (
	// IdempotencyNone: every PUT is a fresh compare-and-swap.
	IdempotencyNone Idempotency = iota
	// IdempotencySameData: a PUT with a stale token whose data is
	// byte-identical to the current payload succeeds without a change and
	// returns the current token.
	IdempotencySameData
	// IdempotencyTxnID: PUT goes to /{id}/{txnId}; the outcome of each
	// transaction ID is recorded and replayed to a retry.
	IdempotencyTxnID
	// IdempotencyPreviousToken: a stale token is accepted only when it is
	// the token immediately before the current one and the data equals the
	// current payload; nothing changes and the current token is returned
	// (Synapse 1.157.0). Any older token is a conflict.
	IdempotencyPreviousToken
)

// TxnGrammar is which characters a transaction ID may use.
type TxnGrammar uint8

const (
	// TxnOpaqueID is the opaque identifier grammar: 1 to 255 bytes of
	// [A-Za-z0-9._~-].
	TxnOpaqueID TxnGrammar = iota
	// TxnSynapse is Synapse's check: 1 to 255 bytes of
	// [A-Za-z0-9._=-] ("=" allowed, "~" refused).
	TxnSynapse
)

// FetchMetadataRule is how a GET of a session screens browser navigations.
type FetchMetadataRule uint8

const (
	// FetchMetadataOff does not look at Sec-Fetch-* headers.
	FetchMetadataOff FetchMetadataRule = iota
	// FetchMetadataNavigation refuses (403 M_FORBIDDEN) a top-level
	// navigation: Sec-Fetch-Mode: navigate or Sec-Fetch-Dest: document.
	FetchMetadataNavigation
	// FetchMetadataSynapse refuses as Synapse does: a present
	// Sec-Fetch-Dest other than "empty", Sec-Fetch-Mode: navigate,
	// Sec-Fetch-User: ?1, or Sec-Fetch-Site: none.
	FetchMetadataSynapse
)

// CORSStyle is the set of CORS headers the store adds to its responses.
type CORSStyle uint8

const (
	// CORSOff adds none (a front end adds its own).
	CORSOff CORSStyle = iota
	// CORSMatrix adds the Client-Server API's standard set.
	CORSMatrix
	// CORS2024Text adds what the 2024 text lists: the standard set plus
	// Access-Control-Expose-Headers: ETag on create, and on session URLs
	// Allow-Headers If-Match,If-None-Match, Allow-Methods GET, PUT, DELETE,
	// Allow-Origin *, Expose-Headers ETag.
	CORS2024Text
	// CORS2024Synapse adds what Synapse's 2024 mode does:
	// Allow-Origin * and Expose-Headers etag on session responses (only
	// Allow-Origin on DELETE); its OPTIONS answer is the server-wide set.
	CORS2024Synapse
)

// RateLimit is an optional fixed-window request limit per client key
// (Request.Client). A zero Requests turns it off.
type RateLimit struct {
	// Requests is how many requests one client may make per Window.
	Requests int
	// Window is the length of a window.
	Window Millis
}

// Config gathers every knob of one store. Start from a preset (Preset or
// one of the Preset* functions) and change what you study.
type Config struct {
	// Name is the preset this configuration came from (informational).
	Name string
	// Flavour picks the API generation.
	Flavour Flavour

	// Prefixes are the paths of the create (and discovery) endpoint, such as
	// /_matrix/client/v1/rendezvous; in the JSON flavours the sessions live
	// under them too ({prefix}/{id}). A prefix with "/unstable/" in it is an
	// unstable path.
	Prefixes []string
	// SessionPrefix is where etag sessions live: their URL is
	// BaseURL + SessionPrefix + "/" + id. Empty means the first prefix.
	SessionPrefix string
	// BaseURL is the absolute base of etag session URLs, such as
	// https://matrix.example.org.
	BaseURL string
	// DelegateTo, when set, makes the etag create answer 307 Temporary
	// Redirect with this Location instead of creating a session.
	DelegateTo string

	// Access is the creation policy.
	Access Access
	// UnauthCreate is how AccessAuthenticated refuses a create without a
	// token.
	UnauthCreate Refusal
	// UnauthDiscovery is how AccessAuthenticated answers a discovery GET
	// without a token.
	UnauthDiscovery DiscoveryRefusal
	// RejectInvalidToken answers 401 M_UNKNOWN_TOKEN to a create or
	// discovery request that carries an invalid token even in public mode
	// (the 2026 text's rule). In authenticated mode an invalid token always
	// gets that answer.
	RejectInvalidToken bool
	// Off is how the disabled API answers.
	Off OffAnswer
	// Discovery serves GET {prefix} with {"create_available": bool}.
	Discovery bool

	// MaxDataBytes is the payload limit in bytes (4096); larger is 413
	// M_TOO_LARGE.
	MaxDataBytes int
	// MaxBodyBytes bounds a JSON request body before it is parsed; larger is
	// 413 M_TOO_LARGE. Zero means 64 KiB.
	MaxBodyBytes int
	// TTL is a session's lifetime from creation; writes do not extend it.
	TTL Millis
	// AllowTTLOutOfRange lets a sequence-token configuration use a TTL
	// outside the 2026 text's 120-300 s (tests use short ones).
	AllowTTLOutOfRange bool
	// SoftCap is how many sessions a sweep leaves (oldest go first). Zero
	// means no soft cap.
	SoftCap int
	// HardCap is how many sessions make a create evict at once. Zero means
	// no hard cap.
	HardCap int
	// HardCapMode is what that eviction removes.
	HardCapMode HardCapMode
	// SweepInterval is how often Tick runs a sweep (60 s).
	SweepInterval Millis

	// Token is how ETags and sequence tokens are made.
	Token TokenStyle
	// FirstSequence is the write counter of a fresh session; each write adds
	// one. The 2026 text's examples start at 1, Synapse at 0.
	FirstSequence uint64
	// QuoteSequenceToken wraps JSON sequence tokens in double quotes, as
	// Synapse's 2025 mode does (its tokens are ETag strings).
	QuoteSequenceToken bool
	// IDs is the shape of session IDs.
	IDs IDStyle
	// Seed drives session IDs when New gets no random reader.
	Seed uint64

	// ContentType is the etag flavour's Content-Type check.
	ContentType ContentTypeRule
	// RequireContentLength makes a missing Content-Length a 400
	// M_MISSING_PARAM (etag flavour, as the 2024 text says).
	RequireContentLength bool
	// Conditionals is how If-Match and If-None-Match are parsed.
	Conditionals ConditionalRule
	// CacheControl is the Cache-Control value of etag responses ("no-store"
	// in the text; Synapse sends "no-store, no-transform").
	CacheControl string
	// Errcodes picks stable or unstable errcodes.
	Errcodes ErrcodeForm
	// ConcurrentWriteErrcode is the stable errcode of a refused stale write
	// (M_CONCURRENT_WRITE). In the etag flavour its unstable form is
	// M_UNKNOWN with the real code in org.matrix.msc4108.errcode.
	ConcurrentWriteErrcode string
	// UnstableConcurrentWriteErrcode is the unstable errcode of a refused
	// stale write in the JSON flavours (IO_ELEMENT_MSC4388_CONCURRENT_WRITE).
	UnstableConcurrentWriteErrcode string
	// RateLimitErrcode is the errcode of a 429 (the 2024 text says
	// M_UNKNOWN, the 2026 text M_LIMIT_EXCEEDED).
	RateLimitErrcode string

	// DeleteExpired lets a DELETE succeed on a session that has expired but
	// that no sweep has removed yet, as Synapse does.
	DeleteExpired bool
	// DeleteBody is the body of a successful DELETE in the JSON flavours.
	DeleteBody DeleteBody
	// Idempotency is how retried PUTs are recognised.
	Idempotency Idempotency
	// TxnGrammar is the transaction-ID check of IdempotencyTxnID.
	TxnGrammar TxnGrammar
	// MaxRecordedTxns bounds the recorded transaction outcomes per session
	// (oldest forgotten first). Zero means unbounded, as the 2026 text
	// asks (at least for the session's lifetime).
	MaxRecordedTxns int
	// RejectDuplicateKeys refuses a JSON body with a repeated key (400
	// M_INVALID_PARAM) instead of letting the last one win.
	RejectDuplicateKeys bool
	// FetchMetadata screens GETs of a session for browser navigations.
	FetchMetadata FetchMetadataRule

	// RateLimit limits requests per client key; zero turns it off.
	RateLimit RateLimit
	// CORS is the set of CORS headers added to responses.
	CORS CORSStyle

	// IgnoreToken and NoExpiry are deliberate defects for the lab's
	// catalogue of known-bad designs (model/variant's mutants); no preset
	// sets them. IgnoreToken accepts a PUT whatever its If-Match or
	// sequence_token (a stale write overwrites the mailbox); NoExpiry
	// never expires a session (TTL still names the lifetime the answers
	// announce).
	IgnoreToken bool
	NoExpiry    bool
}

// Stable and unstable paths.
const (
	// StablePrefix is the stable path of the rendezvous API.
	StablePrefix = "/_matrix/client/v1/rendezvous"
	// UnstablePrefix2024 is the 2024 text's unstable path.
	UnstablePrefix2024 = "/_matrix/client/unstable/org.matrix.msc4108/rendezvous"
	// UnstablePrefix2025 is the interim JSON API's unstable path.
	UnstablePrefix2025 = "/_matrix/client/unstable/io.element.msc4108/rendezvous"
	// UnstablePrefix2026 is the MSC4388 text's unstable path.
	UnstablePrefix2026 = "/_matrix/client/unstable/io.element.msc4388/rendezvous"
	// SynapseSessionPrefix is where Synapse's 2024 mode puts sessions.
	SynapseSessionPrefix = "/_synapse/client/rendezvous"
	// DefaultBaseURL is the presets' base URL.
	DefaultBaseURL = "https://matrix.example.org"
)

// Preset names.
const (
	PresetNameETag                     = "etag"
	PresetNameETagSynapse              = "etag-synapse"
	PresetNameSequenceToken2025        = "sequence-token-2025"
	PresetNameSequenceToken2025Synapse = "sequence-token-2025-synapse"
	PresetNameSequenceToken            = "sequence-token"
	PresetNameSequenceTokenTxn         = "sequence-token-txn"
	PresetNameSequenceTokenSynapse     = "sequence-token-synapse"
)

// base returns the knobs every preset shares.
func base(name string, f Flavour) Config {
	return Config{
		Name:                   name,
		Flavour:                f,
		BaseURL:                DefaultBaseURL,
		MaxDataBytes:           4096,
		SoftCap:                100,
		HardCap:                200,
		SweepInterval:          Minute,
		CacheControl:           "no-store",
		ConcurrentWriteErrcode: "M_CONCURRENT_WRITE",
		RateLimitErrcode:       "M_LIMIT_EXCEEDED",
		CORS:                   CORSMatrix,
	}
}

// PresetETag is the 2024 MSC4108 text: unique counter ETags, exact
// text/plain, Content-Length required, strict conditionals, 60 s lifetime,
// unstable errcodes on the unstable path.
func PresetETag() Config {
	c := base(PresetNameETag, FlavourETag)
	c.Prefixes = []string{StablePrefix, UnstablePrefix2024}
	c.TTL = Minute
	c.IDs = IDUUID
	c.Token = TokenCounter
	c.FirstSequence = 1
	c.RequireContentLength = true
	c.RateLimitErrcode = "M_UNKNOWN"
	c.CORS = CORS2024Text
	return c
}

// PresetETagSynapse is the 2024 API as Synapse serves it:
// content-hash ETags, sessions under /_synapse/client/rendezvous, RFC 9110
// conditionals, media-type Content-Type check, no-store, no-transform, a
// DELETE that also removes an expired session, unstable errcodes.
func PresetETagSynapse() Config {
	c := PresetETag()
	c.Name = PresetNameETagSynapse
	c.Prefixes = []string{UnstablePrefix2024}
	c.SessionPrefix = SynapseSessionPrefix
	c.IDs = IDULID
	c.Token = TokenContentHash
	c.FirstSequence = 0
	c.ContentType = ContentTypeMediaType
	c.Conditionals = ConditionalRFC9110
	c.CacheControl = "no-store, no-transform"
	c.Errcodes = ErrcodesUnstable
	c.DeleteExpired = true
	c.CORS = CORS2024Synapse
	return c
}

// PresetSequenceToken2025 is the interim JSON API with the texts' token rule
// (a counter, unique per write), {} on DELETE, 120 s lifetime.
func PresetSequenceToken2025() Config {
	c := base(PresetNameSequenceToken2025, FlavourSequenceToken2025)
	c.Prefixes = []string{UnstablePrefix2025}
	c.TTL = 2 * Minute
	c.IDs = IDULID
	c.Token = TokenCounter
	c.FirstSequence = 1
	c.ConcurrentWriteErrcode = "IO_ELEMENT_MSC4108_CONCURRENT_WRITE"
	c.UnstableConcurrentWriteErrcode = "IO_ELEMENT_MSC4108_CONCURRENT_WRITE"
	return c
}

// PresetSequenceToken2025Synapse is the interim API exactly as Synapse ships it:
// quoted content-hash sequence tokens, an empty 200 on DELETE, a DELETE that
// also removes an expired session, 401 M_MISSING_TOKEN when authentication
// is required.
func PresetSequenceToken2025Synapse() Config {
	c := PresetSequenceToken2025()
	c.Name = PresetNameSequenceToken2025Synapse
	c.Token = TokenContentHash
	c.QuoteSequenceToken = true
	c.FirstSequence = 0
	c.DeleteBody = DeleteBodyNone
	c.DeleteExpired = true
	return c
}

// PresetSequenceToken is the 2026 MSC4388 text as the project's spec
// summarises it: expires_in_ms, discovery, idempotent PUT by identical data,
// counter tokens from 1, Sec-Fetch navigation check, 403 M_FORBIDDEN for an
// unauthorised create, 401 for an invalid token, 120 s lifetime.
func PresetSequenceToken() Config {
	c := base(PresetNameSequenceToken, FlavourSequenceToken)
	c.Prefixes = []string{StablePrefix, UnstablePrefix2026}
	c.TTL = 2 * Minute
	c.IDs = IDUUID
	c.Token = TokenCounter
	c.FirstSequence = 1
	c.UnstableConcurrentWriteErrcode = "IO_ELEMENT_MSC4388_CONCURRENT_WRITE"
	c.Idempotency = IdempotencySameData
	c.FetchMetadata = FetchMetadataNavigation
	c.Discovery = true
	c.UnauthCreate = RefuseForbidden
	c.RejectInvalidToken = true
	return c
}

// PresetSequenceTokenTxn is the later MSC4388 revision whose PUT goes to
// /{id}/{txnId} and replays the recorded outcome of a transaction ID, kept
// for the session's lifetime.
func PresetSequenceTokenTxn() Config {
	c := PresetSequenceToken()
	c.Name = PresetNameSequenceTokenTxn
	c.Idempotency = IdempotencyTxnID
	c.TxnGrammar = TxnOpaqueID
	c.MaxRecordedTxns = 0
	return c
}

// PresetSequenceTokenSynapse is Synapse's MSC4388 mode: unstable
// path and errcode only, ULIDs, counter tokens from 0, transaction IDs with
// its own grammar and 100 records per session, its four Sec-Fetch rules,
// duplicate JSON keys refused, expired sessions deletable until swept, a
// token looked at only when creating needs one (an invalid token on a public
// server is ignored: the servlets authenticate only in authenticated mode).
func PresetSequenceTokenSynapse() Config {
	c := PresetSequenceTokenTxn()
	c.Name = PresetNameSequenceTokenSynapse
	c.Prefixes = []string{UnstablePrefix2026}
	c.IDs = IDULID
	c.FirstSequence = 0
	c.Errcodes = ErrcodesUnstable
	c.TxnGrammar = TxnSynapse
	c.MaxRecordedTxns = 100
	c.FetchMetadata = FetchMetadataSynapse
	c.RejectDuplicateKeys = true
	c.DeleteExpired = true
	c.UnauthCreate = RefuseMissingToken
	c.UnauthDiscovery = DiscoveryMissingToken
	c.RejectInvalidToken = false
	return c
}

var presets = map[string]func() Config{
	PresetNameETag:                     PresetETag,
	PresetNameETagSynapse:              PresetETagSynapse,
	PresetNameSequenceToken2025:        PresetSequenceToken2025,
	PresetNameSequenceToken2025Synapse: PresetSequenceToken2025Synapse,
	PresetNameSequenceToken:            PresetSequenceToken,
	PresetNameSequenceTokenTxn:         PresetSequenceTokenTxn,
	PresetNameSequenceTokenSynapse:     PresetSequenceTokenSynapse,
}

// PresetNames lists every preset name in a stable order.
func PresetNames() []string { return wire.PresetNames(presets) }

// Preset returns the named preset. A flavour name alone ("etag",
// "sequence-token-2025", "sequence-token") gives that flavour's text preset.
func Preset(name string) (Config, error) {
	if p, ok := presets[name]; ok {
		return p(), nil
	}
	return Config{}, fmt.Errorf("rendezvous: %w: unknown preset %q (want one of %s)", ErrConfig, name, strings.Join(PresetNames(), ", "))
}

// sessionPrefix resolves the etag session prefix.
func (c *Config) sessionPrefix() string {
	if c.SessionPrefix != "" {
		return c.SessionPrefix
	}
	if len(c.Prefixes) > 0 {
		return c.Prefixes[0]
	}
	return ""
}

// maxBody resolves MaxBodyBytes.
func (c *Config) maxBody() int {
	if c.MaxBodyBytes > 0 {
		return c.MaxBodyBytes
	}
	return 64 << 10
}

// The 2026 text's bounds on a session's lifetime.
const (
	MinTTL2026 = 120 * Second
	MaxTTL2026 = 300 * Second
)

// Validate checks the configuration and says which field is wrong.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rendezvous: %w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch c.Flavour {
	case FlavourETag, FlavourSequenceToken2025, FlavourSequenceToken:
	default:
		return bad("Flavour %d is not a flavour", c.Flavour)
	}
	if len(c.Prefixes) == 0 {
		return bad("Prefixes is empty")
	}
	paths := c.Prefixes
	if c.SessionPrefix != "" {
		paths = append(append([]string(nil), paths...), c.SessionPrefix)
	}
	for _, p := range paths {
		if len(p) < 2 || p[0] != '/' || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "?#") {
			return bad("path prefix %q must start with / and end without /", p)
		}
	}
	if c.Flavour == FlavourETag {
		if !strings.HasPrefix(c.BaseURL, "https://") && !strings.HasPrefix(c.BaseURL, "http://") {
			return bad("BaseURL %q is not an absolute http(s) URL", c.BaseURL)
		}
	}
	if c.MaxDataBytes <= 0 {
		return bad("MaxDataBytes %d must be positive", c.MaxDataBytes)
	}
	if c.MaxBodyBytes < 0 {
		return bad("MaxBodyBytes %d is negative", c.MaxBodyBytes)
	}
	if c.TTL <= 0 {
		return bad("TTL %d ms must be positive", c.TTL)
	}
	if c.Flavour == FlavourSequenceToken && !c.AllowTTLOutOfRange && (c.TTL < MinTTL2026 || c.TTL > MaxTTL2026) {
		return bad("TTL %d ms is outside the 2026 text's 120000-300000 ms (set AllowTTLOutOfRange to study it)", c.TTL)
	}
	if c.SoftCap < 0 || c.HardCap < 0 {
		return bad("caps must not be negative (SoftCap %d, HardCap %d)", c.SoftCap, c.HardCap)
	}
	if c.SoftCap > 0 && c.HardCap > 0 && c.HardCap < c.SoftCap {
		return bad("HardCap %d is below SoftCap %d", c.HardCap, c.SoftCap)
	}
	if c.SweepInterval <= 0 {
		return bad("SweepInterval %d ms must be positive", c.SweepInterval)
	}
	if c.Token > TokenContentTimeHash || c.IDs > IDUUID || c.ContentType > ContentTypeLenient ||
		c.Conditionals > ConditionalRFC9110 || c.Errcodes > ErrcodesUnstable || c.DeleteBody > DeleteBodyNone ||
		c.Idempotency > IdempotencyPreviousToken || c.TxnGrammar > TxnSynapse || c.FetchMetadata > FetchMetadataSynapse ||
		c.CORS > CORS2024Synapse || c.Access > AccessOff || c.UnauthCreate > RefuseForbidden || c.UnauthDiscovery > DiscoveryMissingToken || c.Off > OffForbidden ||
		c.HardCapMode > HardCapEvictOldest {
		return bad("an enumerated knob is out of range")
	}
	if c.Idempotency != IdempotencyNone && c.Flavour != FlavourSequenceToken {
		return bad("Idempotency applies to the sequence-token flavour only")
	}
	if c.MaxRecordedTxns < 0 {
		return bad("MaxRecordedTxns %d is negative", c.MaxRecordedTxns)
	}
	if c.Flavour.isJSON() && c.ConcurrentWriteErrcode == "" {
		return bad("ConcurrentWriteErrcode is empty")
	}
	if c.RateLimit.Requests < 0 || (c.RateLimit.Requests > 0 && c.RateLimit.Window <= 0) {
		return bad("RateLimit needs a positive Window (Requests %d, Window %d ms)", c.RateLimit.Requests, c.RateLimit.Window)
	}
	for _, s := range []string{c.CacheControl, c.ConcurrentWriteErrcode, c.UnstableConcurrentWriteErrcode, c.RateLimitErrcode, c.BaseURL, c.DelegateTo} {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\' {
				return bad("value %q has a control character, quote or backslash", s)
			}
		}
	}
	return nil
}
