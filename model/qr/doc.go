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
//	msc4388-bytes8         "MATRIX" 03 | intent 00/01 | key[32] |
//	                       u8 len + rendezvous ID | u8 len + base URL (a later
//	                       revision of the 2026 text, matrix-spec-proposals
//	                       001ad154; no unstable-prefix writer is known)
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
//   - a base URL has at most 255 bytes in msc4388-bytes8 (its length is
//     one byte; the revision says a longer one "cannot be encoded and
//     should be rejected"), so encoding a longer one fails;
//   - the key is any 32 bytes: rejecting low-order keys is the secure
//     channel's job, not the codec's.
//
// URLs are not parsed: the codec checks only the bytes. A scanner that
// builds request URLs from them should check them itself.
//
// # Telling the type-0x03 layouts apart
//
// The type-0x03 layouts share their type byte, and under "MATRIX" three of
// them share the prefix too. Call them by their two lengths after the key:
// u8/u16 (msc4388), u8/u8 (msc4388-bytes8) and u16/u16 (msc4388-2025).
// [Decode] reads the fields after the key in each layout the prefix allows,
// in that order, and keeps the first reading that is valid by the rules
// above. Under "IO_ELEMENT_MSC4388" the candidates are u8/u16 and u16/u16
// (msc4388-unstable, msc4388-2025-unstable); under "IO_ELEMENT_MSC4108"
// only u16/u16 is tried (no source writes anything else with it).
//
// No payload is valid in two layouts, so the order never has to break a
// tie between valid readings. Call b0 and b1 the two bytes after the key,
// and T the number of bytes from b0 to the end.
//
//   - u8 ID vs u16 ID (u8/u16 or u8/u8 against u16/u16): a u8 reading needs
//     b0 ≥ 1 (a non-empty ID) whose first byte b1 is in the grammar, so
//     b1 ≥ 0x2d; the u16 reading then has an ID of 256·b0 + b1 ≥ 301 bytes,
//     past the 255-byte cap. The ID rules decide.
//   - u8/u8 vs u16/u16 do not even frame both ways (each consuming every
//     byte, empty or long strings allowed): u8/u8 has T = 2 + b0 + c with
//     c ≤ 255 its URL length, u16/u16 has T ≥ 4 + 256·b0 + b1. With b0 ≥ 1
//     the second is at least 4 + 256·b0, more than the 257 + b0 the first
//     can reach; with b0 = 0 the URL length c is b1 itself and the first
//     is 2 + b1 < 4 + b1.
//   - u8/u16 vs u8/u8 never frame both ways either: both read the same ID,
//     so call c0 c1 the bytes after it and r the bytes left there. u8/u16
//     consumes everything iff r = 2 + 256·c0 + c1, u8/u8 iff r = 1 + c0, and
//     2 + 256·c0 + c1 > 1 + c0. So one payload is never both, whatever
//     its strings.
//
// Were two readings ever valid, the earlier in the order would win: u8/u16
// is what the Rust SDK and the spec file's 2026 text write. [DecodeFormat]
// reads one layout only, to force one or to model a scanner that knows
// just one.
//
// The ambiguity between u8/u16 and u16/u16 is real all the same: many
// payloads frame both ways (each reading consumes every byte with
// well-formed UTF-8). Two examples, both in the tests:
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
// first for both.
//
// Between u8/u16 and u8/u8 the hazard is not ambiguity but truncation and
// interoperability. The same fields make different bytes, and a scanner of
// one rejects the other's: after the ID, the u8/u16 base URL
// 00 20 "https://matrix-client.matrix.org" read as u8/u8 is an empty base
// URL; the u8/u8 one, 20 "https://...", read as u8/u16 has length 0x2068,
// past the end. But a u8/u16 payload whose base URL has 256 bytes or more
// starts with a complete u8/u8 payload: the high byte of its length read
// as a one-byte length. With a 360-byte base URL, 01 68 "https://..." after
// the ID, the payload cut after 01 68 decodes as msc4388-bytes8 with base
// URL "h" (and a u8/u8 scanner that tolerated trailing bytes would read the
// whole payload so). No rule can catch it: those bytes are exactly what
// Marshal writes for that msc4388-bytes8 payload. It takes a base URL over
// 255 bytes, which msc4388-bytes8 cannot carry; a scanner must rely on the
// QR code's own byte count to know it has every byte. It is the one case
// of a valid payload with a valid proper prefix (the reverse cannot
// happen: the u8/u16 reading of a u8/u8 payload's bytes needs more bytes
// than the u8/u8 reading, not fewer), and it is in the tests.
//
// When every reading fails, Decode reports the error of the reading that
// got furthest into the payload (on a tie, the earliest in the order
// above), and the message says which layout it assumed.
//
// # Text form
//
// Payloads travel as base64: [DecodeString] takes the standard alphabet
// padded or unpadded (Matrix uses unpadded), [Payload.EncodeString] writes
// unpadded.
package qr
