package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "qrlab/"

// allowed says, for each package (the longest matching prefix wins), which
// qrlab packages its non-test files may import, by prefix. Imports point
// down only: the protocol model knows nothing of the simulator, the
// simulator nothing of files or plots, and nothing imports the command.
var allowed = map[string][]string{
	"model/wire":               {},
	"model/wire/canonicaljson": {"model/wire"},
	"model/qr":                 {"model/wire"},
	"model/channel/frame":      {},
	"model/channel":            {"model/wire", "model/channel/frame"},
	"model/msg":                {"model/wire"},
	"model/rendezvous":         {"model/wire"},
	"model/oauth":              {"model/wire"},
	"model/homeserver":         {"model/wire", "model/oauth"},
	"model/variant":            {"model/wire", "model/qr", "model/channel", "model/msg", "model/rendezvous", "model/oauth", "model/homeserver"},
	"model/login":              {"model/wire", "model/qr", "model/channel", "model/msg", "model/rendezvous", "model/oauth", "model/homeserver", "model/variant"},
	"model/login/logintest":    {"model/", "internal/seeded"},
	"internal/seeded":          {},
	"internal/cdp":             {},
	"internal/fixture":         {},
	"internal/style":           {},
	"sim":                      {"model/wire", "model/qr", "model/channel", "model/msg", "model/rendezvous", "model/oauth", "model/homeserver", "model/variant", "model/login"},
	"scenarios":                {"model/", "sim"},
	"reports":                  {"model/", "sim"},
	"lab":                      {"model/", "sim", "scenarios", "reports", "internal/", "lab"},
	"cmd/simrun":               {"model/", "sim", "scenarios", "reports", "internal/", "lab"},
	"fuzz":                     {"model/", "sim", "scenarios", "reports", "internal/"},
	"deploy":                   {},
	"internal/layers":          {},
}

// pure are the packages that must stay deterministic: same inputs, same
// outputs, bit for bit. Their non-test files may not import these packages,
// start goroutines, or read the wall clock.
var pure = []string{"model/", "sim"}

var impure = map[string]bool{
	"os": true, "os/exec": true, "os/signal": true, "net": true, "net/http": true, "syscall": true,
	"crypto/rand": true, "math/rand": true, "sync": true, "sync/atomic": true, "log": true,
	"runtime": true, "io/ioutil": true, "path/filepath": true,
}

// clock are the functions of package time that read or wait on the wall clock.
var clock = map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true}

// seededRand are the names of math/rand/v2 that build or name a seeded
// generator; any other (rand.IntN, rand.Float64, ...) draws from the global
// source.
var seededRand = map[string]bool{"New": true, "NewChaCha8": true, "NewPCG": true, "NewZipf": true,
	"ChaCha8": true, "PCG": true, "Rand": true, "Source": true, "Zipf": true}

// pureExceptions are files of pure packages allowed an impure import, each
// with its reason.
var pureExceptions = map[string]string{
	"model/login/logintest/script.go": "reads its data-driven scripts from testdata (tests only)",
	"model/variant/variant.go":        "sync.OnceValues: the embedded presets are parsed once, on first use",
	"model/variant/provenance.go":     "sync.OnceValues: the embedded source catalogue is parsed once, on first use",
}

func rule(pkg string) (string, []string, bool) {
	best := ""
	for p := range allowed {
		if (pkg == p || strings.HasPrefix(pkg, p+"/")) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return "", nil, false
	}
	return best, allowed[best], true
}

func under(pkg, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(pkg, prefix)
	}
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

func root(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return dir
}

// TestLayers parses every non-test Go file of the module and checks its
// qrlab imports against allowed, and the pure packages' files for impure
// imports, go statements and wall-clock calls.
func TestLayers(t *testing.T) {
	top := root(t)
	fset := token.NewFileSet()
	var files int
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(top, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		files++
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		checkFile(t, fset, rel, pkg, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d files found under %s", files, top)
	}
}

func checkFile(t *testing.T, fset *token.FileSet, rel, pkg string, f *ast.File) {
	t.Helper()
	name, ok2, ok := rule(pkg)
	if !ok {
		t.Errorf("%s: package %s has no layer rule: add it to allowed (and to ARCHITECTURE.md)", rel, pkg)
		return
	}
	isPure := false
	for _, p := range pure {
		if under(pkg, p) {
			isPure = true
		}
	}
	timeName, randName := "", ""
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		if path == "time" {
			timeName = "time"
			if im.Name != nil {
				timeName = im.Name.Name
			}
		}
		if path == "math/rand/v2" {
			randName = "rand"
			if im.Name != nil {
				randName = im.Name.Name
			}
		}
		if isPure && impure[path] {
			if _, ok := pureExceptions[rel]; !ok {
				t.Errorf("%s: imports %q, which a pure package may not", rel, path)
			}
		}
		if !strings.HasPrefix(path, module) {
			continue
		}
		dep := strings.TrimPrefix(path, module)
		if under(dep, pkg) && dep != pkg {
			continue // a package's own subpackages
		}
		fine := false
		for _, a := range ok2 {
			if under(dep, a) {
				fine = true
			}
		}
		if under(dep, "cmd/") {
			fine = false
		}
		if !fine {
			t.Errorf("%s: %s (rule %q) imports %s, which its layer may not", rel, pkg, name, dep)
		}
	}
	if !isPure {
		return
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			t.Errorf("%s: a go statement in a pure package", fset.Position(n.Pos()))
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if ok && timeName != "" && id.Name == timeName && clock[n.Sel.Name] {
				t.Errorf("%s: time.%s reads the wall clock in a pure package", fset.Position(n.Pos()), n.Sel.Name)
			}
			if ok && randName != "" && id.Name == randName && !seededRand[n.Sel.Name] {
				t.Errorf("%s: rand.%s draws from the global source in a pure package", fset.Position(n.Pos()), n.Sel.Name)
			}
		}
		return true
	})
}

// TestRulesNameRealPackages keeps the rule table honest: every package it
// names exists.
func TestRulesNameRealPackages(t *testing.T) {
	top := root(t)
	var names []string
	for p := range allowed {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		if st, err := os.Stat(filepath.Join(top, p)); err != nil || !st.IsDir() {
			t.Errorf("rule for %s: no such package directory", p)
		}
	}
}
