// Package qr encodes and decodes the binary payload of the sign-in QR code
// in every layout the lab knows, byte for byte.
//
// # Formats
//
// Each layout is a named [Format]:
//
//	msc4108-2024           "MATRIX" 02 | intent 03 login, 04 reciprocate | key[32] |
//	                       u16 len + rendezvous URL | (04 only) u16 len + server name
//	msc4388-2025           "MATRIX" 03 | intent 00 login, 01 reciprocate | key[32] |
//	                       u16 len + rendezvous ID | u16 len + base URL
//	msc4388-2025-unstable  the same with "IO_ELEMENT_MSC4388" (what wasm 18.9.0
//	                       writes) or "IO_ELEMENT_MSC4108" (the 2025 text) for "MATRIX"
//	msc4388                "MATRIX" 03 | intent 00/01 | key[32] |
//	                       u8 len + rendezvous ID | u16 len + base URL (the 2026 text)
//	msc4388-unstable       the same with "IO_ELEMENT_MSC4388"
//
// All lengths are big-endian byte counts; strings are UTF-8. A [Payload]
// records which prefix it was read with only when a format allows two:
// Payload.Prefix is empty for a format's usual prefix and [PrefixMSC4108]
// for the 2025 text's one, so encoding a decoded payload gives back the
// input bytes exactly. [Payload.Marshal] also accepts the usual prefix
// spelled out; such a payload decodes with an empty Prefix (the one
// canonicalisation in the package).
//
// # What a valid payload is
//
// Decoding accepts exactly what encoding produces and rejects everything
// else with a [*DecodeError] naming the field and byte offset:
//   - no byte may follow the last field (no trailing-bytes tolerance);
//   - every length-prefixed string is non-empty and valid UTF-8;
//   - the 2024 server name is present with intent reciprocate and absent
//     with login (by layout, one after a login payload is trailing bytes);
//   - a rendezvous ID is an opaque identifier: 1 to 255 bytes of
//     [A-Za-z0-9._~-], in the u16 layouts as well as the u8 ones (no
//     server issues longer ones, and the cap is what keeps the two
//     layouts apart; see below);
//   - the key is any 32 bytes: rejecting low-order keys is the secure
//     channel's job, not the codec's.
//
// URLs are not parsed: the codec checks only the bytes. A scanner that
// builds request URLs from them should check them itself.
//
// # Telling the u8 layout from the u16 layout
//
// The type-0x03 layouts share their prefix and type byte, so [Decode]
// reads the fields after the key both ways and keeps the reading that is
// valid by the rules above (under "IO_ELEMENT_MSC4108" only the u16
// reading is tried: no source writes the u8 layout with it). No payload is
// valid both ways: call b0 and b1 the two bytes after the key. The u8
// reading needs b0 ≥ 1 (a non-empty ID) whose first byte b1 is in the
// grammar, so b1 ≥ 0x2d; the u16 reading then has an ID of
// 256·b0 + b1 ≥ 301 bytes, past the 255-byte cap. So the rule never has to
// break a tie; were it to, the u8 reading (the current text) would win.
//
// The ambiguity the rule settles is real all the same: many payloads frame
// both ways (each reading consumes every byte with well-formed UTF-8). Two
// examples, both in the tests:
//   - after the key, 00 01 "a" 01 5f followed by 351 URL bytes: the u16
//     reading is ID "a" and a 351-byte base URL; the u8 reading is an empty
//     ID and a 353-byte base URL starting with 01 5f. The u16 reading wins,
//     because an ID cannot be empty.
//   - after the key, 01 "a" 01 62 followed by 354 bytes: the u8 reading is
//     ID "a" and a 354-byte base URL; the u16 reading is a 353-byte ID and
//     a 1-byte base URL. The u8 reading wins, because an ID has at most 255
//     bytes.
//
// A decoder that checks framing only would take whichever layout it tries
// first for both; [DecodeFormat] reads one layout only, for modelling a
// scanner that knows just one. When both readings fail,
// Decode reports the error of the reading that got further into the payload
// (on a tie, the u8 reading's), and the message says which layout it
// assumed.
//
// # Text form
//
// Payloads travel as base64: [DecodeString] takes the standard alphabet
// padded or unpadded (Matrix uses unpadded), [Payload.EncodeString] writes
// unpadded.
package qr
