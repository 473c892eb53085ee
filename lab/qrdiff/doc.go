// Package qrdiff fuzzes another QR payload decoder differentially against
// the model's (model/qr): payloads generated from every layout's valid
// encodings and mutated, at the level of fields and of bytes, are decoded by
// both; they must agree on accept or refuse and, when both accept, on every
// field. A disagreement is shrunk to a shortest payload of the same class,
// written as a reproducer, and classified: a known departure (the table in
// known.go, each with the source that explains it) or a new finding.
//
// The other decoder is a long-lived process speaking JSON lines (see
// Process): the first line it prints is a hello, then each request line
// {"payload":"<base64>"} gets one answer line. The adapter for the pinned
// wasm package is lab/interop/testdata/interop/qrdiff.mjs.
package qrdiff
