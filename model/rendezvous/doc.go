// Package rendezvous is the homeserver's rendezvous session store: the
// insecure one-slot mailbox that two devices use to meet during QR-code login
// (MSC4108 and, from 2025, MSC4388).
//
// The store is pure. A Store is an explicit state value; Handle(now, request)
// computes a response and the effects a trace or a monitor wants to know
// (session created, written, read, deleted, expired, evicted); Sweep and Tick
// do the periodic clean-up a homeserver runs about once a minute. Time always
// arrives as an argument (Millis: milliseconds, of virtual time or since the
// Unix epoch), randomness for session IDs arrives as an io.Reader or is
// derived from a seed, and nothing here starts a goroutine or does I/O. The
// same configuration, inputs and random stream give the same responses, byte
// for byte.
//
// Requests and responses are HTTP-shaped (method, path, headers, raw body;
// status, headers, body) and faithful to the wire, so that a net/http adapter
// can put a Store behind a real listener unchanged and a real client can talk
// to it.
//
// Three flavours of the API are modelled, each with every limit as a knob and
// named presets (see Preset and PresetNames):
//
//   - etag: the 2024 MSC4108 text. POST a text/plain body, get 201 and a
//     session URL; PUT with If-Match (202, or 412 on a stale ETag); GET with
//     optional If-None-Match (200 or 304); DELETE (204).
//   - sequence-token-2025: the interim JSON API that Synapse shipped as
//     msc4108v2025_mode: {"data"} in, {"id","sequence_token","expires_ts"} out,
//     409 on a stale token.
//   - sequence-token: the 2026 MSC4388 text: expires_in_ms, a discovery GET,
//     idempotent retries of a PUT (by identical data, or by transaction ID,
//     depending on the revision), opaque identifiers, the 120-300 s lifetime
//     rule and the Sec-Fetch check against top-level navigation.
//
// Where the texts and Synapse disagree, the disagreement is a knob
// and the presets name both sides (for example the content-hash ETags and
// sequence tokens of Synapse against the texts' rule that a token
// changes on every write).
//
// The store's clock never goes back: a time earlier than one it has seen is
// read as that one, which keeps creation order and expiry order the same.
//
// Spec is the sequential specification of the store: a tiny reference model
// (per session: data, version, expiry) that a linearizability checker or a
// property test compares the store against. The simulator's
// rendezvous-linearizable monitor steps a SessionSpec per session.
//
// # The client codec
//
// Client (client.go, answer.go) is the client side of each flavour and the
// one place where a rendezvous answer is parsed: it builds the create,
// poll and PUT requests (Create, Poll, Put, PutURL), parses the answers
// (ParseCreate, ParseRead, ParseWritten, ParseDiscovery, Errcode) into
// values or an *AnswerError that names the operation, the status, the
// member or header at fault and the kind (ErrAnswerStatus,
// ErrAnswerNotFound, ErrAnswerConflict, ErrAnswerMalformed,
// ErrAnswerMissing), and reads what a client asked for (CreateData,
// WriteOf, TxnOf) and builds read answers (AppendReadBody, SetRead) for
// monitors, adversaries and test doubles (AppendCreatedBody and
// AppendWrittenBody too, for a fake mailbox). The login machines
// (model/login), the simulator's monitors and adversaries (sim) use it;
// the store's own request reading and answer writing are the server side
// (etag.go, seqtoken.go) and share its JSON reader (json.go).
package rendezvous
