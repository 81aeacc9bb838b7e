package pycompat

// The tokenizer of the Python literal subset ParseLiteral accepts.

import (
	"errors"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// litLexer splits Python source into the tokens literal_eval's grammar needs,
// following CPython 3.11's tokenizer. Any other token is a syntax error here:
// for Ansible such a value is not a literal and stays a string.
type litLexer struct {
	src       string
	pos       int
	brackets  []byte
	lineStart bool // at the start of a line outside brackets: indentation matters
	content   bool // the current line has produced tokens
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
			r, ok := LookupName(body[i+1 : i+end])
			if !ok {
				return "", notLiteral("unknown Unicode character name")
			}
			out = appendCode(out, r, false)
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
