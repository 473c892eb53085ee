package logintest

import (
	"fmt"
	"os"
	"strings"
)

// Scripts are data-driven transcripts, in the manner of etcd raft's
// interaction tests: a file of commands, each followed by a "----" line and
// the output it produced, blocks separated by blank lines, "#" lines
// comments. A test replays the commands and compares the outputs; with its
// -update flag it rewrites them instead. The files are never edited by
// hand except for the commands and comments.

// Command is one command line of a script.
type Command struct {
	// Name is the first word; Arg the rest of the line, trimmed.
	Name, Arg string
	// Line is its line number in the file, from 1.
	Line int
}

// TB is what the script runner needs of testing.TB.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// block is one command and the output the file expects.
type block struct {
	comments []string
	cmd      Command
	want     []string
}

// parseScript reads the blocks of a script.
func parseScript(path, text string) ([]block, error) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var blocks []block
	var comments []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "#"):
			comments = append(comments, l)
			continue
		case strings.TrimSpace(l) == "":
			continue
		}
		name, arg, _ := strings.Cut(strings.TrimSpace(l), " ")
		b := block{comments: comments, cmd: Command{Name: name, Arg: strings.TrimSpace(arg), Line: i + 1}}
		comments = nil
		if i+1 >= len(lines) || lines[i+1] != "----" {
			return nil, fmt.Errorf("%s:%d: command %q is not followed by a ---- line", path, i+1, name)
		}
		for i += 2; i < len(lines) && lines[i] != ""; i++ {
			b.want = append(b.want, lines[i])
		}
		blocks = append(blocks, b)
	}
	if len(comments) > 0 {
		return nil, fmt.Errorf("%s: comments after the last command", path)
	}
	return blocks, nil
}

// RunScript replays the script at path, handing each command to do and
// comparing what it returns with the file's output for it; with update it
// rewrites the outputs instead. An output has no blank lines (do should
// never return one; they are dropped).
func RunScript(t TB, path string, update bool, do func(Command) string) {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	blocks, err := parseScript(path, string(text))
	if err != nil {
		t.Fatalf("%v", err)
	}
	var out strings.Builder
	for i, b := range blocks {
		got := outputLines(do(b.cmd))
		if !update && strings.Join(got, "\n") != strings.Join(b.want, "\n") {
			t.Fatalf("%s:%d: %s %s:\n got:\n%s\nwant:\n%s", path, b.cmd.Line, b.cmd.Name, b.cmd.Arg,
				strings.Join(got, "\n"), strings.Join(b.want, "\n"))
		}
		if i > 0 {
			out.WriteString("\n")
		}
		for _, c := range b.comments {
			out.WriteString(c + "\n")
		}
		out.WriteString(strings.TrimSpace(b.cmd.Name+" "+b.cmd.Arg) + "\n----\n")
		for _, l := range got {
			out.WriteString(l + "\n")
		}
	}
	if update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatalf("%v", err)
		}
	}
}

// outputLines splits an output into its non-blank lines.
func outputLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
