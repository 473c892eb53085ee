package main

import (
	"fmt"
	"io"

	"qrlab/internal/seeded"
	"qrlab/model/channel"
)

const demoUsage = `usage: simrun demo

Decodes example QR payloads of every format and shows a handshake and one
message each way for every secure-channel construction, from a fixed seed,
so the output is the same on every machine. It takes no flags.
`

// runDemo is simrun demo: example QR payloads decoded, and a handshake
// transcript for every secure-channel construction, from a fixed seed so the
// output is the same on every machine.
func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun demo", demoUsage, stderr, nil)
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if err := demoQR(stdout); err != nil {
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return 1
	}
	for _, c := range channel.Constructions() {
		if err := demoHandshake(stdout, channel.DefaultConfig(c)); err != nil {
			fmt.Fprintf(stderr, "simrun: %s: %v\n", c, err)
			return 1
		}
	}
	fmt.Fprintln(stdout, "\nRun `simrun --help` for the commands.")
	return 0
}

// demoHandshake prints one handshake and one message each way.
func demoHandshake(w io.Writer, cfg channel.Config) error {
	rnd := seeded.Key('q', 'r', 'l', 'a', 'b')
	var aad []byte
	if cfg.Construction == channel.HPKESpec {
		var err error
		if aad, err = channel.BindingAAD(channel.AADBaseURL16, "https://matrix.example.com", "e8da6355-550b-4a32-a193-1619d9830668", "1"); err != nil {
			return err
		}
	}
	gen, err := channel.NewGenerator(cfg, rnd)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== %s ==\n", cfg.Construction)
	if aad != nil {
		fmt.Fprintf(w, "   (every payload bound to base URL, rendezvous ID and sequence token: AAD %x)\n", aad)
	}
	fmt.Fprintf(w, "G  shows Gp = %s in the QR code\n", gen.PublicKey())
	s, initiate, err := channel.Initiate(cfg, gen.PublicKey(), []byte(channel.LoginInitiate), aad, rnd)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "S  scans, Sp = %s\nS->G LoginInitiate %s\n", s.PublicKey(), initiate)
	g, pt, err := gen.Accept(initiate, aad, rnd)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "G  opened %q\n", pt)
	ok, err := g.Seal([]byte(channel.LoginOk), aad)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "G->S LoginOk %s\n", ok)
	if pt, err = s.Open(ok, aad); err != nil {
		return err
	}
	fmt.Fprintf(w, "S  opened %q and shows check code %s; the user types it on G, which derived %s\n", pt, s.CheckCode(), g.CheckCode())
	msg := `{"type":"m.login.protocols","protocols":["device_authorization_grant"],"homeserver":"matrix.example.com"}`
	if cfg.Construction.IsHPKE() {
		msg = `{"type":"m.login.protocols","protocols":["device_authorization_grant"],"base_url":"https://matrix.example.com"}`
	}
	payload, err := g.Seal([]byte(msg), aad)
	if err != nil {
		return err
	}
	if pt, err = s.Open(payload, aad); err != nil {
		return err
	}
	fmt.Fprintf(w, "G->S %s\n     opens as %s\n", payload, pt)
	return nil
}
