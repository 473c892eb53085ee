// Package login holds the two device state machines of QR-code login
// (MSC4108 with the MSC4388 rendezvous and channel): NewDevice, the device
// that signs in, and ExistingDevice, the signed-in device that approves it and
// hands over the cross-signing secrets.
//
// Both are shaped like etcd's raft: Step(now, input) returns effects. Time is
// an argument in virtual milliseconds, randomness an io.Reader given at
// construction; there is no goroutine, no clock, no global state and no I/O.
// Every state is a named State constant, every transition is explicit and is
// reported as an EffectState, so a trace shows the machine's whole path.
//
// # Inputs and effects
//
// Inputs (Input): InputStart; InputResponse (the answer to a Request the
// machine issued, correlated by its ID; Status 0 is a transport failure);
// InputTimer (a timer the machine set, by ID); and the user's actions:
// InputScanned (QR bytes), InputCheckCode (the typed code),
// InputBrowserOpened, InputBrowserFailed, InputConsent (the user confirms
// the browser step, or cancels it), InputConfirmAccount and InputCancel. A message
// of the other device arrives as the answer to a rendezvous GET.
//
// Effects (Effect): EffectRequest (real HTTP: method, absolute URL, path,
// headers and the body the real endpoint takes, routed by Target to the
// rendezvous store, the homeserver or the provider), EffectSetTimer and
// EffectCancelTimer, UI prompts (EffectShowQR, EffectShowCheckCode,
// EffectAskCheckCode, EffectShowUserCode, EffectOpenBrowser,
// EffectAskConfirmAccount), EffectChannel (a message type sealed or opened,
// never its content), EffectState and finally EffectOutcome. The returned
// slice is reused by the next Step.
//
// # Taking turns on the mailbox
//
// The rendezvous session holds one payload, so the machines take turns.
// The requests are built and the answers parsed by the flavour's
// rendezvous.Client; what follows is what the machines make of them.
//
//   - After a successful PUT a machine polls (GET every poll interval, with
//     the variant's backoff) until the other side writes; it is then its turn
//     and it stops polling until its next PUT.
//   - A read is new only if its token (ETag or sequence token) differs from
//     the one the machine holds AND its payload is neither the one it last
//     wrote nor the one it last read; anything else (304, our own write, a
//     stale replica's answer, an empty payload) is "unchanged" and polling
//     goes on. Answers to requests other than the one in flight are dropped.
//   - A PUT is conditioned on the token of the machine's latest read or
//     write (If-Match, or sequence_token). A refusal (412/409) follows the
//     write_conflict knob: abort, ignore (carry on as if sent: the js-sdk
//     loses the message) or retry (re-read the token and PUT the same
//     payload again, up to http_retries times).
//   - With the rendezvous.put_txn_id knob (the later MSC4388 revision) a
//     PUT goes to {prefix}/{id}/{txnId}: each write draws a fresh txnId
//     (a random prefix drawn at construction, a dot and a counter), and a
//     retry of the same write after a transport failure, 429 or 5xx resends
//     the same URL, so the server replays the outcome of a write whose answer
//     was lost. A write_conflict retry is a new write with a new txnId.
//   - With the rendezvous.discovery knob the creating device first asks
//     GET {prefix}; create_available false, a 404 (M_UNRECOGNIZED) or any
//     other answer ends it with rendezvous_unavailable before it creates.
//   - AAD binding (2026): a Seal binds the token the PUT is conditioned on,
//     an Open the token the reader held before the read (its own latest
//     write, or the create), which is the token the writer's PUT was
//     conditioned on while both take turns.
//   - The final message of a login (secrets, declined, failure) ends its
//     sender at once; the receiver deletes the session. A machine that ends
//     without telling the other (integrity failure, wrong code, conflict)
//     deletes the session, so the other side's next read ends it with
//     rendezvous_expired. With flow.session_delete "never" (the Rust SDK)
//     no machine deletes: the other side reads on until the server expires
//     the session.
//   - A cancel is sent at once even out of turn; if the other side holds the
//     turn, its next PUT conflicts (a hazard the lab measures, see the tests).
//
// # NewDevice
//
// Showing the QR code (intent login, N is G):
//
//	idle -> creating (POST create) -> waiting-initiate (QR shown; poll)
//	     -> sending-ok (Accept LoginInitiate, PUT LoginOk, ask for the code)
//	     -> waiting-protocols (poll) -> [waiting-check-code] -> discovering ...
//
// Scanning (intent reciprocate, N is S):
//
//	idle -> waiting-scan -> reading-session (GET) -> sending-initiate
//	     -> waiting-ok (poll; open LoginOk, show the code) -> discovering ...
//
// Then: discovering (auth_metadata, or auth_issuer + openid-configuration)
// -> registering (if the provider offers registration) -> authorizing (device
// authorization; device ID and keys drawn) -> [waiting-check-code, if N is G
// and the code is not typed yet] -> sending-protocol -> waiting-accepted
// (poll; show user_code) -> polling-token (authorization_pending: again;
// slow_down: interval + 5 s if obeyed; access_denied: m.login.declined or
// failure user_cancelled; expired_token or the code's lifetime:
// authorization_expired) -> [whoami -> confirming-account] -> sending-success
// -> waiting-secrets (poll) -> [whoami, if not done before] -> uploading-keys
// (device keys signed by the device key and the self-signing key, one
// keys/upload) -> [connecting-backup, if the secrets carry a backup] -> done.
//
// whoami must name the device_id N asked for, and, when the variant confirms
// the account and NewDeviceConfig.ExpectedUserID is set, that account; else
// N ends with whoami_mismatch (m.login.failure user_cancelled goes out if the
// channel is up).
//
// connecting-backup (spec §6 step 7) GETs room_keys/version and compares the
// algorithm, auth_data.public_key (against the X25519 public key of the
// received private key) and version (against backup_version). The result is
// Facts.Backup and the success outcome's Detail; a backup that does not
// connect (mismatch, none on the server, an error or no answer) never fails
// the login.
//
// # ExistingDevice
//
// Showing the QR code (intent reciprocate, E is G): idle -> creating ->
// waiting-initiate -> sending-ok -> waiting-protocol. Scanning (intent login,
// E is S): idle -> waiting-scan -> reading-session -> sending-initiate ->
// waiting-ok (show the code) -> sending-protocols -> waiting-protocol.
//
// Then: m.login.protocol -> [waiting-check-code, if E is G and the code is not
// typed yet] -> checking-device (GET /devices/{id}: 404 goes on, 200 is
// device_already_exists; any other answer after the retries, or none, is
// http_error or timeout, or with the device_check_error knob at
// already-exists, as the Rust SDK, device_already_exists) -> by the ack knob: before-browser: sending-accepted,
// the browser opens once the PUT went through; after-browser:
// opening-browser until InputBrowserOpened, then sending-accepted;
// after-confirm: waiting-confirm until InputConsent (cancelled: user_cancelled)
// -> waiting-success (poll) -> waiting-device (GET /devices/{id} every
// device_poll_interval until 200, device_not_found after
// device_poll_timeout) -> m.login.secrets -> done. InputBrowserFailed while
// the browser step is pending or after it sends
// unable_to_open_verification_uri (2026) or user_cancelled (2024).
//
// Two optional defences (MSC4108 5706fd4's security considerations), off in
// every preset. The open_verification_uri knob (https, https-same-host)
// checks the URI once the device ID is free, before anything opens; with
// https-same-host E first reads the provider's issuer from the homeserver's
// auth metadata (fetching-issuer). A refused URI ends the login with
// unable_to_open_verification_uri (user_cancelled in 2024). The
// proof_of_possession knob (ed25519-channel, the lab's design) changes the
// end: N, holding its token (and whoami's account), uploads its self-signed
// device keys (publishing-keys) and sends io.qrlab.login.proof_of_possession
// in place of m.login.success (sending-proof): an Ed25519 signature by its
// device key over SHA-256 of a label, G's and S's channel keys, the session
// URL and the device ID; once the device appeared, E asks whoami and POST
// /keys/query (querying-keys) and seals the secrets only if the signature
// verifies with the listed ed25519 key, else proof_of_possession_failed
// (sent as device_not_found). N's second upload after the secrets adds the
// self-signing signature.
//
// # The secrets rule
//
// ExistingDevice seals m.login.secrets only when (a) the check code was
// typed correctly on G: on E itself when E is G, and when N is G, N sends
// m.login.protocol only after its user typed the code; (b) the device check
// answered 404; (c) m.login.success arrived; (d) the device appeared; (e)
// with proof_of_possession, the proof verified. Facts
// exposes these for monitors.
//
// # Ending
//
// Any failure ends in StateFailed with an Outcome whose Reason is one of the
// texts' reasons (sent in m.login.failure when the channel is up, or
// received from the peer) or a local one (timeout, rendezvous_expired,
// channel_integrity, check_code_mismatch, write_conflict, http_error,
// invalid_qr, discovery_failed, key_upload_failed, whoami_mismatch,
// rendezvous_unavailable, proof_of_possession_failed). An undecodable or
// out-of-place message is answered with unexpected_message_received, unless
// the unexpected_message knob keeps the device silent (new-device-only, the
// Rust SDK: only the new device answers, and only a well-formed message;
// silent: nobody), when it ends locally with that reason and deletes the
// session; a protocol other than device_authorization_grant is answered
// with unsupported_protocol. With the homeserver_accept knob at url, a
// homeserver in m.login.protocols or m.login.failure that is not a URL
// makes the message undecodable.
//
// # Mutations
//
// A variant's mutations (model/variant: the catalogue of known-bad designs)
// switch on deliberate defects here: no-check-code (G never asks for the
// code and goes on), secrets-before-device-check, secrets-before-success,
// accept-unexpected-messages (skip and poll on), no-expiry (no deadline is
// ever set), no-aad-binding (no AAD although aad_binding is on) and
// no-whoami-check (whoami's answer is not compared). Facts stay truthful
// under a mutation (CodeConfirmed is false when the code was skipped), so
// the simulator's monitors see what the defect did. An honest variant
// takes none of these paths.
package login
