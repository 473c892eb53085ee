package peerfuzz

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Entry is one corpus sequence.
type Entry struct {
	Construction string `json:"construction"`
	Steps        []Step `json:"steps"`
}

// LoadCorpus reads every *.json entry in dir for construction c (a missing
// dir is an empty corpus).
func LoadCorpus(dir, c string) ([]Entry, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Entry
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("corpus entry %s: %v", n, err)
		}
		if e.Construction == c {
			out = append(out, e)
		}
	}
	return out, nil
}

// SaveCorpus writes entries to dir, each named by its content's hash, and
// returns how many were new there.
func SaveCorpus(dir string, entries []Entry) (int, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		b, _ := json.MarshalIndent(e, "", "  ")
		sum := sha256.Sum256(b)
		name := filepath.Join(dir, e.Construction+"-"+hex.EncodeToString(sum[:8])+".json")
		if _, err := os.Stat(name); err == nil {
			continue
		}
		if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// WriteFinding writes a finding's reproducer to dir and returns its path.
func WriteFinding(dir string, fd *Finding) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(fd, "", "  ")
	id := fd.Class
	if fd.Known != nil {
		id += "|" + fd.Known.Name
	}
	sum := sha256.Sum256([]byte(id))
	slug := strings.NewReplacer(" ", "-", ",", "", ":", "", "[", "-", "]", "").Replace(fd.Class)
	if len(slug) > 60 {
		slug = slug[:60]
	}
	name := filepath.Join(dir, slug+"-"+hex.EncodeToString(sum[:4])+".json")
	return name, os.WriteFile(name, append(b, '\n'), 0o644)
}
