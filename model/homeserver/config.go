package homeserver

import (
	"errors"
	"fmt"
	"strings"

	"qrlab/model/wire"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid homeserver configuration")

// Feature is one entry of unstable_features in /versions.
type Feature struct {
	Name    string
	Enabled bool
}

// Unstable feature flags of QR-code login, one per generation of the
// rendezvous API (see the project's MSC4108 notes, section 0).
const (
	// FeatureMSC4108 is the 2024 ETag rendezvous API.
	FeatureMSC4108 = "org.matrix.msc4108"
	// FeatureMSC4108v2025 is Synapse's 2025 interim JSON rendezvous API.
	FeatureMSC4108v2025 = "io.element.msc4108"
	// FeatureMSC4388 is the 2026 rendezvous API of MSC4388.
	FeatureMSC4388 = "io.element.msc4388"
)

// Config is every knob of the homeserver model. Start from a preset.
type Config struct {
	// Name is the preset's name, for traces.
	Name string
	// ServerName is the server name of the user IDs it hosts.
	ServerName string
	// Versions are the spec versions /versions lists.
	Versions []string
	// UnstableFeatures are the flags /versions lists, in order.
	UnstableFeatures []Feature

	// AuthMetadata serves GET /_matrix/client/v1/auth_metadata (and its
	// unstable MSC2965 path) with the provider's metadata.
	AuthMetadata bool
	// AuthIssuer serves the older GET .../auth_issuer ({"issuer": ...}),
	// after which clients fetch the provider's openid-configuration.
	AuthIssuer bool

	// DeviceOnIssue adds a device to the user's device list when the
	// provider issues a token for it (MAS provisions devices then),
	// IssueDelay after the issue.
	DeviceOnIssue bool
	IssueDelay    Millis
	// DeviceOnFirstUse adds it when its access token is first used on this
	// homeserver (Synapse's delegated auth creates missing devices then),
	// FirstUseDelay after that use.
	DeviceOnFirstUse bool
	FirstUseDelay    Millis

	// RequireAPIScope refuses provider tokens whose scope lacks the
	// client-server API (401 M_UNKNOWN_TOKEN, as Synapse does).
	RequireAPIScope bool
	// StrictSignatures refuses a keys/upload whose device_keys carry, under
	// the uploader's user ID, a signature that does not verify or is by a
	// key the server does not know. Off, only the device's own signature
	// must verify; other signatures are stored and simply fail the
	// cross-signing check.
	StrictSignatures bool
}

// base is the knobs every preset shares.
func base(name string) Config {
	return Config{
		Name:             name,
		ServerName:       "lab.example",
		AuthMetadata:     true,
		AuthIssuer:       true,
		DeviceOnIssue:    true,
		DeviceOnFirstUse: true,
		RequireAPIScope:  true,
		StrictSignatures: true,
	}
}

// PresetSynapse2024 is Synapse with MSC3861 delegated auth in 2024: only
// auth_issuer, the 2024 rendezvous flag, and devices created on the first
// use of their token.
func PresetSynapse2024() Config {
	c := base("synapse-2024")
	c.Versions = []string{"v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11"}
	c.UnstableFeatures = []Feature{{FeatureMSC4108, true}}
	c.AuthMetadata = false
	c.DeviceOnIssue = false
	return c
}

// PresetSynapse2025 is Synapse with MAS in 2025: auth_metadata and
// auth_issuer, the interim rendezvous flag, devices provisioned by MAS at
// token issue (and on first use as a fallback).
func PresetSynapse2025() Config {
	c := base("synapse-2025")
	c.Versions = []string{"v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12", "v1.13", "v1.14", "v1.15"}
	c.UnstableFeatures = []Feature{{FeatureMSC4108, false}, {FeatureMSC4108v2025, true}}
	return c
}

// PresetSynapse2026 is Synapse with MAS in 2026: auth_metadata only and the
// MSC4388 rendezvous flag.
func PresetSynapse2026() Config {
	c := PresetSynapse2025()
	c.Name = "synapse-2026"
	c.Versions = append(c.Versions, "v1.16", "v1.17", "v1.18")
	c.UnstableFeatures = []Feature{{FeatureMSC4108v2025, false}, {FeatureMSC4388, true}}
	c.AuthIssuer = false
	return c
}

// PresetSynapse1157 is Synapse 1.157.0 with MAS and msc4388_mode on: the
// spec versions its /versions lists (r0.0.1 to v1.12), org.matrix.msc4108
// off (no io.element.msc4388 flag: 1.151.0 dropped it), auth_metadata only.
func PresetSynapse1157() Config {
	c := PresetSynapse2026()
	c.Name = "synapse-1.157"
	c.Versions = []string{"r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
		"v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12"}
	c.UnstableFeatures = []Feature{{FeatureMSC4108, false}}
	return c
}

// PresetFirstUse is a homeserver that learns devices only when their token
// is first used: the existing device's GET /devices/{id} then stays 404
// until the new device talks to the homeserver.
func PresetFirstUse() Config {
	c := PresetSynapse2026()
	c.Name = "first-use"
	c.DeviceOnIssue = false
	return c
}

var presets = map[string]func() Config{
	"synapse-2024":  PresetSynapse2024,
	"synapse-2025":  PresetSynapse2025,
	"synapse-2026":  PresetSynapse2026,
	"synapse-1.157": PresetSynapse1157,
	"first-use":     PresetFirstUse,
}

// PresetNames lists the presets in sorted order.
func PresetNames() []string { return wire.PresetNames(presets) }

// Preset returns the named preset.
func Preset(name string) (Config, error) { return wire.Preset(presets, name, ErrConfig) }

// Validate checks the configuration and names the first bad field.
func (c *Config) Validate() error {
	if c.ServerName == "" || strings.ContainsAny(c.ServerName, "/@ ") {
		return fmt.Errorf("%w: ServerName %q is not a server name", ErrConfig, c.ServerName)
	}
	if c.IssueDelay < 0 {
		return fmt.Errorf("%w: IssueDelay %d ms must not be negative", ErrConfig, c.IssueDelay)
	}
	if c.FirstUseDelay < 0 {
		return fmt.Errorf("%w: FirstUseDelay %d ms must not be negative", ErrConfig, c.FirstUseDelay)
	}
	for i, f := range c.UnstableFeatures {
		if f.Name == "" {
			return fmt.Errorf("%w: UnstableFeatures[%d] has no name", ErrConfig, i)
		}
	}
	return nil
}
