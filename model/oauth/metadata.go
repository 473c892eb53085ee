package oauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
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
func (s *Server) register(now Millis, req *Request, fx []Effect) (Response, []Effect) {
	if ct, _ := req.Header.Lookup("Content-Type"); !hasMediaType(ct, ContentTypeJSON) {
		return oauthError(400, ErrorInvalidRequest, "Content-Type must be application/json."), fx
	}
	var m clientMetadata
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	if err := dec.Decode(&m); err != nil {
		return oauthError(400, ErrorInvalidClientMetadata, "Body: "+err.Error()), fx
	}
	if dec.More() {
		return oauthError(400, ErrorInvalidClientMetadata, "Body: data after the JSON object."), fx
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
