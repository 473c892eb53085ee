// Package msgcodec holds FuzzMessageStructured: m.login messages built by
// gofuzz from the fuzz input must round-trip through model/msg (decode of
// the encoding gives the message back, the encoding is canonical, the
// generation the message's form belongs to accepts it). It sits in a
// package of its own so that its test binary stays small (see package
// fuzz/ceiling).
package msgcodec
