// Package logintest drives the login machines of model/login in tests and
// tools, the one place where a login is driven outside the simulator.
//
// It has three parts, each usable alone:
//
//   - Env builds what a login needs: the real rendezvous store, provider and
//     homeserver, Alice's account with her cross-signing secrets, and both
//     machines (new device N and existing device E), every random byte from
//     a seeded stream unless the caller hands in its own reader. Env.Route
//     answers a machine's request from the right server at once.
//   - Person is the scripted user (User): React says what she does about a
//     screen (scan, type the check code, confirm, consent) and after how
//     long, without scheduling anything itself.
//   - World runs both machines against Env in virtual time: an event queue
//     ordered by time then arrival, the Person's reactions, the faults the
//     User script injects, and an effect log that reads like the MSC's
//     sequence diagrams (the golden transcripts are that log).
//   - Driver steps one machine alone, so that a test can play the other
//     side by hand: Mailbox is that side's handle on a real rendezvous
//     session (create, read, write any payload, delete), and Driver answers
//     the machine's own rendezvous requests from the same store.
//   - RunScript replays a data-driven script (commands, each followed by
//     "----" and the output it produced) and rewrites the outputs on
//     request, for tests that read best as a transcript of one exchange.
//
// Nothing here starts a goroutine, reads a clock or does I/O: the same
// options and seed give the same log, bit for bit.
package logintest
