package model

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is kook's JSON codec for Values. encoding/json cannot be used
// as is: it forgets whether 1500.0 was a float, loses the order of object keys,
// and rejects the Infinity and NaN that Python's json module reads and writes.

// vaultKey is the key under which Ansible serializes vaulted strings.
const vaultKey = "__ansible_vault"

// MarshalJSON returns v as compact JSON, maps in their own key order.
func MarshalJSON(v Value) []byte { return AppendJSON(nil, v, false) }

// mapKey wraps, in stored JSON, a dict that would otherwise read back as
// something else: {"__ansible_vault": "x"} as a plain dict (a YAML inventory
// may hold one) must not come back as a Vault.
const mapKey = "__kook_map"

// AppendStored appends v as AppendJSON does, except that a Map whose only key
// is "__ansible_vault" or "__kook_map" is written as {"__kook_map": {...}},
// so that UnmarshalStored returns exactly v. kook uses it for what it keeps in
// ZooKeeper; what Ansible reads uses AppendJSON.
func AppendStored(buf []byte, v Value) []byte { return appendJSON(buf, v, false, true) }

// AppendJSON appends v as compact JSON to buf. With sortKeys, object keys are
// written in byte order, as Python's json.dumps(sort_keys=True) does. Floats
// are written as Python's repr writes them (1500.0, 1e+16, Infinity), so a float
// stays a float for any reader.
func AppendJSON(buf []byte, v Value, sortKeys bool) []byte {
	return appendJSON(buf, v, sortKeys, false)
}

func appendJSON(buf []byte, v Value, sortKeys, stored bool) []byte {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		return strconv.AppendBool(buf, v)
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case *big.Int:
		return v.Append(buf, 10)
	case float64:
		return AppendFloat(buf, v)
	case string:
		return AppendString(buf, v)
	case Vault:
		buf = append(buf, `{"`+vaultKey+`":`...)
		buf = AppendString(buf, string(v))
		return append(buf, '}')
	case []Value:
		buf = append(buf, '[')
		for i, x := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSON(buf, x, sortKeys, stored)
		}
		return append(buf, ']')
	case Map:
		if stored && len(v) == 1 && (v[0].Key == vaultKey || v[0].Key == mapKey) {
			buf = append(buf, `{"`+mapKey+`":{`...)
			buf = AppendString(buf, v[0].Key)
			buf = append(buf, ':')
			buf = appendJSON(buf, v[0].Value, sortKeys, stored)
			return append(buf, '}', '}')
		}
		buf = append(buf, '{')
		entries := []Entry(v)
		if sortKeys && !sort.SliceIsSorted(entries, func(i, j int) bool { return entries[i].Key < entries[j].Key }) {
			entries = append([]Entry(nil), entries...)
			sort.Slice(entries, func(i, j int) bool { return entries[i].Key < entries[j].Key })
		}
		for i, e := range entries {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, e.Key)
			buf = append(buf, ':')
			buf = appendJSON(buf, e.Value, sortKeys, stored)
		}
		return append(buf, '}')
	}
	panic(fmt.Sprintf("model: AppendJSON of unsupported type %T", v))
}

// AppendFloat appends f as Python's float repr does: the shortest digits that
// round-trip, positional notation for exponents in [-4, 16), a ".0" on
// integral values, and Infinity/-Infinity/NaN as Python's json module writes.
func AppendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	return append(buf, FormatFloat(f)...)
}

// FormatFloat formats a finite f exactly as Python's repr(f).
func FormatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±XX
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, expPart, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expPart)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	// Python's repr switches to exponent notation when decpt <= -4 or decpt > 16,
	// where decpt = exp+1.
	decpt := exp + 1
	switch {
	case decpt <= -4 || decpt > 16:
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		out += fmt.Sprintf("e%s%02d", sign, exp)
	case decpt <= 0:
		out = "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		out = digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	default:
		out = digits[:decpt] + "." + digits[decpt:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// AppendString appends s as a JSON string literal. Invalid UTF-8 is written as
// U+FFFD.
func AppendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			if sur, ok := surrogate(s[i:]); ok {
				// A lone surrogate held as WTF-8: how kook keeps what
				// Python's surrogateescape made of undecodable bytes.
				buf = append(buf, '\\', 'u', hex[sur>>12], hex[sur>>8&0xf], hex[sur>>4&0xf], hex[sur&0xf])
				size = 3
			} else {
				buf = append(buf, `\ufffd`...)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// surrogate decodes a UTF-16 surrogate code point encoded as UTF-8 bytes
// (WTF-8), which Go's utf8 package rejects.
func surrogate(s string) (rune, bool) {
	if len(s) < 3 || s[0] != 0xED || s[1] < 0xA0 || s[1] > 0xBF || s[2] < 0x80 || s[2] > 0xBF {
		return 0, false
	}
	return rune(s[0]&0x0F)<<12 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F), true
}

// appendWTF8 appends a surrogate code point as WTF-8.
func appendWTF8(b []byte, r rune) []byte {
	return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
}
