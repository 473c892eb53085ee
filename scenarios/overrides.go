package scenarios

import (
	"encoding/json"
	"fmt"
	"strings"

	"qrlab/sim"
)

// Overrides are settings put over a scenario's own, as a command line's
// flags do: a nil field leaves the scenario's value as it is.
type Overrides struct {
	Variant, NewVariant, Intent, Network *string
	// Transport is "tcp" or "datagram"; "datagram" also drops the
	// scenario's tcp knobs.
	Transport *string
	// Adversary is NAME[,NAME]; "none" or "" clears the scenario's.
	Adversary *string
	// Swarm true turns swarm mode on with the default bounds; false
	// turns it off.
	Swarm, Backup *bool
	Seed          *uint64
	Runs          *int
}

// Check refuses an override that names an unknown preset, in the words
// of the flag that set it (--variant, --new-variant).
func (o Overrides) Check() error {
	for _, f := range []struct {
		flag string
		name *string
	}{{"--variant", o.Variant}, {"--new-variant", o.NewVariant}} {
		if f.name == nil || *f.name == "" {
			continue
		}
		if _, err := LoadVariant(*f.name); err != nil {
			return fmt.Errorf("%s: %v", f.flag, err)
		}
	}
	return nil
}

// Apply writes the overrides that are set into sc.
func (o Overrides) Apply(sc *Scenario) {
	if o.Variant != nil {
		sc.Variant = *o.Variant
	}
	if o.NewVariant != nil {
		sc.NewVariant = *o.NewVariant
	}
	if o.Intent != nil {
		sc.Intent = *o.Intent
	}
	if o.Network != nil {
		b, _ := json.Marshal(*o.Network)
		sc.Network = b
	}
	if o.Transport != nil {
		sc.Transport = *o.Transport
		if *o.Transport == sim.TransportDatagram {
			sc.TCP = nil
		}
	}
	if o.Swarm != nil {
		sc.Swarm = nil
		if *o.Swarm {
			sc.Swarm = json.RawMessage("{}")
		}
	}
	if o.Backup != nil {
		sc.Backup = *o.Backup
	}
	if o.Adversary != nil {
		sc.Adversaries = nil
		if *o.Adversary != "none" && *o.Adversary != "" {
			sc.Adversaries = strings.Split(*o.Adversary, ",")
		}
	}
	if o.Seed != nil {
		sc.Seed = *o.Seed
	}
	if o.Runs != nil {
		sc.Runs = *o.Runs
	}
}
