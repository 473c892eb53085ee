package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"qrlab/internal/fixture"
)

// runQRCmd runs `simrun qr args...` on buffers.
func runQRCmd(stdin string, args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = runQR(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

const (
	qrTestKey  = "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws"
	qrTestURL  = "https://rendezvous.lab.element.dev/e8da6355-550b-4a32-a193-1619d9830668"
	qrTestID   = "e8da6355-550b-4a32-a193-1619d9830668"
	qrTestBase = "https://matrix-client.matrix.org"
	qrTestSDK  = "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PBowMUhYOUswMFExSDZLUEQ0N0VHNEcxVDNYRwAkaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2"
)

// qrTestB64 is the base64 of the hex (spaces allowed) and quoted ASCII runs
// in s.
func qrTestB64(t *testing.T, s string) string {
	t.Helper()
	var b []byte
	for i, part := range strings.Split(s, `"`) {
		if i%2 == 1 {
			b = append(b, part...)
			continue
		}
		h := fixture.Hex(part)
		b = append(b, h...)
	}
	return base64.RawStdEncoding.EncodeToString(b)
}

const qrTestKeyHex = "d886686ab2197b780e300a9d4a2147480700d7929f39ab31b9e514370248ed6b"

func TestQRDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string // base64, or hex and "ASCII" when hex is set
		hex  bool
		pad  bool     // with hex: encode padded
		args []string // extra flags before the payload
		want string
	}{
		{name: "2024 login (spec example)", hex: true,
			in:   `"MATRIX" 02 03` + qrTestKeyHex + `0047 "` + qrTestURL + `"`,
			want: `{"format":"msc4108-2024","intent":"login","public_key":"` + qrTestKey + `","rendezvous_url":"` + qrTestURL + `"}`},
		{name: "2024 reciprocate (spec example)", hex: true,
			in:   `"MATRIX" 02 04` + qrTestKeyHex + `0047 "` + qrTestURL + `" 000a "matrix.org"`,
			want: `{"format":"msc4108-2024","intent":"reciprocate","public_key":"` + qrTestKey + `","rendezvous_url":"` + qrTestURL + `","server_name":"matrix.org"}`},
		{name: "msc4388 (2026 MSC example)", hex: true,
			in:   `"MATRIX" 03 00` + qrTestKeyHex + `24 "` + qrTestID + `" 0020 "` + qrTestBase + `"`,
			want: `{"format":"msc4388","intent":"login","public_key":"` + qrTestKey + `","rendezvous_id":"` + qrTestID + `","base_url":"` + qrTestBase + `"}`},
		{name: "Rust SDK vector", in: qrTestSDK,
			want: `{"format":"msc4388-unstable","intent":"reciprocate","public_key":"tMs2dUFaUNY5Z6MVl93eY61kRXxC8Y0toDe6c/cvtzw","rendezvous_id":"01HX9K00Q1H6KPD47EG4G1T3XG","base_url":"https://synapse-oidc.lab.element.dev"}`},
		{name: "2024 login, padded base64", hex: true, pad: true,
			in:   `"MATRIX" 02 03` + qrTestKeyHex + `0047 "` + qrTestURL + `"`,
			want: `{"format":"msc4108-2024","intent":"login","public_key":"` + qrTestKey + `","rendezvous_url":"` + qrTestURL + `"}`},
		{name: "msc4388-2025 by hand", hex: true,
			in:   `"MATRIX" 03 01` + qrTestKeyHex + `0024 "` + qrTestID + `" 0020 "` + qrTestBase + `"`,
			want: `{"format":"msc4388-2025","intent":"reciprocate","public_key":"` + qrTestKey + `","rendezvous_id":"` + qrTestID + `","base_url":"` + qrTestBase + `"}`},
		{name: "msc4388-2025-unstable, IO_ELEMENT_MSC4108 prefix", hex: true,
			in:   `"IO_ELEMENT_MSC4108" 03 00` + qrTestKeyHex + `0024 "` + qrTestID + `" 0020 "` + qrTestBase + `"`,
			want: `{"format":"msc4388-2025-unstable","intent":"login","public_key":"` + qrTestKey + `","rendezvous_id":"` + qrTestID + `","base_url":"` + qrTestBase + `","prefix":"IO_ELEMENT_MSC4108"}`},
		{name: "msc4388-bytes8 login (MSC4388 revision example)", hex: true,
			in:   `4D4154524958 03 00` + qrTestKeyHex + `24 "` + qrTestID + `" 20 "` + qrTestBase + `"`,
			want: `{"format":"msc4388-bytes8","intent":"login","public_key":"` + qrTestKey + `","rendezvous_id":"` + qrTestID + `","base_url":"` + qrTestBase + `"}`},
		{name: "msc4388-bytes8 reciprocate (MSC4388 revision example)", hex: true,
			in:   `4D4154524958 03 01` + qrTestKeyHex + `24 "` + qrTestID + `" 20 "` + qrTestBase + `"`,
			want: `{"format":"msc4388-bytes8","intent":"reciprocate","public_key":"` + qrTestKey + `","rendezvous_id":"` + qrTestID + `","base_url":"` + qrTestBase + `"}`},
		{name: "forced format msc4388-bytes8", hex: true, args: []string{"--format", "msc4388-bytes8"},
			in:   `"MATRIX" 03 00` + qrTestKeyHex + `24 "` + qrTestID + `" 20 "` + qrTestBase + `"`,
			want: `{"format":"msc4388-bytes8","intent":"login","public_key":"` + qrTestKey + `","rendezvous_id":"` + qrTestID + `","base_url":"` + qrTestBase + `"}`},
		{name: "forced format", hex: true, args: []string{"--format", "msc4388"},
			in:   `"MATRIX" 03 00` + qrTestKeyHex + `24 "` + qrTestID + `" 0020 "` + qrTestBase + `"`,
			want: `{"format":"msc4388","intent":"login","public_key":"` + qrTestKey + `","rendezvous_id":"` + qrTestID + `","base_url":"` + qrTestBase + `"}`},
		{name: "no HTML escaping", hex: true,
			in:   `"MATRIX" 02 03` + qrTestKeyHex + `0015 "https://a/b?c=1&d=<2>"`,
			want: `{"format":"msc4108-2024","intent":"login","public_key":"` + qrTestKey + `","rendezvous_url":"https://a/b?c=1&d=<2>"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if tc.hex {
				in = qrTestB64(t, tc.in)
			}
			if tc.pad {
				b, _ := base64.RawStdEncoding.DecodeString(in)
				in = base64.StdEncoding.EncodeToString(b)
				if !strings.HasSuffix(in, "=") {
					t.Fatalf("%q has no padding", in)
				}
			}
			args := append(append([]string{"decode"}, tc.args...), in)
			out, errs, code := runQRCmd("", args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			if out != tc.want+"\n" {
				t.Errorf("stdout\n got %s\nwant %s", out, tc.want)
			}
			// The same from standard input.
			out, errs, code = runQRCmd(in+"\n", append(args[:len(args)-1:len(args)-1], "-")...)
			if code != 0 || out != tc.want+"\n" {
				t.Errorf("from stdin: exit %d, stdout %q, stderr %q", code, out, errs)
			}
		})
	}
}

func TestQREncodeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // the payload, as hex and "ASCII"
	}{
		{"2024 login", []string{"--format", "msc4108-2024", "--intent", "login", "--key", qrTestKey, "--url", qrTestURL},
			`"MATRIX" 02 03` + qrTestKeyHex + `0047 "` + qrTestURL + `"`},
		{"2024 reciprocate, padded key", []string{"--format", "msc4108-2024", "--intent", "reciprocate", "--key", qrTestKey + "=",
			"--url", qrTestURL, "--server-name", "matrix.org"},
			`"MATRIX" 02 04` + qrTestKeyHex + `0047 "` + qrTestURL + `" 000a "matrix.org"`},
		{"msc4388-2025", []string{"--format", "msc4388-2025", "--intent", "login", "--key", qrTestKey, "--id", qrTestID, "--base-url", qrTestBase},
			`"MATRIX" 03 00` + qrTestKeyHex + `0024 "` + qrTestID + `" 0020 "` + qrTestBase + `"`},
		{"msc4388-2025-unstable", []string{"--format", "msc4388-2025-unstable", "--intent", "reciprocate", "--key", qrTestKey, "--id", qrTestID, "--base-url", qrTestBase},
			`"IO_ELEMENT_MSC4388" 03 01` + qrTestKeyHex + `0024 "` + qrTestID + `" 0020 "` + qrTestBase + `"`},
		{"msc4388-2025-unstable, 2025 text prefix", []string{"--format", "msc4388-2025-unstable", "--prefix", "IO_ELEMENT_MSC4108", "--intent", "login",
			"--key", qrTestKey, "--id", qrTestID, "--base-url", qrTestBase},
			`"IO_ELEMENT_MSC4108" 03 00` + qrTestKeyHex + `0024 "` + qrTestID + `" 0020 "` + qrTestBase + `"`},
		{"msc4388", []string{"--format=msc4388", "--intent=login", "--key=" + qrTestKey, "--id=" + qrTestID, "--base-url=" + qrTestBase},
			`"MATRIX" 03 00` + qrTestKeyHex + `24 "` + qrTestID + `" 0020 "` + qrTestBase + `"`},
		{"msc4388-bytes8", []string{"--format", "msc4388-bytes8", "--intent", "reciprocate", "--key", qrTestKey, "--id", qrTestID, "--base-url", qrTestBase},
			`4D4154524958 03 01` + qrTestKeyHex + `24 "` + qrTestID + `" 20 "` + qrTestBase + `"`},
		{"msc4388-bytes8, 255-byte base URL", []string{"--format", "msc4388-bytes8", "--intent", "login", "--key", qrTestKey, "--id", "a",
			"--base-url", "https://" + strings.Repeat("b", 247)},
			`"MATRIX" 03 00` + qrTestKeyHex + `01 "a" ff "https://` + strings.Repeat("b", 247) + `"`},
		{"msc4388-unstable (Rust SDK vector)", []string{"--format", "msc4388-unstable", "--intent", "reciprocate",
			"--key", "tMs2dUFaUNY5Z6MVl93eY61kRXxC8Y0toDe6c/cvtzw", "--id", "01HX9K00Q1H6KPD47EG4G1T3XG", "--base-url", "https://synapse-oidc.lab.element.dev"},
			""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runQRCmd("", append([]string{"encode"}, tc.args...)...)
			if code != 0 || errs != "" {
				t.Fatalf("encode: exit %d, stderr %q", code, errs)
			}
			want := qrTestSDK
			if tc.want != "" {
				want = qrTestB64(t, tc.want)
			}
			if out != want+"\n" {
				t.Fatalf("encode printed %q, want %q", out, want)
			}
			// And back: decode gives the flags' values.
			out, errs, code = runQRCmd("", "decode", strings.TrimSpace(out))
			if code != 0 {
				t.Fatalf("decode: exit %d, stderr %q", code, errs)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("decode printed %q: %v", out, err)
			}
			fields := map[string]string{"format": "format", "intent": "intent", "key": "public_key", "url": "rendezvous_url",
				"server-name": "server_name", "id": "rendezvous_id", "base-url": "base_url", "prefix": "prefix"}
			for i := 0; i < len(tc.args); i++ {
				name, val, ok := strings.Cut(strings.TrimLeft(tc.args[i], "-"), "=")
				if !ok {
					i++
					val = tc.args[i]
				}
				if name == "key" {
					val = strings.TrimRight(val, "=")
				}
				if got[fields[name]] != val {
					t.Errorf("decode: %s = %q, want %q", fields[name], got[fields[name]], val)
				}
			}
		})
	}
}

func TestQRUsageErrors(t *testing.T) {
	enc := func(extra ...string) []string {
		return append([]string{"encode", "--intent", "login", "--key", qrTestKey}, extra...)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no subcommand", nil, "missing subcommand"},
		{"unknown subcommand", []string{"show"}, `unknown subcommand "show"`},
		{"decode without payload", []string{"decode"}, "want one base64 payload argument, got 0"},
		{"decode two payloads", []string{"decode", "TUFUUklY", "TUFUUklY"}, "got 2"},
		{"decode unknown flag", []string{"decode", "--strict", qrTestSDK}, "flag provided but not defined: -strict"},
		{"decode unknown format", []string{"decode", "--format", "msc4389", qrTestSDK}, `--format: qr: format "msc4389"`},
		{"decode bad base64", []string{"decode", "TUFU*klY"}, "simrun qr decode: qr: base64 at offset 4: not standard base64"},
		{"decode unknown intent", []string{"decode", "TUFUUklYAgk"}, "simrun qr decode: qr: intent at offset 7: unknown intent 0x09\n"},
		{"decode truncated", []string{"decode", "TUFUUklYAg"}, "qr: intent at offset 7: truncated"},
		{"decode with the wrong format", []string{"decode", "--format", "msc4388-2025-unstable", qrTestSDK}, "qr: rendezvous_id at offset 52: length 6704 runs past end"},
		{"encode unknown flag", enc("--format", "msc4388", "--homeserver", "x"), "flag provided but not defined: -homeserver"},
		{"encode flag without value", []string{"encode", "--format"}, "flag needs an argument: -format"},
		{"encode positional argument", enc("--format", "msc4388", "--id", "a", "--base-url", "b", "extra"), `unexpected argument "extra"`},
		{"encode no format", enc("--id", "a", "--base-url", "b"), "--format is required"},
		{"encode no intent", []string{"encode", "--format", "msc4388", "--key", qrTestKey, "--id", "a", "--base-url", "b"}, "--intent is required"},
		{"encode no key", []string{"encode", "--format", "msc4388", "--intent", "login", "--id", "a", "--base-url", "b"}, "--key is required"},
		{"encode unknown format", enc("--format", "msc4108"), `--format: qr: format "msc4108"`},
		{"encode unknown intent", []string{"encode", "--format", "msc4388", "--intent", "scan", "--key", qrTestKey}, `--intent: qr: intent "scan"`},
		{"encode bad key", []string{"encode", "--format", "msc4388", "--intent", "login", "--key", "AAAA"}, "--key: qr: public key: 3 bytes, want 32"},
		{"encode key not base64", []string{"encode", "--format", "msc4388", "--intent", "login", "--key", "not a key"}, "--key: qr: public key"},
		{"encode url for msc4388", enc("--format", "msc4388", "--url", qrTestURL), "--url does not fit format msc4388 (it takes --id and --base-url)"},
		{"encode server name for msc4388", enc("--format", "msc4388", "--id", "a", "--base-url", "b", "--server-name", "x"), "--server-name does not fit format msc4388"},
		{"encode id for 2024", enc("--format", "msc4108-2024", "--url", qrTestURL, "--id", "a"), "--id does not fit format msc4108-2024 (it takes --url)"},
		{"encode server name with login", enc("--format", "msc4108-2024", "--url", qrTestURL, "--server-name", "matrix.org"), "--server-name goes with --intent reciprocate only"},
		{"encode 2024 reciprocate without server name", []string{"encode", "--format", "msc4108-2024", "--intent", "reciprocate", "--key", qrTestKey, "--url", qrTestURL},
			"format msc4108-2024 with intent reciprocate needs --server-name"},
		{"encode 2024 without url", enc("--format", "msc4108-2024"), "needs --url"},
		{"encode msc4388 without id", enc("--format", "msc4388", "--base-url", "b"), "needs --id"},
		{"encode msc4388 without base url", enc("--format", "msc4388-unstable", "--id", "a"), "needs --base-url"},
		{"encode empty id", enc("--format", "msc4388", "--id", "", "--base-url", "b"), "qr: encode msc4388: rendezvous_id: required, but empty"},
		{"encode id too long for u8", enc("--format", "msc4388", "--id", strings.Repeat("a", 256), "--base-url", "b"), "rendezvous_id: 256 bytes, at most 255 fit"},
		{"encode id outside the grammar", enc("--format", "msc4388-2025", "--id", "a/b", "--base-url", "b"), "outside the opaque identifier grammar"},
		{"encode base URL too long for msc4388-bytes8", enc("--format", "msc4388-bytes8", "--id", "a", "--base-url", "https://"+strings.Repeat("b", 248)),
			"simrun qr encode: --base-url is 256 bytes; format msc4388-bytes8 has a one-byte length, so at most 255 fit\n"},
		{"encode unstable prefix for msc4388-bytes8", enc("--format", "msc4388-bytes8", "--prefix", "IO_ELEMENT_MSC4388", "--id", "a", "--base-url", "b"),
			`prefix "IO_ELEMENT_MSC4388" is not one of msc4388-bytes8's`},
		{"decode msc4388-bytes8 bytes as msc4388", []string{"decode", "--format", "msc4388",
			base64.RawStdEncoding.EncodeToString(append(append(append([]byte("MATRIX\x03\x00"), fixture.Hex(qrTestKeyHex)...), append([]byte{0x24}, qrTestID...)...),
				append([]byte{0x20}, qrTestBase...)...))},
			"qr: base_url at offset 77: length 8296 runs past end (31 bytes left)"},
		{"encode prefix for another format", enc("--format", "msc4388", "--prefix", "IO_ELEMENT_MSC4108", "--id", "a", "--base-url", "b"), `prefix "IO_ELEMENT_MSC4108" is not one of msc4388's`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runQRCmd("", tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.want)
			}
			if tc.args != nil && strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr %q is not one line", errs)
			}
		})
	}
}

func TestQRHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"decode", "--help"}, {"encode", "-h"}, {"encode", "--format", "msc4388", "--help"}} {
		out, errs, code := runQRCmd("", args...)
		if code != 0 || errs != "" || !strings.Contains(out, "usage: simrun qr decode") {
			t.Errorf("%q: exit %d, stderr %q, stdout %q", args, code, errs, out)
		}
	}
	// Through the dispatcher too.
	var out, errb bytes.Buffer
	if code := dispatch([]string{"qr", "encode", "--help"}, strings.NewReader(""), &out, &errb); code != 0 || !strings.Contains(out.String(), "-base-url") {
		t.Errorf("dispatch qr encode --help: exit %d, stdout %q", code, out.String())
	}
}
