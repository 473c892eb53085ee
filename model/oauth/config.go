package oauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"qrlab/model/wire"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid provider configuration")

// Alphabets for codes and tokens.
const (
	// AlphabetRFC8628 is the 20 consonants RFC 8628 §6.1 suggests for user
	// codes (no vowels, so no words; no digits, so no look-alikes).
	AlphabetRFC8628 = "BCDFGHJKLMNPQRSTVWXZ"
	// AlphabetCrockford is Crockford's Base32: digits and capitals without I,
	// L, O and U. No MAS revision read draws user codes from it.
	AlphabetCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	// AlphabetUpperAlnum is [0-9A-Z].
	AlphabetUpperAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	// AlphabetDigits is [0-9], the MSC4108 text's example user code "123456".
	AlphabetDigits = "0123456789"
	// AlphabetAlnum is [0-9A-Za-z], the alphabet of MAS's device codes and
	// of the random part of its tokens.
	AlphabetAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// AlphabetBase64URL is the URL-safe base64 alphabet; 43 characters of it
	// carry 258 bits.
	AlphabetBase64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// UserCodeSampling is how user-code characters are drawn.
type UserCodeSampling uint8

const (
	// SampleUniform draws each character uniformly from UserCodeAlphabet
	// (rejection sampling, no modulo bias).
	SampleUniform UserCodeSampling = iota
	// SampleUpperAlnum62 draws from [0-9A-Za-z] and upper-cases the result,
	// as MAS main does (Alphanumeric.sample_string(6).to_uppercase()):
	// the code is in [0-9A-Z] but each letter is twice as likely as each
	// digit. UserCodeAlphabet is ignored.
	SampleUpperAlnum62
)

// UserCodeMatch is how a typed user code is compared with issued codes.
type UserCodeMatch uint8

const (
	// MatchExact compares the typed code byte for byte.
	MatchExact UserCodeMatch = iota
	// MatchUpper upper-cases the typed code first (MAS main, link.rs).
	MatchUpper
	// MatchRFC8628 ignores case, hyphens and white space (RFC 8628 §6.1).
	MatchRFC8628
	// MatchCrockford (no MAS revision read does this): the code as typed, upper-cased,
	// first; then with hyphens and spaces dropped and the Crockford
	// look-alikes repaired (O to 0, I and L to 1).
	MatchCrockford
)

// TokenFormat is the shape of access and refresh tokens.
type TokenFormat uint8

const (
	// TokenOpaque is 43 characters of base64url (256 bits and more).
	TokenOpaque TokenFormat = iota
	// TokenMAS is MAS's "mat_<30 alnum>_<6 base62 CRC-32>" (and "mar_" for
	// refresh tokens).
	TokenMAS
)

// RefreshPolicy says when the token response carries a refresh token.
type RefreshPolicy uint8

const (
	// RefreshAlways issues a refresh token with every access token.
	RefreshAlways RefreshPolicy = iota
	// RefreshIfClientGrant issues one only to clients registered with the
	// refresh_token grant type (MAS); unregistered clients always get one.
	RefreshIfClientGrant
	// RefreshNever issues none.
	RefreshNever
)

// Config is every knob of the provider. Presets name the shipped and
// specified combinations; a zero field is not a default, so start from a
// preset.
type Config struct {
	// Name is the preset's name, for traces.
	Name string
	// Issuer is the issuer identifier: an https URL, path "/" or a path
	// ending in "/". Every endpoint lives under it.
	Issuer string

	// DynamicRegistration serves and advertises the registration endpoint
	// (MSC2966, RFC 7591) for public clients.
	DynamicRegistration bool
	// RequireRegisteredClient refuses client IDs that were neither
	// registered nor listed in StaticClients (invalid_client). Off, any
	// non-empty client_id is accepted, so a simulation can skip
	// registration.
	RequireRegisteredClient bool
	// StaticClients are client IDs known without registration, allowed every
	// grant type.
	StaticClients []string

	// PollErrorStatus is the HTTP status of authorization_pending,
	// slow_down, access_denied and expired_token: 400 (RFC 6749 §5.2, which
	// RFC 8628 §3.5 extends) or 403 (MAS).
	PollErrorStatus int
	// UnauthorizedClientStatus is the status of unauthorized_client: 400
	// (RFC 6749) or 401 (MAS).
	UnauthorizedClientStatus int
	// SlowDown answers slow_down to a pending poll that came sooner than the
	// grant's current interval after the previous one, and raises that
	// interval by SlowDownStep (RFC 8628 §3.5). MAS never sends it.
	SlowDown bool
	// SlowDownStep is the interval increase per slow_down: 5 s in RFC 8628.
	SlowDownStep Millis
	// FirstPollCountsFromIssue judges the first poll against the time the
	// codes were issued (a poll sooner than Interval after issue is too
	// fast). Off, the first poll is never too fast. The RFC is silent.
	FirstPollCountsFromIssue bool
	// DeniedError is the error code of a refused grant: "access_denied"
	// (RFC 8628) or "authorization_declined" (the MSC4108 text's diagram).
	DeniedError string

	// Interval is the polling interval the provider announces, in whole
	// seconds.
	Interval Millis
	// ExpiresIn is the lifetime of the device code and user code, in whole
	// seconds. A grant is usable while now <= issue time + ExpiresIn (MAS
	// compares expires_at < now).
	ExpiresIn Millis
	// VerificationURIComplete includes verification_uri_complete (the link
	// with the user code filled in) in the device authorization response.
	// Off, the link page also ignores a code in its query, as MAS does when
	// auto-fill is disabled.
	VerificationURIComplete bool

	// UserCodeAlphabet, UserCodeLength and UserCodeGroup shape user codes:
	// characters from the alphabet, with a hyphen every UserCodeGroup
	// characters (0: none).
	UserCodeAlphabet string
	UserCodeLength   int
	UserCodeGroup    int
	// UserCodeSampling is how characters are drawn.
	UserCodeSampling UserCodeSampling
	// UserCodeMatch is how typed codes are compared.
	UserCodeMatch UserCodeMatch
	// DeviceCodeAlphabet and DeviceCodeLength shape device codes.
	DeviceCodeAlphabet string
	DeviceCodeLength   int

	// TokenFormat shapes access and refresh tokens.
	TokenFormat TokenFormat
	// AccessTokenTTL is the access token's lifetime, in whole seconds
	// (expires_in of the token response).
	AccessTokenTTL Millis
	// Refresh says when a refresh token is issued.
	Refresh RefreshPolicy

	// RequireAPIScope refuses a device authorization request whose scope
	// lacks urn:matrix:client:api:* (invalid_scope). Off, the request is
	// accepted and the homeserver judges the token.
	RequireAPIScope bool
	// AcceptUnstableScopes also accepts the MSC2967 unstable scope prefixes
	// (urn:matrix:org.matrix.msc2967.client:...), which older clients send.
	AcceptUnstableScopes bool

	// ShowUserCode and ShowDevice say whether the consent page shows the
	// user code and the device ID being signed in. Both off models a
	// phishing provider whose page gives the user nothing to compare.
	ShowUserCode bool
	ShowDevice   bool
	// LinkAttemptLimit is how many codes one browser may submit on the link
	// page (0: unlimited). MAS allows a burst of 10 per requester.
	LinkAttemptLimit int
}

// Paths of the endpoints, relative to the issuer.
const (
	PathOpenIDConfiguration = ".well-known/openid-configuration"
	PathASMetadata          = ".well-known/oauth-authorization-server"
	PathDeviceAuthorization = "oauth2/device"
	PathToken               = "oauth2/token"
	PathRegistration        = "oauth2/registration"
	PathRevocation          = "oauth2/revoke"
	PathAuthorization       = "authorize"
	PathLink                = "link"
	PathConsent             = "device/"
	PathLogin               = "login"
)

// OAuth error codes (RFC 6749 §5.2, RFC 8628 §3.5, RFC 7591 §3.2.2).
const (
	ErrorInvalidRequest        = "invalid_request"
	ErrorInvalidClient         = "invalid_client"
	ErrorInvalidGrant          = "invalid_grant"
	ErrorUnauthorizedClient    = "unauthorized_client"
	ErrorUnsupportedGrantType  = "unsupported_grant_type"
	ErrorInvalidScope          = "invalid_scope"
	ErrorAuthorizationPending  = "authorization_pending"
	ErrorSlowDown              = "slow_down"
	ErrorAccessDenied          = "access_denied"
	ErrorExpiredToken          = "expired_token"
	ErrorInvalidClientMetadata = "invalid_client_metadata"
	ErrorServerError           = "server_error"
	// ErrorAuthorizationDeclined is the refusal code the MSC4108 text's
	// sequence diagram shows instead of access_denied.
	ErrorAuthorizationDeclined = "authorization_declined"
)

// Grant types.
const (
	GrantTypeDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantTypeRefreshToken      = "refresh_token"
	GrantTypeAuthorizationCode = "authorization_code"
)

// Scope tokens and prefixes (Matrix 1.15 "allocated scope tokens", MSC2967).
const (
	ScopeAPI                  = "urn:matrix:client:api:*"
	ScopeDevicePrefix         = "urn:matrix:client:device:"
	ScopeUnstableAPI          = "urn:matrix:org.matrix.msc2967.client:api:*"
	ScopeUnstableDevicePrefix = "urn:matrix:org.matrix.msc2967.client:device:"
	ScopeOpenID               = "openid"
)

// base is the knobs every preset shares.
func base(name string) Config {
	return Config{
		Name:                     name,
		Issuer:                   "https://auth.lab.example/",
		DynamicRegistration:      true,
		PollErrorStatus:          400,
		UnauthorizedClientStatus: 400,
		SlowDown:                 true,
		SlowDownStep:             5 * Second,
		DeniedError:              ErrorAccessDenied,
		Interval:                 5 * Second,
		ExpiresIn:                1800 * Second,
		VerificationURIComplete:  true,
		UserCodeAlphabet:         AlphabetRFC8628,
		UserCodeLength:           8,
		UserCodeGroup:            4,
		UserCodeMatch:            MatchRFC8628,
		DeviceCodeAlphabet:       AlphabetBase64URL,
		DeviceCodeLength:         43,
		TokenFormat:              TokenOpaque,
		AccessTokenTTL:           3600 * Second,
		Refresh:                  RefreshAlways,
		AcceptUnstableScopes:     true,
		ShowUserCode:             true,
		ShowDevice:               true,
	}
}

// PresetRFC8628 is the provider as RFC 8628 describes it: 400 for the
// polling errors, slow_down, user codes "WDJB-MJHT" style (8 consonants
// grouped by 4, §6.1), verification_uri_complete, 30-minute codes (the RFC's
// example), 5-second interval.
func PresetRFC8628() Config { return base("rfc8628") }

// PresetMAS is the Matrix Authentication Service as its main branch has it
// (682b8d26, 2026-08): 403 for the polling errors, never slow_down,
// 6-character user codes drawn from [0-9A-Za-z] and upper-cased (letters
// twice as likely as digits), compared upper-cased, 32-character
// alphanumeric device codes, 20-minute codes, 5-second interval,
// verification_uri_complete off (auto-fill disabled by default), MAS token
// format with 5-minute access tokens, refresh tokens only for clients
// registered with that grant type, and 401 for unauthorized_client.
func PresetMAS() Config {
	c := base("mas")
	c.PollErrorStatus = 403
	c.UnauthorizedClientStatus = 401
	c.SlowDown = false
	c.ExpiresIn = 1200 * Second
	c.VerificationURIComplete = false
	c.UserCodeAlphabet = AlphabetUpperAlnum
	c.UserCodeSampling = SampleUpperAlnum62
	c.UserCodeLength = 6
	c.UserCodeGroup = 0
	c.UserCodeMatch = MatchUpper
	c.DeviceCodeAlphabet = AlphabetAlnum
	c.DeviceCodeLength = 32
	c.TokenFormat = TokenMAS
	c.AccessTokenTTL = 300 * Second
	c.Refresh = RefreshIfClientGrant
	c.RequireRegisteredClient = true
	c.LinkAttemptLimit = 10
	return c
}

// PresetMAS2024 is MAS before auto-fill was switched off by default:
// verification_uri_complete always sent, no limit on link-page attempts.
func PresetMAS2024() Config {
	c := PresetMAS()
	c.Name = "mas-2024"
	c.VerificationURIComplete = true
	c.LinkAttemptLimit = 0
	return c
}

// PresetMSC4108Text is the provider of the MSC4108 text's examples: 6-digit
// user codes ("123456"), a "/link?code=" complete URI, 1800-second codes,
// 5-second interval, and the refusal code "authorization_declined" that its
// sequence diagram shows.
func PresetMSC4108Text() Config {
	c := base("msc4108-text")
	c.UserCodeAlphabet = AlphabetDigits
	c.UserCodeLength = 6
	c.UserCodeGroup = 0
	c.DeniedError = ErrorAuthorizationDeclined
	return c
}

// PresetPhishingOP is MAS whose consent page shows neither the user code nor
// the device being signed in, so the user approves blind.
func PresetPhishingOP() Config {
	c := PresetMAS()
	c.Name = "phishing-op"
	c.ShowUserCode = false
	c.ShowDevice = false
	return c
}

var presets = map[string]func() Config{
	"rfc8628":      PresetRFC8628,
	"mas":          PresetMAS,
	"mas-2024":     PresetMAS2024,
	"msc4108-text": PresetMSC4108Text,
	"phishing-op":  PresetPhishingOP,
}

// PresetNames lists the presets in sorted order.
func PresetNames() []string { return wire.PresetNames(presets) }

// Preset returns the named preset.
func Preset(name string) (Config, error) { return wire.Preset(presets, name, ErrConfig) }

// Validate checks the configuration and names the first bad field.
func (c *Config) Validate() error {
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(u.Path, "/") {
		return fmt.Errorf("%w: Issuer %q must be an https URL without query or fragment whose path ends in \"/\"", ErrConfig, c.Issuer)
	}
	if c.PollErrorStatus < 400 || c.PollErrorStatus > 499 {
		return fmt.Errorf("%w: PollErrorStatus %d is not a 4xx status", ErrConfig, c.PollErrorStatus)
	}
	if c.UnauthorizedClientStatus < 400 || c.UnauthorizedClientStatus > 499 {
		return fmt.Errorf("%w: UnauthorizedClientStatus %d is not a 4xx status", ErrConfig, c.UnauthorizedClientStatus)
	}
	if c.DeniedError == "" || !validErrorCode(c.DeniedError) {
		return fmt.Errorf("%w: DeniedError %q is not an error code", ErrConfig, c.DeniedError)
	}
	for _, f := range []struct {
		name string
		v    Millis
	}{{"Interval", c.Interval}, {"ExpiresIn", c.ExpiresIn}, {"AccessTokenTTL", c.AccessTokenTTL}} {
		if f.v <= 0 || f.v%Second != 0 {
			return fmt.Errorf("%w: %s %d ms must be a positive whole number of seconds", ErrConfig, f.name, f.v)
		}
	}
	if c.SlowDown && c.SlowDownStep <= 0 {
		return fmt.Errorf("%w: SlowDownStep %d ms must be positive when SlowDown is on", ErrConfig, c.SlowDownStep)
	}
	if c.UserCodeSampling == SampleUniform && !validAlphabet(c.UserCodeAlphabet, false) {
		return fmt.Errorf("%w: UserCodeAlphabet %q must hold 2 to 256 distinct printable ASCII characters other than '-'", ErrConfig, c.UserCodeAlphabet)
	}
	if c.UserCodeSampling > SampleUpperAlnum62 {
		return fmt.Errorf("%w: UserCodeSampling %d is unknown", ErrConfig, c.UserCodeSampling)
	}
	if c.UserCodeMatch > MatchCrockford {
		return fmt.Errorf("%w: UserCodeMatch %d is unknown", ErrConfig, c.UserCodeMatch)
	}
	if c.UserCodeLength < 1 || c.UserCodeLength > 64 {
		return fmt.Errorf("%w: UserCodeLength %d must be 1 to 64", ErrConfig, c.UserCodeLength)
	}
	if c.UserCodeGroup < 0 {
		return fmt.Errorf("%w: UserCodeGroup %d must not be negative", ErrConfig, c.UserCodeGroup)
	}
	if !validAlphabet(c.DeviceCodeAlphabet, true) || !urlSafe(c.DeviceCodeAlphabet) {
		return fmt.Errorf("%w: DeviceCodeAlphabet %q must hold 2 to 256 distinct unreserved URL characters", ErrConfig, c.DeviceCodeAlphabet)
	}
	if c.DeviceCodeLength < 8 || c.DeviceCodeLength > 256 {
		return fmt.Errorf("%w: DeviceCodeLength %d must be 8 to 256", ErrConfig, c.DeviceCodeLength)
	}
	if c.TokenFormat > TokenMAS {
		return fmt.Errorf("%w: TokenFormat %d is unknown", ErrConfig, c.TokenFormat)
	}
	if c.Refresh > RefreshNever {
		return fmt.Errorf("%w: Refresh %d is unknown", ErrConfig, c.Refresh)
	}
	if c.LinkAttemptLimit < 0 {
		return fmt.Errorf("%w: LinkAttemptLimit %d must not be negative", ErrConfig, c.LinkAttemptLimit)
	}
	for i, id := range c.StaticClients {
		if id == "" {
			return fmt.Errorf("%w: StaticClients[%d] is empty", ErrConfig, i)
		}
	}
	return nil
}

// validAlphabet checks an alphabet: 2 to 256 distinct printable ASCII
// characters; '-' only where it separates nothing (device codes).
func validAlphabet(a string, hyphen bool) bool {
	if len(a) < 2 || len(a) > 256 {
		return false
	}
	var seen [256]bool
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c <= ' ' || c >= 0x7f || c == '-' && !hyphen || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

func urlSafe(a string) bool {
	for i := 0; i < len(a); i++ {
		if !unreserved(a[i]) {
			return false
		}
	}
	return true
}

// validErrorCode checks the RFC 6749 error grammar: %x20-21 / %x23-5B /
// %x5D-7E.
func validErrorCode(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
