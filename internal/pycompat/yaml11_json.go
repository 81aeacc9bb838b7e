package pycompat

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/model"
)

// DecodeJSON parses data exactly as Python's json.loads with Ansible's
// AnsibleJSONDecoder does, which Ansible tries before YAML on every file.
// It must refuse what Python refuses, or a file Ansible reads as YAML would
// get JSON typing here: `[010]` is not JSON, so it is YAML, and 8.
//
// Objects keep their keys in order, a repeated key its first position and
// last value. An object holding "__ansible_vault" becomes a model.Vault and
// one holding "__ansible_unsafe" an unsafe copy of its value, whichever of
// the two keys comes first, as AnsibleJSONDecoder.object_hook does.
func DecodeJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errorAt(1, "invalid UTF-8")
	}
	d := &pjsonDecoder{data: data, line: 1, conv: NewConverter(data)}
	if strings.HasPrefix(string(data), "\ufeff") {
		return nil, d.fail("Unexpected UTF-8 BOM")
	}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, d.fail("Extra data")
	}
	return v, nil
}

// pmaxJSONNesting stands for Python's recursion limit.
const pmaxJSONNesting = 990

type pjsonDecoder struct {
	data []byte
	pos  int
	line int
	conv *Converter
}

func (d *pjsonDecoder) fail(format string, args ...any) error {
	return errorAt(d.line, format, args...)
}

func (d *pjsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '\n':
			d.line++
		case ' ', '\t', '\r':
		default:
			return
		}
		d.pos++
	}
}

func (d *pjsonDecoder) word(w string) bool {
	if strings.HasPrefix(string(d.data[d.pos:min(len(d.data), d.pos+len(w))]), w) {
		d.pos += len(w)
		return true
	}
	return false
}

func (d *pjsonDecoder) value(depth int) (any, error) {
	if depth > pmaxJSONNesting {
		return nil, d.fail("maximum recursion depth exceeded")
	}
	if d.pos >= len(d.data) {
		return nil, d.fail("Expecting value")
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		return d.str()
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case d.word("null"):
		return nil, nil
	case d.word("true"):
		return true, nil
	case d.word("false"):
		return false, nil
	case d.word("NaN"):
		return math.NaN(), nil
	case d.word("Infinity"):
		return math.Inf(1), nil
	case d.word("-Infinity"):
		return math.Inf(-1), nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, d.fail("Expecting value")
}

func (d *pjsonDecoder) object(depth int) (any, error) {
	m := NewDict(d.line)
	d.pos++
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail("Expecting property name enclosed in double quotes")
		}
		kline := d.line
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail("Expecting ':' delimiter")
		}
		d.pos++
		d.space()
		vline := d.line
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		_ = m.Set(k, v, kline, vline) // string keys always hash
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			return d.hook(m)
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return nil, d.fail("Expecting ',' delimiter")
		}
		d.pos++
		d.space()
	}
}

// hook is AnsibleJSONDecoder.object_hook.
func (d *pjsonDecoder) hook(m *Dict) (any, error) {
	for i, k := range m.Keys {
		switch k {
		case "__ansible_vault":
			switch v := m.Vals[i].(type) {
			case *Dict, *List:
				return nil, d.fail("__ansible_vault holds a %s, not ciphertext", TypeName(v))
			default:
				return model.Vault(Str(v)), nil
			}
		case UnsafeKey:
			v, err := pwrapUnsafe(m.Vals[i], d.conv)
			if err != nil {
				return nil, d.fail("%v", err)
			}
			return v, nil
		}
	}
	return m, nil
}

func (d *pjsonDecoder) array(depth int) (any, error) {
	l := &List{Line: d.line}
	d.pos++
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return l, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, v)
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return l, nil
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return nil, d.fail("Expecting ',' delimiter")
		}
		d.pos++
		d.space()
	}
}

// number matches -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, as
// Python's scanner does; what follows a match is the caller's problem.
func (d *pjsonDecoder) number() (any, error) {
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		d.pos = start
		return nil, d.fail("Expecting value")
	}
	isFloat := false
	if d.pos+1 < len(d.data) && d.data[d.pos] == '.' && d.data[d.pos+1] >= '0' && d.data[d.pos+1] <= '9' {
		d.pos++
		digits()
		isFloat = true
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		save := d.pos
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			d.pos = save
		} else {
			isFloat = true
		}
	}
	text := string(d.data[start:d.pos])
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, d.fail("bad number %q", text)
		}
		return f, nil
	}
	if len(strings.TrimPrefix(text, "-")) > maxIntDigits {
		return nil, d.fail("Exceeds the limit (%d digits) for integer string conversion", maxIntDigits)
	}
	n, _ := new(big.Int).SetString(text, 10)
	return pnormInt(n), nil
}

func (d *pjsonDecoder) str() (string, error) {
	// Python's json: strict about control characters; a lone surrogate,
	// which kook cannot keep in a parsed value, becomes U+FFFD.
	str, n, why := model.DecodeString(d.data[d.pos:], true, false)
	d.pos += n
	switch why {
	case model.StringOK:
		return str, nil
	case model.StringControl:
		return "", d.fail("Invalid control character")
	case model.StringEscape:
		return "", d.fail("Invalid \\escape")
	case model.StringUnicode:
		return "", d.fail("Invalid \\uXXXX escape")
	}
	return "", d.fail("Unterminated string starting")
}
