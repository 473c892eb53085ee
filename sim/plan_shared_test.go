package sim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"qrlab/model/variant"
)

// TestSharedPointersNeverWrittenThrough: the sharedPointers fields, whose
// targets copies share, are never written through: no non-test file of
// the model or the simulator assigns to (or increments) what such a field
// points at, while the scan does see them read. A write through one would
// change every snapshot sharing the target.
func TestSharedPointersNeverWrittenThrough(t *testing.T) {
	names := map[string]bool{}
	for f := range sharedPointers {
		names[f[strings.LastIndex(f, ".")+1:]] = true
	}
	// through reports the shared field x dereferences, if any.
	through := func(x ast.Expr) (string, bool) {
		for {
			p, ok := x.(*ast.ParenExpr)
			if !ok {
				break
			}
			x = p.X
		}
		st, ok := x.(*ast.StarExpr)
		if !ok {
			return "", false
		}
		sel, ok := st.X.(*ast.SelectorExpr)
		if !ok || !names[sel.Sel.Name] {
			return "", false
		}
		return sel.Sel.Name, true
	}
	fset := token.NewFileSet()
	reads := 0
	for _, root := range []string{"../model", "."} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						if name, ok := through(l); ok {
							t.Errorf("%s: a write through %s, which copies share (sharedPointers)", fset.Position(l.Pos()), name)
						}
					}
				case *ast.IncDecStmt:
					if name, ok := through(n.X); ok {
						t.Errorf("%s: a write through %s, which copies share (sharedPointers)", fset.Position(n.Pos()), name)
					}
				case *ast.StarExpr:
					if _, ok := through(n); ok {
						reads++
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if reads < 3 {
		t.Errorf("the scan saw %d reads through the shared pointers: it no longer sees them", reads)
	}
}

// TestSharedPointersPlans: in the plans of a stepped msc4388 login, a
// request policy's retry counts are shared pointers, so that the policy is
// copied plainly, and int, which nothing else points at, is no copier
// target (no int held in place is noted where it was copied).
func TestSharedPointersPlans(t *testing.T) {
	r, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Network: stepNet(t), Transport: stepTransport})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(1, 1, 1); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		cs := r.Enabled(nil)
		if len(cs) == 0 {
			break
		}
		if err := r.Take(cs[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Snapshot(); err != nil {
			t.Fatal(err)
		}
	}
	pp := r.ps.byType[reflect.TypeFor[variant.RequestPolicy]()]
	if pp == nil {
		t.Fatal("no plan of a request policy: the run no longer holds one")
	}
	if !pp.flat {
		t.Error("a request policy is not copied plainly")
	}
	for i, f := range pp.fields {
		if f.p.kind == reflect.Pointer && !f.p.shared {
			t.Errorf("the policy's %s is not a shared pointer", pp.t.Field(i).Name)
		}
	}
	if ip := r.ps.byType[reflect.TypeFor[int]()]; ip == nil || ip.target {
		t.Error("int is a copier target")
	}
}
