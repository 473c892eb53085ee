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

// TestBudgetsOnlyGate guards the premise of the explorer's budget
// subsumption (lab/explore subsume.go, FingerprintBudgets): the fault
// budgets of a stepped run and what it spent of them are used by nothing
// but the gating of fault choices, the start of a stepped run, the
// fingerprint's encodings and Spent. It lists every use of the stepState
// fields in the package's sources (not its tests) and fails on one in any
// other function: a monitor, an ending or a checker that read them would
// make a state with more budget left no longer cover one with less.
func TestBudgetsOnlyGate(t *testing.T) {
	fields := []string{"lossMax", "dupMax", "lossUsed", "dupUsed", "resetMax", "resetUsed"}
	allowed := []string{
		"Enabled", "Take", "resets", "takeReset", // the gating
		"Start", "StartStepped", // setting the budgets
		"encodeRest", "FingerprintParts", "Spent", // the fingerprint and its measure
		"FaultSettled", // a measurement's choice of states, unused by the explorer
	}
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
					t.Errorf("%s: %s uses the fault budget field %s: budget subsumption assumes only the gating of fault choices reads it",
						fset.Position(sel.Pos()), fn.Name.Name, sel.Sel.Name)
				}
				return true
			})
		}
	}
	if uses < 10 {
		t.Errorf("found %d uses of the budget fields: the scan no longer sees them", uses)
	}
}
