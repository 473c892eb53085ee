package oauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"qrlab/model/wire"
)

// buildMetadata writes the authorization server metadata (RFC 8414) once.
// Matrix clients refuse metadata without the authorization code grant's
// fields (the spec's auth_metadata requires authorization_endpoint,
// revocation_endpoint, response type "code", response modes "query" and
// "fragment", grant types "authorization_code" and "refresh_token", PKCE
// "S256"), so they are advertised even though only the device code and
// refresh token grants are modelled.
func (s *Server) buildMetadata() []byte {
	var b []byte
	field := func(name, value string) {
		b = append(b, ',')
		b = AppendJSONString(b, name)
		b = append(b, ':')
		b = AppendJSONString(b, value)
	}
	list := func(name string, values ...string) {
		b = append(b, ',')
		b = AppendJSONString(b, name)
		b = append(b, ":["...)
		for i, v := range values {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, `{"issuer":`...)
	b = AppendJSONString(b, s.cfg.Issuer)
	field("authorization_endpoint", s.URL(PathAuthorization))
	field("token_endpoint", s.URL(PathToken))
	field("device_authorization_endpoint", s.URL(PathDeviceAuthorization))
	field("revocation_endpoint", s.URL(PathRevocation))
	if s.cfg.DynamicRegistration {
		field("registration_endpoint", s.URL(PathRegistration))
	}
	list("grant_types_supported", GrantTypeAuthorizationCode, GrantTypeRefreshToken, GrantTypeDeviceCode)
	list("response_types_supported", "code")
	list("response_modes_supported", "query", "fragment")
	list("code_challenge_methods_supported", "S256")
	list("token_endpoint_auth_methods_supported", "none")
	list("revocation_endpoint_auth_methods_supported", "none")
	scopes := []string{ScopeOpenID, ScopeAPI}
	if s.cfg.AcceptUnstableScopes {
		scopes = append(scopes, ScopeUnstableAPI)
	}
	list("scopes_supported", scopes...)
	return append(b, '}')
}

// clientMetadata is the part of a registration request (RFC 7591 §2) the
// provider reads. Pointers tell absent fields from empty ones.
type clientMetadata struct {
	ClientName              *string   `json:"client_name"`
	ClientURI               *string   `json:"client_uri"`
	RedirectURIs            *[]string `json:"redirect_uris"`
	GrantTypes              *[]string `json:"grant_types"`
	ResponseTypes           *[]string `json:"response_types"`
	TokenEndpointAuthMethod *string   `json:"token_endpoint_auth_method"`
	ApplicationType         *string   `json:"application_type"`
}

// register answers a dynamic client registration (MSC2966, RFC 7591) of a
// public client.
//
// A body of plain strings (registrationReader) is read, and the answer of
// plain strings written, without reflection; anything else goes through
// encoding/json, which reads and writes the same bytes for those.
func (s *Server) register(now Millis, req *Request, fx []Effect) (Response, []Effect) {
	return s.registerWith(now, req, fx, true)
}

// registerWith is register; plain false takes encoding/json for every body
// and answer (the reference the plain path is checked against).
func (s *Server) registerWith(now Millis, req *Request, fx []Effect, plain bool) (Response, []Effect) {
	if ct, _ := req.Header.Lookup("Content-Type"); !hasMediaType(ct, ContentTypeJSON) {
		return oauthError(400, ErrorInvalidRequest, "Content-Type must be application/json."), fx
	}
	var m clientMetadata
	if !plain || !(&registrationReader{wire.Reader{B: req.Body}}).read(&m) {
		m = clientMetadata{}
		dec := json.NewDecoder(bytes.NewReader(req.Body))
		if err := dec.Decode(&m); err != nil {
			return oauthError(400, ErrorInvalidClientMetadata, "Body: "+err.Error()), fx
		}
		if dec.More() {
			return oauthError(400, ErrorInvalidClientMetadata, "Body: data after the JSON object."), fx
		}
	}
	method := "client_secret_basic" // the RFC 7591 default
	if m.TokenEndpointAuthMethod != nil {
		method = *m.TokenEndpointAuthMethod
	}
	if method != "none" {
		return oauthError(400, ErrorInvalidClientMetadata, fmt.Sprintf("token_endpoint_auth_method %q: only public clients (\"none\") are modelled.", method)), fx
	}
	grants := []string{GrantTypeAuthorizationCode} // the RFC 7591 default
	if m.GrantTypes != nil {
		grants = append([]string(nil), *m.GrantTypes...)
	}
	for _, g := range grants {
		if g == "" {
			return oauthError(400, ErrorInvalidClientMetadata, "grant_types: empty grant type."), fx
		}
	}
	id, err := s.randomString(AlphabetCrockford, 26)
	if err != nil {
		return oauthError(500, ErrorServerError, err.Error()), fx
	}
	c := &Client{ID: id, GrantTypes: grants}
	if m.ClientName != nil {
		c.Name = *m.ClientName
	}
	if m.ClientURI != nil {
		c.URI = *m.ClientURI
	}
	s.clients[id] = c
	fx = append(fx, Effect{Kind: EffectClientRegistered, Client: id})
	if plain {
		if body, ok := registrationAnswer(id, now.Seconds(), grants, method, &m); ok {
			return Response{Status: 201, Header: headerJSONNoStore, Body: body}, fx
		}
	}

	out := map[string]any{
		"client_id":                  id,
		"client_id_issued_at":        now.Seconds(),
		"grant_types":                grants,
		"token_endpoint_auth_method": method,
	}
	if m.ClientName != nil {
		out["client_name"] = *m.ClientName
	}
	if m.ClientURI != nil {
		out["client_uri"] = *m.ClientURI
	}
	if m.RedirectURIs != nil {
		out["redirect_uris"] = *m.RedirectURIs
	}
	if m.ResponseTypes != nil {
		out["response_types"] = *m.ResponseTypes
	}
	if m.ApplicationType != nil {
		out["application_type"] = *m.ApplicationType
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil { // map keys are sorted: deterministic
		return oauthError(500, ErrorServerError, err.Error()), fx
	}
	body := strings.TrimSuffix(buf.String(), "\n")
	return Response{Status: 201, Header: headerJSONNoStore, Body: []byte(body)}, fx
}

// RegistrationBody builds a registration request body for a public client
// using the device code and refresh token grants, as a Matrix client sends
// it.
func RegistrationBody(clientName, clientURI string) []byte {
	if !plainJSON(clientName) || !plainJSON(clientURI) {
		return registrationBodyJSON(clientName, clientURI)
	}
	// encoding/json's form (keys sorted) of the map below, for plain
	// strings, which it writes as they are between quotes.
	b := make([]byte, 0, 192+len(clientName)+len(clientURI))
	b = append(b, `{"application_type":"native","client_name":"`...)
	b = append(b, clientName...)
	b = append(b, `","client_uri":"`...)
	b = append(b, clientURI...)
	b = append(b, `","grant_types":["`+GrantTypeDeviceCode+`","`+GrantTypeRefreshToken+
		`"],"response_types":[],"token_endpoint_auth_method":"none"}`...)
	return b
}

// registrationBodyJSON is RegistrationBody by encoding/json.
func registrationBodyJSON(clientName, clientURI string) []byte {
	b, _ := json.Marshal(map[string]any{
		"client_name":                clientName,
		"client_uri":                 clientURI,
		"grant_types":                []string{GrantTypeDeviceCode, GrantTypeRefreshToken},
		"response_types":             []string{},
		"token_endpoint_auth_method": "none",
		"application_type":           "native",
	})
	return b
}

// plainJSON reports whether s is printable ASCII that encoding/json writes
// as it is between quotes, with or without HTML escaping: no quote,
// backslash, control character, '<', '>', '&' or byte above 0x7E.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7E, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// registrationAnswer writes register's answer (what encoding/json makes of
// its map, keys sorted) when every string in it is plain; ok is false
// otherwise.
func registrationAnswer(id string, issuedAt int64, grants []string, method string, m *clientMetadata) (b []byte, ok bool) {
	plain := plainJSON(id) && plainJSON(method) && plainList(grants)
	for _, p := range []*string{m.ClientName, m.ClientURI, m.ApplicationType} {
		plain = plain && (p == nil || plainJSON(*p))
	}
	for _, p := range []*[]string{m.RedirectURIs, m.ResponseTypes} {
		plain = plain && (p == nil || plainList(*p))
	}
	if !plain {
		return nil, false
	}
	str := func(name, v string) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, `":"`...)
		b = append(b, v...)
		b = append(b, '"')
	}
	list := func(name string, vs []string) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, `":`...)
		if vs == nil {
			b = append(b, "null"...)
			return
		}
		b = append(b, '[')
		for i, v := range vs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	b = make([]byte, 0, 256)
	b = append(b, '{')
	if m.ApplicationType != nil {
		str("application_type", *m.ApplicationType)
	}
	str("client_id", id)
	b = append(b, `,"client_id_issued_at":`...)
	b = strconv.AppendInt(b, issuedAt, 10)
	if m.ClientName != nil {
		str("client_name", *m.ClientName)
	}
	if m.ClientURI != nil {
		str("client_uri", *m.ClientURI)
	}
	list("grant_types", grants)
	if m.RedirectURIs != nil {
		list("redirect_uris", *m.RedirectURIs)
	}
	if m.ResponseTypes != nil {
		list("response_types", *m.ResponseTypes)
	}
	str("token_endpoint_auth_method", method)
	b = append(b, '}')
	return append(b[:1], b[2:]...), true // without the first member's comma
}

func plainList(vs []string) bool {
	for _, v := range vs {
		if !plainJSON(v) {
			return false
		}
	}
	return true
}

// registrationReader reads a registration body that encoding/json would
// read to the same clientMetadata: one object whose keys are the fields'
// names exactly, each at most once, with plain strings (plainJSON) and
// lists of them as values, and nothing but white space after it. Anything
// else (another key, which encoding/json may match case-insensitively or
// ignore, null, an escape) it declines.
type registrationReader struct {
	wire.Reader // the body and the offset in it
}

func (r *registrationReader) str() (string, bool) {
	if !r.Next('"') {
		return "", false
	}
	start := r.I
	for r.I < len(r.B) {
		switch c := r.B[r.I]; {
		case c == '"':
			r.I++
			return string(r.B[start : r.I-1]), true
		case c < 0x20 || c > 0x7E || c == '\\' || c == '<' || c == '>' || c == '&':
			return "", false
		}
		r.I++
	}
	return "", false
}

func (r *registrationReader) list() ([]string, bool) {
	if !r.Next('[') {
		return nil, false
	}
	out := []string{} // "[]" is an empty list, not nil, as encoding/json reads it
	if r.Next(']') {
		return out, true
	}
	for {
		v, ok := r.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if r.Next(',') {
			continue
		}
		return out, r.Next(']')
	}
}

func (r *registrationReader) read(m *clientMetadata) bool {
	if !r.Next('{') {
		return false
	}
	if !r.Next('}') {
		for {
			key, ok := r.str()
			if !ok || !r.Next(':') {
				return false
			}
			var sp **string
			var lp **[]string
			switch key {
			case "client_name":
				sp = &m.ClientName
			case "client_uri":
				sp = &m.ClientURI
			case "token_endpoint_auth_method":
				sp = &m.TokenEndpointAuthMethod
			case "application_type":
				sp = &m.ApplicationType
			case "redirect_uris":
				lp = &m.RedirectURIs
			case "grant_types":
				lp = &m.GrantTypes
			case "response_types":
				lp = &m.ResponseTypes
			default:
				return false
			}
			if sp != nil {
				v, ok := r.str()
				if !ok || *sp != nil {
					return false
				}
				*sp = &v
			} else {
				v, ok := r.list()
				if !ok || *lp != nil {
					return false
				}
				*lp = &v
			}
			if r.Next(',') {
				continue
			}
			if !r.Next('}') {
				return false
			}
			break
		}
	}
	r.Space()
	return r.I == len(r.B)
}
