package probefuzz

import (
	"bytes"
	"fmt"
	"strings"

	"qrlab/model/rendezvous"
	"qrlab/model/wire"
)

// member is one member of a JSON request body, its value as raw JSON.
type member struct{ key, raw string }

func str(s string) string { return string(wire.AppendString(nil, s)) }

func object(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(str(m.key))
		b.WriteByte(':')
		b.WriteString(m.raw)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// members are the members the step's JSON body has.
func (s *side) members(st *Step) []member {
	ms := []member{{"data", str(st.Data)}}
	if st.Op == "write" {
		ms = append([]member{{"sequence_token", str(s.token(st))}}, ms...)
	}
	return ms
}

func replace(ms []member, key, raw string) []member {
	out := make([]member, 0, len(ms))
	for _, m := range ms {
		if m.key == key {
			if raw == "" {
				continue
			}
			m.raw = raw
		}
		out = append(out, m)
	}
	return out
}

// escaped is s with every character written as a \u escape.
func escaped(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r > 0xffff {
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	b.WriteByte('"')
	return b.String()
}

// mutateBody changes a request body; the JSON flavours' mutations work on
// members, the etag flavour's on bytes.
func (s *side) mutateBody(body []byte, st *Step, arg string) []byte {
	switch arg {
	case "empty":
		return nil
	case "truncate":
		return body[:len(body)/2]
	case "trailing":
		return append(append([]byte(nil), body...), 'x')
	case "invalid-utf8":
		if s.cfg.Flavour == rendezvous.FlavourETag {
			return append(append([]byte(nil), body...), 0xff, 0xfe)
		}
		return object(replace(s.members(st), "data", "\"a\xffb\""))
	case "nul":
		if s.cfg.Flavour == rendezvous.FlavourETag {
			return append(append([]byte(nil), body...), 0)
		}
		return object(replace(s.members(st), "data", "\"a\x00b\""))
	case "huge":
		if s.cfg.Flavour == rendezvous.FlavourETag {
			return bytes.Repeat([]byte("z"), 70<<10)
		}
		return append(bytes.Repeat([]byte(" "), 70<<10), body...)
	}
	if s.cfg.Flavour == rendezvous.FlavourETag || (st.Op != "create" && st.Op != "write") {
		return body
	}
	ms := s.members(st)
	switch arg {
	case "not-json":
		return []byte("data=" + st.Data)
	case "array":
		return append(append([]byte("["), body...), ']')
	case "null":
		return []byte("null")
	case "number":
		return []byte("1")
	case "data-number":
		ms = replace(ms, "data", "123214")
	case "data-null":
		ms = replace(ms, "data", "null")
	case "data-object":
		ms = replace(ms, "data", `{"asd":"x"}`)
	case "no-data":
		ms = replace(ms, "data", "")
	case "no-token":
		ms = replace(ms, "sequence_token", "")
	case "token-number":
		ms = replace(ms, "sequence_token", "1")
	case "dup-key":
		ms = append([]member{{"data", str("x")}}, ms...)
	case "extra-member":
		ms = append(ms, member{"other", "1"})
	case "whitespace":
		return append(append([]byte(" \n\t"), body...), " \r\n"...)
	case "bom":
		return append([]byte("\xef\xbb\xbf"), body...)
	case "escapes":
		ms = replace(ms, "data", escaped(st.Data))
	case "lone-surrogate":
		ms = replace(ms, "data", `"\ud800x"`)
	}
	return object(ms)
}
