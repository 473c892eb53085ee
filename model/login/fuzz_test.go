package login_test

import (
	"fmt"
	"strings"
	"testing"

	. "qrlab/model/login"
	"qrlab/model/login/logintest"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/variant"
)

// fuzzPresets are the variants the fuzz targets pick from.
var fuzzPresets = []string{"msc4108-2024", "msc4388", "msc4108-2025", "element-web", "element-x", "msc4388-txn"}

// fuzzBodies are response bodies a fuzzed response may carry: plausible
// answers of every endpoint the machines talk to, and junk.
var fuzzBodies = [][]byte{
	nil, []byte("not json"), []byte("{}"), []byte(`{"url":"https://matrix.example.org/r/abc"}`),
	[]byte(`{"id":"abc","sequence_token":"1","expires_in_ms":1000}`), []byte(`{"data":"","sequence_token":"1"}`),
	[]byte(`{"data":"QUJDREVGR0g","sequence_token":"7"}`), []byte(`{"sequence_token":"9"}`), []byte("QUJDREVGR0g"),
	[]byte(`{"device_authorization_endpoint":"https://auth.lab.example/oauth2/device","token_endpoint":"https://auth.lab.example/oauth2/token"}`),
	[]byte(`{"issuer":"https://auth.lab.example/"}`), []byte(`{"client_id":"c"}`),
	[]byte(`{"device_code":"d","user_code":"u","verification_uri":"https://x/","expires_in":60,"interval":1}`),
	[]byte(`{"error":"authorization_pending"}`), []byte(`{"error":"slow_down"}`), []byte(`{"error":"access_denied"}`),
	[]byte(`{"error":"expired_token"}`), []byte(`{"access_token":"t"}`), []byte(`{"user_id":"@alice:lab.example"}`),
	[]byte(`{"data":5,"sequence_token":null}`),
	[]byte(`{"user_id":"@alice:lab.example","device_id":"OTHER"}`), []byte(`{"create_available":true}`),
	[]byte(`{"create_available":false}`),
	[]byte(`{"algorithm":"m.megolm_backup.v1.curve25519-aes-sha2","auth_data":{"public_key":"AAAA"},"version":"1"}`),
}

var fuzzStatuses = []int{0, 200, 201, 202, 304, 400, 401, 403, 404, 409, 412, 429, 500}

// tbf is what the fuzz driver needs of testing.T and rapid.T.
type tbf interface {
	tb
	Fatalf(format string, args ...any)
}

// fuzzDriver runs the real world for a fuzzed number of events, then takes
// one machine over and feeds it fuzzed inputs, then lets its requests fail
// and its timers fire until it ends.
func fuzzDriver(t tbf, data []byte, onN bool) {
	if len(data) < 3 {
		return
	}
	v := variant.MustLoad(fuzzPresets[int(data[0])%len(fuzzPresets)])
	intent := qr.Login
	if data[1]&1 == 1 {
		intent = qr.Reciprocate
	}
	w := newWorld(t, v, worldOpts{NIntent: intent, Seed: uint64(data[1]), Backup: data[1]&2 != 0}, user{})
	w.Start()
	for i := 0; i < int(data[2])*2 && w.Len() > 0; i++ {
		w.Next()
	}
	var m logintest.Machine = w.E
	if onN {
		m = w.N
	}
	// The machine is now ours: nothing answers it but the fuzzed inputs.
	d := &logintest.Driver{M: m, Now: w.Now(), Watch: func(f Effect) { checkEarly(t, m, f) }}
	owed := w.Pending(onN) // pending responses and timers from the prefix
	rest := data[3:]
	next := func() byte {
		if len(rest) == 0 {
			return 0
		}
		b := rest[0]
		rest = rest[1:]
		return b
	}
	for len(rest) > 0 {
		d.Now += Millis(next()) * 50
		var in Input
		switch op := next() % 8; op {
		case 0, 1: // a fuzzed answer to the latest request
			if len(d.Requests) == 0 {
				continue
			}
			r := d.Requests[len(d.Requests)-1]
			in = Input{Kind: InputResponse, ID: r.ID, Response: Response{Status: fuzzStatuses[int(next())%len(fuzzStatuses)],
				Body: fuzzBodies[int(next())%len(fuzzBodies)], Header: Header{{Name: "ETag", Value: `"e` + string('0'+rune(next()%10)) + `"`}}}}
		case 2: // the real answer to the latest request
			if len(d.Requests) == 0 {
				continue
			}
			r := d.Requests[len(d.Requests)-1]
			in = Input{Kind: InputResponse, ID: r.ID, Response: w.Serve(r)}
		case 3: // something owed from the prefix, possibly stale
			if len(owed) == 0 {
				continue
			}
			i := int(next()) % len(owed)
			in = owed[i]
		case 4: // a timer
			if len(d.Timers) == 0 {
				continue
			}
			in = Input{Kind: InputTimer, ID: d.Timers[int(next())%len(d.Timers)].Timer}
		case 5: // a user action
			k := InputKind(int(InputStart) + int(next())%10)
			in = Input{Kind: k, OK: next()&1 == 1, Text: m.CheckCode()}
			if next()&1 == 1 {
				in.Text = "42"
			}
			if k == InputScanned {
				n := int(next()) % (len(rest) + 1)
				in.Data = rest[:n]
				rest = rest[n:]
			}
		default: // a random ID
			in = Input{Kind: InputKind(next() % 12), ID: uint64(next())}
		}
		d.Feed(in)
	}
	drain(t, d)
}

// drain ends the fuzzed prefix: every request fails, every timer fires,
// and a user still waited for cancels, until the machine ends. A machine
// whose policy retries a request through transport errors without a bound
// (the rust-sdk-pr6173 token poll: back off, no retry budget) never ends
// while every request fails, so past drainPatience of such failures the
// user gives up and cancels, and then the machine must end.
func drain(t tbf, d *logintest.Driver) {
	start := d.Now
	cancelled := false
	for i := 0; i < drainSteps && !d.M.State().Terminal(); i++ {
		d.Now += 1000
		switch {
		case !cancelled && d.Now-start > drainPatience:
			cancelled = true
			d.Feed(Input{Kind: InputCancel})
		case len(d.Requests) > 0:
			r := d.Requests[len(d.Requests)-1]
			d.Requests = d.Requests[:0]
			d.Feed(Input{Kind: InputResponse, ID: r.ID})
		case len(d.Timers) > 0:
			f := d.Timers[0]
			d.Timers = d.Timers[1:]
			if f.At > d.Now {
				d.Now = f.At
			}
			d.Feed(Input{Kind: InputTimer, ID: f.Timer})
		default:
			d.Feed(Input{Kind: InputCancel})
		}
	}
	if !d.M.State().Terminal() {
		t.Fatalf("not terminal after %d s of failed requests and fired timers (the user cancelled after %d s: %v): %s",
			(d.Now-start)/1000, drainPatience/1000, cancelled, d.M.State())
	}
}

// drainPatience is how long the user of drain waits, in the machine's
// time, before cancelling: an hour, past every retry budget of the presets
// (at most 15 minutes) and every device code's lifetime. drainSteps bounds
// the drain's steps (a step is a second or more), well past that hour.
const (
	drainPatience = Millis(3_600_000)
	drainSteps    = 20_000
)

// checkEarly fails the test when m seals the secrets or m.login.protocol
// before the facts allow it.
func checkEarly(t tbf, m logintest.Machine, f Effect) {
	if f.Kind != EffectChannel || !f.Sealed {
		return
	}
	if f.MsgType == "m.login.secrets" {
		fa := m.Facts()
		if (fa.Generator && !fa.CodeConfirmed) || !fa.DeviceChecked || !fa.SuccessReceived {
			t.Fatalf("secrets sealed too early: %+v", fa)
		}
	}
	if f.MsgType == "m.login.protocol" {
		if fa := m.Facts(); fa.Generator && !fa.CodeConfirmed {
			t.Fatalf("m.login.protocol sealed before the check code: %+v", fa)
		}
	}
}

// FuzzNewDeviceStep drives the new device into a fuzzed state of a real
// login and then feeds it fuzzed inputs.
func FuzzNewDeviceStep(f *testing.F) {
	f.Add([]byte{1, 0, 40, 0, 2, 0, 1, 3, 1})
	f.Add([]byte{0, 1, 90, 5, 0, 4, 7, 5, 9})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDriver(t, data, true) })
}

// FuzzExistingDeviceStep does the same for the existing device.
func FuzzExistingDeviceStep(f *testing.F) {
	f.Add([]byte{1, 1, 40, 0, 2, 0, 1, 3, 1})
	f.Add([]byte{4, 0, 120, 5, 0, 4, 7, 5, 9})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDriver(t, data, false) })
}

// recorder keeps the first failure instead of stopping the test.
type recorder struct{ msg string }

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	if r.msg == "" {
		r.msg = fmt.Sprint(args...)
	}
}
func (r *recorder) Fatalf(format string, args ...any) { r.Fatal(fmt.Sprintf(format, args...)) }

// TestCheckEarly: the fuzz driver's check flags the facts of a machine that
// sealed too early (mutants that do) and passes the honest one's. The fuzzed
// runs seldom get that far, so this shows the check can fire at all.
func TestCheckEarly(t *testing.T) {
	cases := []struct {
		mutation string
		onN      bool // the machine checked: N, else E
		msgType  string
		want     string
	}{
		{variant.MutSecretsBeforeSuccess, false, msg.TypeSecrets, "secrets sealed too early"},
		{variant.MutNoCheckCode, true, msg.TypeProtocol, "m.login.protocol sealed before the check code"},
	}
	for _, tc := range cases {
		t.Run(tc.mutation, func(t *testing.T) {
			for _, mutant := range []bool{false, true} {
				var o worldOpts
				if mutant {
					o.VEdit = mutate(tc.mutation)
				}
				w := runPreset(t, "msc4388", qr.Login, o, user{})
				var m logintest.Machine = w.E
				if tc.onN {
					m = w.N
				}
				if !strings.Contains(w.Log(), map[bool]string{true: "N", false: "E"}[tc.onN]+" sealed "+tc.msgType+"\n") {
					t.Fatalf("mutant %v: %s never sealed\n%s", mutant, tc.msgType, w.Log())
				}
				var r recorder
				checkEarly(&r, m, Effect{Kind: EffectChannel, Sealed: true, MsgType: tc.msgType})
				if flagged := strings.Contains(r.msg, tc.want); flagged != mutant {
					t.Fatalf("mutant %v: check said %q", mutant, r.msg)
				}
			}
		})
	}
}
