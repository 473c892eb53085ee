package style

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is the module path: its imports are not the standard library's
// although their first element has no dot.
const module = "qrlab"

// importsPending are files (path.Match patterns, relative to the module
// root) whose import blocks are not checked; none today.
var importsPending = []string{}

// pending reports whether rel matches one of importsPending.
func pending(rel string) bool {
	for _, pat := range importsPending {
		if ok, _ := path.Match(pat, rel); ok {
			return true
		}
	}
	return false
}

// TestImportGroups: in every .go file of the module, the standard library's
// imports come first, in a group of their own; the module's and third-party
// imports follow after a blank line (they may form groups of their own).
func TestImportGroups(t *testing.T) {
	root := moduleRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); file != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(file, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, file)
		rel = filepath.ToSlash(rel)
		if pending(rel) {
			return nil
		}
		checked++
		if msg, err := importGroupsFault(file); err != nil {
			t.Errorf("%s: %v", rel, err)
		} else if msg != "" {
			t.Errorf("%s: %s", rel, msg)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatalf("no .go file under %s", root)
	}
}

// TestImportGroupsFault: the check itself, on small files.
func TestImportGroupsFault(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		bad       bool
	}{
		{"standard library only", "import (\n\t\"fmt\"\n\t\"os\"\n)\n", false},
		{"module only", "import (\n\t\"qrlab/sim\"\n)\n", false},
		{"two groups", "import (\n\t\"fmt\"\n\n\t\"qrlab/sim\"\n\t\"pgregory.net/rapid\"\n)\n", false},
		{"three groups", "import (\n\t\"fmt\"\n\n\t\"pgregory.net/rapid\"\n\n\t\"qrlab/sim\"\n)\n", false},
		{"a comment between groups", "import (\n\t\"fmt\"\n\n\t// the model\n\t\"qrlab/sim\"\n)\n", false},
		{"single imports", "import \"fmt\"\n\nimport \"qrlab/sim\"\n", false},
		{"single imports, other first", "import \"qrlab/sim\"\nimport \"fmt\"\n", true},
		{"module in the standard group", "import (\n\t\"fmt\"\n\t\"qrlab/sim\"\n)\n", true},
		{"third party in the standard group", "import (\n\t\"fmt\"\n\t\"pgregory.net/rapid\"\n)\n", true},
		{"standard library after the module", "import (\n\t\"qrlab/sim\"\n\n\t\"fmt\"\n)\n", true},
		{"standard library split", "import (\n\t\"fmt\"\n\n\t\"qrlab/sim\"\n\n\t\"os\"\n)\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "x.go")
			if err := os.WriteFile(file, []byte("package x\n\n"+tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			msg, err := importGroupsFault(file)
			if err != nil {
				t.Fatal(err)
			}
			if (msg != "") != tc.bad {
				t.Fatalf("fault %q, want a fault: %v", msg, tc.bad)
			}
		})
	}
}

// importGroupsFault returns what is wrong with the import groups of the
// file ("" when nothing is). Groups are runs of import lines
// without a blank line between them; separate import declarations are
// separate groups.
func importGroupsFault(file string) (string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ImportsOnly)
	if err != nil {
		return "", err
	}
	lines := strings.Split(string(src), "\n")
	blankBetween := func(a, b int) bool { // lines a < b, 1-based
		for l := a + 1; l < b; l++ {
			if strings.TrimSpace(lines[l-1]) == "" {
				return true
			}
		}
		return false
	}
	hasStd := false
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return "", err
		}
		hasStd = hasStd || standard(p)
	}
	if !hasStd {
		return "", nil // no standard library group to keep apart
	}
	group, prevLine := -1, 0
	prevDecl := token.NoPos
	for _, spec := range f.Imports {
		line := fset.Position(spec.Pos()).Line
		decl := declOf(f, spec.Pos())
		if decl != prevDecl || blankBetween(prevLine, line) {
			group++
		}
		prevDecl, prevLine = decl, line
		p, _ := strconv.Unquote(spec.Path.Value)
		switch {
		case standard(p) && group > 0:
			return fmt.Sprintf("line %d: standard library import %q is not in the first group", line, p), nil
		case !standard(p) && group == 0:
			return fmt.Sprintf("line %d: %q is in the standard library's group (a blank line goes between them)", line, p), nil
		}
	}
	return "", nil
}

// declOf returns the position of f's import declaration holding pos.
func declOf(f *ast.File, pos token.Pos) token.Pos {
	for _, d := range f.Decls {
		if d.Pos() <= pos && pos < d.End() {
			return d.Pos()
		}
	}
	return token.NoPos
}

// standard reports whether imp is a standard library import: its first
// element has no dot and it is not the module's.
func standard(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".") && first != module
}

// moduleRoot is the directory holding go.mod, above the test's.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = up
	}
}
