package login

import (
	"fmt"
	"strings"

	"qrlab/model/channel"
	"qrlab/model/qr"
)

// Facts are the protocol facts a monitor checks the secrets rule against.
type Facts struct {
	// Generator: this device showed the QR code (it is G).
	Generator bool
	// CodeConfirmed: this device is G and the user typed the right code.
	CodeConfirmed bool
	// ChannelUp: the handshake finished on this side.
	ChannelUp bool
	// DeviceChecked: E saw 404 for the new device's ID before the browser.
	DeviceChecked bool
	// SuccessReceived: E opened m.login.success.
	SuccessReceived bool
	// SecretsSealed: E sealed m.login.secrets.
	SecretsSealed bool
	// ProtocolSealed: N sealed m.login.protocol.
	ProtocolSealed bool
	// Backup: what N made of the key backup in m.login.secrets.
	Backup BackupStatus
}

// startGenerator draws G's key and creates the session under base.
func (c *core) startGenerator(base string) {
	g, err := channel.NewGenerator(c.cc, c.rnd)
	if err != nil {
		c.finish(Outcome{Reason: ReasonInternal, Detail: err.Error()})
		return
	}
	c.gen = g
	c.rvBase = base
	c.setState(StateCreating)
	if c.v.Rendezvous.Discovery {
		c.discoverRendezvous()
		return
	}
	c.create()
}

// qrPayload builds the QR code G shows once the session exists.
func (c *core) qrPayload(intent qr.Intent, baseURL, serverName string) ([]byte, error) {
	p := qr.Payload{Format: c.v.QRFormat(), Intent: intent, Key: qr.PublicKey(c.gen.PublicKey())}
	if p.Format == qr.Format2024 {
		p.RendezvousURL = c.sessURL
		if intent == qr.Reciprocate {
			p.ServerName = serverName
		}
	} else {
		p.RendezvousID, p.BaseURL = c.rvID, baseURL
	}
	return p.Marshal()
}

// showQR emits the QR code and starts waiting for LoginInitiate.
func (c *core) showQR(intent qr.Intent, baseURL, serverName string) {
	b, err := c.qrPayload(intent, baseURL, serverName)
	if err != nil {
		c.failLocal(ReasonInternal, err.Error())
		return
	}
	c.fx = append(c.fx, Effect{Kind: EffectShowQR, Data: b})
	c.setState(StateWaitingInitiate)
	c.startPolling()
}

// scanned decodes a QR code for S and reads the session it names. It
// returns the payload, or false when it ended the login.
func (c *core) scanned(b []byte, want qr.Intent) (qr.Payload, bool) {
	p, err := qr.DecodeFormat(b, c.v.QRFormat())
	if err == nil && c.v.QR.URLCheck {
		err = p.CheckURLs()
	}
	if err != nil {
		c.failLocal(ReasonInvalidQR, err.Error())
		return p, false
	}
	if p.Intent != want {
		c.failLocal(ReasonInvalidQR, fmt.Sprintf("QR intent %s, this device needs %s", p.Intent, want))
		return p, false
	}
	if p.Format == qr.Format2024 {
		c.sessURL = p.RendezvousURL
		if !strings.Contains(c.sessURL, "://") {
			c.failLocal(ReasonInvalidQR, "rendezvous URL is not absolute")
			return p, false
		}
		c.rvBase = originOf(c.sessURL)
	} else {
		c.rvBase, c.rvID = p.BaseURL, p.RendezvousID
		c.sessURL = c.createURL() + "/" + p.RendezvousID
	}
	c.sessPath = pathOf(c.sessURL)
	c.hasSession = true
	sc, err := channel.NewScanner(c.cc, c.rnd)
	if err != nil {
		c.finish(Outcome{Reason: ReasonInternal, Detail: err.Error()})
		return p, false
	}
	c.scanner = sc
	c.gpKey = channel.PublicKey(p.Key)
	c.setState(StateReadingSession)
	c.read()
	return p, true
}

// initiate seals LoginInitiate once S has read the session.
func (c *core) initiate() {
	ch, payload, err := c.scanner.Initiate(c.gpKey, []byte(channel.LoginInitiate), c.aad(c.token))
	if err != nil {
		c.failLocal(ReasonChannelIntegrity, err.Error())
		return
	}
	c.ch = ch
	c.fx = append(c.fx, Effect{Kind: EffectChannel, Sealed: true, MsgType: "LoginInitiate"})
	c.put(payload)
	c.setState(StateSendingInitiate)
}

// accept opens LoginInitiate (data) on G, answers LoginOk and asks for the code.
func (c *core) accept(data string) {
	ch, pt, err := c.gen.Accept(data, c.aad(c.prevToken), c.rnd)
	if err != nil || string(pt) != channel.LoginInitiate {
		if err != nil && c.cc.RetryAccept {
			c.lastRead = data
			c.startPolling()
			return
		}
		c.failLocal(ReasonChannelIntegrity, fmt.Sprintf("LoginInitiate: %v", err))
		return
	}
	c.ch = ch
	c.fx = append(c.fx, Effect{Kind: EffectChannel, MsgType: "LoginInitiate"})
	payload, err := ch.Seal([]byte(channel.LoginOk), c.aad(c.token))
	if err != nil {
		c.failLocal(ReasonInternal, err.Error())
		return
	}
	c.fx = append(c.fx, Effect{Kind: EffectChannel, Sealed: true, MsgType: "LoginOk"})
	if !c.mut.noCheckCode { // the mutation never asks
		c.fx = append(c.fx, Effect{Kind: EffectAskCheckCode})
	}
	c.put(payload)
	c.setState(StateSendingOk)
}

// loginOk opens LoginOk (data) on S and shows the check code.
func (c *core) loginOk(data string) bool {
	pt, err := c.ch.Open(data, c.aad(c.prevToken))
	if err != nil || string(pt) != channel.LoginOk {
		c.failLocal(ReasonChannelIntegrity, fmt.Sprintf("LoginOk: %v", err))
		return false
	}
	c.fx = append(c.fx, Effect{Kind: EffectChannel, MsgType: "LoginOk"},
		Effect{Kind: EffectShowCheckCode, Text: c.ch.CheckCode().String()})
	return true
}

// typedCode checks the code the user typed on G. It returns true when the
// code was just confirmed.
func (c *core) typedCode(text string) bool {
	if c.role != channel.RoleGenerator || c.ch == nil || c.codeOK {
		return false
	}
	if strings.TrimSpace(text) != c.ch.CheckCode().String() {
		c.failLocal(ReasonCheckCodeMismatch, "the typed check code does not match")
		return false
	}
	c.codeOK = true
	return true
}
