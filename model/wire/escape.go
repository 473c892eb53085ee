package wire

import "unsafe"

// AppendString appends s as a JSON string the Matrix canonical way: only
// '"', '\\' and control characters are escaped, with the short forms where
// JSON has them (\b \f \n \r \t) and \u00xx in lower-case hex otherwise;
// every other byte, UTF-8 or not, is copied as it is. Callers that must
// write valid JSON pass valid UTF-8.
//
// It takes a string, not a type parameter over string and []byte: the
// generic form measured about a fifth slower. AppendBytes covers []byte.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; ; i++ {
		if i = skipUnescaped(s, i); i >= len(s) {
			break
		}
		c := s[i]
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendBytes is AppendString for text held in a byte slice, such as a
// stored payload. It reads b in place, without copying it to a string: b
// is only read, and only during the call.
func AppendBytes(dst, b []byte) []byte {
	return AppendString(dst, unsafe.String(unsafe.SliceData(b), len(b)))
}
