// Package qr holds the QR codec's fuzz targets, FuzzQRDecode (the decoder
// alone), FuzzQRLayouts (the formats against each other, the type-0x03 u8
// and u16 layouts above all) and FuzzQREncode (decoder against encoder),
// apart from model/qr's own tests.
//
// go test -fuzz instruments every package in the test binary and spends
// time on each coverage counter after every execution (about 2 ns per
// counter on these machines), so a decoder target is fast only in a lean
// binary: this package's tests import model/qr and the standard library,
// nothing else (model/qr's own test binary, with rapid and its property
// tests, runs an empty target at a third of the speed). Package
// fuzz/ceiling's FuzzEmpty is the yardstick; simrun fuzz holds every target
// under fuzz/decode to 70% of it (the median of several rounds: one
// run can be 20-40% off on a shared machine).
package qr
