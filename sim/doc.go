// Package sim is the lab's deterministic discrete-event simulator: it runs
// the two login machines of model/login, the rendezvous store, homeserver
// and provider of model/, a browser and a user over a virtual network, and
// checks invariants as the run goes.
//
// # Engine
//
// A run is a loop over a binary heap of events ordered by (virtual time,
// sequence number). Every source of chance is a ChaCha8 stream derived from
// the run's seed and a fixed label (network, user, store, provider,
// identity, backup, each device, swarm), so one actor drawing more never
// shifts another, and keys are made from those streams, never from a global
// source. There is no goroutine, no clock and no I/O inside a run: the same
// Config and seed give the same trace, byte for byte, on any machine; Trace
// hashes every event (SHA-256, bodies of rendezvous exchanges included) as it
// is written. A Runner reuses its buffers from run to run; run one Runner per
// goroutine to use several cores.
//
// # Network
//
// Four links: new device to homeserver (new-hs) and to the provider
// (new-op), existing device to homeserver (existing-hs), and the browser on
// the existing device to the provider (browser-op). Each has a one-way
// latency distribution (constant, uniform, normal, lognormal, empirical
// quantiles; see Dist), jitter, loss per direction, duplication, reordering
// (a second latency draw) and bandwidth; Partitions cut links for a time.
// A request travels up, the server handles it when it arrives, the answer
// travels down; a lost request or answer becomes the client's timeout (the
// machine's Request.Timeout, 30 s if unset), a duplicated request reaches the
// server twice, and a client takes the first answer only. Named profiles:
// lan, wifi, 4g, lossy-3g, satellite, flaky (Profile, ProfileNames).
//
// That whole-message model is the datagram transport, the default. The tcp
// transport (Config.Transport, transport*.go) carries the same exchanges over
// modelled connections: a pool per client and server, the TCP and TLS 1.3
// handshakes, segments lost with the link's loss and resent after an
// RFC 6298 retransmission timeout, and connection failures (resets,
// handovers, NAT idle timeouts) that fail the requests in flight; packet loss
// then shows as delay. Its figures and their sources are in
// transport-sources.md; its randomness has streams of its own.
//
// Swarm mode (Config.Swarm): each seed draws its own loss, duplication,
// reordering and partitions within bounds for a faulty phase, then the
// network heals (latency stays, faults go) and every run must end within the
// liveness bound.
//
// # Actors
//
// The homeserver hosts the store and the client-server API (it tells the
// store whether a request carried a valid token); the provider answers the
// new device and the browser; the user scans, reads and types the check
// code (with a typo rate), waits for the browser, types the user code if the
// link has none, consents or refuses, confirms on the existing device, and
// may cancel (User). A person whose other device shows an error gives up on
// a device that waits for them (scan, code, browser, account); a device
// waiting for the network must end by itself.
//
// # Invariants
//
// secrets-only-after-confirmation (E seals m.login.secrets only after the
// code was confirmed on G, the device check passed and m.login.success
// arrived), secrets-only-to-confirmed-device (E's channel peer is the real
// new device), no-plaintext-on-wire (no cross-signing or backup key, token,
// device or user code in any payload written to the store),
// rendezvous-linearizable (every answer of the store matches the store's
// sequential specification, one rendezvous.SessionSpec stepped per session
// at the store's linearization point: reads return the latest write and its
// token, a write succeeds only on the current token, a replay answers the
// token of the version the spec names, tokens are never handed out twice
// for different data), channel-integrity (every
// opened message is a payload the other device wrote, byte for byte),
// strict-alternation (a payload overwritten unread, or channel counters out
// of step, may only end in failure) and termination (both devices end
// within the bound). A safety violation stops the run at once; the Result
// carries the invariant, seed, variant, virtual time and detail, and the
// trace ends with the violation.
//
// The monitors and adversaries parse and build rendezvous requests and
// answers with the store's client codec (rendezvous.Client), the one place
// a rendezvous answer is parsed; sim holds no JSON reader of its own.
//
// The pair of endings is recorded, not enforced (Result.Agreement): how
// often the new device fails after the existing one sent the secrets is a
// figure reports show.
package sim
