package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"qrlab/lab"
)

// intFlag is an int flag that takes only lo..hi: a value outside is a
// parse error, which parseFlags reports with the range.
type intFlag struct {
	p      *int
	lo, hi int
}

// intVar defines an int flag of fs that takes lo..hi; its usage gets the
// range.
func intVar(fs *flag.FlagSet, p *int, name string, def, lo, hi int, usage string) {
	*p = def
	fs.Var(&intFlag{p: p, lo: lo, hi: hi}, name, fmt.Sprintf("%s (`N` from %d to %d)", usage, lo, hi))
}

// intFlagOf is intVar returning the variable.
func intFlagOf(fs *flag.FlagSet, name string, def, lo, hi int, usage string) *int {
	p := new(int)
	intVar(fs, p, name, def, lo, hi, usage)
	return p
}

var errOutOfRange = errors.New("out of range")

func (f *intFlag) String() string {
	if f == nil || f.p == nil {
		return "0"
	}
	return strconv.Itoa(*f.p)
}

func (f *intFlag) Set(s string) error {
	v, err := strconv.ParseInt(s, 10, 0)
	if err != nil || int(v) < f.lo || int(v) > f.hi {
		return errOutOfRange
	}
	*f.p = int(v)
	return nil
}

func (f *intFlag) Get() any { return *f.p }

// takes says which values the flag takes.
func (f *intFlag) takes() string {
	return fmt.Sprintf("a whole number from %d to %d", f.lo, f.hi)
}

// maxWorkers bounds --workers and --parallel: goroutines and their
// buffers are sized by it.
const maxWorkers = lab.MaxWorkers

// flagCheck is one condition on a flag's value: ok, or what it must be.
type flagCheck struct {
	ok         bool
	name, must string
}

// checkFlags says the first check that fails in one line naming its flag
// and returns 2, or returns -1 when all hold.
func checkFlags(fs *flag.FlagSet, stderr io.Writer, checks ...flagCheck) (code int) {
	for _, c := range checks {
		if !c.ok {
			fmt.Fprintf(stderr, "%s: --%s %s\n", fs.Name(), c.name, c.must)
			return 2
		}
	}
	return -1
}
