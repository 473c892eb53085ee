package logintest

import (
	"io"
	"strings"

	"qrlab/internal/seeded"
	"qrlab/model/homeserver"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/model/wire"
)

// The account and the existing device every Env starts with.
const (
	// BaseURL is the homeserver's base URL, where the rendezvous API lives.
	BaseURL = rendezvous.DefaultBaseURL
	// AliceID is the account the new device signs in to.
	AliceID = "@alice:lab.example"
	// ExistingToken is the existing device's access token.
	ExistingToken = "token-of-the-existing-device"
	// ExistingDeviceID is the existing device's device ID.
	ExistingDeviceID = "EXISTING"
)

// Options say how to build an Env. The zero value is the new device
// scanning (Reciprocate) on the variant's own servers, seed 0.
type Options struct {
	// NIntent is the new device's QR intent: Login makes N show the code
	// (N is G), Reciprocate makes E show it. Zero means Reciprocate.
	NIntent qr.Intent
	// Seed keys every component's random stream (see Env.streams).
	Seed uint64
	// Rand, when set, is the one reader every component draws from instead
	// of the seeded streams (crypto/rand for a run against real servers).
	Rand io.Reader
	// BaseURL is where both devices find the rendezvous API ("" means
	// BaseURL); Token is E's access token ("" means ExistingToken).
	BaseURL, Token string

	// VEdit edits the variant of both devices before anything is built.
	VEdit func(*variant.Variant)
	// NVariant, when set, is the new device's variant instead (VEdit does
	// not touch it).
	NVariant *variant.Variant
	// RVEdit, OPEdit and HSEdit edit the servers' configurations.
	RVEdit func(*rendezvous.Config)
	OPEdit func(*oauth.Config)
	HSEdit func(*homeserver.Config)
	// EEdit and NEdit edit the machines' configurations.
	EEdit func(*login.ExistingDeviceConfig)
	NEdit func(*login.NewDeviceConfig)
	// Backup gives Alice a key backup that E hands over with the secrets.
	Backup bool
	// PreAddDevice: a World's homeserver answers 200 to every device
	// lookup, as if the new device's ID were taken.
	PreAddDevice bool
}

// Env is one login's servers and machines, before anything ran.
type Env struct {
	V     variant.Variant // E's variant (and N's unless Options.NVariant)
	Store *rendezvous.Store
	OP    *oauth.Server
	HS    *homeserver.Server
	N     *login.NewDevice
	E     *login.ExistingDevice
	// NIsG: the new device generates the QR code.
	NIsG bool
	// PreAddDevice is Options.PreAddDevice.
	PreAddDevice bool
	token        string
}

// The labels of each component's seeded stream: stream label gives
// seeded.Stream(Seed+label), keyed by the sum's low 16 bits as the login
// tests' streams always were.
const (
	labelStore = 100 + iota
	labelOP
	labelAlice
	labelE
	labelN
	labelBackup
)

func (o Options) stream(label uint64) io.Reader {
	if o.Rand != nil {
		return o.Rand
	}
	return seeded.Stream((o.Seed + label) & 0xffff)
}

// NewEnv builds the servers, Alice's account and both machines for a login
// of v (Options.VEdit is applied to a copy first).
func NewEnv(v variant.Variant, o Options) (*Env, error) {
	if o.VEdit != nil {
		edited := v // a copy of its own, so that v stays on the stack
		o.VEdit(&edited)
		v = edited
	}
	if o.NIntent == 0 {
		o.NIntent = qr.Reciprocate
	}
	if o.BaseURL == "" {
		o.BaseURL = BaseURL
	}
	if o.Token == "" {
		o.Token = ExistingToken
	}
	env := &Env{V: v, NIsG: o.NIntent == qr.Login, PreAddDevice: o.PreAddDevice, token: o.Token}
	hc, err := env.servers(o)
	if err != nil {
		return nil, err
	}
	sec, err := env.alice(o)
	if err != nil {
		return nil, err
	}
	if err := env.machines(o, hc.ServerName, sec); err != nil {
		return nil, err
	}
	return env, nil
}

// servers builds the rendezvous store, the provider and the homeserver.
func (env *Env) servers(o Options) (homeserver.Config, error) {
	v := env.V
	rc, err := v.RendezvousConfig()
	if err != nil {
		return homeserver.Config{}, err
	}
	rc.BaseURL = o.BaseURL
	if o.RVEdit != nil {
		o.RVEdit(&rc)
	}
	if env.Store, err = rendezvous.New(rc, 0, o.stream(labelStore)); err != nil {
		return homeserver.Config{}, err
	}
	oc, _ := v.OAuthConfig()
	if o.OPEdit != nil {
		o.OPEdit(&oc)
	}
	if env.OP, err = oauth.New(oc, o.stream(labelOP)); err != nil {
		return homeserver.Config{}, err
	}
	hc, _ := v.HomeserverConfig()
	if o.HSEdit != nil {
		o.HSEdit(&hc)
	}
	env.HS, err = homeserver.New(hc, env.OP)
	return hc, err
}

// alice signs Alice up with E as her device, and returns the secrets E
// hands over.
func (env *Env) alice(o Options) (msg.Secrets, error) {
	var sec msg.Secrets
	alice, err := homeserver.NewIdentity(AliceID, o.stream(labelAlice))
	if err != nil {
		return sec, err
	}
	if err := env.HS.AddIdentity(alice); err != nil {
		return sec, err
	}
	env.HS.AddDevice(0, AliceID, ExistingDeviceID, o.Token)
	copy(sec.CrossSigning.Master[:], alice.Master.Seed())
	copy(sec.CrossSigning.SelfSigning[:], alice.SelfSigning.Seed())
	copy(sec.CrossSigning.UserSigning[:], alice.UserSigning.Seed())
	if o.Backup {
		key, version, err := env.HS.CreateBackup(AliceID, o.stream(labelBackup))
		if err != nil {
			return sec, err
		}
		sec.Backup = &msg.Backup{Key: key, Version: version}
	}
	return sec, nil
}

// machines builds E and N.
func (env *Env) machines(o Options, serverName string, sec msg.Secrets) error {
	ecfg := login.ExistingDeviceConfig{Variant: env.V, Intent: qr.Reciprocate, BaseURL: o.BaseURL, ServerName: serverName,
		AccessToken: o.Token, Secrets: sec}
	if env.NIsG {
		ecfg.Intent = qr.Login
	}
	if o.EEdit != nil {
		o.EEdit(&ecfg)
	}
	var err error
	if env.E, err = login.NewExistingDevice(ecfg, o.stream(labelE)); err != nil {
		return err
	}
	nv := env.V
	if o.NVariant != nil {
		nv = *o.NVariant
	}
	ncfg := login.NewDeviceConfig{Variant: nv, Intent: o.NIntent, RendezvousBaseURL: o.BaseURL,
		ServerNames: map[string]string{serverName: o.BaseURL}}
	if o.NEdit != nil {
		o.NEdit(&ncfg)
	}
	env.N, err = login.NewNewDevice(ncfg, o.stream(labelN))
	return err
}

// Route answers r at once from the server it is for, as that server's
// model answers it; the homeserver's token check decides the rendezvous
// request's Auth.
func (env *Env) Route(now login.Millis, r login.Request) login.Response {
	switch r.Target {
	case login.TargetRendezvous:
		return RendezvousRoute(env.Store, env.token, now, r)
	case login.TargetHomeserver:
		resp, _ := env.HS.Handle(now, &oauth.Request{Method: r.Method, Path: r.Path, Header: r.Header, Body: r.Body})
		return login.Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}
	case login.TargetOP:
		resp, _ := env.OP.Handle(now, &oauth.Request{Method: r.Method, Path: r.Path, Header: r.Header, Body: r.Body})
		return login.Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}
	}
	return login.Response{}
}

// RendezvousRoute answers a machine's rendezvous request from store. A
// bearer token is valid when it is token (the homeserver checks it before
// the store sees the request).
func RendezvousRoute(store *rendezvous.Store, token string, now login.Millis, r login.Request) login.Response {
	h := make(rendezvous.Header, 0, len(r.Header))
	for _, f := range r.Header {
		h = append(h, rendezvous.Field{Name: f.Name, Value: f.Value})
	}
	req := &rendezvous.Request{Method: r.Method, Path: r.Path, Header: h, Body: r.Body}
	if tok, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		req.Auth = rendezvous.AuthInvalid
		if tok == token {
			req.Auth = rendezvous.AuthValid
		}
	}
	resp, _ := store.Handle(rendezvous.Millis(now), req)
	oh := make(login.Header, 0, len(resp.Header))
	for _, f := range resp.Header {
		oh = append(oh, oauth.Field{Name: f.Name, Value: f.Value})
	}
	return login.Response{Status: resp.Status, Header: oh, Body: resp.Body}
}

// PendingGrant is the latest device grant still waiting for the user at
// the provider.
func (env *Env) PendingGrant() (oauth.Grant, bool) {
	var grant oauth.Grant
	found := false
	for _, g := range env.OP.Grants() {
		if g.State == oauth.GrantPending {
			grant, found = g, true
		}
	}
	return grant, found
}

// Consent is Alice at the provider in E's browser: she enters grant's user
// code and answers action (oauth.ActionConsent or oauth.ActionReject). It
// returns the kind of the page she ends on.
func (env *Env) Consent(now login.Millis, grant oauth.Grant, action string) oauth.PageKind {
	sess := oauth.Session{UserID: AliceID, Browser: "e"}
	form := wire.NewHeader("Content-Type", oauth.ContentTypeForm)
	_, page, _ := env.OP.Browse(now, &oauth.Request{Method: "POST", Path: "/" + oauth.PathLink, Header: form,
		Body: oauth.EncodeForm("code", grant.UserCode)}, sess)
	_, page, _ = env.OP.Browse(now, &oauth.Request{Method: "POST", Path: "/" + oauth.PathConsent + page.GrantID, Header: form,
		Body: oauth.EncodeForm("action", action)}, sess)
	return page.Kind
}
