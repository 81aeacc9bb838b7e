package export

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// This file writes values as Python source: repr, for `--graph --vars`,
// and literals ast.literal_eval reads back, for INI.

// errNoLiteral: no Python literal evaluates to the value (a vaulted value,
// NaN, a string that is not Unicode).
var errNoLiteral = errors.New("no Python literal evaluates to it")

// appendPyStr appends Python's str(v): a string as it is, anything else as
// repr.
func appendPyStr(b []byte, v model.Value) ([]byte, error) {
	if s, ok := v.(string); ok {
		return append(b, s...), nil
	}
	return appendPy(b, v, false)
}

// appendPyLiteral appends a Python literal that ast.literal_eval evaluates
// to v (as Ansible's INI plugin passes it on), or reports there is none.
func appendPyLiteral(b []byte, v model.Value) ([]byte, bool) {
	b, err := appendPy(b, v, true)
	return b, err == nil
}

// appendPy appends Python's repr of the value Ansible holds for v or, with
// literal, a literal that evaluates to v: the two differ for floats that
// are not finite (inf against 1e309, which no repr gives back) and strings
// holding lone surrogates, and a literal fails (errNoLiteral) where repr
// says what Ansible would (ErrVault).
func appendPy(b []byte, v model.Value, literal bool) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "None"...), nil
	case bool:
		if v {
			return append(b, "True"...), nil
		}
		return append(b, "False"...), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case *big.Int:
		return v.Append(b, 10), nil
	case float64:
		switch {
		case math.IsNaN(v) && literal:
			return b, errNoLiteral
		case math.IsNaN(v):
			return append(b, "nan"...), nil
		case math.IsInf(v, 1) && literal:
			return append(b, "1e309"...), nil // overflows to inf: inf is no literal
		case math.IsInf(v, -1) && literal:
			return append(b, "-1e309"...), nil
		case math.IsInf(v, 1):
			return append(b, "inf"...), nil
		case math.IsInf(v, -1):
			return append(b, "-inf"...), nil
		}
		return append(b, model.FormatFloat(v)...), nil
	case string:
		return appendPyString(b, v, literal)
	case model.Vault:
		if literal {
			return b, errNoLiteral
		}
		return nil, ErrVault
	case []model.Value:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendPy(b, x, literal); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case model.Map:
		b = append(b, '{')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			if b, err = appendPyString(b, e.Key, literal); err != nil {
				return b, err
			}
			b = append(b, ": "...)
			if b, err = appendPy(b, e.Value, literal); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	if literal {
		return b, errNoLiteral
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// appendPyString appends repr(s) or, with literal, a string literal for s.
// They differ only for lone surrogates, which kook keeps WTF-8 encoded as
// Python strings may hold them: a literal writes them as \uXXXX escapes.
// Other invalid UTF-8 has no literal.
func appendPyString(b []byte, s string, literal bool) ([]byte, error) {
	if !literal || utf8.ValidString(s) {
		return pycompat.AppendRepr(b, s), nil
	}
	var out []byte
	for len(s) > 0 {
		i := 0
		for i < len(s) {
			if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n > 1 {
				i += n
				continue
			}
			break
		}
		for _, r := range s[:i] {
			if r == '"' || r == '\\' {
				out = append(out, '\\', byte(r))
				continue
			}
			q := pycompat.AppendRepr(nil, string(r)) // '\n', '\x01', 'é'...
			out = append(out, q[1:len(q)-1]...)
		}
		s = s[i:]
		if len(s) == 0 {
			break
		}
		if len(s) < 3 || s[0] != 0xed || s[1] < 0xa0 || s[1] > 0xbf || s[2] < 0x80 || s[2] > 0xbf {
			return b, errNoLiteral
		}
		r := rune(s[0]&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f)
		out = fmt.Appendf(out, `\u%04x`, r)
		s = s[3:]
	}
	return append(append(append(b, '"'), out...), '"'), nil
}
