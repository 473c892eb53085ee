package logintest

import (
	"slices"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/channel"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// TestDriverAgainstForgedPeer drives one new device alone against the real
// store and plays the scanning device by hand through a Mailbox on the
// session the machine created: a hand-made LoginInitiate gets the machine's
// LoginOk, and an m.login.success out of place ends its login. This is how
// a battery of properties forges or splices payloads.
func TestDriverAgainstForgedPeer(t *testing.T) {
	v := variant.MustLoad("msc4388")
	rc, err := v.RendezvousConfig()
	if err != nil {
		t.Fatal(err)
	}
	rc.BaseURL = BaseURL
	box, err := NewMailbox(rc, seeded.Stream(1))
	if err != nil {
		t.Fatal(err)
	}
	n, err := login.NewNewDevice(login.NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: BaseURL}, seeded.Stream(2))
	if err != nil {
		t.Fatal(err)
	}
	d := &Driver{M: n, Store: box.Store, Tick: 10}
	d.Feed(login.Input{Kind: login.InputStart})
	p, err := qr.Decode(d.QR)
	if err != nil {
		t.Fatalf("the new device showed no QR code: %v", err)
	}
	// The scanner's side: the session the machine made.
	box.ID, box.Path = p.RendezvousID, box.Prefix+"/"+p.RendezvousID
	aad := func(token string) []byte {
		b, err := channel.BindingAAD(v.AADLayout(), BaseURL, p.RendezvousID, token)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if st, _ := box.Read(); st != 200 {
		t.Fatalf("read: %d", st)
	}
	cc, _ := v.ChannelConfig()
	ch, initiate, err := channel.Initiate(cc, channel.PublicKey(p.Key), []byte(channel.LoginInitiate), aad(box.Token), seeded.Stream(3))
	if err != nil {
		t.Fatal(err)
	}
	if st := box.Write(initiate); st != 200 {
		t.Fatalf("write LoginInitiate: %d", st)
	}
	before := box.Token
	box.Now = d.Now
	d.FireAll()
	if !slices.Contains(d.Opened, "LoginInitiate") {
		t.Fatalf("the machine did not open LoginInitiate: opened %v\n%v", d.Opened, d.Trace)
	}
	_, ok := box.Read()
	if pt, err := ch.Open(ok, aad(before)); err != nil || string(pt) != channel.LoginOk {
		t.Fatalf("LoginOk: %q %v", pt, err)
	}
	// A well-formed message out of place.
	success, _ := msg.Encode(msg.Success{})
	forged, err := ch.Seal(success, aad(box.Token))
	if err != nil {
		t.Fatal(err)
	}
	if st := box.Write(forged); st != 200 {
		t.Fatalf("write the forgery: %d", st)
	}
	d.FireAll()
	if !slices.Contains(d.Opened, msg.TypeSuccess) || !d.Ended {
		t.Fatalf("opened %v, ended %v\n%v", d.Opened, d.Ended, d.Trace)
	}
	if o := n.Outcome(); o.Reason != login.ReasonUnexpectedMessage {
		t.Fatalf("outcome %s, want unexpected_message_received", o)
	}
}
