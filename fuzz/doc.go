// Package fuzz is the lab's fuzzing and property-testing bench for what no
// single model package owns: whole simulated logins, scenario files, and
// differential checks between implementations that must agree.
//
// The package holds tests only (this file is its documentation). Its native
// fuzz targets, beside the decoder targets under fuzz/decode and the
// per-package ones under model/ (FuzzChannelOpen, FuzzRendezvousStore,
// FuzzStoreMatchesSpec, FuzzTokenEndpoint, FuzzKeysUpload,
// FuzzNewDeviceStep, FuzzExistingDeviceStep, FuzzReaderEncodingJSON):
//
//	FuzzScenarioParse        scenario files: no panic, every refusal names
//	                         the file and a line inside it, and what is
//	                         accepted writes back to a file that parses to
//	                         the same configuration
//	FuzzSimRun               one whole simulated login from a fuzzed seed and
//	                         fault schedule (variant, intent, network
//	                         figures, partitions, user rates, adversaries,
//	                         swarm): no invariant violated but the documented
//	                         human-factor losses and known findings, and the
//	                         same seed gives the same trace twice
//	FuzzSimVariantKnobs      the same with the variant's knobs mixed by gofuzz
//	                         (well-typed values of every knob, constraints
//	                         kept), so runs reach combinations no preset has
//	FuzzChannelDifferential  ecies-spec against ecies-vodozemac and hpke-spec
//	                         against hpke-vodozemac from the same randomness:
//	                         same keys and framing, the same fuzzed corruption
//	                         fails the same way in both, and the channel state
//	                         after a failure behaves the same
//
// Subpackages keep small binaries, because go test -fuzz's fixed cost per
// execution grows with the instrumented binary (about 2 ns per coverage
// counter, against some 18 µs for an execution that does nothing):
// fuzz/ceiling holds FuzzEmpty, the do-nothing target whose exec/s is the
// ceiling every target is measured against; fuzz/decode holds the decoder
// targets, each in a package that links only its decoder, which simrun fuzz
// holds to 70% of the ceiling:
//
//	decode/qr       FuzzQRDecode (every QR format), FuzzQRLayouts (the
//	                formats against each other: u8 against u16 layouts),
//	                FuzzQREncode (decoder against encoder)
//	decode/channel  FuzzChannelFrames (the secure channel's payload framing,
//	                per construction and payload kind, model/channel/frame)
//	decode/msg      FuzzMessageDecode (m.login messages)
//	decode/wire     FuzzReader (the strict JSON reader against a reference
//	                written from the RFC 8259 grammar)
//
// and fuzz/msgcodec FuzzMessageStructured (gofuzz-built m.login messages
// round-trip).
//
// A failing whole-run input is printed as a scenario file and a
// `simrun replay --scenario FILE --seed N` command that reproduces it.
// TestSimSchedules is the rapid state-machine test of the simulator: random
// fault schedules and user behaviours over random variants, shrunk to a
// minimal failing schedule and printed the same way.
//
// simrun fuzz runs every target of the module in turn for a share of a
// budget; .clusterfuzzlite/ builds the same targets for continuous fuzzing.
package fuzz
