package wire

import (
	"errors"
	"slices"
	"testing"
)

func TestPreset(t *testing.T) {
	errConfig := errors.New("bad config")
	presets := map[string]func() int{
		"two":  func() int { return 2 },
		"one":  func() int { return 1 },
		"zero": func() int { return 0 },
	}
	if got := PresetNames(presets); !slices.Equal(got, []string{"one", "two", "zero"}) {
		t.Fatalf("PresetNames = %v", got)
	}
	if got := PresetNames(map[string]bool{}); got == nil || len(got) != 0 {
		t.Fatalf("PresetNames of no presets = %#v, want empty", got)
	}
	if v, err := Preset(presets, "two", errConfig); v != 2 || err != nil {
		t.Fatalf("Preset(two) = %d, %v", v, err)
	}
	v, err := Preset(presets, "three", errConfig)
	if v != 0 || !errors.Is(err, errConfig) {
		t.Fatalf("Preset(three) = %d, %v", v, err)
	}
	if want := `bad config: unknown preset "three" (have one, two, zero)`; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
