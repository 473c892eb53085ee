package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Link is one path between a client and a server. Every figure is per
// message (a request or a response); Up is client to server, Down the way
// back.
type Link struct {
	// Latency is the one-way delay.
	Latency Dist `json:"latency"`
	// JitterMillis adds a uniform [0, jitter] delay to every message.
	JitterMillis float64 `json:"jitter_ms,omitempty"`
	// LossUp and LossDown are the probabilities that a request or a
	// response is lost.
	LossUp   float64 `json:"loss_up,omitempty"`
	LossDown float64 `json:"loss_down,omitempty"`
	// Duplicate is the probability that a message arrives twice (a
	// duplicated request reaches the server twice; a client takes the
	// first answer to a request only, as HTTP does).
	Duplicate float64 `json:"duplicate,omitempty"`
	// Reorder is the probability that a message is held back by a second
	// draw of the latency, so that later messages overtake it.
	Reorder float64 `json:"reorder,omitempty"`
	// BytesPerSecond adds size/bandwidth to every message (0: unlimited).
	BytesPerSecond float64 `json:"bytes_per_second,omitempty"`
}

// Validate checks the link's figures: probabilities in [0, 1], the jitter
// in [0, MaxDelayMillis] ms, the bandwidth not negative.
func (l *Link) Validate() error {
	if err := l.Latency.Validate(); err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss_up", l.LossUp}, {"loss_down", l.LossDown}, {"duplicate", l.Duplicate}, {"reorder", l.Reorder}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("%w: %s %g is not a probability in [0, 1]", ErrNetwork, p.name, p.v)
		}
	}
	if !inRange(l.JitterMillis) {
		return fmt.Errorf("%w: jitter_ms %g is outside [0, %d] ms", ErrNetwork, l.JitterMillis, MaxDelayMillis)
	}
	if !(l.BytesPerSecond >= 0) || math.IsInf(l.BytesPerSecond, 0) {
		return fmt.Errorf("%w: bytes_per_second %g must be finite and not negative (0: unlimited)", ErrNetwork, l.BytesPerSecond)
	}
	return nil
}

// LinkID names the links of a run.
type LinkID uint8

// The links. The homeserver and the provider talk to each other in process.
const (
	// LinkNewHS: the new device and the homeserver (rendezvous and API).
	LinkNewHS LinkID = iota
	// LinkNewOP: the new device and the provider.
	LinkNewOP
	// LinkExistingHS: the existing device and the homeserver.
	LinkExistingHS
	// LinkBrowserOP: the browser on the existing device and the provider.
	LinkBrowserOP
	// LinkAttacker: an attacker's device and browser, to both servers.
	LinkAttacker
	numLinks
)

var linkNames = [numLinks]string{"new-hs", "new-op", "existing-hs", "browser-op", "attacker"}

// String names the link as scenario files spell it.
func (l LinkID) String() string {
	if l < numLinks {
		return linkNames[l]
	}
	return fmt.Sprintf("link(%d)", uint8(l))
}

// ParseLink reads a link name ("all" is not a link; see Partition).
func ParseLink(s string) (LinkID, error) {
	for i, n := range linkNames {
		if n == s {
			return LinkID(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown link %q (%s)", ErrNetwork, s, strings.Join(linkNames[:], ", "))
}

// Partition cuts links for a while: every message sent on them between
// From and To (virtual ms from the run's start) is lost.
type Partition struct {
	// Links are the link names, or "all".
	Links      []string `json:"links"`
	FromMillis int64    `json:"from_ms"`
	ToMillis   int64    `json:"to_ms"`
	mask       uint8
}

// Network is the virtual network of a run: one link per client-server pair
// (the new device's two links, the existing device's and its browser's),
// scheduled partitions, and whether the devices share one radio (a profile
// describes the phone's link; every link gets it unless overridden).
type Network struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Link        Link            `json:"link"`
	Overrides   map[string]Link `json:"overrides,omitempty"`
	Partitions  []Partition     `json:"partitions,omitempty"`
	// Connections are the network's connection failures, which only the
	// tcp transport has (the datagram transport ignores them).
	Connections Connections `json:"connections,omitempty"`
	links       [numLinks]Link
	ready       bool
}

// ErrNetwork is wrapped by every network validation error.
var ErrNetwork = errors.New("invalid network")

// Prepare validates the network and resolves the per-link settings.
func (n *Network) Prepare() error {
	if err := n.Link.Validate(); err != nil {
		return fmt.Errorf("network %q: link: %w", n.Name, err)
	}
	if err := n.Connections.Validate(); err != nil {
		return fmt.Errorf("network %q: connections: %w", n.Name, err)
	}
	for i := range n.links {
		n.links[i] = n.Link
	}
	keys := make([]string, 0, len(n.Overrides))
	for k := range n.Overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		id, err := ParseLink(k)
		if err != nil {
			return fmt.Errorf("network %q: overrides: %w", n.Name, err)
		}
		l := n.Overrides[k]
		if err := l.Validate(); err != nil {
			return fmt.Errorf("network %q: overrides.%s: %w", n.Name, k, err)
		}
		n.links[id] = l
	}
	for i := range n.Partitions {
		p := &n.Partitions[i]
		if p.ToMillis <= p.FromMillis || p.FromMillis < 0 || p.ToMillis > MaxDelayMillis {
			return fmt.Errorf("%w: network %q: partitions[%d]: from_ms %d and to_ms %d must have 0 <= from_ms < to_ms <= %d",
				ErrNetwork, n.Name, i, p.FromMillis, p.ToMillis, MaxDelayMillis)
		}
		p.mask = 0
		if len(p.Links) == 0 {
			return fmt.Errorf("%w: network %q: partitions[%d]: no links (name them, or \"all\")", ErrNetwork, n.Name, i)
		}
		for _, s := range p.Links {
			if s == "all" {
				p.mask = 1<<numLinks - 1
				continue
			}
			id, err := ParseLink(s)
			if err != nil {
				return fmt.Errorf("network %q: partitions[%d]: %w", n.Name, i, err)
			}
			p.mask |= 1 << id
		}
	}
	n.ready = true
	return nil
}

// cut reports whether link l is partitioned at t.
func (n *Network) cut(l LinkID, t Millis) bool {
	for i := range n.Partitions {
		p := &n.Partitions[i]
		if p.mask&(1<<l) != 0 && int64(t) >= p.FromMillis && int64(t) < p.ToMillis {
			return true
		}
	}
	return false
}

// delay draws the one-way delay of a message of size bytes on l, at most
// MaxDelayMillis.
func delay(l *Link, r *rand.Rand, size int) Millis {
	d := l.Latency.Sample(r)
	if l.JitterMillis > 0 {
		d += Millis(r.Float64() * l.JitterMillis)
	}
	if l.Reorder > 0 && r.Float64() < l.Reorder {
		d += l.Latency.Sample(r)
	}
	if l.BytesPerSecond > 0 {
		d += Millis(math.Min(float64(size)*1000/l.BytesPerSecond, MaxDelayMillis))
	}
	return min(d, MaxDelayMillis)
}

// Swarm makes each seed draw its own faults, as TigerBeetle's simulator
// does: loss, duplication and reordering on every link and a few partitions,
// within these bounds, during a faulty phase of FaultyMillis; then the
// network heals (the profile's latency stays, every fault goes) and each run
// must end within LivenessMillis of the heal.
type Swarm struct {
	MaxLoss        float64 `json:"max_loss"`
	MaxDuplicate   float64 `json:"max_duplicate"`
	MaxReorder     float64 `json:"max_reorder"`
	MaxPartitions  int     `json:"max_partitions"`
	MaxPartitionMs int64   `json:"max_partition_ms"`
	FaultyMillis   int64   `json:"faulty_ms"`
	LivenessMillis int64   `json:"liveness_ms"`
}

// DefaultSwarm is the swarm bounds simrun run --swarm uses.
func DefaultSwarm() Swarm {
	return Swarm{MaxLoss: 0.3, MaxDuplicate: 0.1, MaxReorder: 0.2, MaxPartitions: 3, MaxPartitionMs: 20000,
		FaultyMillis: 60000, LivenessMillis: 15 * 60000}
}

// Faults is what one swarm seed drew.
type Faults struct {
	Loss, Duplicate, Reorder float64
	Partitions               []Partition
	HealAt                   Millis
}

// draw picks a seed's faults.
func (s Swarm) draw(r *rand.Rand) Faults {
	f := Faults{Loss: r.Float64() * s.MaxLoss, Duplicate: r.Float64() * s.MaxDuplicate, Reorder: r.Float64() * s.MaxReorder,
		HealAt: Millis(s.FaultyMillis)}
	np := 0
	if s.MaxPartitions > 0 {
		np = r.IntN(s.MaxPartitions + 1)
	}
	for i := 0; i < np && s.FaultyMillis > 0; i++ {
		from := r.Int64N(s.FaultyMillis)
		length := int64(1000)
		if s.MaxPartitionMs > 1000 {
			length += r.Int64N(s.MaxPartitionMs - 1000)
		}
		to := min(from+length, s.FaultyMillis)
		if to <= from {
			continue
		}
		var links []string
		if r.IntN(2) == 0 {
			links = []string{"all"}
		} else {
			links = []string{linkNames[r.IntN(int(numLinks))]}
		}
		f.Partitions = append(f.Partitions, Partition{Links: links, FromMillis: from, ToMillis: to})
	}
	return f
}

// String summarises the faults for run records.
func (f Faults) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "loss=%.3f dup=%.3f reorder=%.3f heal=%dms", f.Loss, f.Duplicate, f.Reorder, f.HealAt)
	for _, p := range f.Partitions {
		fmt.Fprintf(&b, " cut(%s %d-%d)", strings.Join(p.Links, "+"), p.FromMillis, p.ToMillis)
	}
	return b.String()
}
