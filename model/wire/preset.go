package wire

import (
	"fmt"
	"sort"
	"strings"
)

// PresetNames returns the names of a table of presets in sorted order.
func PresetNames[F any](presets map[string]F) []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the preset named name from a table of preset
// constructors. An unknown name gives an error that wraps errConfig and
// lists the names there are.
func Preset[C any](presets map[string]func() C, name string, errConfig error) (C, error) {
	p, ok := presets[name]
	if !ok {
		var zero C
		return zero, fmt.Errorf("%w: unknown preset %q (have %s)", errConfig, name, strings.Join(PresetNames(presets), ", "))
	}
	return p(), nil
}
