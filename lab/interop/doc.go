// Package interop holds tests only: the lab against real implementations
// driven through Node.js. Vodozemac's wasm build (pinned in
// testdata/interop) speaks the secure channel and encodes and decodes QR
// codes against the simrun binary; matrix-js-sdk (pinned in testdata/jssdk)
// runs a 2024 login against lab/live's server. They live apart from
// cmd/simrun because they exercise the built binary and the library rather
// than the command's own code, and need their npm packages installed.
package interop
