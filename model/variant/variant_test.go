package variant

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEveryPresetLoads(t *testing.T) {
	names := Names()
	for _, want := range []string{"msc4108-2024", "msc4108-87f8317", "msc4108-2025", "msc4388-726e115", "msc4388-vodozemac", "rust-sdk-pr6173", "js-sdk-develop", "msc4388-mas", "txn-put"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("preset %s missing from %v", want, names)
		}
	}
	for _, n := range names {
		v, err := Load(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if len(v.Knobs()) == 0 {
			t.Fatalf("%s: no knobs", n)
		}
		// A marshalled variant parses back to itself.
		b, err := v.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		w, err := Parse(b, n+".json")
		if err != nil {
			t.Fatalf("%s: round trip: %v\n%s", n, err, b)
		}
		if !reflect.DeepEqual(w, v) {
			t.Fatalf("%s: round trip changed the variant", n)
		}
	}
}

func TestBadPresets(t *testing.T) {
	good, _ := MustLoad("msc4388").Marshal()
	edit := func(old, new string) []byte { return []byte(strings.Replace(string(good), old, new, 1)) }
	cases := []struct {
		name string
		in   []byte
		want string // in the error
	}{
		{"unknown field", edit(`"qr": {`, `"qr": {"colour": 1, `), `msc4388.json: unknown field "colour"`},
		{"wrong type", edit(`"whoami": true`, `"whoami": "yes"`), "field flow.whoami"},
		{"bad construction", edit(`"hpke-spec"`, `"rot13"`), `channel.construction: "rot13" is not valid (want ecies-spec, ecies-vodozemac, hpke-spec, hpke-vodozemac)`},
		{"bad ack", edit(`"after-browser"`, `"whenever"`), "flow.ack"},
		{"bad qr", edit(`"format": "msc4388"`, `"format": "msc9999"`), "qr.format"},
		{"bad rendezvous", edit(`"preset": "sequence-token"`, `"preset": "pigeon"`), "rendezvous.preset"},
		{"bad oauth", edit(`"preset": "rfc8628"`, `"preset": "none"`), "oauth.preset"},
		{"zero interval", edit(`"poll_interval_ms": 1000`, `"poll_interval_ms": 0`), "timing.poll_interval_ms"},
		{"name mismatch", edit(`"name": "msc4388"`, `"name": "other"`), "does not match the file name"},
		{"2024 with 7th reason", edit(`"generation": "2026"`, `"generation": "2024", "homeserver_field": "url"`), "homeserver_field"},
		{"txn PUT on a server without it", edit(`"preset": "sequence-token"`, `"preset": "sequence-token", "put_txn_id": true`), "rendezvous.put_txn_id"},
		{"discovery on etag", edit(`"preset": "sequence-token"`, `"preset": "etag", "discovery": true`), "rendezvous"},
		{"bad homeserver_accept", edit(`"homeserver_accept": "any"`, `"homeserver_accept": "ftp"`), `messages.homeserver_accept: "ftp" is not valid (want any, url)`},
		{"bad unexpected_message", edit(`"unexpected_message": "send"`, `"unexpected_message": "shout"`), "flow.unexpected_message"},
		{"bad device_check_error", edit(`"device_check_error": "http-error"`, `"device_check_error": "maybe"`), "flow.device_check_error"},
		{"trailing data", append(append([]byte{}, good...), "{}"...), "data after"},
		{"syntax", []byte("{\n\"name\": }"), "line 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in, "presets/msc4388.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrVariant) {
				t.Fatalf("got %v, want an ErrVariant mentioning %q", err, tc.want)
			}
		})
	}
}

func TestUnknownPreset(t *testing.T) {
	if _, err := Load("nope"); err == nil || !strings.Contains(err.Error(), "msc4388") {
		t.Fatalf("got %v", err)
	}
}

// TestOptionalKnobDefaults: a preset file without the optional knobs gets
// the texts' behaviour, spelled out; the Rust SDK's preset sets all three.
func TestOptionalKnobDefaults(t *testing.T) {
	good, _ := MustLoad("msc4388").Marshal()
	b := string(good)
	for _, cut := range []string{`,
    "homeserver_accept": "any"`, `,
    "unexpected_message": "send"`, `,
    "device_check_error": "http-error"`} {
		if !strings.Contains(b, cut) {
			t.Fatalf("marshalled preset lacks %q", cut)
		}
		b = strings.Replace(b, cut, "", 1)
	}
	v, err := Parse([]byte(b), "msc4388.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v, MustLoad("msc4388")) {
		t.Fatalf("defaults: %+v %+v", v.Messages, v.Flow)
	}
	x := MustLoad("element-x")
	if x.Messages.HomeserverAccept != AcceptURL || x.Flow.UnexpectedMessage != UnexpectedNewDeviceOnly ||
		x.Flow.DeviceCheckError != DeviceCheckAlreadyExists {
		t.Fatalf("element-x: %+v %+v", x.Messages, x.Flow)
	}
}

// TestFormerNames: every former preset name still loads, under its former
// name, with exactly the knobs of the renamed preset; Names lists only the
// new names.
func TestFormerNames(t *testing.T) {
	names := strings.Join(Names(), " ") + " "
	for _, old := range FormerNames() {
		cur, ok := Renamed(old)
		if !ok {
			t.Fatalf("%s: no current name", old)
		}
		if strings.Contains(names, old+" ") && !strings.Contains(names, old+"-") {
			t.Errorf("former name %s still listed among %s", old, names)
		}
		v, err := Load(old)
		if err != nil {
			t.Fatalf("%s: %v", old, err)
		}
		w := MustLoad(cur)
		if v.Name != old {
			t.Errorf("%s loads as %q", old, v.Name)
		}
		v.Name = cur
		if !reflect.DeepEqual(v, w) {
			t.Errorf("%s differs from %s beyond its name", old, cur)
		}
	}
}
