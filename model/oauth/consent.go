package oauth

import (
	"html"
	"strings"

	"qrlab/model/wire"
)

// PageKind names what a browser page shows.
type PageKind uint8

// The pages of the verification flow.
const (
	// PageNone: the response is not a page (an API endpoint).
	PageNone PageKind = iota
	// PageEnterCode: the link page asks for the user code (Error says why
	// the last code was refused: "invalid" or "rate-limited").
	PageEnterCode
	// PageRedirect: the page sends the browser on (Location): the link page
	// to the consent page, or a page to the login page.
	PageRedirect
	// PageConsent: the consent page asks the logged-in user to allow or
	// deny the sign-in of a device.
	PageConsent
	// PageApproved: the user allowed the sign-in.
	PageApproved
	// PageDenied: the user refused it.
	PageDenied
	// PageError: the grant is unknown, expired or already decided
	// differently (Error says which).
	PageError
)

// String names the page kind.
func (k PageKind) String() string {
	switch k {
	case PageNone:
		return "none"
	case PageEnterCode:
		return "enter-code"
	case PageRedirect:
		return "redirect"
	case PageConsent:
		return "consent"
	case PageApproved:
		return "approved"
	case PageDenied:
		return "denied"
	case PageError:
		return "error"
	}
	return "page(?)"
}

// Page is what a page displays, as data, so that a simulated user can read
// it without parsing the HTML. Fields the configuration hides (the user code
// and device on a phishing provider's consent page) are empty, exactly as
// the HTML leaves them out.
type Page struct {
	// Kind is which page this is.
	Kind PageKind
	// Location is where a PageRedirect sends the browser.
	Location string
	// GrantID is the grant a consent page is about.
	GrantID string
	// UserID is the account logged in at the provider.
	UserID string
	// UserCode is the code shown on the consent page (if shown).
	UserCode string
	// DeviceID is the device being signed in (if shown).
	DeviceID string
	// ClientID and ClientName name the requesting client.
	ClientID, ClientName string
	// Error says why a page refused ("invalid", "rate-limited", "expired",
	// "unknown", "already-decided", "login-required", "bad-action").
	Error string
	// FormAction is the path a page's form posts to.
	FormAction string
}

// Actions of the consent form.
const (
	ActionConsent = "consent"
	ActionReject  = "reject"
)

// linkPage is the verification URI: a form asking for the user code, which
// sends the browser to the grant's consent page once a code matches. The
// code comes from the query (verification_uri_complete, when enabled) or
// from the posted form.
func (s *Server) linkPage(now Millis, req *Request, query string, sess Session, fx []Effect) (Response, Page, []Effect) {
	var typed string
	var have bool
	if req.Method == "POST" {
		f, err := ParseForm(req.Body)
		if err != nil {
			return s.enterCodePage(400, "invalid"), Page{Kind: PageEnterCode, Error: "invalid", FormAction: s.basePath + PathLink}, fx
		}
		typed, have = f.Get("code")
	} else if query != "" && s.cfg.VerificationURIComplete {
		f, err := ParseForm([]byte(query))
		if err == nil {
			typed, have = f.Get("code")
		}
	}
	page := Page{Kind: PageEnterCode, UserID: sess.UserID, FormAction: s.basePath + PathLink}
	if !have || typed == "" {
		return s.enterCodePage(200, ""), page, fx
	}
	if lim := s.cfg.LinkAttemptLimit; lim > 0 {
		if s.tries[sess.Browser] >= lim {
			fx = append(fx, Effect{Kind: EffectRateLimited, User: sess.UserID})
			page.Error = "rate-limited"
			return s.enterCodePage(429, page.Error), page, fx
		}
		s.tries[sess.Browser]++
	}
	for _, key := range s.candidates(typed) {
		g := s.byUser[key]
		if g == nil {
			continue
		}
		if g.EffectiveState(now) != GrantPending {
			fx = s.expire(g, fx)
			continue
		}
		fx = append(fx, Effect{Kind: EffectCodeMatched, Grant: g.ID, User: sess.UserID, Device: g.DeviceID, Client: g.ClientID})
		loc := s.URL(PathConsent + g.ID)
		return redirect(loc), Page{Kind: PageRedirect, Location: loc, GrantID: g.ID, UserID: sess.UserID}, fx
	}
	fx = append(fx, Effect{Kind: EffectCodeRejected, User: sess.UserID})
	page.Error = "invalid"
	return s.enterCodePage(200, page.Error), page, fx
}

func redirect(loc string) Response {
	return Response{Status: 303, Header: wire.NewHeader("Location", loc, "Cache-Control", "no-store")}
}

// consentPage shows a grant to the logged-in user with Allow and Deny.
func (s *Server) consentPage(now Millis, id string, sess Session, fx []Effect) (Response, Page, []Effect) {
	g, page, resp, ok := s.consentGrant(now, id, sess, &fx)
	if !ok {
		return resp, page, fx
	}
	if g.State != GrantPending {
		return s.decidedPage(g, sess), s.decidedPageData(g, sess), fx
	}
	page = s.consentData(g, sess)
	return Response{Status: 200, Header: headerHTML, Body: s.renderConsent(&page)}, page, fx
}

// consentGrant finds the grant of a consent URL for a logged-in browser, or
// the page to answer instead.
func (s *Server) consentGrant(now Millis, id string, sess Session, fx *[]Effect) (*Grant, Page, Response, bool) {
	if sess.UserID == "" {
		loc := s.URL(PathLogin) + "?next=" + QueryEscape(s.basePath+PathConsent+id)
		return nil, Page{Kind: PageRedirect, Location: loc, Error: "login-required"}, redirect(loc), false
	}
	g := s.byID[id]
	if g == nil {
		return nil, Page{Kind: PageError, UserID: sess.UserID, Error: "unknown"}, s.errorPage(404, "This sign-in request does not exist."), false
	}
	if g.EffectiveState(now) == GrantExpired {
		*fx = s.expire(g, *fx)
		return nil, Page{Kind: PageError, GrantID: g.ID, UserID: sess.UserID, Error: "expired"}, s.errorPage(400, "This sign-in request has expired."), false
	}
	return g, Page{}, Response{}, true
}

// consentDecision records the user's Allow or Deny. A grant already decided
// is left as it is and its outcome shown again (a resubmitted form, as MAS
// does).
func (s *Server) consentDecision(now Millis, req *Request, id string, sess Session, fx []Effect) (Response, Page, []Effect) {
	g, page, resp, ok := s.consentGrant(now, id, sess, &fx)
	if !ok {
		return resp, page, fx
	}
	f, err := ParseForm(req.Body)
	action, _ := f.Get("action")
	if err != nil || action != ActionConsent && action != ActionReject {
		page = s.consentData(g, sess)
		page.Kind, page.Error = PageError, "bad-action"
		return s.errorPage(400, "Choose Allow or Deny."), page, fx
	}
	if g.State == GrantPending {
		g.UserID, g.DecidedAt = sess.UserID, now
		kind := EffectApproved
		if action == ActionConsent {
			g.State = GrantApproved
		} else {
			g.State, kind = GrantDenied, EffectDenied
		}
		if s.byUser[g.userKey] == g {
			delete(s.byUser, g.userKey)
		}
		fx = append(fx, Effect{Kind: kind, Grant: g.ID, User: sess.UserID, Device: g.DeviceID, Client: g.ClientID})
	}
	return s.decidedPage(g, sess), s.decidedPageData(g, sess), fx
}

// consentData is what the consent page shows about g.
func (s *Server) consentData(g *Grant, sess Session) Page {
	p := Page{
		Kind:       PageConsent,
		GrantID:    g.ID,
		UserID:     sess.UserID,
		ClientID:   g.ClientID,
		FormAction: s.basePath + PathConsent + g.ID,
	}
	if c := s.clients[g.ClientID]; c != nil {
		p.ClientName = c.Name
	}
	if s.cfg.ShowUserCode {
		p.UserCode = g.UserCode
	}
	if s.cfg.ShowDevice {
		p.DeviceID = g.DeviceID
	}
	return p
}

func (s *Server) decidedPageData(g *Grant, sess Session) Page {
	p := s.consentData(g, sess)
	p.FormAction = ""
	switch g.State {
	case GrantApproved, GrantConsumed:
		p.Kind = PageApproved
	case GrantDenied:
		p.Kind = PageDenied
	default:
		p.Kind, p.Error = PageError, "already-decided"
	}
	return p
}

func (s *Server) decidedPage(g *Grant, sess Session) Response {
	switch g.State {
	case GrantApproved, GrantConsumed:
		return s.messagePage(200, "Device signed in", "You allowed the sign-in. You can close this window.")
	case GrantDenied:
		return s.messagePage(200, "Sign-in refused", "You refused the sign-in. You can close this window.")
	}
	return s.errorPage(400, "This sign-in request can no longer be decided.")
}

// The HTML is minimal but real: a browser renders it and submits its forms.

const htmlHead = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>`

func (s *Server) enterCodePage(status int, errKind string) Response {
	var b strings.Builder
	b.WriteString(htmlHead)
	b.WriteString(`Link a device</title></head><body><h1>Link a device</h1>`)
	switch errKind {
	case "invalid":
		b.WriteString(`<p role="alert" data-error-kind="invalid">That code is not valid.</p>`)
	case "rate-limited":
		b.WriteString(`<p role="alert" data-error-kind="rate-limited">Too many attempts.</p>`)
	}
	b.WriteString(`<form method="post" action="`)
	b.WriteString(html.EscapeString(s.basePath + PathLink))
	b.WriteString(`"><label>Code <input name="code" autocomplete="off" autocapitalize="characters"></label> <button type="submit">Continue</button></form></body></html>`)
	return Response{Status: status, Header: headerHTML, Body: []byte(b.String())}
}

func (s *Server) renderConsent(p *Page) []byte {
	var b strings.Builder
	b.WriteString(htmlHead)
	b.WriteString(`Allow sign-in?</title></head><body><h1>Allow a new device to sign in?</h1><p>Signed in as <b id="user">`)
	b.WriteString(html.EscapeString(p.UserID))
	b.WriteString(`</b></p>`)
	if p.ClientName != "" || p.ClientID != "" {
		name := p.ClientName
		if name == "" {
			name = p.ClientID
		}
		b.WriteString(`<p>Application: <span id="client">`)
		b.WriteString(html.EscapeString(name))
		b.WriteString(`</span></p>`)
	}
	if p.DeviceID != "" {
		b.WriteString(`<p>Device: <code id="device">`)
		b.WriteString(html.EscapeString(p.DeviceID))
		b.WriteString(`</code></p>`)
	}
	if p.UserCode != "" {
		b.WriteString(`<p>Check that the other device shows this code: <code id="user-code">`)
		b.WriteString(html.EscapeString(p.UserCode))
		b.WriteString(`</code></p>`)
	}
	b.WriteString(`<form method="post" action="`)
	b.WriteString(html.EscapeString(p.FormAction))
	b.WriteString(`"><button name="action" value="consent">Allow</button> <button name="action" value="reject">Deny</button></form></body></html>`)
	return []byte(b.String())
}

func (s *Server) messagePage(status int, title, text string) Response {
	var b strings.Builder
	b.WriteString(htmlHead)
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</title></head><body><h1>`)
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</h1><p>`)
	b.WriteString(html.EscapeString(text))
	b.WriteString(`</p></body></html>`)
	return Response{Status: status, Header: headerHTML, Body: []byte(b.String())}
}

func (s *Server) errorPage(status int, text string) Response {
	return s.messagePage(status, "Something went wrong", text)
}
