package deploy

import (
	"path"
	"regexp"
	"strings"
)

// The simrun command lines of shell scripts (a workflow step's run, a
// container's sh -c script, a README's code blocks), found well enough for
// the scripts this folder holds: words with quotes, comments, line
// continuations, the operators that end a command (; && || | & and
// parentheses), redirections, and ${{ ... }} expressions.

// ghExpr is a GitHub Actions expression; it stands for one word.
var ghExpr = regexp.MustCompile(`\$\{\{.*?\}\}`)

// simrunCommands returns the arguments after "simrun" of every simrun
// command in script, each with the script's line (from 1) it starts on.
func simrunCommands(script string) []commandAt {
	script = ghExpr.ReplaceAllString(script, "EXPR")
	var out []commandAt
	lines := strings.Split(script, "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		line := lines[i]
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + lines[i]
		}
		for _, words := range splitCommands(shellWords(line)) {
			if args, ok := simrunArgs(words); ok {
				out = append(out, commandAt{line: start + 1, args: args})
			}
		}
	}
	return out
}

// commandAt is a simrun command line and where it starts.
type commandAt struct {
	line int
	args []string
}

// shellWords splits one line into words and operators, dropping quotes
// and a trailing comment.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				j = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			flush()
			return words
		case strings.IndexByte(";&|()<>", c) >= 0:
			if c == '>' && inWord && isDigits(cur.String()) {
				cur.Reset() // 2> and the like: the number belongs to the operator
				inWord = false
			}
			flush()
			op := string(c)
			if i+1 < len(line) && (line[i+1] == c || (c == '>' && line[i+1] == '&')) {
				op += string(line[i+1])
				i++
			}
			words = append(words, op)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// splitCommands cuts words into simple commands at the operators that
// end one, dropping redirections and their targets.
func splitCommands(words []string) [][]string {
	var cmds [][]string
	var cur []string
	for i := 0; i < len(words); i++ {
		switch w := words[i]; w {
		case ";", ";;", "&", "&&", "|", "||", "(", ")":
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = nil
		case ">", ">>", "<", "<<", ">&":
			i++ // the redirection's target
		default:
			cur = append(cur, w)
		}
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	return cmds
}

// simrunArgs returns the arguments of a simple command that runs simrun:
// simrun (or a path to it) in command position, after shell keywords,
// exec and variable assignments, or go run of its package.
func simrunArgs(words []string) ([]string, bool) {
	i := 0
	for i < len(words) && (shellKeyword[words[i]] || isAssignment(words[i])) {
		i++
	}
	if i+2 < len(words) && words[i] == "go" && words[i+1] == "run" {
		i += 2
	}
	if i < len(words) && path.Base(words[i]) == "simrun" {
		return words[i+1:], true
	}
	return nil, false
}

var shellKeyword = map[string]bool{"exec": true, "command": true, "time": true, "!": true,
	"if": true, "then": true, "elif": true, "else": true, "while": true, "until": true, "do": true}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func isAssignment(w string) bool { return assignment.MatchString(w) }
