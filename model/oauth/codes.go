package oauth

import (
	"fmt"
	"hash/crc32"
	"io"

	"qrlab/model/wire"
)

// sampler draws characters from an alphabet without modulo bias, reading the
// random stream in batches of up to 64 bytes: give the provider a stream of
// its own, since it may read ahead of what it has used.
type sampler struct {
	rnd io.Reader
	buf [64]byte
	pos int
	n   int
}

// byte returns the next random byte.
func (s *sampler) byte() (byte, error) {
	if s.pos == s.n {
		n, err := io.ReadAtLeast(s.rnd, s.buf[:], 1)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", wire.ErrRandom, err)
		}
		s.pos, s.n = 0, n
	}
	b := s.buf[s.pos]
	s.pos++
	return b, nil
}

// maxRejections bounds the bytes refused for one character. A fair stream
// refuses at most half its bytes, so 256 in a row (a chance below 2^-256)
// means a broken stream, which must not hang the provider.
const maxRejections = 256

// appendChars appends n characters drawn uniformly from alphabet.
func (s *sampler) appendChars(dst []byte, alphabet string, n int) ([]byte, error) {
	size := len(alphabet)
	limit := 256 - 256%size // bytes at or above limit would bias the draw
	for i := 0; i < n; i++ {
		for rejected := 0; ; rejected++ {
			if rejected == maxRejections {
				return dst, fmt.Errorf("%w: %d bytes in a row out of range; the stream looks constant", wire.ErrRandom, rejected)
			}
			b, err := s.byte()
			if err != nil {
				return dst, err
			}
			if int(b) < limit {
				dst = append(dst, alphabet[int(b)%size])
				break
			}
		}
	}
	return dst, nil
}

// userCode draws a user code as configured, hyphens included.
func (srv *Server) userCode() (string, error) {
	c := &srv.cfg
	raw := srv.scratch[:0]
	var err error
	switch c.UserCodeSampling {
	case SampleUpperAlnum62:
		raw, err = srv.rand.appendChars(raw, AlphabetAlnum, c.UserCodeLength)
		for i, ch := range raw {
			if 'a' <= ch && ch <= 'z' {
				raw[i] = ch - 'a' + 'A'
			}
		}
	default:
		raw, err = srv.rand.appendChars(raw, c.UserCodeAlphabet, c.UserCodeLength)
	}
	srv.scratch = raw
	if err != nil {
		return "", err
	}
	if c.UserCodeGroup <= 0 || c.UserCodeGroup >= len(raw) {
		return string(raw), nil
	}
	out := make([]byte, 0, len(raw)+len(raw)/c.UserCodeGroup)
	for i, ch := range raw {
		if i > 0 && i%c.UserCodeGroup == 0 {
			out = append(out, '-')
		}
		out = append(out, ch)
	}
	return string(out), nil
}

// randomString draws n characters of alphabet.
func (srv *Server) randomString(alphabet string, n int) (string, error) {
	b, err := srv.rand.appendChars(srv.scratch[:0], alphabet, n)
	srv.scratch = b
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// token draws an access ("mat") or refresh ("mar") token.
func (srv *Server) token(prefix string) (string, error) {
	if srv.cfg.TokenFormat != TokenMAS {
		return srv.randomString(AlphabetBase64URL, 43)
	}
	b := append(srv.scratch[:0], prefix...)
	b = append(b, '_')
	b, err := srv.rand.appendChars(b, AlphabetAlnum, 30)
	srv.scratch = b
	if err != nil {
		return "", err
	}
	crc := crc32.ChecksumIEEE(b)
	b = append(b, '_')
	b = appendMASBase62(b, crc)
	srv.scratch = b
	return string(b), nil
}

// appendMASBase62 appends crc as MAS writes it: base-62 digits, least
// significant first, left-padded with '0' to six characters.
func appendMASBase62(dst []byte, v uint32) []byte {
	var digits [6]byte
	n := 0
	for v > 0 && n < len(digits) {
		digits[n] = AlphabetAlnum[v%62]
		v /= 62
		n++
	}
	for i := n; i < 6; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits[:n]...)
}

// CheckMASToken reports whether a token has MAS's shape and a correct
// checksum: three parts, a known three-letter prefix, 30 alphanumerics and
// the six-character base-62 CRC-32 of the first two parts.
func CheckMASToken(tok string) bool {
	if len(tok) != 3+1+30+1+6 || tok[3] != '_' || tok[34] != '_' {
		return false
	}
	switch tok[:3] {
	case "mat", "mar", "mct", "mcr":
	default:
		return false
	}
	for i := 4; i < 34; i++ {
		if !isAlnum(tok[i]) {
			return false
		}
	}
	var buf [6]byte
	want := appendMASBase62(buf[:0], crc32.ChecksumIEEE([]byte(tok[:34])))
	return string(want) == tok[35:]
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// userKey is the form under which an issued user code is indexed: the form
// a typed code is reduced to before lookup.
func (srv *Server) userKey(code string) string {
	switch srv.cfg.UserCodeMatch {
	case MatchRFC8628, MatchCrockford:
		return string(squash(nil, code, false))
	}
	return code
}

// candidates returns the keys a typed code may match, in lookup order.
func (srv *Server) candidates(typed string) []string {
	switch srv.cfg.UserCodeMatch {
	case MatchUpper:
		return []string{string(upper(nil, typed))}
	case MatchRFC8628:
		return []string{string(squash(nil, typed, false))}
	case MatchCrockford:
		// As typed (upper-cased) first, so codes of an older alphabet that
		// hold a literal I, L or O still resolve; then repaired.
		first := string(squash(nil, typed, false))
		second := string(squash(nil, typed, true))
		if first == second {
			return []string{first}
		}
		return []string{first, second}
	}
	return []string{typed}
}

// upper upper-cases ASCII letters.
func upper(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// squash upper-cases, drops hyphens and white space and, when crockford is
// set, repairs the Crockford look-alikes (O to 0, I and L to 1).
func squash(dst []byte, s string, crockford bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '-', ' ', '\t', '\n', '\r':
			continue
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if crockford {
			switch c {
			case 'O':
				c = '0'
			case 'I', 'L':
				c = '1'
			}
		}
		dst = append(dst, c)
	}
	return dst
}
