package homeserver

import (
	"strings"

	"qrlab/model/oauth"
	"qrlab/model/wire"
)

// Paths of the client-server endpoints the login flow touches.
const (
	PathVersions             = "/_matrix/client/versions"
	PathAuthMetadata         = "/_matrix/client/v1/auth_metadata"
	PathAuthMetadataUnstable = "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata"
	PathAuthIssuer           = "/_matrix/client/v1/auth_issuer"
	PathAuthIssuerUnstable   = "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer"
	PathWhoami               = "/_matrix/client/v3/account/whoami"
	PathDevicesPrefix        = "/_matrix/client/v3/devices/"
	PathKeysUpload           = "/_matrix/client/v3/keys/upload"
	PathKeysQuery            = "/_matrix/client/v3/keys/query"
)

// DeviceURL returns the URL of GET /devices/{deviceId} on the homeserver at
// baseURL, the device ID escaped as one path segment (the handler unescapes
// it).
func DeviceURL(baseURL, deviceID string) string {
	return strings.TrimSuffix(baseURL, "/") + PathDevicesPrefix + oauth.PathEscape(deviceID)
}

// Matrix error codes the endpoints answer with.
const (
	ErrcodeUnrecognized     = "M_UNRECOGNIZED"
	ErrcodeMissingToken     = "M_MISSING_TOKEN"
	ErrcodeUnknownToken     = "M_UNKNOWN_TOKEN"
	ErrcodeNotFound         = "M_NOT_FOUND"
	ErrcodeNotJSON          = "M_NOT_JSON"
	ErrcodeBadJSON          = "M_BAD_JSON"
	ErrcodeInvalidParam     = "M_INVALID_PARAM"
	ErrcodeMissingParam     = "M_MISSING_PARAM"
	ErrcodeInvalidSignature = "M_INVALID_SIGNATURE"
)

// matrixError is a Matrix error response.
func matrixError(status int, errcode, msg string) Response {
	b := make([]byte, 0, 32+len(errcode)+len(msg))
	b = append(b, `{"errcode":`...)
	b = wire.AppendString(b, errcode)
	b = append(b, `,"error":`...)
	b = wire.AppendString(b, msg)
	b = append(b, '}')
	return Response{Status: status, Header: wire.JSONHeader(), Body: b}
}

var (
	bodyUnknownToken     = []byte(`{"errcode":"M_UNKNOWN_TOKEN","error":"Unknown access token.","soft_logout":false}`)
	bodyExpiredToken     = []byte(`{"errcode":"M_UNKNOWN_TOKEN","error":"The access token has expired.","soft_logout":true}`)
	bodyMissingToken     = []byte(`{"errcode":"M_MISSING_TOKEN","error":"Missing access token."}`)
	bodyUnrecognized     = []byte(`{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request."}`)
	bodyMethodNotAllowed = []byte(`{"errcode":"M_UNRECOGNIZED","error":"Method not allowed."}`)
	bodyDeviceNotFound   = []byte(`{"errcode":"M_NOT_FOUND","error":"Device not found."}`)
)

func fixed(status int, body []byte) Response {
	return Response{Status: status, Header: wire.JSONHeader(), Body: body}
}

// Handle answers one client-server request at now.
func (h *Server) Handle(now Millis, req *Request) (Response, []Effect) {
	return h.HandleAppend(now, req, nil)
}

// HandleAppend is Handle appending its effects to fx.
func (h *Server) HandleAppend(now Millis, req *Request, fx []Effect) (Response, []Effect) {
	now = h.clock(now)
	fx = h.sync(fx)
	path, query := oauth.SplitPath(req.Path)
	get := req.Method == "GET" || req.Method == "HEAD"
	switch path {
	case PathVersions:
		if !get {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		return Response{Status: 200, Header: wire.JSONHeader(), Body: h.versions}, fx
	case PathAuthMetadata, PathAuthMetadataUnstable:
		if !h.cfg.AuthMetadata || h.op == nil {
			return fixed(404, bodyUnrecognized), fx
		}
		if !get {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		return Response{Status: 200, Header: wire.JSONHeader(), Body: h.op.Metadata()}, fx
	case PathAuthIssuer, PathAuthIssuerUnstable:
		if !h.cfg.AuthIssuer || h.op == nil {
			return fixed(404, bodyUnrecognized), fx
		}
		if !get {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		return Response{Status: 200, Header: wire.JSONHeader(), Body: h.issuerDoc}, fx
	case PathWhoami:
		if !get {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		ref, resp, ok, fx := h.authenticate(now, req, query, fx)
		if !ok {
			return resp, fx
		}
		b := make([]byte, 0, 64+len(ref.user)+len(ref.device))
		b = append(b, `{"user_id":`...)
		b = wire.AppendString(b, ref.user)
		b = append(b, `,"device_id":`...)
		b = wire.AppendString(b, ref.device)
		b = append(b, `,"is_guest":false}`...)
		return Response{Status: 200, Header: wire.JSONHeader(), Body: b}, fx
	case PathRoomKeysVersion:
		if !get {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		ref, resp, ok, fx := h.authenticate(now, req, query, fx)
		if !ok {
			return resp, fx
		}
		return h.backupVersion(ref.user), fx
	case PathKeysUpload:
		if req.Method != "POST" {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		ref, resp, ok, fx := h.authenticate(now, req, query, fx)
		if !ok {
			return resp, fx
		}
		return h.keysUpload(now, ref, req.Body, fx)
	case PathKeysQuery:
		if req.Method != "POST" {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		_, resp, ok, fx := h.authenticate(now, req, query, fx)
		if !ok {
			return resp, fx
		}
		return h.keysQuery(req.Body), fx
	}
	if seg, ok := strings.CutPrefix(path, PathDevicesPrefix); ok && seg != "" && !strings.Contains(seg, "/") {
		if !get {
			return fixed(405, bodyMethodNotAllowed), fx
		}
		deviceID, err := oauth.PathUnescape(seg)
		if err != nil {
			return matrixError(400, ErrcodeInvalidParam, "deviceId: "+err.Error()), fx
		}
		ref, resp, ok, fx := h.authenticate(now, req, query, fx)
		if !ok {
			return resp, fx
		}
		return h.getDevice(now, ref.user, deviceID), fx
	}
	return fixed(404, bodyUnrecognized), fx
}

// accessToken finds the request's access token: the Authorization header
// (Bearer, any case) first, then the deprecated access_token query
// parameter.
func accessToken(req *Request, query string) (string, bool) {
	if v, ok := req.Header.Lookup("Authorization"); ok {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimLeft(v[7:], " "), true
		}
		return "", false
	}
	if query != "" {
		f, err := oauth.ParseForm([]byte(query))
		if err == nil {
			if t, ok := f.Get("access_token"); ok && t != "" {
				return t, true
			}
		}
	}
	return "", false
}

// authenticate resolves the request's access token to a user and device:
// tokens added with AddDevice first, then the provider's introspection.
func (h *Server) authenticate(now Millis, req *Request, query string, fx []Effect) (tokenRef, Response, bool, []Effect) {
	tok, ok := accessToken(req, query)
	if !ok {
		return tokenRef{}, fixed(401, bodyMissingToken), false, fx
	}
	if ref, ok := h.tokens[tok]; ok {
		return ref, Response{}, true, fx
	}
	if h.op != nil {
		info, known := h.op.Introspect(now, tok)
		if known && info.Active && (info.APIScope || !h.cfg.RequireAPIScope) {
			ref := tokenRef{info.UserID, info.DeviceID}
			if _, seen := h.used[tok]; !seen {
				h.used[tok] = struct{}{}
				fx = append(fx, Effect{Kind: EffectTokenFirstUse, User: ref.user, Device: ref.device})
				if h.cfg.DeviceOnFirstUse {
					fx = h.ensureDevice(ref.user, ref.device, now+h.cfg.FirstUseDelay, fx)
				}
			}
			return ref, Response{}, true, fx
		}
		if known && info.Expired && !info.Revoked {
			fx = append(fx, Effect{Kind: EffectUnknownToken, User: info.UserID, Device: info.DeviceID})
			return tokenRef{}, fixed(401, bodyExpiredToken), false, fx
		}
	}
	fx = append(fx, Effect{Kind: EffectUnknownToken})
	return tokenRef{}, fixed(401, bodyUnknownToken), false, fx
}

// getDevice answers GET /devices/{deviceId} for the requesting user.
func (h *Server) getDevice(now Millis, userID, deviceID string) Response {
	a := h.accounts[userID]
	if a == nil {
		return fixed(404, bodyDeviceNotFound)
	}
	d := a.devices[deviceID]
	if d == nil || d.visibleAt > now {
		return fixed(404, bodyDeviceNotFound)
	}
	b := make([]byte, 0, 24+len(deviceID))
	b = append(b, `{"device_id":`...)
	b = wire.AppendString(b, deviceID)
	b = append(b, '}')
	return Response{Status: 200, Header: wire.JSONHeader(), Body: b}
}
