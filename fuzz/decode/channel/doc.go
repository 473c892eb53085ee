// Package channel is the lean decoder fuzz target for the channel framing:
// FuzzChannelFrames runs package model/channel/frame's decoders and encoders
// (every payload kind of the ECIES and HPKE framings) apart from
// model/channel, whose test binary carries the X25519, HKDF and AEAD code.
// Its tests import model/channel/frame and the standard library, nothing
// else, so the binary stays small and go test -fuzz fast (see package
// fuzz/decode/qr for why the size of the binary sets a target's speed).
package channel
