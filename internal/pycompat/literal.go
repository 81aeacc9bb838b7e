package pycompat

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kook-project/kook/model"
)

// ErrNotLiteral reports that a string is not a Python literal: Python's
// ast.literal_eval raises SyntaxError or ValueError for it, and Ansible's INI
// plugin then keeps the raw string. ParseLiteral's other errors are fatal in
// Ansible too (a TypeError, RecursionError or OverflowError while evaluating,
// or a value ansible-inventory cannot print).
var ErrNotLiteral = errors.New("not a Python literal")

const (
	maxBrackets  = 200  // CPython's tokenizer: "too many nested parentheses"
	maxTreeDepth = 2954 // deeper syntax trees make ast.parse raise RecursionError under ansible-inventory
)

// ParseLiteral evaluates s as Python's ast.literal_eval does and converts the
// result as Ansible's INI plugin passes it on: tuples become lists, bytes at the
// top become text (invalid UTF-8 as surrogate escapes), and dict keys become the
// strings Python's json module writes for them (1 -> "1", True -> "true").
//
// Strings may hold lone surrogates ('\ud800'); they are kept WTF-8 encoded, as
// Python keeps them. Sets, complex numbers, Ellipsis, nested bytes and tuple
// keys parse in Python but make ansible-inventory fail, so they are errors here.
// \N{name} escapes resolve as Python's do (LookupName).
func ParseLiteral(s string) (model.Value, error) {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		// Python cannot encode lone surrogates or compile a NUL: ValueError.
		return nil, fmt.Errorf("%w: not encodable source", ErrNotLiteral)
	}
	s = strings.ReplaceAll(strings.ReplaceAll(strings.TrimLeft(s, " \t"), "\r\n", "\n"), "\r", "\n")
	p := &litParser{lex: litLexer{src: s, lineStart: true}}
	n, err := p.parse()
	if err != nil {
		return nil, err
	}
	if n.depth > maxTreeDepth {
		return nil, errors.New("expression nested too deeply (Python raises RecursionError)")
	}
	v, err := litConvert(n)
	if err != nil {
		return nil, err
	}
	if b, ok := v.(pbytes); ok {
		v = SurrogateEscape(string(b))
	}
	return NewConverter([]byte(s)).Value(v)
}

// LiteralValue is Ansible's _parse_value for callers that cannot report an
// error: the literal's value, or s itself when it is not one.
func LiteralValue(s string) model.Value {
	v, err := ParseLiteral(s)
	if err != nil {
		return s
	}
	return v
}

// String and bytes literals while they are parsed (adjacent literals
// concatenate, and str and bytes must not mix). Evaluating makes them a
// string and a pbytes; the other values are the objects of yaml11_value.go,
// with tuple, ellipsis and complex128 besides.
type (
	pyStr   string // WTF-8
	pyBytes string
)

// litNode is a node of the syntax tree. kind is 'c' constant, 'n' name, 't'
// tuple, 'l' list, 's' set, 'S' the call set(), 'd' dict (kids k0, v0, k1,
// ...), 'u' unary and 'b' binary + or -.
type litNode struct {
	kind, op byte
	val      any
	kids     []*litNode
	depth    int
}

func newNode(kind byte, kids []*litNode) *litNode {
	n := &litNode{kind: kind, kids: kids, depth: 1}
	for _, k := range kids {
		n.depth = max(n.depth, k.depth+1)
	}
	return n
}

// notLiteralError is a SyntaxError or ValueError; it is cheap to make, as
// most INI values are not literals.
type notLiteralError struct{ msg string }

func (e *notLiteralError) Error() string { return ErrNotLiteral.Error() + ": " + e.msg }
func (e *notLiteralError) Unwrap() error { return ErrNotLiteral }

func notLiteral(msg string) error { return &notLiteralError{msg} }

// litConvert evaluates n as literal_eval's _convert does, in the same order,
// so that a ValueError (not a literal) and a TypeError (unhashable key) come
// out as they do in Python.
func litConvert(n *litNode) (any, error) {
	switch n.kind {
	case 'c':
		switch v := n.val.(type) {
		case pyStr:
			return string(v), nil
		case pyBytes:
			return pbytes(v), nil
		}
		return n.val, nil
	case 't', 'l':
		elts := make([]any, len(n.kids))
		for i, k := range n.kids {
			v, err := litConvert(k)
			if err != nil {
				return nil, err
			}
			elts[i] = v
		}
		if n.kind == 't' {
			return tuple(elts), nil
		}
		return &List{Items: elts}, nil
	case 's':
		for _, k := range n.kids {
			v, err := litConvert(k)
			if err != nil {
				return nil, err
			}
			if _, err := pkeyID(v); err != nil {
				return nil, err
			}
		}
		return &pset{}, nil
	case 'S':
		return &pset{}, nil
	case 'd':
		d := NewDict(0)
		for i := 0; i < len(n.kids); i += 2 {
			k, err := litConvert(n.kids[i])
			if err != nil {
				return nil, err
			}
			v, err := litConvert(n.kids[i+1])
			if err != nil {
				return nil, err
			}
			if err := d.Set(k, v, 0, 0); err != nil {
				return nil, err
			}
		}
		return d, nil
	case 'b':
		left, err := litSignedNum(n.kids[0])
		if err != nil {
			return nil, err
		}
		right, err := litNum(n.kids[1])
		if err != nil {
			return nil, err
		}
		if c, ok := right.(complex128); ok {
			var l float64
			switch x := left.(type) {
			case *big.Int:
				f, acc := new(big.Float).SetInt(x).Float64()
				if math.IsInf(f, 0) && acc != big.Exact {
					return nil, errors.New("int too large to convert to float (Python raises OverflowError)")
				}
				l = f
			case float64:
				l = x
			default:
				return nil, notLiteral("malformed node")
			}
			if n.op == '+' {
				return complex(l+real(c), 0+imag(c)), nil
			}
			return complex(l-real(c), 0-imag(c)), nil
		}
	}
	return litSignedNum(n)
}

func litSignedNum(n *litNode) (any, error) {
	if n.kind != 'u' {
		return litNum(n)
	}
	v, err := litNum(n.kids[0])
	if err != nil || n.op == '+' {
		return v, err
	}
	switch x := v.(type) {
	case *big.Int:
		return new(big.Int).Neg(x), nil
	case float64:
		return -x, nil
	default:
		return -x.(complex128), nil
	}
}

func litNum(n *litNode) (any, error) {
	if n.kind == 'c' {
		switch n.val.(type) {
		case *big.Int, float64, complex128:
			return n.val, nil
		}
	}
	return nil, notLiteral("malformed node or string")
}

// SurrogateEscape decodes b as UTF-8 with Python's surrogateescape handler:
// each undecodable byte becomes a lone surrogate U+DC80..U+DCFF.
func SurrogateEscape(b string) string {
	if utf8.ValidString(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRuneInString(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = appendWTF8(out, 0xDC00+rune(b[i]))
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return string(out)
}

// appendWTF8 appends r as UTF-8, writing surrogates as the 3-byte sequences
// UTF-8 forbids (WTF-8), so that Python's lone surrogates survive.
func appendWTF8(b []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(b, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(b, r)
}

// pyIdentStart and pyIdentChar approximate Python's XID_Start/XID_Continue.
func pyIdentStart(r rune) bool {
	return r == '_' || unicode.In(r, unicode.L, unicode.Nl, unicode.Other_ID_Start)
}

func pyIdentChar(r rune) bool {
	return pyIdentStart(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc, unicode.Other_ID_Continue)
}
