package peerfuzz

import (
	"encoding/base64"
	"strings"
)

// Mutations lists the payload mutations a deliver or cpopen step may
// apply. Each works on one '|'-separated part of the payload (arg>>16
// picks it; ECIES's LoginInitiate is "ciphertext|key") at a position or
// length taken from arg's low 16 bits.
var Mutations = []string{
	"", "flip", "truncate", "short", "extend", "empty", "badb64", "pad", "overpad", "crlf", "urlsafe", "nosep", "extrasep", "swap",
}

// mutate applies mutation mut to payload.
func mutate(payload, mut string, arg int) string {
	if arg < 0 {
		arg = -arg
	}
	switch mut {
	case "":
		return payload
	case "empty":
		return ""
	case "nosep":
		return strings.ReplaceAll(payload, "|", "")
	case "extrasep":
		return payload + "|"
	case "swap":
		if i := strings.IndexByte(payload, '|'); i >= 0 {
			return payload[i+1:] + "|" + payload[:i]
		}
		return payload
	}
	parts := strings.Split(payload, "|")
	k := (arg >> 16) % len(parts)
	parts[k] = mutatePart(parts[k], mut, arg&0xffff)
	return strings.Join(parts, "|")
}

// mutatePart applies a byte-level or text-level mutation to one base64
// part.
func mutatePart(s, mut string, n int) string {
	switch mut {
	case "badb64":
		i := n % (len(s) + 1)
		return s[:i] + "!" + s[i:]
	case "pad": // canonical padding
		if r := len(s) % 4; r != 0 {
			return s + strings.Repeat("=", 4-r)
		}
		return s
	case "overpad": // one '=' more than canonical padding
		return s + strings.Repeat("=", 5-len(s)%4)
	case "crlf":
		i := n % (len(s) + 1)
		return s[:i] + "\r\n" + s[i:]
	case "urlsafe":
		return strings.NewReplacer("+", "-", "/", "_").Replace(s)
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return s
	}
	switch mut {
	case "flip":
		if len(raw) > 0 {
			raw[n%len(raw)] ^= 1 << (n / len(raw) % 8)
		}
	case "truncate":
		if len(raw) > 0 {
			raw = raw[:n%len(raw)]
		}
	case "short":
		if len(raw) > 0 {
			raw = raw[:min(n%17, len(raw))]
		}
	case "extend":
		for i := 0; i <= n%4; i++ {
			raw = append(raw, byte(n>>2))
		}
	}
	return base64.RawStdEncoding.EncodeToString(raw)
}

// expandRaw puts the session's name into a raw line.
func expandRaw(raw, name string) string {
	return strings.ReplaceAll(raw, "$S", name)
}

// rawLines are the malformed lines a raw step sends: broken JSON, wrong
// types, missing and unknown fields, ops out of place.
var rawLines = []string{
	`not json`,
	`{"op":"receive","session":"$S"`,
	`[]`,
	`null`,
	`{"op":"receive","session":"$S","payload":42}`,
	`{"op":"receive","session":"$S"}`,
	`{"op":"send","session":"$S"}`,
	`{"op":"send","session":"$S","plaintext":null}`,
	`{"op":"frobnicate","session":"$S"}`,
	`{"session":"$S"}`,
	`{"op":"establish","session":"$S","plaintext":"x","peer_key":"not a key"}`,
	`{"op":"establish","session":"$S","plaintext":"x","peer_key":""}`,
	`{"op":"new","session":"$S","role":"generator"}`,
	`{"op":"new","session":"$S.x","role":"judge"}`,
	`{"op":"receive","session":"$S","payload":"","aad":"!!"}`,
	`{"op":"check_code","session":"$S.none"}`,
}

// effect says what a mutation did to a payload, so that a step whose
// mutation did different things on the two sides (it depends on bytes that
// differ, as '+' and '/' for urlsafe) is not taken for a disagreement:
// "none" (the same string), "cosmetic" (other text, the same bytes under a
// lenient base64 reading), "changed" (other bytes) or "invalid" (not
// base64 even leniently).
func effect(orig, mutated string) string {
	if orig == mutated {
		return "none"
	}
	a, okA := lenient(orig)
	b, okB := lenient(mutated)
	switch {
	case !okB || !okA:
		return "invalid"
	case !strict(mutated):
		return "noncanonical" // not base64 to a strict reader
	case a == b:
		return "cosmetic"
	}
	return "changed"
}

// lenient decodes each '|'-separated part in either alphabet, padded or
// not, and joins the bytes.
func lenient(s string) (string, bool) {
	var out []byte
	for i, part := range strings.Split(s, "|") {
		part = strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(part, "="))
		raw, err := base64.RawStdEncoding.DecodeString(part)
		if err != nil {
			return "", false
		}
		if i > 0 {
			out = append(out, '|')
		}
		out = append(out, raw...)
	}
	return string(out), true
}

// strict reports whether each part is unpadded base64 with zero trailing
// bits.
func strict(s string) bool {
	for _, part := range strings.Split(s, "|") {
		if _, err := base64.RawStdEncoding.Strict().DecodeString(part); err != nil {
			return false
		}
	}
	return true
}
