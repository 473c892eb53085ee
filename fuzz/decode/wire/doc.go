// Package wire holds FuzzReader, the fuzz target of model/wire's strict
// JSON reader, in a lean test binary (see package fuzz/decode/qr): the
// reader is held to a reference validator written straight from the RFC
// 8259 grammar in this package's test, not to encoding/json, whose coverage
// counters alone would cost a third of the speed. model/wire's
// FuzzReaderEncodingJSON compares the reader with encoding/json.
package wire
