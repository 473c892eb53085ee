package oauth

import (
	"encoding/json"
	"fmt"
	"strings"

	"qrlab/internal/seeded"
)

// tb is what the helpers need of *testing.T, *testing.B and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
}

// testScope is the scope a Matrix new device asks for.
func testScope(deviceID string) string {
	return "openid " + ScopeAPI + " " + ScopeDevicePrefix + deviceID
}

// harness drives one provider as a new device (N) and a browser on the
// existing device (E) would.
type harness struct {
	t        tb
	srv      *Server
	clientID string
	fx       []Effect
}

func newHarness(t tb, cfg Config, seed uint64) *harness {
	t.Helper()
	srv, err := New(cfg, seeded.Stream(seed))
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.Name, err)
	}
	h := &harness{t: t, srv: srv}
	h.clientID = h.register(0)
	return h
}

// register registers a public client with the device code and refresh
// grants, or (without dynamic registration) uses a fixed client ID.
func (h *harness) register(now Millis) string {
	h.t.Helper()
	if !h.srv.cfg.DynamicRegistration {
		return "static-client"
	}
	resp := h.do(now, "POST", PathRegistration, ContentTypeJSON, RegistrationBody("qrlab test", "https://qrlab.example/"))
	if resp.Status != 201 {
		h.t.Fatalf("registration: %d %s", resp.Status, resp.Body)
	}
	var out struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.ClientID == "" {
		h.t.Fatalf("registration response %s: %v", resp.Body, err)
	}
	return out.ClientID
}

func (h *harness) do(now Millis, method, rel, contentType string, body []byte) Response {
	req := &Request{Method: method, Path: h.srv.basePath + rel, Body: body}
	if contentType != "" {
		req.Header = Header{{Name: "Content-Type", Value: contentType}}
	}
	resp, fx := h.srv.HandleAppend(now, req, h.fx)
	h.fx = fx
	return resp
}

func (h *harness) browse(now Millis, method, target string, sess Session, body []byte) (Response, Page) {
	req := &Request{Method: method, Path: target, Body: body}
	if body != nil {
		req.Header = Header{{Name: "Content-Type", Value: ContentTypeForm}}
	}
	resp, page, fx := h.srv.BrowseAppend(now, req, sess, h.fx)
	h.fx = fx
	return resp, page
}

// deviceAuth is the parsed device authorization response.
type deviceAuth struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func (h *harness) authorize(now Millis, scope string) (Response, deviceAuth) {
	resp := h.do(now, "POST", PathDeviceAuthorization, ContentTypeForm, EncodeForm("client_id", h.clientID, "scope", scope))
	var da deviceAuth
	if resp.Status == 200 {
		if err := json.Unmarshal(resp.Body, &da); err != nil {
			h.t.Fatalf("device authorization response %s: %v", resp.Body, err)
		}
	}
	return resp, da
}

func (h *harness) poll(now Millis, deviceCode string) Response {
	return h.do(now, "POST", PathToken, ContentTypeForm, EncodeForm(
		"grant_type", GrantTypeDeviceCode, "device_code", deviceCode, "client_id", h.clientID))
}

// outcome summarises a token endpoint answer as "<status> <error>" or
// "200 token".
func outcome(t tb, r Response) string {
	t.Helper()
	if r.Status == 200 {
		var tok struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		if err := json.Unmarshal(r.Body, &tok); err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
			t.Fatalf("bad token response %s (%v)", r.Body, err)
		}
		return "200 token"
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Error == "" {
		t.Fatalf("bad error response %d %s (%v)", r.Status, r.Body, err)
	}
	return fmt.Sprintf("%d %s", r.Status, e.Error)
}

// openVerification is the user opening, in the browser of the existing
// device, the link the new device sent (verification_uri_complete, else
// verification_uri and typing the code), following the redirect to the
// consent page. It returns the last page.
func (h *harness) openVerification(now Millis, da deviceAuth, sess Session) Page {
	h.t.Helper()
	var page Page
	if da.VerificationURIComplete != "" {
		_, page = h.browse(now, "GET", pathOf(da.VerificationURIComplete), sess, nil)
	} else {
		_, page = h.browse(now, "GET", pathOf(da.VerificationURI), sess, nil)
		if page.Kind != PageEnterCode {
			h.t.Fatalf("verification URI shows %v, want the code form", page.Kind)
		}
		_, page = h.browse(now, "POST", page.FormAction, sess, EncodeForm("code", da.UserCode))
	}
	if page.Kind != PageRedirect {
		return page
	}
	_, page = h.browse(now, "GET", pathOf(page.Location), sess, nil)
	return page
}

// decide posts Allow or Deny on a consent page.
func (h *harness) decide(now Millis, consent Page, action string, sess Session) Page {
	_, page := h.browse(now, "POST", consent.FormAction, sess, EncodeForm("action", action))
	return page
}

// pathOf strips scheme and host from an absolute URL.
func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[i+3+j:]
		}
		return "/"
	}
	return u
}

var alice = Session{UserID: "@alice:lab.example", Browser: "alice-phone"}
