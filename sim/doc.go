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
// travels down.
//
// The default transport, tcp (Config.Transport, transport*.go), carries the
// exchanges over modelled connections: a pool per client and server, the
// TCP and TLS 1.3 handshakes, segments lost with the link's loss (per
// packet) and resent as Linux's RACK and tail loss probe find them, within
// an RFC 6298 retransmission timeout (TCP.LossRecovery), and
// connection failures (resets, handovers, NAT idle timeouts: the network's
// Connections, or the TCP knobs) that fail the requests in flight; packet
// loss then shows as delay. Its figures and their sources are in
// transport-sources.md; its randomness has streams of its own.
//
// The datagram transport (the default in swarm mode, see
// Config.TransportKind) loses a request or answer whole, which becomes the
// client's timeout (the machine's Request.Timeout, 30 s if unset; for a
// client that sets none, login.NoTimeout, DatagramNoTimeoutMillis, a lab
// default, while under tcp such a request ends only with its answer or its
// connection's failure); a
// duplicated request reaches the server twice, and a client takes the first
// answer only.
//
// Named profiles (Profile, ProfileFor, ProfileNames): lan, wifi, 4g, 3g,
// lossy-3g, satellite, flaky, under both transports. The tcp profiles are
// calibrated from published measurements, each figure's source named in its
// description and in transport-sources.md section 3.7 (or called a lab
// default); the datagram profiles are the lab's earlier, uncalibrated ones,
// kept for comparison:
//
//	profile    one-way latency                 loss up/down  bandwidth     connections
//	lan        1 ms + 1 ms jitter (lab)        0             unlimited     -
//	wifi       empirical: 8.5, p90 17, p99     0.5% (lab)    115.22 Mbit/s NAT idle 2 h 4 min
//	           132, max 257 ms
//	4g         lognormal median 26.55 ms,      1% (lab)      14.7 Mbit/s   NAT idle 3 min
//	           sigma 0.4 (lab)
//	3g         lognormal median 31.75 ms,      1% (lab)      5.9 Mbit/s    NAT idle 3 min
//	           sigma 0.4 (lab)
//	lossy-3g   normal 208.7 ms, sd 86.6 ms     4.7% / 0.2%   572.5 kbit/s  NAT idle 3 min
//	satellite  normal 315 ms, sd 20 ms (lab)   1% (lab)      18.13 Mbit/s  -
//	flaky      as 4g, cuts 8-14 s, 40-43 s     5% (lab)      14.7 Mbit/s   12 handovers/h (lab),
//	           (lab)                                                       NAT idle 3 min
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
// The monitors judge the devices from outside, one checker per rule with a
// narrow observe call, fed only by what an observer outside the devices
// sees: the user's record (UserRecord: the QR code and the check codes each
// screen showed, the code typed and on which device, every consent,
// confirmation, refusal and cancel), the bytes on the wire (rendezvous
// payloads, HTTP requests and answers), the servers' logs and state (the
// store's effects, the provider's grants, approvals and tokens, the
// homeserver's device list and whoami answers), and a tap on the channel
// layer (channel.Config.Observe and ObserveOpen: every payload a device's
// channel seals, with its key fingerprint, nonce, channel keys and
// plaintext, and every payload it opens, told by the crypto code, not by
// the login machine). No checker asks a device what it
// believes of itself (its facts, state, counters or keys).
//
// secrets-only-after-confirmation: when the tap sees E seal
// m.login.secrets, the user's record must show, on the device that showed
// the QR code (G), the check code the other device displayed, typed
// exactly; the homeserver must have answered E 404 for the new device's ID
// (the ID of its grant at the provider) before the browser came up, and must
// list that device now; and the new device must have sealed m.login.success.
// secrets-only-to-confirmed-device: the channel E seals the secrets on has
// a key of the new device's channel as its peer. success-only-after-whoami:
// when the design calls whoami, the new device seals m.login.success only
// after the homeserver answered its whoami with the device it asked the
// provider for (and, when it confirms the account, the user's account:
// signed-into-expected-account). token-only-for-approved-grant: the
// provider issues a token for the user's account only for a grant the user
// approved on its consent page and the provider logged as approved.
// nonce-unique: no (key, nonce) pair is sealed twice, across both devices,
// the shoulder-surfer's device and every session of the run.
// cause-ends-with-its-reason (checkers_cause.go): each cause ends the
// device it hits at that moment (unless it had ended) with the reason the
// variant assigns, and any m.login.failure or m.login.declined it seals
// then carries it: a cancel, a rejected account (N) or a refused browser
// step (E, when it acknowledges after the user confirms) user_cancelled; a
// browser that cannot open unable_to_open_verification_uri where the
// variant has it, user_cancelled otherwise; an injected typo
// check_code_mismatch on the device that checks, with nothing sealed; the
// provider's access_denied or authorization_declined answer arriving at N
// declined (m.login.declined) or user_cancelled by flow.denial; expiry (no
// decision on N's grant within its lifetime, or expired_token arriving)
// authorization_expired (or the network's timeout at that moment).
// peer-failure-ends (checkers_failure.go): a device that opened (the tap)
// m.login.failure or m.login.declined ends there and then and seals
// nothing more; with the failure's reason when it carries only a reason
// the device's generation knows (declined for m.login.declined), else with
// that reason or unexpected_message_received. unexpected-message-ends:
// E, having opened from N (the tap) m.login.success before any
// m.login.protocol or either of them twice, seals nothing after but
// m.login.failure and ends with unexpected_message_received; the same for
// a payload a rogue-peer adversary injected (checkers_rogue.go: invalid
// JSON, an unknown type, missing fields, a message of the other side, a
// repeated handshake payload; unsupported_protocol for a protocol it does
// not speak), E ending at the moment it opened it. Under the camera
// adversary (checkers_camera.go, reported as cause-ends-with-its-reason)
// no login signs in on a misread QR code or a corrupted payload, a scan
// that cannot decode ends the scanner there with invalid_qr, and the
// corrupted payload's reader ends channel_integrity.
// no-plaintext-on-wire (no cross-signing or
// backup key, token, device or user code in any payload written to the
// store), rendezvous-linearizable (every answer of the store matches the
// store's sequential specification, one rendezvous.SessionSpec stepped per
// session at the store's linearization point: reads return the latest write
// and its token, a write succeeds only on the current token, a replay
// answers the token of the version the spec names, tokens are never handed
// out twice for different data, and no session is served once deleted or
// past its creation plus the design's TTL), channel-integrity (every opened message
// is a payload the other device wrote, byte for byte, opened once and in
// order, as the tap saw it open), strict-alternation (a payload overwritten before any answer carrying it
// reached the other device may only end in failure; at a success, every payload one side sealed, as the tap counted,
// the other opened) and termination (both devices showed an ending within
// the bound). A safety violation stops the run at once; the Result carries
// the invariant, seed, variant, virtual time and detail, and the trace ends
// with the violation.
//
// The simulator checks itself (simulator-conservation, a bug of the lab
// when broken): at each run's end, every scheduled delivery of a request was
// served or is still travelling (a duplicated request reaches its server
// twice), every answer sent arrived or is travelling, and every exchange
// ended exactly once, answered or timed out, or still waits for its queued
// timeout; no event is popped earlier than the time already reached.
// Runner.Ledger returns the run's books.
//
// The monitors and adversaries parse and build rendezvous requests and
// answers with the store's client codec (rendezvous.Client), the one place
// a rendezvous answer is parsed; sim holds no JSON reader of its own.
//
// # Stepping
//
// A run can also be driven from outside, one event at a time (step.go:
// Runner.Start, Enabled, Take, Finish): the explorer (lab/explore) picks
// which pending event happens next and whether a message is lost or
// duplicated, within budgets. A message may then arrive at any moment from
// its sending to its scheduled arrival without moving the clock; every
// other event happens at its own time, in time order, once nothing is due
// earlier. The same monitors judge every step. Runner.Fingerprint hashes
// the run's whole state canonically to 128 bits (fingerprint.go).
//
// The pair of endings is recorded, not enforced (Result.Agreement): how
// often the new device fails after the existing one sent the secrets is a
// figure reports show.
package sim
