package channel

// CheckCode is the two-digit code the user reads on S and types on G. It
// proves both sides derived the same secret, so a man in the middle who
// swapped keys is caught.
type CheckCode struct {
	bytes  [2]byte
	digits Digits
}

// NewCheckCode renders two derived bytes with the given digits mode (the
// default mode renders 00-99).
func NewCheckCode(b [2]byte, d Digits) CheckCode {
	if d == DigitsDefault {
		d = Digits00To99
	}
	return CheckCode{bytes: b, digits: d}
}

// Bytes returns the two derived bytes the code is made from.
func (c CheckCode) Bytes() [2]byte { return c.bytes }

// Value returns the code as a number: 0-99, or 10-99 in the 10-99 mode.
func (c CheckCode) Value() int {
	first := int(c.bytes[0] % 10)
	if c.digits == Digits10To99 {
		first = int(c.bytes[0]%9) + 1
	}
	return first*10 + int(c.bytes[1]%10)
}

// String returns the code as the user sees it: always two digits.
func (c CheckCode) String() string {
	v := c.Value()
	return string([]byte{byte('0' + v/10), byte('0' + v%10)})
}

// Digits returns the rendering mode of the code.
func (c CheckCode) Digits() Digits { return c.digits }
