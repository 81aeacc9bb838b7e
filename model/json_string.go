package model

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// StringError says why DecodeString failed.
type StringError int

const (
	// StringOK: no error.
	StringOK StringError = iota
	// StringControl: a raw control character, which strict JSON refuses.
	StringControl
	// StringEscape: a backslash followed by an unknown escape.
	StringEscape
	// StringUnicode: a malformed \uXXXX escape.
	StringUnicode
	// StringUnterminated: no closing quote.
	StringUnterminated
)

// DecodeString decodes the JSON string that data starts with (data[0] is
// the opening quote). It returns the string and how many bytes of data it
// took or, on failure, why and at which offset of data. strict refuses raw
// control characters, as Python's json does. A \uXXXX escape of a lone
// UTF-16 surrogate is kept as WTF-8 (Python keeps it in its str) with
// keepSurrogates, and becomes U+FFFD without. The one JSON string decoder of
// kook: model's codec and internal/pycompat's Python json both use it.
func DecodeString(data []byte, strict, keepSurrogates bool) (s string, n int, why StringError) {
	pos := 1
	// Fast path: no escape, no control character.
	for pos < len(data) {
		c := data[pos]
		if c == '"' {
			return string(data[1:pos]), pos + 1, StringOK
		}
		if c == '\\' || c < 0x20 {
			break
		}
		pos++
	}
	var sb strings.Builder
	sb.Write(data[1:pos])
	for pos < len(data) {
		c := data[pos]
		switch {
		case c == '"':
			return sb.String(), pos + 1, StringOK
		case c < 0x20 && strict:
			return "", pos, StringControl
		case c != '\\':
			sb.WriteByte(c)
			pos++
			continue
		}
		if pos+1 >= len(data) {
			break
		}
		e := data[pos+1]
		pos += 2
		switch e {
		case '"', '\\', '/':
			sb.WriteByte(e)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := hex4(data, pos)
			if !ok {
				return "", pos - 2, StringUnicode
			}
			pos += 4
			if utf16.IsSurrogate(r) && pos+6 <= len(data) && data[pos] == '\\' && data[pos+1] == 'u' {
				if r2, ok := hex4(data, pos+2); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						sb.WriteRune(dec)
						pos += 6
						continue
					}
				}
			}
			switch {
			case utf16.IsSurrogate(r) && keepSurrogates:
				sb.Write(appendWTF8(nil, r))
			default:
				sb.WriteRune(r) // a lone surrogate becomes U+FFFD
			}
		default:
			return "", pos - 2, StringEscape
		}
	}
	return "", len(data), StringUnterminated
}

func hex4(data []byte, pos int) (rune, bool) {
	if pos+4 > len(data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[pos:pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
