package pycompat

// The parser of the Python literal subset ParseLiteral accepts, building
// litNodes for litConvert.

import (
	"strings"
)

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
		return &litNode{kind: 'c', val: ellipsis{}, depth: 1}, nil
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
