package model

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

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
	str, n, why := DecodeString(d.data[d.pos:], false, true)
	switch why {
	case StringOK:
		d.pos += n
		return str, nil
	case StringEscape:
		d.pos += n
		return nil, d.errorf("bad escape \\%c", d.data[d.pos+1])
	case StringUnicode:
		d.pos += n
		return nil, d.errorf("bad \\u escape")
	}
	d.pos = len(d.data)
	return nil, d.errorf("unterminated string")
}
