// Package variant gathers every design knob of QR-code login (MSC4108 and
// MSC4388) into one value, Variant, and names the combinations worth studying
// as presets.
//
// A preset is data, not code: a JSON file under presets/ embedded in the
// binary, one file per preset, named <name>.json. A reviewer adds a preset by
// copying a file and editing it. Parse reads such a file strictly: an unknown
// field, a wrong JSON type or an invalid value is an error that names the
// file, the field and the valid values.
//
// # Schema
//
//	{
//	  "name":        "msc4388",                  // a built-in preset's equals its file name
//	  "description": "free text",
//	  "rendezvous": {
//	    "preset": "sequence-token",              // a model/rendezvous preset
//	    "ttl_ms": 0,                             // override of the session lifetime (0: keep)
//	    "max_data_bytes": 0,                     // override of the payload limit (0: keep)
//	    "token": "",                             // override: "counter", "digest", "content-hash", "content-time-hash" (Synapse 1.157.0) ("": keep)
//	    "idempotency": "",                       // override: "none", "same-data" (the text), "previous-token" (Synapse 1.157.0) ("": keep)
//	    "put_txn_id": false,                     // PUT to {id}/{txnId}, one fresh txnId per write, kept on retry (needs a txn-ID preset)
//	    "discovery": false                       // GET {prefix} for create_available before creating (not etag)
//	  },
//	  "channel": {
//	    "construction": "hpke-spec",             // ecies-spec, ecies-vodozemac, hpke-spec, hpke-vodozemac
//	    "digits": "10-99",                       // "00-99", "10-99" or "" (the construction's default)
//	    "generator_nonce_start": 0,              // ECIES: G's first nonce counter (0 or 1)
//	    "check_code_keys": "raw",                // hpke-spec check-code key encoding: "raw" or "base64"
//	    "retry_accept": false,                   // G keeps its key after a failed LoginInitiate
//	    "aad_binding": true,                     // bind every payload to base URL, ID, sequence token
//	    "aad_layout": "base-url-16",             // "base-url-16" (16/8/8, text since e43db14), "all-16" (5b6dc1e), "raw" (a44815f) or "base-url-8" (unverified)
//	    "aad_root_slash": false                  // bind a root base URL as "https://host/" (Url::as_str) though the QR drops the slash
//	  },
//	  "qr": {"format": "msc4388",                // a model/qr format name
//	         "url_check": false},                // scanner refuses a URL a URL parser refuses (qr.CheckURL)
//	  "messages": {
//	    "generation": "2026",                    // "2024" (homeserver) or "2026" (base_url, 7th reason)
//	    "homeserver_field": "url",               // 2024 only: "server-name" (JS, the text) or "url" (Rust)
//	    "strict_decode": false,                  // refuse unknown fields in m.login.* messages
//	    "homeserver_accept": "any"               // homeserver/base_url read as "any" (server name or URL) or "url" (Rust: a server name is undecodable)
//	  },
//	  "flow": {
//	    "ack": "after-browser",                  // protocol_accepted "before-browser", "after-browser" (once it opened) or "after-confirm" (Rust: once the user confirmed the browser step)
//	    "unable_to_open_reason": true,           // the 2026 failure unable_to_open_verification_uri exists
//	    "whoami": true,                          // N calls whoami before m.login.success
//	    "confirm_account": true,                 // N asks the user to confirm the account whoami shows
//	    "protocols_wait_for_check_code": true,   // N acts on m.login.protocols only after the code was typed
//	    "write_conflict": "abort",               // on 412/409: "abort", "ignore" (js-sdk) or "retry"
//	    "denial": "declined",                    // consent refused: "declined" (Rust) or "user-cancelled" (JS)
//	    "device_id": "curve25519",               // "curve25519" (Rust: base64 of the key) or "random"
//	    "unexpected_message": "send",            // who answers an undecodable or out-of-place message with unexpected_message_received: "send" (both, the texts), "new-device-only" (Rust: N, for a well-formed message) or "silent"
//	    "device_check_error": "http-error",      // a device check answering neither 404 nor 200: "http-error" (end locally) or "already-exists" (Rust: device_already_exists)
//	    "proof_of_possession": "off",            // "off" or "ed25519-channel" (the lab's design of MSC4108 5706fd4's alternative; needs whoami)
//	    "open_verification_uri": "any",          // verification URIs E opens: "any", "https" (5706fd4's MAY) or "https-same-host" (and the issuer's host)
//	    "token_error": "delete-session",         // N's token poll ends on invalid_grant or another unusable answer: "delete-session" (end with http_error, delete the session) or "silent" (Rust: nothing sent, session left)
//	    "session_delete": "on-end",              // DELETE the rendezvous session when a login ends: "on-end" or "never" (Rust: no DELETE anywhere)
//	    "device_wait": "deadline"                // E's wait for the new device: "deadline" (a timer, an error ends it) or "after-each-check" (Rust: deadline read when a check returns, errors are "not yet")
//	  },
//	  "timing": {
//	    "poll_interval_ms": 1000,                // rendezvous GET period
//	    "poll_backoff_max_ms": 1000,             // poll period cap; each unchanged read multiplies it
//	    "poll_backoff_factor": 1,                // by this factor (1: no backoff)
//	    "http_timeout_ms": 10000,                // a request not answered by then is a transport failure
//	    "http_retries": 2,                       // retries of a failed request (transport error, 429, 5xx)
//	    "retry_backoff_ms": 500,                 // wait before a retry
//	    "device_poll_interval_ms": 500,          // E's GET /devices/{id} period after m.login.success
//	    "device_poll_timeout_ms": 10000,         // E gives up with device_not_found after this
//	    "policies": {                            // optional, per request kind: rendezvous-poll, rendezvous-write, token-poll, whoami, devices, keys-upload, rendezvous-create, discovery
//	      "token-poll": {
//	        "timeout_ms": 30000,                 // per-try deadline (0 or absent: http_timeout_ms; -1: none)
//	        "retries": 0,                        // absent: http_retries; 0-100, or -1 (unlimited) with retry_budget_ms
//	        "backoff_ms": 500,                   // 0 or absent: retry_backoff_ms
//	        "http_error": "fatal",               // 429/5xx after the retries: "fatal", "poll-again" (rendezvous-poll), "ignore" (rendezvous-write: counts as written)
//	        "transport_error": "backoff",        // no answer after the retries: "fatal", "poll-again" (rendezvous-poll), "backoff" (token-poll: interval doubles up to backoff_max_ms)
//	        "backoff_max_ms": 10000
//	      },
//	      "whoami": {
//	        "retries": -1,                       // unlimited: the budget ends the retrying
//	        "transport_retries": 0,              // a broken connection: absent: as retries
//	        "timeout_retries": 0,                // the client's own timeout: absent: as retries
//	        "backoff_ms": 500,
//	        "backoff_factor": 2,                 // each wait this many times the last (0 or absent: constant)
//	        "backoff_max_ms": 60000,             // the cap of a growing wait (needed with a factor above 1)
//	        "retry_budget_ms": 900000            // the waits' sum may not pass it (0 or absent: no bound)
//	      }
//	    }
//	  },
//	  "oauth": {
//	    "preset": "mas",                         // a model/oauth preset
//	    "slow_down": "obey"                      // "obey" (+5 s per slow_down) or "ignore"
//	  },
//	  "homeserver": {"preset": "synapse-2026"},  // a model/homeserver preset
//	  "mutations": [],                           // deliberate defects (mutants only; see below); left out when empty
//	  "provenance": {                            // where the preset and each knob come from (see below)
//	    "status": "text 726e115",
//	    "knobs": {"qr.format": {"source": "msc4388-726e115", "note": "..."}, "timing": {"lab-default": "..."}}
//	  }
//	}
//
// Every field is required except the overrides, which default to "keep";
// put_txn_id, discovery and aad_root_slash, which default to false;
// idempotency, which defaults to keep; and homeserver_accept,
// unexpected_message, device_check_error, proof_of_possession,
// open_verification_uri, token_error, session_delete and device_wait, which
// default to the texts' behaviour ("any", "send", "http-error", "off", "any",
// "delete-session", "on-end", "deadline")
// and are spelled out when a file is parsed.
// JSON has no comments: the comments above are for the reader only.
//
// # Provenance
//
// Every built-in preset says where it comes from: a status line (Status:
// "text 726e115", "Synapse 1.157.0", "unverified", "design alternative")
// and, for every knob, an origin of one of four kinds: "source" (the ID of
// a reference in provenance/sources.json, each a repository, path and full
// commit that was read, with a note in the project's words), "lab-default"
// (the sources are silent; why this value), "unverified" (what is claimed
// and why it is kept) or "design-alternative" (a design no text or release
// states). A key of "knobs" names a knob, a comma-separated list of knobs,
// or a section covering the rest of its knobs. The rendezvous, OAuth and
// homeserver presets a variant picks carry the same, keyed by their Config
// field names, in provenance/<component>.json. WriteProvenance (simrun
// variants --provenance) prints it knob by knob; a test fails when a knob
// of a built-in preset, or a field of a component preset, has no origin.
//
// # Mutants
//
// A mutant is a known-bad design: an honest preset plus one mutation, kept
// as data under mutants/<name>.json (its description names the base and
// the invariant or property that must catch it) and loaded with
// LoadMutant(name) or Load("mutant/<name>"); its Name is "mutant/<name>".
// Names lists presets only, so code that expects honest behaviour never
// meets a mutant. "mutations" is a list of names from MutationNames, each
// at most once (an unknown name is refused with the valid ones); every
// honest preset leaves it empty. Each mutation is a guarded deviation where
// the behaviour lives:
//
//	no-check-code                G goes on without asking for the check code (model/login)
//	secrets-before-device-check  E skips GET /devices/{id} and still sends the secrets (model/login)
//	secrets-before-success       E sends the secrets right after m.login.protocol_accepted (model/login)
//	static-nonce                 one nonce for every message of a direction (model/channel)
//	shared-direction-key         one key and nonce sequence both ways (model/channel)
//	accept-unexpected-messages   an undecodable or out-of-place message is skipped (model/login)
//	ignore-etag                  the etag store accepts any If-Match (model/rendezvous; etag only)
//	ignore-sequence-token        the JSON store accepts any sequence_token (model/rendezvous; JSON only)
//	no-expiry                    sessions never expire, devices set no deadline (model/rendezvous, model/login)
//	reuse-ephemeral-key          G's and S's ephemeral keys from fixed seeds (model/channel)
//	no-aad-binding               no session binding although aad_binding is on (model/login; needs aad_binding)
//	no-whoami-check              whoami's device and user are not compared (model/login)
//
// simrun mutants runs each mutant against the invariants and properties
// that must catch it.
package variant
