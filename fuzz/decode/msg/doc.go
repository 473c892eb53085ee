// Package msg holds FuzzMessageDecode, the m.login message decoder's fuzz
// target, apart from model/msg's own tests so that its test binary stays
// lean: it imports model/msg, model/wire and the standard library, and not
// encoding/json (see package fuzz/decode/qr for why the size of the binary
// sets a fuzz target's speed).
package msg
