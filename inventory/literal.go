package inventory

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
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
	maxIntDigits = 4300 // sys.get_int_max_str_digits(): longer decimal ints are a SyntaxError
)

// errUnrepresentable is wrapped by errors for values that Python evaluates
// but ansible-inventory cannot print, and model.Value cannot hold.
var errUnrepresentable = errors.New("cannot be represented (ansible-inventory fails on it too)")

// ParseLiteral evaluates s as Python's ast.literal_eval does and converts the
// result as Ansible's INI plugin passes it on: tuples become lists, bytes at the
// top become text (invalid UTF-8 as surrogate escapes), and dict keys become the
// strings Python's json module writes for them (1 -> "1", True -> "true").
//
// Strings may hold lone surrogates ('\ud800'); they are kept WTF-8 encoded, as
// Python keeps them. Sets, complex numbers, Ellipsis, nested bytes and tuple
// keys parse in Python but make ansible-inventory fail, so they are errors here.
// \N{name} escapes are not supported (an error that does not wrap
// ErrNotLiteral).
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
	if b, ok := v.(pyBytes); ok {
		v = pyStr(surrogateEscape(string(b)))
	}
	return litValue(v)
}

// literalValue is Ansible's _parse_value for callers that cannot report an
// error: the literal's value, or s itself when it is not one.
func literalValue(s string) model.Value {
	v, err := ParseLiteral(s)
	if err != nil {
		return s
	}
	return v
}

// Python values produced while evaluating. Ints are *big.Int, floats float64,
// complex numbers complex128, None nil.
type (
	pyStr      string // WTF-8
	pyBytes    string
	pyTuple    []any
	pyList     []any
	pyEllipsis struct{}
	pySet      struct{}
	pyDict     struct {
		keys, vals []any
		index      map[string]int
	}
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
			return pyTuple(elts), nil
		}
		return pyList(elts), nil
	case 's':
		for _, k := range n.kids {
			v, err := litConvert(k)
			if err != nil {
				return nil, err
			}
			if _, err := pyHashKey(v); err != nil {
				return nil, err
			}
		}
		return &pySet{}, nil
	case 'S':
		return &pySet{}, nil
	case 'd':
		d := &pyDict{index: map[string]int{}}
		for i := 0; i < len(n.kids); i += 2 {
			k, err := litConvert(n.kids[i])
			if err != nil {
				return nil, err
			}
			v, err := litConvert(n.kids[i+1])
			if err != nil {
				return nil, err
			}
			h, err := pyHashKey(k)
			if err != nil {
				return nil, err
			}
			if j, ok := d.index[h]; ok {
				d.vals[j] = v // Python keeps the first key object
				continue
			}
			d.index[h] = len(d.keys)
			d.keys, d.vals = append(d.keys, k), append(d.vals, v)
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

// pyHashKey returns a string that is equal for two values exactly when Python
// finds them equal as dict keys (1, 1.0, True and 1+0j are one key), or
// Python's TypeError for an unhashable value.
func pyHashKey(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "N", nil
	case bool:
		if x {
			return "n1", nil
		}
		return "n0", nil
	case *big.Int:
		return "n" + x.String(), nil
	case float64:
		return floatHashKey(x), nil
	case complex128:
		if imag(x) == 0 {
			return floatHashKey(real(x)), nil
		}
		return "c" + floatHashKey(real(x)) + "," + floatHashKey(imag(x)), nil
	case pyStr:
		return "s" + string(x), nil
	case pyBytes:
		return "b" + string(x), nil
	case pyEllipsis:
		return "E", nil
	case pyTuple:
		var b strings.Builder
		b.WriteString("t")
		for _, e := range x {
			k, err := pyHashKey(e)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "%d:%s", len(k), k)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("unhashable type: '%s'", pyTypeName(v))
}

func floatHashKey(f float64) string {
	if math.IsInf(f, 0) || f != math.Trunc(f) {
		return "f" + strconv.FormatFloat(f, 'g', -1, 64)
	}
	i, _ := new(big.Float).SetFloat64(f).Int(nil)
	return "n" + i.String()
}

func pyTypeName(v any) string {
	switch v.(type) {
	case pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pySet:
		return "set"
	case pyTuple:
		return "tuple"
	case complex128:
		return "complex"
	case pyBytes:
		return "bytes"
	case pyEllipsis:
		return "ellipsis"
	}
	return fmt.Sprintf("%T", v)
}

// litValue converts an evaluated value to a model.Value, failing where
// ansible-inventory's JSON output fails.
func litValue(v any) (model.Value, error) {
	switch x := v.(type) {
	case nil, bool, float64:
		return x, nil
	case pyStr:
		return string(x), nil
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), nil
		}
		if len(strings.TrimPrefix(x.String(), "-")) > maxIntDigits {
			return nil, fmt.Errorf("an int of more than 4300 digits %w", errUnrepresentable)
		}
		return x, nil
	case pyTuple, pyList:
		var elts []any
		if t, ok := x.(pyTuple); ok {
			elts = t
		} else {
			elts = x.(pyList)
		}
		out := make([]model.Value, len(elts))
		for i, e := range elts {
			c, err := litValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case *pyDict:
		m := make(model.Map, 0, len(x.keys))
		pos := make(map[string]int, len(x.keys))
		for i, k := range x.keys {
			key, err := jsonKey(k)
			if err != nil {
				return nil, err
			}
			c, err := litValue(x.vals[i])
			if err != nil {
				return nil, err
			}
			// 1 and '1' both print as "1": a JSON reader keeps the last value.
			if j, ok := pos[key]; ok {
				m[j].Value = c
				continue
			}
			pos[key] = len(m)
			m = append(m, model.Entry{Key: key, Value: c})
		}
		return m, nil
	}
	return nil, fmt.Errorf("a Python %s %w", pyTypeName(v), errUnrepresentable)
}

// jsonKey returns the object key Python's json module writes for dict key k.
func jsonKey(k any) (string, error) {
	switch x := k.(type) {
	case pyStr:
		return string(x), nil
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case *big.Int:
		return x.String(), nil
	case float64:
		return string(model.AppendFloat(nil, x)), nil
	}
	return "", fmt.Errorf("a dict key of type %s %w", pyTypeName(k), errUnrepresentable)
}

// surrogateEscape decodes b as UTF-8 with Python's surrogateescape handler:
// each undecodable byte becomes a lone surrogate U+DC80..U+DCFF.
func surrogateEscape(b string) string {
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

// litLexer splits Python source into the tokens literal_eval's grammar needs,
// following CPython 3.11's tokenizer. Any other token is a syntax error here:
// for Ansible such a value is not a literal and stays a string.
type litLexer struct {
	src       string
	pos       int
	brackets  []byte
	lineStart bool // at the start of a line outside brackets: indentation matters
	content   bool // the current line has produced tokens
	nEscape   bool // a \N{...} escape was seen
}

// litToken is a token: kind 'c' constant (val), 'n' name, 'o' operator, '\n'
// end of a logical line, 0 end of input.
type litToken struct {
	kind byte
	text string
	val  any
	fstr bool
}

var pyKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true,
	"async": true, "await": true, "break": true, "class": true, "continue": true,
	"def": true, "del": true, "elif": true, "else": true, "except": true, "finally": true,
	"for": true, "from": true, "global": true, "if": true, "import": true, "in": true,
	"is": true, "lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true,
	"raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitValue returns the value of hex digit c, or 99.
func digitValue(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// isIdentByte reports whether c may continue a name or touch a number, which
// CPython then rejects ("invalid decimal literal").
func isIdentByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func (l *litLexer) next() (litToken, error) {
	s := l.src
	for {
		if l.lineStart && len(l.brackets) == 0 {
			l.lineStart = false
			col := 0
			for ; l.pos < len(s) && (s[l.pos] == ' ' || s[l.pos] == '\t' || s[l.pos] == '\f'); l.pos++ {
				switch s[l.pos] {
				case ' ':
					col++
				case '\t':
					col = (col/8 + 1) * 8
				default:
					col = 0
				}
			}
			if col > 0 && l.pos < len(s) && s[l.pos] != '#' && s[l.pos] != '\n' {
				return litToken{}, notLiteral("unexpected indent")
			}
		}
		for l.pos < len(s) && (s[l.pos] == ' ' || s[l.pos] == '\t' || s[l.pos] == '\f') {
			l.pos++
		}
		if l.pos >= len(s) {
			if len(l.brackets) > 0 {
				return litToken{}, notLiteral("unexpected EOF")
			}
			return litToken{}, nil
		}
		switch c := s[l.pos]; c {
		case '#':
			for l.pos < len(s) && s[l.pos] != '\n' {
				l.pos++
			}
			continue
		case '\n':
			l.pos++
			if len(l.brackets) > 0 {
				continue
			}
			l.lineStart = true
			if l.content {
				l.content = false
				return litToken{kind: '\n'}, nil
			}
			continue
		case '\\':
			if l.pos+1 < len(s) && s[l.pos+1] == '\n' {
				l.pos += 2
				if l.pos == len(s) {
					return litToken{}, notLiteral("unexpected EOF")
				}
				continue
			}
			return litToken{}, notLiteral("unexpected character after line continuation character")
		}
		l.content = true
		return l.token()
	}
}

func (l *litLexer) token() (litToken, error) {
	s, c := l.src, l.src[l.pos]
	switch {
	case isDigit(c) || c == '.' && l.pos+1 < len(s) && isDigit(s[l.pos+1]):
		return l.number()
	case c == '\'' || c == '"':
		return l.str("")
	case strings.HasPrefix(s[l.pos:], "..."):
		l.pos += 3
		return litToken{kind: 'o', text: "..."}, nil
	case c == '(' || c == '[' || c == '{':
		if len(l.brackets) >= maxBrackets {
			return litToken{}, notLiteral("too many nested parentheses")
		}
		l.brackets = append(l.brackets, c)
	case c == ')' || c == ']' || c == '}':
		open := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
		if len(l.brackets) == 0 || l.brackets[len(l.brackets)-1] != open {
			return litToken{}, notLiteral("unmatched bracket")
		}
		l.brackets = l.brackets[:len(l.brackets)-1]
	case c == ',' || c == ':' || c == '+' || c == '-':
	case isIdentByte(c):
		return l.name()
	default:
		return litToken{}, notLiteral("invalid character")
	}
	l.pos++
	return litToken{kind: 'o', text: s[l.pos-1 : l.pos]}, nil
}

func (l *litLexer) name() (litToken, error) {
	start := l.pos
	for l.pos < len(l.src) && isIdentByte(l.src[l.pos]) {
		l.pos++
	}
	name := l.src[start:l.pos]
	if l.pos < len(l.src) && (l.src[l.pos] == '\'' || l.src[l.pos] == '"') {
		switch strings.ToLower(name) {
		case "r", "u", "b", "br", "rb", "f", "fr", "rf":
			return l.str(name)
		}
	}
	for i, r := range name {
		if i == 0 && !pyIdentStart(r) || !pyIdentChar(r) {
			return litToken{}, notLiteral("invalid character in identifier")
		}
	}
	return litToken{kind: 'n', text: name}, nil
}

func (l *litLexer) number() (litToken, error) {
	s, i := l.src, l.pos
	if s[i] == '0' && i+1 < len(s) && strings.IndexByte("xXoObB", s[i+1]) >= 0 {
		base := map[byte]int{'x': 16, 'o': 8, 'b': 2}[s[i+1]|0x20]
		i += 2
		var digits []byte
		for {
			j := i
			if j < len(s) && s[j] == '_' {
				j++
			}
			if j < len(s) && digitValue(s[j]) < base {
				digits = append(digits, s[j])
				i = j + 1
				continue
			}
			break
		}
		if len(digits) == 0 || i < len(s) && isIdentByte(s[i]) {
			return litToken{}, notLiteral("invalid literal")
		}
		l.pos = i
		v, _ := new(big.Int).SetString(string(digits), base)
		return litToken{kind: 'c', val: v}, nil
	}
	var err error
	isFloat, isImag := false, false
	if i, err = digitPart(s, i); err != nil {
		return litToken{}, err
	}
	if i < len(s) && s[i] == '.' {
		isFloat = true
		if i, err = digitPart(s, i+1); err != nil {
			return litToken{}, err
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j >= len(s) || !isDigit(s[j]) {
			return litToken{}, notLiteral("invalid decimal literal")
		}
		isFloat = true
		if i, err = digitPart(s, j); err != nil {
			return litToken{}, err
		}
	}
	if i < len(s) && (s[i] == 'j' || s[i] == 'J') {
		isImag = true
		i++
	}
	if i < len(s) && isIdentByte(s[i]) {
		return litToken{}, notLiteral("invalid decimal literal")
	}
	text := strings.ReplaceAll(s[l.pos:i], "_", "")
	l.pos = i
	if isImag || isFloat {
		f, err := strconv.ParseFloat(strings.TrimRight(text, "jJ"), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return litToken{}, notLiteral("invalid float literal")
		}
		if isImag {
			return litToken{kind: 'c', val: complex(0, f)}, nil
		}
		return litToken{kind: 'c', val: f}, nil
	}
	significant := strings.TrimLeft(text, "0")
	if significant != "" && text[0] == '0' {
		return litToken{}, notLiteral("leading zeros in decimal integer literals are not permitted")
	}
	if len(significant) > maxIntDigits {
		return litToken{}, notLiteral("exceeds the limit (4300 digits) for integer string conversion")
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return litToken{kind: 'c', val: big.NewInt(n)}, nil
	}
	v, _ := new(big.Int).SetString(text, 10)
	return litToken{kind: 'c', val: v}, nil
}

// digitPart skips digit ("_"? digit)* at s[i:].
func digitPart(s string, i int) (int, error) {
	if i >= len(s) || !isDigit(s[i]) {
		return i, nil
	}
	for i++; i < len(s); {
		switch {
		case isDigit(s[i]):
			i++
		case s[i] == '_' && i+1 < len(s) && isDigit(s[i+1]):
			i += 2
		case s[i] == '_':
			return i, notLiteral("invalid decimal literal")
		default:
			return i, nil
		}
	}
	return i, nil
}

// str lexes a string literal whose opening quote is at l.pos.
func (l *litLexer) str(prefix string) (litToken, error) {
	prefix = strings.ToLower(prefix)
	raw, isBytes := strings.Contains(prefix, "r"), strings.Contains(prefix, "b")
	s, q := l.src, l.src[l.pos]
	quote := string(q)
	if strings.HasPrefix(s[l.pos:], strings.Repeat(quote, 3)) {
		quote = strings.Repeat(quote, 3)
	}
	start := l.pos + len(quote)
	i := start
	for {
		if i >= len(s) || s[i] == '\n' && len(quote) == 1 {
			return litToken{}, notLiteral("unterminated string literal")
		}
		if s[i] == '\\' {
			i += 2
			continue
		}
		if strings.HasPrefix(s[i:], quote) {
			break
		}
		i++
	}
	body := s[start:i]
	l.pos = i + len(quote)
	if isBytes {
		for j := 0; j < len(body); j++ {
			if body[j] >= 0x80 {
				return litToken{}, notLiteral("bytes can only contain ASCII literal characters")
			}
		}
	}
	if !raw {
		var err error
		if body, err = l.unescape(body, isBytes); err != nil {
			return litToken{}, err
		}
	}
	t := litToken{kind: 'c', val: pyStr(body), fstr: strings.Contains(prefix, "f")}
	if isBytes {
		t.val = pyBytes(body)
	}
	return t, nil
}

var simpleEscapes = map[byte]byte{'\\': '\\', '\'': '\'', '"': '"', 'a': 7, 'b': 8, 'f': 12, 'n': 10, 'r': 13, 't': 9, 'v': 11}

// unescape decodes the backslash escapes of a non-raw string or bytes body.
func (l *litLexer) unescape(body string, isBytes bool) (string, error) {
	if strings.IndexByte(body, '\\') < 0 {
		return body, nil
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		if body[i] != '\\' {
			out = append(out, body[i])
			i++
			continue
		}
		e := body[i+1]
		i += 2
		if c, ok := simpleEscapes[e]; ok {
			out = append(out, c)
			continue
		}
		hexLen := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
		switch {
		case e == '\n':
		case e >= '0' && e <= '7':
			v := rune(e - '0')
			for n := 0; n < 2 && i < len(body) && body[i] >= '0' && body[i] <= '7'; n++ {
				v = v*8 + rune(body[i]-'0')
				i++
			}
			out = appendCode(out, v, isBytes)
		case e == 'x' || !isBytes && hexLen > 0:
			if i+hexLen > len(body) {
				return "", notLiteral("truncated escape")
			}
			v, err := strconv.ParseUint(body[i:i+hexLen], 16, 32)
			if err != nil || strings.ContainsAny(body[i:i+hexLen], "+-_") {
				return "", notLiteral("truncated escape")
			}
			if v > unicode.MaxRune {
				return "", notLiteral("illegal Unicode character")
			}
			out = appendCode(out, rune(v), isBytes)
			i += hexLen
		case e == 'N' && !isBytes:
			end := strings.IndexByte(body[i:], '}')
			if i >= len(body) || body[i] != '{' || end < 2 {
				return "", notLiteral("malformed \\N character escape")
			}
			l.nEscape = true
			i += end + 1
		default:
			out = append(out, '\\', e)
		}
	}
	return string(out), nil
}

func appendCode(out []byte, v rune, isBytes bool) []byte {
	if isBytes {
		return append(out, byte(v))
	}
	return appendWTF8(out, v)
}

// litParser parses the expression grammar literal_eval can evaluate, plus
// names, which parse but are not literals.
type litParser struct {
	lex litLexer
	tok litToken
}

func (p *litParser) advance() error {
	t, err := p.lex.next()
	p.tok = t
	return err
}

func (p *litParser) startsExpr() bool {
	switch p.tok.text {
	case "(", "[", "{", "+", "-", "...":
		return p.tok.kind == 'o'
	}
	return p.tok.kind == 'c' || p.tok.kind == 'n'
}

func (p *litParser) isOp(op string) bool { return p.tok.kind == 'o' && p.tok.text == op }

func (p *litParser) expect(op string) error {
	if !p.isOp(op) {
		return notLiteral("invalid syntax")
	}
	return p.advance()
}

func (p *litParser) parse() (*litNode, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.tuple()
	for err == nil && p.tok.kind == '\n' {
		err = p.advance()
	}
	if err == nil && p.tok.kind != 0 {
		err = notLiteral("invalid syntax")
	}
	if err != nil {
		return nil, err
	}
	if p.lex.nEscape {
		return nil, errors.New(`\N{...} escapes are not supported: write the character itself`)
	}
	return n, nil
}

// tuple parses expression ("," expression)* [","], a tuple if it has a comma.
func (p *litParser) tuple() (*litNode, error) {
	first, err := p.expr()
	if err != nil || !p.isOp(",") {
		return first, err
	}
	elts := []*litNode{first}
	for p.isOp(",") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.startsExpr() {
			break
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		elts = append(elts, e)
	}
	return newNode('t', elts), nil
}

// expr parses factor (("+" | "-") factor)*.
func (p *litParser) expr() (*litNode, error) {
	left, err := p.factor()
	for err == nil && (p.isOp("+") || p.isOp("-")) {
		op := p.tok.text[0]
		if err = p.advance(); err != nil {
			break
		}
		var right *litNode
		if right, err = p.factor(); err == nil {
			left = newNode('b', []*litNode{left, right})
			left.op = op
		}
	}
	return left, err
}

// factor parses ("+" | "-")* atom without recursing on the signs.
func (p *litParser) factor() (*litNode, error) {
	var ops []byte
	for p.isOp("+") || p.isOp("-") {
		ops = append(ops, p.tok.text[0])
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	n, err := p.atom()
	for i := len(ops) - 1; err == nil && i >= 0; i-- {
		n = &litNode{kind: 'u', op: ops[i], kids: []*litNode{n}, depth: n.depth + 1}
	}
	return n, err
}

func (p *litParser) atom() (*litNode, error) {
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch {
	case t.kind == 'c':
		return p.strings(t)
	case t.kind == 'n':
		switch {
		case t.text == "True" || t.text == "False":
			return &litNode{kind: 'c', val: t.text == "True", depth: 1}, nil
		case t.text == "None":
			return &litNode{kind: 'c', depth: 1}, nil
		case pyKeywords[t.text]:
			return nil, notLiteral("invalid syntax")
		case t.text == "set" && p.isOp("("):
			if err := p.advance(); err != nil {
				return nil, err
			}
			return &litNode{kind: 'S', depth: 2}, p.expect(")")
		}
		return &litNode{kind: 'n', depth: 1}, nil
	case t.kind == 'o' && t.text == "...":
		return &litNode{kind: 'c', val: pyEllipsis{}, depth: 1}, nil
	case t.kind == 'o' && t.text == "(":
		if p.isOp(")") {
			return newNode('t', nil), p.advance()
		}
		n, err := p.tuple()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	case t.kind == 'o' && t.text == "[":
		var elts []*litNode
		for !p.isOp("]") {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			elts = append(elts, e)
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		return newNode('l', elts), p.expect("]")
	case t.kind == 'o' && t.text == "{":
		return p.braces()
	}
	return nil, notLiteral("invalid syntax")
}

// strings joins adjacent string literals starting with t, as Python does.
func (p *litParser) strings(t litToken) (*litNode, error) {
	switch t.val.(type) {
	case pyStr, pyBytes:
	default:
		return &litNode{kind: 'c', val: t.val, depth: 1}, nil
	}
	_, isBytes := t.val.(pyBytes)
	if p.tok.kind != 'c' && !t.fstr {
		return &litNode{kind: 'c', val: t.val, depth: 1}, nil
	}
	var b strings.Builder
	fstr := false
	for {
		_, b2 := t.val.(pyBytes)
		if b2 != isBytes {
			return nil, notLiteral("cannot mix bytes and nonbytes literals")
		}
		fstr = fstr || t.fstr
		b.WriteString(reflectString(t.val))
		if p.tok.kind != 'c' {
			break
		}
		switch p.tok.val.(type) {
		case pyStr, pyBytes:
		default:
			return nil, notLiteral("invalid syntax")
		}
		t = p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if fstr {
		return nil, notLiteral("f-strings are not literals")
	}
	if isBytes {
		return &litNode{kind: 'c', val: pyBytes(b.String()), depth: 1}, nil
	}
	return &litNode{kind: 'c', val: pyStr(b.String()), depth: 1}, nil
}

func reflectString(v any) string {
	if b, ok := v.(pyBytes); ok {
		return string(b)
	}
	return string(v.(pyStr))
}

// braces parses a dict or set display after its "{".
func (p *litParser) braces() (*litNode, error) {
	if p.isOp("}") {
		return newNode('d', nil), p.advance()
	}
	var kids []*litNode
	kind := byte(0)
	for {
		k, err := p.expr()
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
		if kind == 0 {
			kind = 's'
			if p.isOp(":") {
				kind = 'd'
			}
		}
		if kind == 'd' {
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			v, err := p.expr()
			if err != nil {
				return nil, err
			}
			kids = append(kids, v)
		}
		if !p.isOp(",") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isOp("}") {
			break
		}
	}
	return newNode(kind, kids), p.expect("}")
}
