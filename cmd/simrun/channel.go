package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"

	"qrlab/internal/seeded"
	"qrlab/lab/peer"
	"qrlab/model/channel"
)

const channelUsage = `usage: simrun channel --construction C --role generator|scanner [--digits 00-99|10-99] [--seed N]

Speaks the secure channel as a JSON-lines peer: one JSON object per input line
on stdin, one per output line on stdout. On start it prints
  {"event":"ready","public_key":"<b64>"}
Ops (each may carry "aad":"<b64>", additional data for that seal or open):
  {"op":"establish","peer_key":"<b64>","plaintext":"..."}  scanner only -> {"event":"send","payload":"..."}
  {"op":"receive","payload":"..."}                        -> {"event":"received","plaintext":"..."}
  {"op":"send","plaintext":"..."}                         -> {"event":"send","payload":"..."}
  {"op":"check_code"}                                     -> {"event":"check_code","code":"NN"}
Any failure prints {"event":"error","error":"..."} and the peer keeps serving.
End of input ends the peer with exit status 0.
Constructions: ecies-spec, ecies-vodozemac, hpke-spec, hpke-vodozemac.
Randomness comes from the system unless --seed is given (then it is a
deterministic stream, for reproducible transcripts).
Flags:
`

// runChannel is simrun channel.
func runChannel(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun channel", channelUsage, stderr, nil)
	construction := fs.String("construction", "", "secure channel construction (required)")
	role := fs.String("role", "", "generator (shows the QR) or scanner (required)")
	digits := fs.String("digits", "", "check-code rendering, 00-99 or 10-99 (default: the construction's own)")
	seed := fs.Uint64("seed", 0, "draw randomness from a deterministic stream with this seed (0: system randomness)")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if *construction == "" || *role == "" {
		fmt.Fprintln(stderr, "simrun channel: --construction and --role are required (simrun channel --help)")
		return 2
	}
	c, err := channel.ParseConstruction(*construction)
	if err != nil {
		fmt.Fprintf(stderr, "simrun channel: --construction: %v\n", err)
		return 2
	}
	cfg := channel.DefaultConfig(c)
	if *digits != "" {
		if cfg.Digits, err = channel.ParseDigits(*digits); err != nil {
			fmt.Fprintf(stderr, "simrun channel: --digits: %v\n", err)
			return 2
		}
	}
	var rnd io.Reader = rand.Reader
	if *seed != 0 {
		rnd = seeded.Stream(*seed)
	}
	var r channel.Role
	switch *role {
	case "generator":
		r = channel.RoleGenerator
	case "scanner":
		r = channel.RoleScanner
	default:
		fmt.Fprintf(stderr, "simrun channel: --role: want generator or scanner, got %q\n", *role)
		return 2
	}
	p, pub, err := peer.New(cfg, r, rnd)
	if err != nil {
		fmt.Fprintf(stderr, "simrun channel: %v\n", err)
		return 1
	}
	mux := peer.NewMux(cfg, p, rnd) // protocol version 2: named sessions beside this one
	out := bufio.NewWriter(stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	emit := func(e peer.Event) error {
		if err := enc.Encode(e); err != nil {
			return err
		}
		return out.Flush()
	}
	if err := emit(peer.Event{Event: "ready", PublicKey: pub.String()}); err != nil {
		fmt.Fprintf(stderr, "simrun channel: %v\n", err)
		return 1
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64*1024), 16<<20)
	line := 0
	for in.Scan() {
		line++
		ev := mux.Handle(in.Bytes())
		if err := emit(ev); err != nil {
			fmt.Fprintf(stderr, "simrun channel: writing reply to line %d: %v\n", line, err)
			return 1
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(stderr, "simrun channel: reading line %d: %v\n", line+1, err)
		return 2
	}
	return 0
}
