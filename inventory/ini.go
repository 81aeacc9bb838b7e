package inventory

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// ParseINI adds an Ansible INI inventory to inv as Ansible's ini plugin
// (plugins/inventory/ini.py) adds it to the InventoryData it is given, so
// several sources accumulate in one inventory. It leaves the reconciling
// (groups without a parent under 'all', hosts in no group to 'ungrouped') to
// the caller: call inv.Reconcile after the last source.
//
// Hosts, groups, memberships and vars come in Ansible's order. Values go
// through Python's literal_eval (see pycompat.ParseLiteral); ansible_group_priority in
// a [group:vars] section sets Group.Priority. Host.Source and Group.Source get
// "file:line" of the first declaration in this inventory (for a group, the
// first section header naming it), VarSources the line that last set each
// var. Errors are *ParseError; what was added before the error stays in inv,
// as it does in Ansible's InventoryData.
func ParseINI(inv *model.Inventory, file string, data []byte) error {
	text := string(data)
	if !utf8.Valid(data) {
		// Ansible decodes with surrogateescape: bad bytes become lone surrogates.
		text = pycompat.SurrogateEscape(text)
	}
	p := &iniParser{inv: inv, file: file, group: "ungrouped", state: "hosts",
		pending: map[string]*pendingDecl{}, members: memberSets{}}
	for text != "" {
		var line string
		line, text = pycompat.CutLine(text)
		p.line++
		p.src = ""
		if err := p.parseLine(line); err != nil {
			return err
		}
	}
	return p.finish()
}

type iniParser struct {
	inv          *model.Inventory
	file         string
	line         int
	src          string // "file:line", made on first use
	group, state string
	pending      map[string]*pendingDecl
	pendingOrder []string
	members      memberSets
}

// pendingDecl is ini.py's pending_declarations entry: a group named by a
// [g:vars] header or in a [p:children] section before it is declared.
type pendingDecl struct {
	line    int
	state   string
	parents []string
}

func (p *iniParser) errorf(format string, args ...any) error {
	return errorf(p.file, p.line, format, args...)
}

func (p *iniParser) source() string {
	if p.src == "" {
		p.src = fmt.Sprintf("%s:%d", p.file, p.line)
	}
	return p.src
}

func (p *iniParser) parseLine(raw string) error {
	line := strings.TrimFunc(raw, pycompat.IsSpace)
	if line == "" || line[0] == '#' || line[0] == ';' {
		return nil
	}
	if name, tag, ok := matchSection(line); ok {
		return p.section(name, tag)
	}
	if line[0] == '[' && line[len(line)-1] == ']' {
		return p.errorf("invalid section header %s: a group name cannot contain spaces, ':' or ']', and only :vars or :children may follow it", line)
	}
	switch p.state {
	case "hosts":
		return p.hostLine(line)
	case "vars":
		return p.varLine(line)
	}
	return p.childLine(line)
}

func (p *iniParser) section(name, tag string) error {
	state := tag
	if state == "" {
		state = "hosts"
	}
	if state != "hosts" && state != "children" && state != "vars" {
		return p.errorf("section [%s:%s] has unknown type %q: want [%s], [%s:vars] or [%s:children]", name, tag, tag, name, name, name)
	}
	if err := model.ValidateGroupName(name); err != nil {
		return p.errorf("group name %s: %v", quoteName(name), err)
	}
	g := p.inv.Group(name)
	if g == nil {
		// [g:vars] alone does not declare g: ini.py notes it and checks at the end.
		if _, ok := p.pending[name]; state == "vars" && !ok {
			p.addPending(name, &pendingDecl{line: p.line, state: "vars"})
		}
		g = p.inv.AddGroup(name)
	}
	if g.Source == "" {
		g.Source = p.source()
	}
	if d := p.pending[name]; d != nil && state != "vars" {
		if d.state == "children" {
			if err := p.addPendingChildren(name, 0); err != nil {
				return err
			}
		} else {
			delete(p.pending, name)
		}
	}
	p.group, p.state = name, state
	return nil
}

func (p *iniParser) addPending(name string, d *pendingDecl) {
	p.pending[name] = d
	p.pendingOrder = append(p.pendingOrder, name)
}

// addPendingChildren links a newly declared group to the parents that named
// it before, as ini.py's _add_pending_children.
func (p *iniParser) addPendingChildren(group string, depth int) error {
	if depth > len(p.pendingOrder) {
		return p.errorf("group %q: pending child declarations form a loop", group)
	}
	for _, parent := range p.pending[group].parents {
		if err := p.addChild(parent, group); err != nil {
			return err
		}
		if d := p.pending[parent]; d != nil && d.state == "children" {
			if err := p.addPendingChildren(parent, depth+1); err != nil {
				return err
			}
		}
	}
	delete(p.pending, group)
	return nil
}

func (p *iniParser) addChild(parent, child string) error {
	if parent == child {
		return p.errorf("group %q cannot be a child of itself", child)
	}
	if err := p.inv.AddChild(parent, child); err != nil {
		return &ParseError{File: p.file, Line: p.line, Err: err}
	}
	return nil
}

func (p *iniParser) hostLine(line string) error {
	tokens, err := shlexSplit(line)
	if err == nil && len(tokens) == 0 {
		err = errors.New("no host")
	}
	if err != nil {
		return p.errorf("error parsing host definition %q: %v", line, err)
	}
	pattern := tokens[0]
	hosts, port, err := expandHostPattern(pattern)
	if err != nil {
		return p.errorf("host pattern %q: %v", pattern, err)
	}
	if port == nil && strings.HasSuffix(strings.TrimFunc(pattern, pycompat.IsSpace), ":") {
		return p.errorf("invalid host pattern %q: it ends in ':', which is reserved to give a port", pattern)
	}
	for _, h := range hosts {
		if strings.TrimFunc(h, pycompat.IsSpace) == "---" {
			return p.errorf("invalid host pattern %q: '---' is normally a sign this is a YAML file", pattern)
		}
	}
	vars := make(model.Map, 0, len(tokens)-1)
	for _, t := range tokens[1:] {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return p.errorf("expected key=value host variable, got %q", t)
		}
		val, err := p.value(v)
		if err != nil {
			return err
		}
		if err := checkSize(p.file, p.line, k, val); err != nil {
			return err
		}
		vars.Set(k, val)
	}
	for _, name := range hosts {
		if err := model.ValidateName(name); err != nil {
			return p.errorf("host name %s: %v", quoteName(name), err)
		}
		h := p.inv.Host(name)
		if h == nil {
			h = p.inv.AddHost(name)
			h.Source = p.source()
			// Ansible's Host(name, port) sets the pattern's port only on a
			// new host, and not when it is 0; the line's vars come after.
			if port != nil && port.Sign() != 0 {
				p.setHostVar(h, "ansible_port", bigValue(port), len(vars)+1)
			}
		}
		p.members.add(p.inv, p.group, name)
		// InventoryData.set_variable looks the name up among groups
		// first: on a host named like a group, the line's vars are the
		// group's ([localhost] then "localhost ansible_connection=local").
		g := p.inv.Group(name)
		for _, e := range vars {
			v := e.Value
			if len(hosts) > 1 {
				v = model.CloneValue(v)
			}
			if g != nil {
				if err := p.setGroupVar(g, e.Key, v); err != nil {
					return err
				}
				continue
			}
			p.setHostVar(h, e.Key, v, len(vars))
		}
	}
	return nil
}

func (p *iniParser) setHostVar(h *model.Host, key string, v model.Value, n int) {
	if h.Vars == nil {
		h.Vars = make(model.Map, 0, n)
	}
	h.Vars.Set(key, v)
	if h.VarSources == nil {
		h.VarSources = make(map[string]string, n)
	}
	h.VarSources[key] = p.source()
}

func (p *iniParser) varLine(line string) error {
	k, v, ok := strings.Cut(line, "=")
	if !ok {
		return p.errorf("expected key=value, got %q", line)
	}
	k, v = strings.TrimFunc(k, pycompat.IsSpace), strings.TrimFunc(v, pycompat.IsSpace)
	val, err := p.value(v)
	if err != nil {
		return err
	}
	if err := checkSize(p.file, p.line, k, val); err != nil {
		return err
	}
	return p.setGroupVar(p.inv.Group(p.group), k, val)
}

// setGroupVar is Group.set_variable: ansible_group_priority sets the
// priority, anything else a var.
func (p *iniParser) setGroupVar(g *model.Group, k string, val model.Value) error {
	if k == model.PriorityVar {
		prio, err := pyIntValue(val)
		if err != nil {
			return p.errorf("%s: %v", model.PriorityVar, err)
		}
		g.Priority = prio
		return nil
	}
	g.Vars.Set(k, val)
	if g.VarSources == nil {
		g.VarSources = map[string]string{}
	}
	g.VarSources[k] = p.source()
	return nil
}

func (p *iniParser) childLine(line string) error {
	child, ok := matchGroupName(line)
	if !ok {
		return p.errorf("expected a group name, got %q", line)
	}
	if err := model.ValidateGroupName(child); err != nil {
		return p.errorf("group name %s: %v", quoteName(child), err)
	}
	if p.inv.Group(child) != nil {
		return p.addChild(p.group, child)
	}
	if d := p.pending[child]; d != nil {
		d.parents = append(d.parents, p.group)
	} else {
		p.addPending(child, &pendingDecl{line: p.line, state: "children", parents: []string{p.group}})
	}
	return nil
}

// finish reports the first group that was named but never declared.
func (p *iniParser) finish() error {
	for _, name := range p.pendingOrder {
		switch d := p.pending[name]; {
		case d == nil:
		case d.state == "vars":
			return errorf(p.file, d.line, "[%s:vars] names a group that is never declared (as [%s] or [%s:children])", name, name, name)
		default:
			return errorf(p.file, d.line, "[%s:children] names group %q, which is never declared", d.parents[len(d.parents)-1], name)
		}
	}
	return nil
}

// value is ini.py's _parse_value: the literal, or the text itself when it is
// not one. Python errors other than SyntaxError and ValueError fail the parse
// in Ansible, and here.
func (p *iniParser) value(s string) (model.Value, error) {
	v, err := pycompat.ParseLiteral(s)
	if err == nil {
		return v, nil
	}
	if errors.Is(err, pycompat.ErrNotLiteral) {
		return s, nil
	}
	return nil, p.errorf("value %s: %v", pycompat.Repr(s), err)
}

// pyIntValue is Python's int(value), as Group.set_variable applies it to
// ansible_group_priority.
func pyIntValue(v model.Value) (int, error) {
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, fmt.Errorf("cannot convert float %s to integer", model.FormatFloat(x))
		}
		if t := math.Trunc(x); t >= math.MinInt64 && t < math.MaxInt64 {
			return int(t), nil
		}
	case string:
		n, err := pyInt(x)
		if err != nil {
			return 0, err
		}
		if n.IsInt64() {
			return int(n.Int64()), nil
		}
	case *big.Int:
	default:
		name := map[bool]string{true: "list", false: "dict"}[v != nil && isList(v)]
		if v == nil {
			name = "NoneType"
		}
		return 0, fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not '%s'", name)
	}
	return 0, fmt.Errorf("%v is out of range for a priority", v)
}

func isList(v model.Value) bool {
	_, ok := v.([]model.Value)
	return ok
}

func bigValue(n *big.Int) model.Value {
	if n.IsInt64() {
		return n.Int64()
	}
	return new(big.Int).Set(n)
}

// matchSection matches ini.py's section pattern
// ^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:\#.*)?$ with Python's Unicode classes.
func matchSection(line string) (name, tag string, ok bool) {
	if line[0] != '[' {
		return "", "", false
	}
	i := 1 + strings.IndexFunc(line[1:]+"]", func(r rune) bool { return r == ':' || r == ']' || pycompat.IsSpace(r) })
	if i == 1 {
		return "", "", false
	}
	name = line[1:i]
	if i < len(line) && line[i] == ':' {
		j := i + 1 + strings.IndexFunc(line[i+1:]+"]", func(r rune) bool { return !pyWord(r) })
		tag, i = line[i+1:j], j
		if tag == "" {
			return "", "", false
		}
	}
	if i >= len(line) || line[i] != ']' {
		return "", "", false
	}
	rest := strings.TrimLeftFunc(line[i+1:], pycompat.IsSpace)
	if rest != "" && rest[0] != '#' {
		return "", "", false
	}
	return name, tag, true
}

// matchGroupName matches ini.py's ^([^:\]\s]+)\s*(?:\#.*)?$, backtracking as
// Python does: in "a#b c" the name is "a".
func matchGroupName(line string) (string, bool) {
	end := strings.IndexFunc(line, func(r rune) bool { return r == ':' || r == ']' || pycompat.IsSpace(r) })
	if end < 0 {
		end = len(line)
	}
	if end == 0 {
		return "", false
	}
	name := line[:end]
	if rest := strings.TrimLeftFunc(line[end:], pycompat.IsSpace); rest == "" || rest[0] == '#' {
		return name, true
	}
	if i := strings.LastIndexByte(name, '#'); i > 0 {
		return name[:i], true
	}
	return "", false
}

// pyWord is Python's \w for str patterns.
func pyWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// shlexSplit is Python's shlex.split(s, comments=True): POSIX quoting, and
// '#' ends the line even inside a word.
func shlexSplit(s string) ([]string, error) {
	tokens := make([]string, 0, 8)
	var tok []byte
	state, escState := byte(' '), byte(0)
	// A word ends at whitespace or '#'; it is emitted even when empty, since
	// only a quote ("") can leave a word empty. A word without quotes or
	// escapes is s[start:end], which saves a copy.
	start, plain := 0, true
	emit := func(end int) {
		if plain {
			tokens = append(tokens, s[start:end])
		} else {
			tokens = append(tokens, string(tok))
		}
		tok, plain = tok[:0], true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case ' ', 'a':
			switch c {
			case ' ', '\t', '\r', '\n':
				if state == 'a' {
					emit(i)
				}
				state = ' '
			case '#':
				if state == 'a' {
					emit(i)
				}
				return tokens, nil
			case '\\':
				escState, state, plain = 'a', '\\', false
			case '\'', '"':
				state, plain = c, false
			default:
				if state == ' ' {
					start = i
				}
				tok, state = append(tok, c), 'a'
			}
		case '\'', '"':
			switch {
			case c == state:
				state = 'a'
			case c == '\\' && state == '"':
				escState, state = '"', '\\'
			default:
				tok = append(tok, c)
			}
		case '\\':
			// Inside double quotes only \\ and \" are escapes.
			if escState == '"' && c != '\\' && c != '"' {
				tok = append(tok, '\\')
			}
			tok, state = append(tok, c), escState
		}
	}
	switch state {
	case '\'', '"':
		return nil, errors.New("no closing quotation")
	case '\\':
		return nil, errors.New("no escaped character")
	case 'a':
		emit(len(s))
	}
	return tokens, nil
}
