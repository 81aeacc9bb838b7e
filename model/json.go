package model

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
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

// UnmarshalJSON parses one JSON document into a Value. Numbers with a '.',
// 'e' or 'E' become float64, others int64 (or *big.Int); objects become Maps in
// document order, a repeated key keeping its first position and last value
// (Python's json.loads); {"__ansible_vault": "..."} becomes a Vault. Like
// Python, it accepts NaN, Infinity and -Infinity.
func UnmarshalJSON(data []byte) (Value, error) { return unmarshal(data, false) }

// UnmarshalStored reverses AppendStored.
func UnmarshalStored(data []byte) (Value, error) { return unmarshal(data, true) }

func unmarshal(data []byte, stored bool) (Value, error) {
	d := decoder{data: data, stored: stored}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errorf("unexpected %q after JSON value", d.data[d.pos])
	}
	return v, nil
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 10000

type decoder struct {
	data   []byte
	pos    int
	stored bool // unwrap {"__kook_map": ...}
}

func (d *decoder) errorf(format string, args ...any) error {
	line := 1 + strings.Count(string(d.data[:min(d.pos, len(d.data))]), "\n")
	return fmt.Errorf("json line %d: %s", line, fmt.Sprintf(format, args...))
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) literal(word string) bool {
	if strings.HasPrefix(string(d.data[d.pos:min(d.pos+len(word), len(d.data))]), word) {
		d.pos += len(word)
		return true
	}
	return false
}

func (d *decoder) value(depth int) (Value, error) {
	if depth > maxJSONDepth {
		return nil, d.errorf("nesting too deep")
	}
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth, false)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.string()
	case d.literal("null"):
		return nil, nil
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("NaN"):
		return math.NaN(), nil
	case d.literal("Infinity"):
		return math.Inf(1), nil
	case d.literal("-Infinity"):
		return math.Inf(-1), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return nil, d.errorf("unexpected %q", c)
	}
}

// object parses an object. A raw one is taken literally: it is the content
// of a {"__kook_map": ...} wrapper.
func (d *decoder) object(depth int, raw bool) (Value, error) {
	d.pos++ // '{'
	m := Map{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expected object key")
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expected ':' after object key")
		}
		d.pos++
		d.skipSpace()
		var v Value
		if !raw && d.stored && k == mapKey && d.pos < len(d.data) && d.data[d.pos] == '{' {
			v, err = d.object(depth+1, true)
		} else {
			v, err = d.value(depth + 1)
		}
		if err != nil {
			return nil, err
		}
		m.Set(k.(string), v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			continue
		case '}':
			d.pos++
			if len(m) == 1 && !raw {
				if s, ok := m[0].Value.(string); ok && m[0].Key == vaultKey {
					return Vault(s), nil
				}
				if inner, ok := m[0].Value.(Map); ok && d.stored && m[0].Key == mapKey {
					return inner, nil
				}
			}
			return m, nil
		}
		return nil, d.errorf("expected ',' or '}' in object")
	}
}

func (d *decoder) array(depth int) (Value, error) {
	d.pos++ // '['
	list := []Value{}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return list, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input in array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			continue
		case ']':
			d.pos++
			return list, nil
		}
		return nil, d.errorf("expected ',' or ']' in array")
	}
}

func (d *decoder) number() (Value, error) {
	start := d.pos
	isFloat := false
	if d.data[d.pos] == '-' {
		d.pos++
	}
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c >= '0' && c <= '9' || c == '+' || c == '-' {
			d.pos++
		} else if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
			d.pos++
		} else {
			break
		}
	}
	text := string(d.data[start:d.pos])
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, d.errorf("bad number %q", text)
		}
		return f, nil
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	n, ok := new(big.Int).SetString(text, 10)
	if !ok {
		return nil, d.errorf("bad number %q", text)
	}
	return n, nil
}

func (d *decoder) string() (Value, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := string(d.data[start:d.pos])
			d.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		d.pos++
	}
	var sb strings.Builder
	sb.Write(d.data[start:d.pos])
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return sb.String(), nil
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return nil, d.errorf("unterminated string")
			}
			e := d.data[d.pos+1]
			d.pos += 2
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
				r, err := d.hex4()
				if err != nil {
					return nil, err
				}
				if utf16.IsSurrogate(r) && d.pos+6 <= len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					r2, err := d.hex4()
					if err == nil {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							sb.WriteRune(dec)
							continue
						}
					}
					d.pos = save
				}
				if utf16.IsSurrogate(r) {
					sb.Write(appendWTF8(nil, r)) // a lone surrogate, kept as Python keeps it
					continue
				}
				sb.WriteRune(r)
			default:
				return nil, d.errorf("bad escape \\%c", e)
			}
		default:
			sb.WriteByte(c)
			d.pos++
		}
	}
	return nil, d.errorf("unterminated string")
}

func (d *decoder) hex4() (rune, error) {
	if d.pos+4 > len(d.data) {
		return 0, d.errorf("short \\u escape")
	}
	n, err := strconv.ParseUint(string(d.data[d.pos:d.pos+4]), 16, 32)
	if err != nil {
		return 0, d.errorf("bad \\u escape")
	}
	d.pos += 4
	return rune(n), nil
}
