package sim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scanFieldUses lists every use of a field named in fields in the
// package's sources (not its tests) and reports, through t, each one made
// in a function not in allowed, with why as the premise it would break. It
// returns how many uses it saw, so that a caller can fail when the scan
// no longer sees them.
func scanFieldUses(t *testing.T, fields, allowed []string, why string) int {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	uses := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok || !slices.Contains(fields, sel.Sel.Name) {
					return true
				}
				uses++
				if !slices.Contains(allowed, fn.Name.Name) {
					t.Errorf("%s: %s uses %s: %s", fset.Position(sel.Pos()), fn.Name.Name, sel.Sel.Name, why)
				}
				return true
			})
		}
	}
	return uses
}
