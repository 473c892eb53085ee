package explore

import (
	"fmt"
	"strings"

	"qrlab/model/qr"
)

// Flag renders one setting of o as the simrun explore flag that gives it
// ("--loss 1"), and says whether the value is the flag's default (so that
// leaving the flag out gives the same search). name is the flag's name
// without its dashes; a name simrun explore has no flag for panics, as a
// caller's list of names is fixed in the code.
func (o Options) Flag(name string) (flag string, isDefault bool) {
	switch name {
	case "variant":
		return "--variant " + o.VariantName, false
	case "intent":
		return "--intent " + o.Intent.String(), o.Intent == qr.Login
	case "loss":
		return fmt.Sprintf("--loss %d", o.Loss), o.Loss == 0
	case "dup":
		return fmt.Sprintf("--dup %d", o.Dup), o.Dup == 0
	case "resets":
		return fmt.Sprintf("--resets %d", o.Resets), o.Resets == 0
	case "latency":
		return fmt.Sprintf("--latency %d", o.LatencyMillis), o.LatencyMillis == 0 || o.LatencyMillis == defaultLatency
	case "seed":
		return fmt.Sprintf("--seed %d", o.Seed), o.Seed == 1
	case "adversary":
		return "--adversary " + strings.Join(o.Adversaries, ","), len(o.Adversaries) == 0
	case "mode":
		return "--mode " + o.Mode, o.Mode == "" || o.Mode == "bfs"
	case "user":
		return "--user " + o.User, o.User == "" || o.User == UserAttentive
	case "pace":
		return "--pace " + o.PaceName, o.PaceName == ""
	case "reach":
		return "--reach " + o.Reach, o.Reach == ""
	case "time":
		return "--time " + o.Time, !o.abstract()
	case "untimed-above":
		return fmt.Sprintf("--untimed-above %d", o.UntimedAboveMillis), o.UntimedAboveMillis == 0 || o.UntimedAboveMillis == DefaultUntimedAbove
	case "free-lost-timeouts":
		return "--free-lost-timeouts", !o.FreeLostTimeouts || !o.abstract()
	}
	panic(fmt.Sprintf("explore: no simrun explore flag %q", name))
}

// Flags renders, in the order of names, each setting of o that show
// accepts, told whether the setting's value is the flag's default.
func (o Options) Flags(names []string, show func(name string, isDefault bool) bool) string {
	var f []string
	for _, name := range names {
		if s, def := o.Flag(name); show(name, def) {
			f = append(f, s)
		}
	}
	return strings.Join(f, " ")
}
