package scenarios

import (
	"fmt"
	"io"
	"os"
	"strings"

	"qrlab/model/variant"
)

// maxVariantFile bounds a variant file's size (a preset is about 2 KB).
const maxVariantFile = 1 << 20

// IsVariantFile reports whether a variant reference names a file (it ends
// in .json) rather than a built-in preset.
func IsVariantFile(ref string) bool { return strings.HasSuffix(ref, ".json") }

// LoadVariant resolves a variant reference: a built-in preset's name (simrun
// variants lists them), or the path of a preset file of one's own (ending in
// .json, such as the output of simrun variants --json NAME, edited), read
// strictly and validated.
func LoadVariant(ref string) (variant.Variant, error) {
	if !IsVariantFile(ref) {
		return variant.Load(ref)
	}
	f, err := os.Open(ref)
	if err != nil {
		return variant.Variant{}, fmt.Errorf("%w: variant file: %v", variant.ErrVariant, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxVariantFile+1))
	if err != nil {
		return variant.Variant{}, fmt.Errorf("%w: variant file %s: %v", variant.ErrVariant, ref, err)
	}
	if len(b) > maxVariantFile {
		return variant.Variant{}, fmt.Errorf("%w: variant file %s: larger than %d bytes", variant.ErrVariant, ref, maxVariantFile)
	}
	return variant.Parse(b, ref)
}
