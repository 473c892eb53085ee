package sim

import (
	"errors"
	"fmt"
	"math"
)

// Transport says how a run's HTTP messages cross the links.
//
// "tcp" (the default) carries HTTP over TCP and TLS 1.3 connections (see TCP): a lost
// packet is retransmitted (by RACK, a tail loss probe or the retransmission
// timeout: TCP.LossRecovery), so loss shows as delay, and a request fails before its client timeout only when its
// connection fails (the SYN retries or the retransmission budget run out, a
// reset, a handover, a NAT mapping that expired). Duplication is hidden by
// TCP; the link's reordering only adds delay.
//
// "datagram" sends each request and each answer as one message that the
// link loses whole with its loss probability, duplicates or reorders; the
// client then waits for its timeout. It is not what a client speaks, but it
// stresses the protocol harder (duplicated requests, lost answers), so swarm
// mode keeps it unless the transport is named.
type Transport struct {
	// Kind is "datagram" or "tcp" ("": tcp, or datagram in swarm mode; see
	// Config.TransportKind).
	Kind string `json:"kind,omitempty"`
	// TCP holds the tcp transport's knobs (nil: DefaultTCP).
	TCP *TCP `json:"tcp,omitempty"`
}

// The transport kinds.
const (
	TransportDatagram = "datagram"
	TransportTCP      = "tcp"
)

// TCP is the tcp transport's knobs. Each default names its source in
// sim/transport-sources.md (the row id in brackets), or says it is a lab
// default where no source gives the figure.
type TCP struct {
	// MSS is the payload bytes of one segment [lab default 1460: MTU 1500
	// less 40 bytes of headers, T21 (not read in a source)].
	MSS int `json:"mss"`
	// InitialRTOMillis is the retransmission timeout before any RTT
	// sample, and the first SYN retransmission [1 s: T1, Linux
	// TCP_TIMEOUT_INIT; RFC 6298 §2.1].
	InitialRTOMillis int64 `json:"initial_rto_ms"`
	// FallbackRTOMillis is the RTO data starts with when the handshake
	// needed a retransmission [3 s: T2, Linux TCP_TIMEOUT_FALLBACK; RFC 6298
	// §5.7].
	FallbackRTOMillis int64 `json:"fallback_rto_ms"`
	// MinRTOMillis and MaxRTOMillis bound the RTO [200 ms and 120 s: T3,
	// Linux TCP_RTO_MIN and TCP_RTO_MAX; RFC 6298's floor is 1 s, T4].
	MinRTOMillis int64 `json:"min_rto_ms"`
	MaxRTOMillis int64 `json:"max_rto_ms"`
	// RTOEstimator is how the RTO follows the RTT samples: "linux" (the
	// default; "" means it too) is Linux's tcp_rtt_estimator [T5]: the
	// variance term is at least MinRTOMillis, so the RTO is never below
	// SRTT + floor, and it comes down from its first value, R + max(2R,
	// floor) after a first sample R, by a quarter of its excess per round
	// trip (each sample here), so a connection's first few exchanges wait
	// longer than a steady one's; "linux-floor" is the lab's earlier
	// reading, RFC 6298's RTTVAR with the variance term floored per sample,
	// SRTT + max(4·RTTVAR, floor), which comes down within two or three
	// samples; "rfc6298" floors the RTO itself, max(SRTT + 4·RTTVAR, floor)
	// [T4, RFC 6298 §2.4]. With "linux" the client also times a request
	// whose answer had to be resent (Linux's sampling [T29]); the other two
	// keep the lab's earlier rule (no sample from an exchange with a loss),
	// so they reproduce the earlier model exactly. With a 200 ms floor Linux waits at least SRTT +
	// 200 ms where the RFC form waits 200 ms.
	RTOEstimator string `json:"rto_estimator,omitempty"`
	// LossRecovery is how a sender finds a lost segment and when it
	// resends it: "rack-tlp" (the default; "" means it too) as Linux does
	// by default [T13, T23-T27]: a segment lost before a later one of the
	// same flight arrives is resent once that later one's acknowledgment
	// is back and RACK's reordering window (min RTT / 4, at most SRTT;
	// none once three later segments are in) has passed, and a lost tail
	// is resent by a tail loss probe after 2·SRTT (plus the RTO floor
	// when one segment is outstanding, plus 2 ms otherwise; 1 s before
	// any RTT sample), never later than the RTO; a lost probe or a lost
	// retransmission waits for the RTO, doubling. "rto" resends every
	// lost segment only after the RTO, doubling from the flight's send
	// (the lab's earlier model, kept for comparison).
	LossRecovery string `json:"loss_recovery,omitempty"`
	// SynRetries is how often a lost SYN (or its SYN-ACK) is resent, at
	// 1, 3, 7, 15, 31, 63 s with the initial RTO of 1 s; the connect fails
	// one doubled RTO after the last (127 s) [6: T6, T7, Linux
	// tcp_syn_retries].
	SynRetries int `json:"syn_retries"`
	// Retries2 is how often one segment is retransmitted before the
	// connection is given up, one doubled RTO after the last retransmission
	// [15: T9, Linux tcp_retries2].
	Retries2 int `json:"retries2"`
	// UserTimeoutMillis, when set, breaks a connection whose data stays
	// unacknowledged that long (TCP_USER_TIMEOUT) [0: off, the Linux
	// default; reqwest sets 30 s on Linux and Android, X4].
	UserTimeoutMillis int64 `json:"user_timeout_ms,omitempty"`
	// PoolIdleMillis is how long an idle keep-alive connection is kept for
	// reuse [90 s: X2, reqwest's pool idle timeout].
	PoolIdleMillis int64 `json:"pool_idle_ms"`
	// BurstPackets, when above 1, makes packet loss bursty: a
	// Gilbert–Elliott chain per link and direction whose bad state loses
	// every packet and whose good state loses none, with a mean burst of
	// BurstPackets packets and the link's loss probability as its long-run
	// loss (good→bad with probability loss·r/(1−loss), bad→good with
	// r = 1/BurstPackets; lab derivation D, 3.2: no measured pair was
	// found). Its draws come from a stream of their own, one step per
	// packet in the order the model sends them [lab default 0: off,
	// independent losses].
	BurstPackets float64 `json:"burst_packets,omitempty"`
	// HTTP2 multiplexes every request of a client to a server on one
	// connection; otherwise HTTP/1.1 carries one request at a time per
	// connection and the pool opens another for a concurrent request [lab
	// default false: T20 says model HTTP/1.1 as one request in flight; X3
	// says the Rust SDK negotiates h2 when the server offers it].
	HTTP2 bool `json:"http2,omitempty"`
	// TLSResumption is what a client that finished a TLS handshake with a
	// server before does on a new connection: "none" (a full handshake
	// again), "psk" (resumption: still one round trip, T17, but no
	// certificate in the server's flight) or "0rtt" (early data: the
	// request leaves with the ClientHello, T17) [lab default "psk"].
	TLSResumption string `json:"tls_resumption"`
	// TLSServerBytes is the size of the server's first flight in a full
	// TLS 1.3 handshake (ServerHello to Finished, with the certificate
	// chain) [lab default 4000 bytes; no source read]. The handshake costs
	// one round trip before the request leaves [T16, RFC 8446 §2].
	TLSServerBytes int `json:"tls_server_bytes"`
	// TLSClientBytes is the size of the client's ClientHello; 0 means the
	// lab default of 300 bytes (one key share; no source read). A hello
	// with a post-quantum hybrid key share is larger than one segment
	// (Go's, measured: 1,455 bytes, sim/transport-sources.md section 5).
	TLSClientBytes int `json:"tls_client_bytes,omitempty"`
	// TLSHandshakeMillis is how long the hosts add to a TLS handshake's
	// round trip (full or psk; none with 0-RTT) beyond the network, such
	// as their handshake computing or a wait between a flight's segments
	// if the sender paced them [lab
	// default 0: the lab's hosts take no time and nothing paces; simrun
	// calibrate sets the figure it measures on its own harness, and
	// nothing else should].
	TLSHandshakeMillis int64 `json:"tls_handshake_ms,omitempty"`
	// ResetPerHour is the rate of connection resets (each connection
	// breaks after an exponential time with this rate) [lab default 0: no
	// per-connection rate found in the sources]. This knob and the next two,
	// when above 0, replace the network profile's figures (Connections).
	ResetPerHour float64 `json:"reset_per_hour,omitempty"`
	// HandoverPerHour is the rate at which a device changes network: all
	// its connections break and its next request opens a new one [lab
	// default 0: no per-hour rate for ordinary use was found, 3.4].
	HandoverPerHour float64 `json:"handover_per_hour,omitempty"`
	// NATIdleMillis, when set, is the NAT mapping timeout: a connection
	// left idle longer loses its mapping without either end knowing, and
	// the next request on it is black-holed until the retransmission
	// budget (or the client's timeout) ends it [0: never; RFC 5382 asks at
	// least 2 h 4 min, carrier NATs measured from 3 min to 6 h, 3.5].
	NATIdleMillis int64 `json:"nat_idle_ms,omitempty"`
	// ServerMillis is how long the hosts compute per exchange: the
	// server's handling of a request and the client's own work on the
	// answer, added before the answer leaves [lab default 0: the lab's
	// hosts take no time; simrun calibrate sets the figure it measures on
	// its own harness, and nothing else should].
	ServerMillis int64 `json:"server_ms,omitempty"`
	// TLSClientFinished, when set, sends the client's TLS Finished as a
	// segment of its own after the server's flight, exposed to loss, and
	// the server reads no request on the connection before it arrives (in
	// order, under TLS): a lost Finished holds the first request back by
	// its retransmission. Go's TLS 1.3 client flushes its Finished alone
	// before the application writes (crypto/tls
	// handshake_client_tls13.go, go1.26.8), and Go's net sets TCP_NODELAY,
	// so the request goes in a segment of its own; otherwise the Finished
	// rides with the request [lab default false: the handshake is the two
	// flights of T16; simrun calibrate sets it for its Go clients].
	TLSClientFinished bool `json:"tls_client_finished,omitempty"`
	// TLSFinishedFlight, with TLSClientFinished, sends the Finished and
	// the connection's first request (written right after the handshake
	// returns) as one flight, the Finished its first segment: a lost
	// Finished is then found by RACK when the request's segment is
	// acknowledged (about a round trip and a quarter of the least RTT),
	// and a lost request is the flight's tail, not a lone flight of its
	// own waiting for the probe's longer one-segment timeout [T36; lab
	// default false: the earlier model, two flights].
	TLSFinishedFlight bool `json:"tls_finished_flight,omitempty"`
	// AckLoss, when set, sends the client's pure ACK of each answer as a
	// packet of its own on the link's up direction, lost with its loss
	// [T31]. A lost one leaves the server waiting: if the client's next
	// request on the connection arrives before the server's tail loss
	// probe (one segment out: 2·SRTT + the RTO floor, capped by the RTO),
	// it acknowledges the answer and the server times the whole wait, an
	// RTT sample as long as the client's pause (T29); otherwise the
	// probe's needless resend is acknowledged a round trip later (a sample
	// of one round trip). Its draws come from the transport's stream [lab
	// default false: not modelled, the earlier model].
	AckLoss bool `json:"ack_loss,omitempty"`
	// SynTimestamps, when set, has both ends time the handshake with TCP
	// timestamps (RFC 7323) even when a SYN was resent, as Linux does
	// with net.ipv4.tcp_timestamps on (its default) [T35]: the SYN-ACK
	// echoes the timestamp of the first SYN the server heard (a resent
	// SYN leaves it unchanged), so the client's first sample is the whole
	// wait from that SYN (one round trip after a lost SYN; the SYN
	// timeout plus a round trip after a lost SYN-ACK), and the server's
	// the SYN-ACK's round trip. Data then starts with the RTO of that
	// sample (T5) and the tail loss probe and RACK of its SRTT, not the
	// 3 s fallback, which Linux keeps for a handshake with no sample at
	// all (no timestamps, or SYN cookies) [lab default false: the earlier
	// model, no sample after a resent SYN].
	SynTimestamps bool `json:"syn_timestamps,omitempty"`
	// SynAckTimer, when set, gives the server the SYN-ACK timer Linux
	// runs [T37]: once it has heard a SYN it resends its SYN-ACK itself
	// (the initial RTO after its first answer, doubling) as well as in
	// answer to each resent SYN, so the client connects on whichever
	// arrives first (a resent SYN lost, or its answer, is covered by the
	// timer's copy); and a server that resent its SYN-ACK more than once,
	// at least once by its timer, starts with a window of one segment, so
	// its first flight, when longer than a segment, takes a round trip
	// more. After a lost SYN-ACK the timer and the resent SYN come at
	// about the same time; the timer fires first when it is due no later
	// than the resent SYN arrives. Not modelled: the client's own cut
	// after two resent SYNs [lab default false: the earlier model, the
	// server answering only the client's SYNs, every connection starting
	// with the full initial window].
	SynAckTimer bool `json:"synack_timer,omitempty"`
}

// DefaultTCP is the tcp transport's defaults (see TCP for their sources).
func DefaultTCP() TCP {
	return TCP{MSS: 1460, InitialRTOMillis: 1000, FallbackRTOMillis: 3000, MinRTOMillis: 200, MaxRTOMillis: 120_000,
		SynRetries: 6, Retries2: 15, PoolIdleMillis: 90_000, TLSResumption: "psk", TLSServerBytes: 4000}
}

// TransportKind is the transport a run of c uses: the one named, else tcp,
// or datagram in swarm mode (each seed draws whole-message loss,
// duplication and reordering, which only datagram has).
func (c *Config) TransportKind() string {
	switch {
	case c.Transport.Kind != "":
		return c.Transport.Kind
	case c.Swarm != nil:
		return TransportDatagram
	}
	return TransportTCP
}

// The RTO estimators (TCP.RTOEstimator).
const (
	RTOLinux      = "linux"
	RTOLinuxFloor = "linux-floor"
	RTORFC6298    = "rfc6298"
)

// The loss recovery modes (TCP.LossRecovery).
const (
	RecoveryRACKTLP = "rack-tlp"
	RecoveryRTO     = "rto"
)

// ErrTransport is wrapped by every transport validation error.
var ErrTransport = errors.New("invalid transport")

// Validate checks the transport's kind and knobs.
func (t *Transport) Validate() error {
	switch t.Kind {
	case TransportDatagram:
		if t.TCP != nil {
			return fmt.Errorf("%w: tcp knobs given for the %q transport (set kind \"tcp\")", ErrTransport, TransportDatagram)
		}
		return nil
	case "", TransportTCP:
		if t.TCP == nil {
			return nil
		}
		if err := t.TCP.Validate(); err != nil {
			return fmt.Errorf("%w: tcp: %w", ErrTransport, err)
		}
		return nil
	}
	return fmt.Errorf("%w: kind %q is neither %q nor %q", ErrTransport, t.Kind, TransportDatagram, TransportTCP)
}

// Validate checks every knob against its range.
func (c *TCP) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrTransport, fmt.Sprintf(f, a...)) }
	if c.MSS < 64 || c.MSS > 65535 {
		return bad("mss %d is outside [64, 65535] bytes", c.MSS)
	}
	for _, d := range []struct {
		name   string
		v, min int64
	}{{"initial_rto_ms", c.InitialRTOMillis, 1}, {"fallback_rto_ms", c.FallbackRTOMillis, 1}, {"min_rto_ms", c.MinRTOMillis, 1},
		{"max_rto_ms", c.MaxRTOMillis, 1}, {"user_timeout_ms", c.UserTimeoutMillis, 0}, {"pool_idle_ms", c.PoolIdleMillis, 0},
		{"nat_idle_ms", c.NATIdleMillis, 0}, {"server_ms", c.ServerMillis, 0}, {"tls_handshake_ms", c.TLSHandshakeMillis, 0}} {
		if d.v < d.min || d.v > maxTCPMillis {
			return bad("%s %d is outside [%d, %d] ms", d.name, d.v, d.min, maxTCPMillis)
		}
	}
	if c.MinRTOMillis > c.MaxRTOMillis {
		return bad("min_rto_ms %d is above max_rto_ms %d (the floor must lie in [1, max_rto_ms])", c.MinRTOMillis, c.MaxRTOMillis)
	}
	if c.SynRetries < 0 || c.SynRetries > maxTCPRetries {
		return bad("syn_retries %d is outside [0, %d]", c.SynRetries, maxTCPRetries)
	}
	if c.Retries2 < 0 || c.Retries2 > maxTCPRetries {
		return bad("retries2 %d is outside [0, %d]", c.Retries2, maxTCPRetries)
	}
	switch c.RTOEstimator {
	case "", RTOLinux, RTOLinuxFloor, RTORFC6298:
	default:
		return bad("rto_estimator %q is not %q, %q or %q", c.RTOEstimator, RTOLinux, RTOLinuxFloor, RTORFC6298)
	}
	switch c.LossRecovery {
	case "", RecoveryRACKTLP, RecoveryRTO:
	default:
		return bad("loss_recovery %q is not %q or %q", c.LossRecovery, RecoveryRACKTLP, RecoveryRTO)
	}
	switch c.TLSResumption {
	case "none", "psk", "0rtt":
	default:
		return bad("tls_resumption %q is not \"none\", \"psk\" or \"0rtt\"", c.TLSResumption)
	}
	if c.TLSServerBytes < 0 || c.TLSServerBytes > 1<<20 {
		return bad("tls_server_bytes %d is outside [0, %d]", c.TLSServerBytes, 1<<20)
	}
	if c.TLSClientBytes < 0 || c.TLSClientBytes > 1<<20 {
		return bad("tls_client_bytes %d is outside [0, %d] (0: the lab default)", c.TLSClientBytes, 1<<20)
	}
	if !(c.BurstPackets >= 0 && c.BurstPackets <= maxBurstPackets) {
		return bad("burst_packets %g is outside [0, %d]", c.BurstPackets, maxBurstPackets)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"reset_per_hour", c.ResetPerHour}, {"handover_per_hour", c.HandoverPerHour}} {
		if !(r.v >= 0 && r.v <= 3600_000) || math.IsInf(r.v, 0) {
			return bad("%s %g is outside [0, 3600000] per hour", r.name, r.v)
		}
	}
	return nil
}

// Limits of the knobs: a day of virtual time for any duration, and 30
// retries (the SYN give-up time doubles with each: 2^31 s is past any run,
// and Linux allows 127, which would overflow).
const (
	maxTCPMillis    = 24 * 3600 * 1000
	maxTCPRetries   = 30
	maxBurstPackets = 1_000_000
)
