package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"qrlab/model/qr"
)

const qrUsage = `usage: simrun qr decode [--format F] BASE64|-
       simrun qr encode --format F --intent login|reciprocate --key BASE64
                        (--url U [--server-name S] | --id ID --base-url U) [--prefix P]

decode prints the payload as one JSON object on one line:
  {"format":...,"intent":...,"public_key":...,"rendezvous_url"|"server_name"|
   "rendezvous_id"|"base_url"|"prefix":...}
with the fields the payload carries. Base64 may be padded or not; "-" reads
it from standard input. Without --format the layout is detected.
encode prints the payload as unpadded standard base64 and a newline.

Formats:
  msc4108-2024           "MATRIX" 02, --url, and --server-name with reciprocate
  msc4388-2025           "MATRIX" 03, u16 ID length, --id and --base-url
  msc4388-2025-unstable  the same under "IO_ELEMENT_MSC4388"
                         (--prefix IO_ELEMENT_MSC4108 for the 2025 text's)
  msc4388                "MATRIX" 03, u8 ID length, --id and --base-url
  msc4388-unstable       the same under "IO_ELEMENT_MSC4388"
  msc4388-bytes8         "MATRIX" 03, u8 ID length, u8 base URL length (a later
                         MSC4388 revision): --base-url of at most 255 bytes

Exit status: 0 ok, 2 bad usage or an invalid payload.
`

// qrJSON is the decoded payload as `simrun qr decode` prints it.
type qrJSON struct {
	Format        string `json:"format"`
	Intent        string `json:"intent"`
	PublicKey     string `json:"public_key"`
	RendezvousURL string `json:"rendezvous_url,omitempty"`
	ServerName    string `json:"server_name,omitempty"`
	RendezvousID  string `json:"rendezvous_id,omitempty"`
	BaseURL       string `json:"base_url,omitempty"`
	Prefix        string `json:"prefix,omitempty"`
}

func runQR(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "simrun qr: missing subcommand: decode or encode (simrun qr --help)")
		return 2
	}
	switch args[0] {
	case "decode":
		return runQRDecode(args[1:], stdin, stdout, stderr)
	case "encode":
		return runQREncode(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, qrUsage)
		return 0
	}
	fmt.Fprintf(stderr, "simrun qr: unknown subcommand %s (want decode or encode)\n", strconv.QuoteToASCII(args[0]))
	return 2
}

// qrFlagSet makes a subcommand's flag set. It prints nothing itself:
// qrParse reports a parse error in one line on stderr, and --help on stdout.
func qrFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("simrun qr "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// qrParse parses args into fs and says whether to go on, or with which
// exit status to stop.
func qrParse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, qrUsage)
			fmt.Fprintln(stdout, "\nFlags of", fs.Name()+":")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0, false
		}
		fmt.Fprintf(stderr, "%s: %v (see --help)\n", fs.Name(), err)
		return 2, false
	}
	return 0, true
}

func runQRDecode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := qrFlagSet("decode")
	format := fs.String("format", "", "read this layout only (default: detect it)")
	if status, ok := qrParse(fs, args, stdout, stderr); !ok {
		return status
	}
	fail := func(msg string, a ...any) int {
		fmt.Fprintf(stderr, "simrun qr decode: "+msg+"\n", a...)
		return 2
	}
	if fs.NArg() != 1 {
		return fail("want one base64 payload argument, got %d (see --help)", fs.NArg())
	}
	text := fs.Arg(0)
	if text == "-" {
		var err error
		if text, err = readPayload(stdin); err != nil {
			return fail("%v", err)
		}
	}
	var p qr.Payload
	var err error
	if *format != "" {
		f, perr := qr.ParseFormat(*format)
		if perr != nil {
			return fail("--format: %v", perr)
		}
		p, err = qr.DecodeStringFormat(text, f)
	} else {
		p, err = qr.DecodeString(text)
	}
	if err != nil {
		return fail("%v", err)
	}
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(qrJSON{
		Format: string(p.Format), Intent: p.Intent.String(), PublicKey: p.Key.String(),
		RendezvousURL: p.RendezvousURL, ServerName: p.ServerName,
		RendezvousID: p.RendezvousID, BaseURL: p.BaseURL, Prefix: p.Prefix,
	}); err != nil {
		return fail("%v", err)
	}
	io.WriteString(stdout, escapeUnprintable(out.String()))
	return 0
}

// maxPayloadText bounds what qr decode reads from standard input: a QR
// code holds at most 2953 bytes, about 3.9 kB in base64.
const maxPayloadText = 8 << 10

// readPayload reads one base64 payload from r: its first line, of at most
// maxPayloadText bytes.
func readPayload(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxPayloadText+1))
	line, err := br.ReadString('\n')
	switch {
	case err != nil && err != io.EOF:
		return "", fmt.Errorf("reading standard input: %v", err)
	case len(line) > maxPayloadText || (err == io.EOF && len(line) == maxPayloadText+1):
		return "", fmt.Errorf("standard input has a line of more than %d bytes; a QR payload in base64 is at most about 4 kB", maxPayloadText)
	}
	return strings.TrimSpace(line), nil
}

// escapeUnprintable writes every rune that is not printable (a control or
// format character: bidi overrides, escapes) as a JSON \u escape, so that a
// decoded payload cannot drive the terminal; JSON text stays JSON.
func escapeUnprintable(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, "\\u%04x\\u%04x", r1, r2)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func runQREncode(args []string, stdout, stderr io.Writer) int {
	fs := qrFlagSet("encode")
	format := fs.String("format", "", "payload layout (required; see Formats)")
	intent := fs.String("intent", "", "login or reciprocate (required)")
	key := fs.String("key", "", "the generating device's X25519 public key, base64 (required)")
	url := fs.String("url", "", "rendezvous URL (msc4108-2024)")
	serverName := fs.String("server-name", "", "homeserver server name (msc4108-2024 with reciprocate)")
	id := fs.String("id", "", "rendezvous ID (msc4388 formats)")
	baseURL := fs.String("base-url", "", "homeserver base URL (msc4388 formats)")
	prefix := fs.String("prefix", "", "prefix, for a format that allows two (default: the format's usual one)")
	if status, ok := qrParse(fs, args, stdout, stderr); !ok {
		return status
	}
	fail := func(msg string, a ...any) int {
		fmt.Fprintf(stderr, "simrun qr encode: "+msg+"\n", a...)
		return 2
	}
	if fs.NArg() != 0 {
		return fail("unexpected argument %q (all values go in flags; see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range []string{"format", "intent", "key"} {
		if !set[name] {
			return fail("--%s is required (see --help)", name)
		}
	}
	f, err := qr.ParseFormat(*format)
	if err != nil {
		return fail("--format: %v", err)
	}
	in, err := qr.ParseIntent(*intent)
	if err != nil {
		return fail("--intent: %v", err)
	}
	k, err := qr.ParsePublicKey(*key)
	if err != nil {
		return fail("--key: %v", err)
	}

	// Which string flags the format takes, and which it needs.
	takes, needs := []string{"id", "base-url"}, []string{"id", "base-url"}
	if f == qr.Format2024 {
		takes, needs = []string{"url"}, []string{"url"}
		if in == qr.Reciprocate {
			takes, needs = []string{"url", "server-name"}, []string{"url", "server-name"}
		}
	}
	for _, name := range []string{"url", "server-name", "id", "base-url"} {
		switch {
		case set[name] && !slices.Contains(takes, name):
			if name == "server-name" && f == qr.Format2024 {
				return fail("--server-name goes with --intent reciprocate only, not %s", in)
			}
			return fail("--%s does not fit format %s (it takes --%s)", name, f, strings.Join(takes, " and --"))
		case !set[name] && slices.Contains(needs, name):
			return fail("format %s with intent %s needs --%s", f, in, name)
		}
	}
	if f == qr.Format2026Bytes8 && len(*baseURL) > 255 {
		return fail("--base-url is %d bytes; format %s has a one-byte length, so at most 255 fit", len(*baseURL), f)
	}
	p := qr.Payload{Format: f, Prefix: *prefix, Intent: in, Key: k,
		RendezvousURL: *url, ServerName: *serverName, RendezvousID: *id, BaseURL: *baseURL}
	s, err := p.EncodeString()
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintln(stdout, s)
	return 0
}
