package lab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// byteLimit is lineLimit's rule byte by byte: every byte counts towards
// its line, a newline starts the next, and the byte that makes a line
// longer than MaxRecordLine is refused (the bytes before it passed on).
type byteLimit struct {
	r         io.Reader
	cur, line int
}

func (l *byteLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.cur, l.line = 0, l.line+1
			continue
		}
		if l.cur++; l.cur > MaxRecordLine {
			return i, fmt.Errorf("line %d", l.line)
		}
	}
	return n, err
}

// TestLineLimit: lineLimit passes on the same bytes as the byte-by-byte
// rule and refuses at the same byte of the same line, over reads of every
// size, for lines just under, at and over the limit.
func TestLineLimit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for c, lens := range [][]int{
		{10, 0, 300, 5},
		{MaxRecordLine},
		{MaxRecordLine - 1, 7, MaxRecordLine},
		{3, MaxRecordLine + 1},
		{MaxRecordLine, MaxRecordLine + 5, 2},
		{0, 0, MaxRecordLine * 3},
	} {
		var in bytes.Buffer
		for i, n := range lens {
			in.WriteString(strings.Repeat("x", n))
			if i < len(lens)-1 || c%2 == 0 {
				in.WriteByte('\n')
			}
		}
		for _, chunk := range []int{1, 7, 4096, 1 << 16, 3 << 20} {
			if chunk == 1 && in.Len() > 1<<20 {
				continue // slow and no different from 7
			}
			read := func(r io.Reader) ([]byte, error) {
				var got []byte
				buf := make([]byte, chunk+rnd.IntN(3))
				for {
					n, err := r.Read(buf)
					got = append(got, buf[:n]...)
					if err != nil {
						return got, err
					}
				}
			}
			want, werr := read(&byteLimit{r: iotest.HalfReader(bytes.NewReader(in.Bytes())), line: 1})
			got, gerr := read(&lineLimit{r: iotest.HalfReader(bytes.NewReader(in.Bytes())), name: "f", line: 1})
			if !bytes.Equal(got, want) {
				t.Fatalf("case %d, reads of %d: %d bytes passed on, want %d", c, chunk, len(got), len(want))
			}
			if werr == io.EOF {
				if gerr != io.EOF {
					t.Fatalf("case %d, reads of %d: %v, want EOF", c, chunk, gerr)
				}
				continue
			}
			if !errors.Is(gerr, ErrTooLarge) || !strings.Contains(gerr.Error(), fmt.Sprintf("f:%s:", strings.TrimPrefix(werr.Error(), "line "))) {
				t.Fatalf("case %d, reads of %d: %v, want ErrTooLarge at %s", c, chunk, gerr, werr)
			}
		}
	}
}
