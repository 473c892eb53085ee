package channel

import (
	"fmt"
	"strings"

	"qrlab/model/channel/frame"
)

// Construction names one way of building the secure channel.
type Construction string

// The four constructions the lab models (see the package documentation).
const (
	ECIESSpec      Construction = "ecies-spec"
	ECIESVodozemac Construction = "ecies-vodozemac"
	HPKESpec       Construction = "hpke-spec"
	HPKEVodozemac  Construction = "hpke-vodozemac"
)

// Constructions lists every construction in a stable order.
func Constructions() []Construction {
	return []Construction{ECIESSpec, ECIESVodozemac, HPKESpec, HPKEVodozemac}
}

// ParseConstruction maps a name to its Construction.
func ParseConstruction(s string) (Construction, error) {
	for _, c := range Constructions() {
		if string(c) == s {
			return c, nil
		}
	}
	names := make([]string, 0, 4)
	for _, c := range Constructions() {
		names = append(names, string(c))
	}
	return "", fmt.Errorf("channel: %w: unknown construction %q (want one of %s)", ErrConfig, s, strings.Join(names, ", "))
}

// IsHPKE reports whether the construction is one of the HPKE ones.
func (c Construction) IsHPKE() bool { return c == HPKESpec || c == HPKEVodozemac }

// framing is how the construction frames its payloads (package frame): the
// spec constructions read base64 leniently, the vodozemac ones as vodozemac
// does.
func (c Construction) framing() frame.Framing {
	switch c {
	case HPKESpec:
		return frame.HPKE
	case ECIESVodozemac:
		return frame.ECIESVodozemac
	case HPKEVodozemac:
		return frame.HPKEVodozemac
	}
	return frame.ECIES
}

// Digits says how the two check-code bytes become two decimal digits.
type Digits uint8

const (
	// DigitsDefault picks the construction's own rendering: 10-99 for
	// hpke-spec, 00-99 for the others.
	DigitsDefault Digits = iota
	// Digits00To99 renders (b0%10, b1%10): the 2024 text and vodozemac's
	// default; a leading zero is shown.
	Digits00To99
	// Digits10To99 renders ((b0%9)+1, b1%10): the 2026 text and vodozemac's
	// NoLeadingZero mode; the first digit is never 0.
	Digits10To99
)

// String returns "00-99" or "10-99" (or "default").
func (d Digits) String() string {
	switch d {
	case Digits00To99:
		return "00-99"
	case Digits10To99:
		return "10-99"
	}
	return "default"
}

// ParseDigits maps "00-99" or "10-99" to a Digits value.
func ParseDigits(s string) (Digits, error) {
	switch s {
	case "00-99":
		return Digits00To99, nil
	case "10-99":
		return Digits10To99, nil
	}
	return DigitsDefault, fmt.Errorf("channel: %w: unknown check-code digits %q (want 00-99 or 10-99)", ErrConfig, s)
}

// KeyEncoding says how the two public keys enter the hpke-spec check-code
// export context, which the 2026 text leaves unstated.
type KeyEncoding uint8

const (
	// KeysRaw appends the 32 raw bytes of Gp and then of Sp (the default: the
	// text writes "CHECKCODE" || Gp || Sp with no separators).
	KeysRaw KeyEncoding = iota
	// KeysBase64 appends the unpadded base64 of Gp and then of Sp, still with
	// no separators.
	KeysBase64
)

// Config gathers the knobs of one channel construction.
type Config struct {
	// Construction picks the scheme.
	Construction Construction
	// Digits picks the check-code rendering; zero means the construction's
	// default.
	Digits Digits
	// GeneratorNonceStart is the first nonce counter G seals with in the
	// ECIES constructions: 0 in vodozemac and most of the 2024 text, 1 in
	// one passage of it. Both sides must agree.
	GeneratorNonceStart uint64
	// CheckCodeKeys is the hpke-spec check-code key encoding.
	CheckCodeKeys KeyEncoding
	// RetryAccept lets G try further LoginInitiate payloads after one failed
	// to decrypt, instead of giving its key up (vodozemac and the texts give
	// it up). A design option: it trades the lock-out by one forged payload
	// for more tries at the check code.
	RetryAccept bool

	// Observe, when set, is told of every payload this configuration's
	// channels seal, handshake included: the lab's monitors check nonce
	// uniqueness and read what was sealed through it. Nil (the default)
	// costs nothing; the channel never depends on what it does.
	Observe Observer
	// ObserveOpen, when set, is told of every payload this configuration's
	// channels open successfully, handshake included. Nil costs nothing.
	ObserveOpen OpenObserver

	// The mutations below are deliberate defects for the lab's catalogue
	// of known-bad designs (model/variant's mutants); no honest
	// configuration sets them.

	// StaticNonce seals every message of a direction under the same nonce
	// (the counter or sequence number never moves).
	StaticNonce bool
	// SharedDirectionKey uses one key and one nonce sequence for both
	// directions: S-to-G's (EncKey_S in ECIES, the HPKE context in HPKE).
	SharedDirectionKey bool
	// ReuseEphemeralKey derives G's and S's ephemeral keys from fixed seeds
	// (the random source is still read), so every session shares them.
	ReuseEphemeralKey bool
}

// DefaultConfig returns the construction as its source states it.
func DefaultConfig(c Construction) Config { return Config{Construction: c} }

// digits resolves DigitsDefault to the construction's rendering.
func (c Config) digits() Digits {
	if c.Digits != DigitsDefault {
		return c.Digits
	}
	if c.Construction == HPKESpec {
		return Digits10To99
	}
	return Digits00To99
}

// validate checks the configuration once, at channel creation.
func (c Config) validate() error {
	if _, err := ParseConstruction(string(c.Construction)); err != nil {
		return err
	}
	if c.Digits > Digits10To99 {
		return fmt.Errorf("channel: %w: check-code digits %d", ErrConfig, c.Digits)
	}
	if c.GeneratorNonceStart != 0 && c.Construction.IsHPKE() {
		return fmt.Errorf("channel: %w: a generator nonce start applies to ECIES only", ErrConfig)
	}
	if c.CheckCodeKeys > KeysBase64 {
		return fmt.Errorf("channel: %w: check-code key encoding %d", ErrConfig, c.CheckCodeKeys)
	}
	return nil
}
