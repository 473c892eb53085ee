package sim

import (
	"fmt"
	"math"
	"strings"
)

// Connections are a network's connection failures under the tcp transport:
// rates of resets and handovers, and the NAT's idle timeout. A TCP knob of
// the same name, when set (above 0), replaces the network's figure.
type Connections struct {
	// ResetPerHour: each connection breaks after an exponential time with
	// this rate.
	ResetPerHour float64 `json:"reset_per_hour,omitempty"`
	// HandoverPerHour: the rate at which a device changes network; every
	// connection of the device (its browser's included) breaks.
	HandoverPerHour float64 `json:"handover_per_hour,omitempty"`
	// NATIdleMillis: a connection idle longer loses its NAT mapping (0:
	// never).
	NATIdleMillis int64 `json:"nat_idle_ms,omitempty"`
	// TokenAnswerBreaks: the connection carrying the provider's first n
	// successful answers (200, tokens issued) to the new device's token
	// poll breaks as the answer leaves, a handover timed at the worst
	// moment (0: never; at most 10). It lets a scenario ask what a client
	// does when the provider has spent the device code and the client
	// never heard. tcp only, as the other connection failures.
	TokenAnswerBreaks int `json:"token_answer_breaks,omitempty"`
}

// Validate checks the rates and the timeout against the TCP knobs' ranges.
func (c *Connections) Validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"reset_per_hour", c.ResetPerHour}, {"handover_per_hour", c.HandoverPerHour}} {
		if !(r.v >= 0 && r.v <= 3600_000) || math.IsInf(r.v, 0) {
			return fmt.Errorf("%w: %s %g is outside [0, 3600000] per hour", ErrNetwork, r.name, r.v)
		}
	}
	if c.NATIdleMillis < 0 || c.NATIdleMillis > maxTCPMillis {
		return fmt.Errorf("%w: nat_idle_ms %d is outside [0, %d] ms", ErrNetwork, c.NATIdleMillis, maxTCPMillis)
	}
	if c.TokenAnswerBreaks < 0 || c.TokenAnswerBreaks > 10 {
		return fmt.Errorf("%w: token_answer_breaks %d is outside [0, 10]", ErrNetwork, c.TokenAnswerBreaks)
	}
	return nil
}

// apply puts the network's figures into k where k leaves them unset.
func (c *Connections) apply(k *TCP) {
	if k.ResetPerHour == 0 {
		k.ResetPerHour = c.ResetPerHour
	}
	if k.HandoverPerHour == 0 {
		k.HandoverPerHour = c.HandoverPerHour
	}
	if k.NATIdleMillis == 0 {
		k.NATIdleMillis = c.NATIdleMillis
	}
}

// Figures the tcp profiles share (sim/transport-sources.md, section 3,
// names each source and its label; "lab" marks a lab default).
const (
	// cellNATIdle: a carrier NAT's idle timeout for TCP, the shortest vendor
	// default read (a mobile packet core's TCP pinhole: 3 min; another
	// mobile core keeps 6 h).
	cellNATIdle = 180_000
	// homeNATIdle: RFC 5382's least idle timeout for an established TCP
	// mapping, 2 h 4 min.
	homeNATIdle = 7_440_000
	// mbit converts a rate in Mbit/s to bytes per second.
	mbit = 1e6 / 8
)

// tcpProfiles are the named networks of the tcp transport, calibrated from
// published measurements. A latency is one way, half the measured round
// trip; loss is per packet (each segment and SYN), independent from packet
// to packet: no published burst length or two-state fit was found for
// these technologies (sim/transport-sources.md, 3.2), so every profile
// leaves the tcp knob burst_packets off (a mean burst of 1/(1-loss)
// packets); the bandwidth is the measured downlink (most bytes of a login
// travel down: the TLS server flight, the polled messages). Figures without
// a source are lab defaults, and the description says so.
var tcpProfiles = []Network{
	{Name: "lan", Description: "wired LAN next to the homeserver: 1 ms one way with 1 ms jitter, no loss (lab default: no source read)",
		Link: Link{Latency: Constant(1), JitterMillis: 1}},
	{Name: "wifi", Description: "home Wi-Fi: round trip 14 ms fixed-broadband median (Ookla, US, Q2 2021) plus a Wi-Fi hop of at least 3 ms, p90 20 ms, p99 250 ms (Sui et al., MobiSys 2016; its maximum, 500 ms, a lab default), halved; 0.5% packet loss each way (lab default); 115.22 Mbit/s (Ookla); NAT idle 2 h 4 min (RFC 5382)",
		Link: Link{Latency: Dist{Kind: DistEmpirical, Points: [][2]float64{{0, 8.5}, {0.9, 17}, {0.99, 132}, {1, 257}}},
			LossUp: 0.005, LossDown: 0.005, BytesPerSecond: 115.22 * mbit},
		Connections: Connections{NATIdleMillis: homeNATIdle}},
	{Name: "4g", Description: "LTE phone: round trip 53.1 ms on average (Ofcom, UK, Q4 2014), lognormal one way, median 26.55 ms, sigma 0.4 (lab default); 1% packet loss each way (lab default); 14.7 Mbit/s (Ofcom); carrier NAT idle 3 min (a mobile core's TCP default)",
		Link:        Link{Latency: LogNormal(26.55, 0.4), LossUp: 0.01, LossDown: 0.01, BytesPerSecond: 14.7 * mbit},
		Connections: Connections{NATIdleMillis: cellNATIdle}},
	{Name: "3g", Description: "UMTS phone: round trip 63.5 ms on average (Ofcom, UK, Q4 2014), lognormal one way, median 31.75 ms, sigma 0.4 (lab default); 1% packet loss each way (lab default); 5.9 Mbit/s (Ofcom); carrier NAT idle 3 min",
		Link:        Link{Latency: LogNormal(31.75, 0.4), LossUp: 0.01, LossDown: 0.01, BytesPerSecond: 5.9 * mbit},
		Connections: Connections{NATIdleMillis: cellNATIdle}},
	{Name: "lossy-3g", Description: "weak 3G (CDMA 1x EV-DO): round trip 417.4 ms on average with variance 14,995 ms² (Lee, PAM 2006), normal one way, mean 208.7 ms, sd 86.6 ms; packet loss 4.7% up, 0.2% down (Lee; bursty there, independent here: no burst length read); 572.5 kbit/s (Lee's TCP downlink); carrier NAT idle 3 min",
		Link:        Link{Latency: Normal(208.7, 86.6), LossUp: 0.047, LossDown: 0.002, BytesPerSecond: 572.5e3 / 8},
		Connections: Connections{NATIdleMillis: cellNATIdle}},
	{Name: "satellite", Description: "geostationary link: median latency 630 ms (Viasat; HughesNet 724 ms; Ookla, US, Q2 2021), normal one way, 315 ms, sd 20 ms (lab default); 1% packet loss each way (lab default); 18.13 Mbit/s (Ookla)",
		Link: Link{Latency: Normal(315, 20), LossUp: 0.01, LossDown: 0.01, BytesPerSecond: 18.13 * mbit}},
	{Name: "flaky", Description: "4G on the move: the 4g figures with 5% packet loss, every link cut from 8 to 14 s and from 40 to 43 s, and 12 handovers an hour that break every connection of a device (lab defaults: a third of radio-technology changes end the connection, Baltrūnas et al., IFIP Networking 2016; their rate was not read)",
		Link:        Link{Latency: LogNormal(26.55, 0.4), LossUp: 0.05, LossDown: 0.05, BytesPerSecond: 14.7 * mbit},
		Partitions:  []Partition{{Links: []string{"all"}, FromMillis: 8000, ToMillis: 14000}, {Links: []string{"all"}, FromMillis: 40000, ToMillis: 43000}},
		Connections: Connections{HandoverPerHour: 12, NATIdleMillis: cellNATIdle}},
}

// datagramProfiles are the named networks of the datagram transport: the
// lab's earlier profiles, uncalibrated, kept for comparison and for the
// swarm. Figures are one way, per message (a request or an answer is lost
// whole).
var datagramProfiles = []Network{
	{Name: "lan", Description: "wired LAN next to the homeserver: 1 ms, no loss",
		Link: Link{Latency: Constant(1), JitterMillis: 1}},
	{Name: "wifi", Description: "home Wi-Fi to a nearby server: lognormal median 8 ms (sigma 0.5), jitter 5 ms, 0.5% loss each way, 0.1% reordering",
		Link: Link{Latency: LogNormal(8, 0.5), JitterMillis: 5, LossUp: 0.005, LossDown: 0.005, Reorder: 0.001, BytesPerSecond: 5e6}},
	{Name: "4g", Description: "LTE phone: lognormal median 35 ms (sigma 0.4), jitter 10 ms, 1% loss each way, 0.5% reordering, 2 MB/s",
		Link: Link{Latency: LogNormal(35, 0.4), JitterMillis: 10, LossUp: 0.01, LossDown: 0.01, Reorder: 0.005, BytesPerSecond: 2e6}},
	{Name: "3g", Description: "the lossy-3g figures with 1% loss each way (added for symmetry with the tcp profiles)",
		Link: Link{Latency: Dist{Kind: DistLogNormal, Median: 150, Sigma: 0.6, Cap: 5000}, JitterMillis: 50, LossUp: 0.01, LossDown: 0.01,
			Duplicate: 0.005, Reorder: 0.02, BytesPerSecond: 50e3}},
	{Name: "lossy-3g", Description: "weak 3G: lognormal median 150 ms (sigma 0.6, capped at 5 s), jitter 50 ms, 8% loss each way, 0.5% duplication, 2% reordering, 50 kB/s",
		Link: Link{Latency: Dist{Kind: DistLogNormal, Median: 150, Sigma: 0.6, Cap: 5000}, JitterMillis: 50, LossUp: 0.08, LossDown: 0.08,
			Duplicate: 0.005, Reorder: 0.02, BytesPerSecond: 50e3}},
	{Name: "satellite", Description: "geostationary link: normal 300 ms (sd 20) one way, 1% loss each way, 500 kB/s",
		Link: Link{Latency: Normal(300, 20), JitterMillis: 10, LossUp: 0.01, LossDown: 0.01, BytesPerSecond: 500e3}},
	{Name: "flaky", Description: "4G that drops out: the 4g figures with 5% loss and 1% duplication, and every link cut from 8 to 14 s and from 40 to 43 s",
		Link:       Link{Latency: LogNormal(35, 0.4), JitterMillis: 10, LossUp: 0.05, LossDown: 0.05, Duplicate: 0.01, Reorder: 0.01, BytesPerSecond: 2e6},
		Partitions: []Partition{{Links: []string{"all"}, FromMillis: 8000, ToMillis: 14000}, {Links: []string{"all"}, FromMillis: 40000, ToMillis: 43000}}},
}

// DefaultNetwork is the profile a run uses when none is named.
const DefaultNetwork = "4g"

// Profile returns a copy of the named network profile of the default
// transport (tcp), prepared.
func Profile(name string) (Network, error) { return ProfileFor(TransportTCP, name) }

// ProfileFor returns a copy of the named network profile of the transport
// kind ("tcp", or "datagram" for the earlier uncalibrated profiles),
// prepared.
func ProfileFor(kind, name string) (Network, error) {
	list := tcpProfiles
	switch kind {
	case TransportTCP:
	case TransportDatagram:
		list = datagramProfiles
	default:
		return Network{}, fmt.Errorf("%w: no profiles for transport %q (%q or %q)", ErrNetwork, kind, TransportTCP, TransportDatagram)
	}
	for _, p := range list {
		if p.Name == name {
			p.Partitions = append([]Partition(nil), p.Partitions...)
			if err := p.Prepare(); err != nil {
				return Network{}, err
			}
			return p, nil
		}
	}
	return Network{}, fmt.Errorf("%w: unknown network profile %q (%s)", ErrNetwork, name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames lists the named network profiles (the same names under
// both transports).
func ProfileNames() []string {
	out := make([]string, len(tcpProfiles))
	for i, p := range tcpProfiles {
		out[i] = p.Name
	}
	return out
}
