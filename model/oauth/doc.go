// Package oauth is the authorization server (the OpenID provider, OP) of
// QR-code login (MSC4108): the OAuth 2.0 device authorization grant of RFC
// 8628 as a Matrix homeserver's provider runs it, with the browser pages on
// which the user approves the new device.
//
// The provider is pure. A Server is an explicit state value; Handle(now,
// request) and Browse(now, request, session) compute a response and the
// effects a trace or a monitor wants to know. Time is an argument (virtual
// milliseconds), randomness for codes and tokens comes from the io.Reader
// given to New, and nothing here starts a goroutine or does I/O: the same
// configuration, stream and requests give the same responses, byte for byte.
//
// # Endpoints (relative to the issuer)
//
//	GET  .well-known/openid-configuration   metadata (RFC 8414 shape)
//	GET  .well-known/oauth-authorization-server
//	POST oauth2/registration                dynamic client registration (MSC2966, RFC 7591), public clients
//	POST oauth2/device                      device authorization request (RFC 8628 §3.1)
//	POST oauth2/token                       device code grant (§3.4) and refresh token grant
//	POST oauth2/revoke                      revocation (RFC 7009)
//	GET  link[?code=]  POST link            verification URI: enter the user code
//	GET  device/{id}   POST device/{id}     consent page: Allow (action=consent) or Deny (action=reject)
//
// Requests and responses carry the real wire formats (form-encoded bodies in,
// JSON or HTML out), so a net/http adapter can put a Server behind a
// listener unchanged. The browser session (who is logged in at the provider)
// is a parameter of Browse; an adapter derives it from a cookie.
//
// # Grants
//
// Every grant is in one named state: pending, approved, denied, expired or
// consumed (see GrantState). A device code is exchanged for tokens at most
// once; a token is never issued before the user approved; slow_down is sent,
// when the knob is on, exactly to the pending polls that came sooner than the
// grant's current interval after the previous poll.
//
// # Variants
//
// Where RFC 8628, the MSC4108 text and MAS differ, the difference is a knob of
// Config and the presets name each side: rfc8628, mas, mas-2024,
// msc4108-text and phishing-op (see PresetNames). The main ones: the HTTP
// status of the polling errors (400 in RFC 6749/8628, 403 in MAS), whether
// slow_down is ever sent (MAS: never), the shape of user and device codes,
// the lifetime and interval, whether verification_uri_complete is sent, the
// refusal error code, and whether the consent page shows the user code and
// the device.
package oauth
