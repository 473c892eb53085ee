package sim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStreamLabelsUnique: no two of a run's random streams share a label
// (two would draw the same numbers), and every derive call in the package
// names a stream of streamLabels (a label outside the list escapes the
// check), the handovers' as streamHandover plus the device.
func TestStreamLabelsUnique(t *testing.T) {
	seen := map[uint64]string{}
	names := map[string]bool{}
	for _, s := range streamLabels() {
		if prev, ok := seen[s.label]; ok {
			t.Errorf("label %d is both %s's and %s's", s.label, prev, s.name)
		}
		seen[s.label], names[s.name] = s.name, true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "derive" {
				return true
			}
			calls++
			arg := call.Args[1]
			if b, ok := arg.(*ast.BinaryExpr); ok && b.Op == token.ADD {
				if x, ok := b.X.(*ast.Ident); ok && x.Name == "streamHandover" {
					arg = b.X // streamHandover + device
				}
			}
			id, ok := arg.(*ast.Ident)
			if !ok || !names[id.Name] {
				t.Errorf("%s: derive with label %s, not a stream of streamLabels", fset.Position(call.Pos()), types.ExprString(call.Args[1]))
			}
			return true
		})
	}
	if calls < 10 {
		t.Fatalf("found %d derive calls; the scan misses them", calls)
	}
}
