// Package codec holds FuzzQRLayouts, the QR codec's differential target:
// decoder against encoder, and the type-0x03 layouts (u8 and u16 lengths)
// against each other. It imports model/qr only, so that its test binary
// stays small: go test -fuzz's fixed cost per execution grows with the
// instrumented binary (see package fuzz/ceiling).
package codec
