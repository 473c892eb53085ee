// Package wire holds the small pieces of the HTTP and JSON wire format that
// the protocol packages share, so that each is written once: header lines
// and the request and response values (oauth, homeserver, rendezvous), JSON
// string escaping (msg, oauth, homeserver, rendezvous), the core of the
// strict JSON reader (msg, rendezvous) and the lookup of named presets
// (oauth, homeserver, rendezvous), virtual time (Millis, for every model)
// and the error a failed random stream is reported with (ErrRandom).
// Package canonicaljson, below it, reads JSON into a tree and writes Matrix
// canonical JSON (homeserver signatures, the login machines' answers).
//
// Like every package under model it is pure: no goroutines, no clock, no
// I/O, no package state. The packages that use it keep their own error
// types; the reader reports a Fault, a plain value that each maps to its
// own errors.
package wire
