// Package channel is the secure channel of QR-code login: the end-to-end
// encrypted pipe that two devices build on top of an insecure rendezvous
// mailbox.
//
// The device that shows the QR code is G (the Generator here); the device
// that scans it is S (the scanner, which calls Initiate). S opens the channel
// with a LoginInitiate payload sealed to G's public key from the QR code; G
// answers with a LoginOk payload; from then on both sides Seal and Open
// payloads strictly in turn. Every payload is a string, ready for the mailbox.
//
// Four constructions are modelled, each a named variant, because the texts and
// the shipped implementations disagree and showing that is part of the lab's
// job:
//
//   - ecies-spec: ECIES as the 2024 text states it (X25519, HKDF-SHA256 with a
//     zero salt, one ChaCha20-Poly1305 key per direction, little-endian
//     counter nonces).
//   - ecies-vodozemac: the same as vodozemac ships it, with HKDF-SHA512. It
//     interoperates with the real library (the interop test proves it).
//   - hpke-spec: RFC 9180 base mode (DHKEM X25519, HKDF-SHA256,
//     ChaCha20-Poly1305, info MATRIX_QR_CODE_LOGIN) plus the Oblivious HTTP
//     style response context, with the labels of the 2026 text
//     ("MATRIX_QR_CODE_LOGIN response" and the raw-key check-code context).
//   - hpke-vodozemac: the same scheme with vodozemac's labels
//     (MATRIX_QR_CODE_LOGIN_RESPONSE, MATRIX_QR_CODE_LOGIN_CHECKCODE|Gp|Sp with
//     base64 keys).
//
// Additional data (AAD) is whatever the caller passes to each Seal and Open.
// The 2026 text binds every payload to the base URL, rendezvous ID and
// sequence token (see BindingAAD); the ECIES texts have no AAD, and an empty
// AAD reproduces them byte for byte. Passing AAD to an ECIES construction
// feeds it to the AEAD, which models "what if ECIES bound the session too".
//
// The wire framing of the payloads (base64, the ECIES '|', the HPKE key and
// response-nonce prefixes, the length checks) is package frame's, which
// imports no cryptography so that its decoders fuzz fast; this package words
// frame's refusals as it always has, and they wrap ErrMalformed.
//
// Randomness always arrives as an io.Reader argument and keys are built from
// the bytes it yields, so a seeded stream gives the same keys, payloads and
// check codes on every machine. Nothing here does I/O or reads a clock.
//
// Failure behaviour, per construction, as the real implementations behave:
// in both ECIES constructions a failed Open still consumes a receive nonce,
// even for a payload too short to hold a tag. A tampered payload that
// replaced the genuine one therefore costs nothing more (the sender's counter
// moved too), but an injected, replayed or lost one puts that direction out
// of step for good. In both HPKE constructions a failed Open leaves the
// sequence number where it was, as RFC 9180 says. G's key is single use: a
// LoginInitiate that fails to decrypt uses it up (Config.RetryAccept is the
// tolerant design option); in the vodozemac constructions so does one whose
// ciphertext is too short for a tag, which vodozemac decrypts unchecked.
//
// The spec constructions read base64 leniently (package frame's ECIES and
// HPKE framings: any trailing '=', CR and LF ignored); the vodozemac ones as
// vodozemac does (ECIESVodozemac and HPKEVodozemac: no more '=' than the last
// group lacks, no CR or LF), refusing the rest before decryption.
package channel
