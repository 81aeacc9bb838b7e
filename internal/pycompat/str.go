package pycompat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds Python's str semantics that Ansible's parsers lean on.

// IsSpace is Python's str.isspace, which also counts U+001C..U+001F.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1C && r <= 0x1F
}

// CutLine splits off the first line as Python's str.splitlines does, which
// also ends lines at \v, \f, \x1c-\x1e, U+0085, U+2028 and U+2029.
func CutLine(s string) (line, rest string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			return s[:i], s[i+2:]
		case c == '\n' || c == '\r' || c == '\v' || c == '\f' || c >= 0x1c && c <= 0x1e:
			return s[:i], s[i+1:]
		case c == 0xC2 && i+1 < len(s) && s[i+1] == 0x85:
			return s[:i], s[i+2:]
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9):
			return s[:i], s[i+3:]
		}
	}
	return s, ""
}

// AppendRepr appends repr(s) as CPython 3 writes it: single quotes
// unless s holds ' and no ", backslash escapes for the quote, \\, \t, \n,
// \r, and \xNN, \uNNNN or \UNNNNNNNN for characters str.isprintable() refuses
// (controls, format characters, separators other than ' ', unassigned).
func AppendRepr(b []byte, s string) []byte {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	const hex = "0123456789abcdef"
	b = append(b, quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20 || r == 0x7f:
			b = append(b, '\\', 'x', hex[r>>4], hex[r&0xf])
		case r < 0x7f || unicode.IsPrint(r):
			b = utf8.AppendRune(b, r)
		case r <= 0xff:
			b = append(b, '\\', 'x', hex[r>>4], hex[r&0xf])
		case r <= 0xffff:
			b = append(b, '\\', 'u')
			for shift := 12; shift >= 0; shift -= 4 {
				b = append(b, hex[(r>>shift)&0xf])
			}
		default:
			b = append(b, '\\', 'U')
			for shift := 28; shift >= 0; shift -= 4 {
				b = append(b, hex[(r>>shift)&0xf])
			}
		}
	}
	return append(b, quote)
}

// Repr is Python's repr(s).
func Repr(s string) string { return string(AppendRepr(nil, s)) }
