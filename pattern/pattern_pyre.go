package pattern

// Python regular expressions (the re module of Python 3.11, the one that
// runs Ansible) for host patterns that start with '~'. Ansible compiles
// them with re.compile and keeps the names re.match accepts: a match at the
// start. They are parsed here as re's _parser.py parses them, with its
// errors, and written out for github.com/dlclark/regexp2, a backtracking
// engine in the syntax of .NET, which has every construct Python's has:
// lookahead and lookbehind, backreferences, atomic groups, conditionals.
// Nothing is left to where .NET and Python differ: every group is named
// after its Python number (.NET numbers named groups last), \d \w \s and
// \b are written as the classes Python means (Unicode, or ASCII under the a
// flag), '^' '$' '.' with the m and s flags explicit, and the i flag is
// applied here, character by character, as Python's sre applies it (a
// character's lower case, plus the extra cases of re/_casefix.py), not by
// the engine. Verbose (x) patterns lose their whitespace and comments here.
//
// What is refused, with a message saying so: the L flag (Python refuses it
// for str patterns too), the t (TEMPLATE) flag, and repeat counts above
// 2147483647 (Python allows up to 4294967294).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/dlclark/regexp2"

	"github.com/kook-project/kook/internal/pycompat"
)

// pyMaxRepeat is sre's MAXREPEAT.
const pyMaxRepeat = 1<<32 - 1

// pyMaxCount is the largest repeat count regexp2 takes.
const pyMaxCount = 1<<31 - 1

// pyRegexp is a compiled Python regular expression, matched as re.match
// matches: at the start of the name.
type pyRegexp struct {
	re  *regexp2.Regexp
	src string // the Python pattern
}

// MatchString reports whether re.match(pattern, s) matches.
func (r *pyRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r *pyRegexp) String() string { return r.re.String() }

// compilePython compiles a Python regular expression.
func compilePython(py string) (*pyRegexp, error) {
	p := &pyParser{rs: []rune(py), names: map[string]int{}, widths: []pyWidth{{}}, open: []bool{false}, lookbehind: -1}
	out, _, err := p.sub(pyFlags{}, 0)
	if err == nil && p.i < len(p.rs) {
		err = fmt.Errorf("unbalanced parenthesis")
	}
	if err != nil {
		return nil, err
	}
	for g := range p.condRefs {
		if g >= len(p.widths) {
			return nil, fmt.Errorf("invalid group reference %d", g)
		}
	}
	re, err := regexp2.Compile(`\A(?:`+out+`)`, regexp2.None)
	if err != nil {
		// A construct kook writes wrongly, not the user's mistake.
		return nil, fmt.Errorf("kook cannot translate it for regexp2 (%v)", err)
	}
	return &pyRegexp{re: re, src: py}, nil
}

// pyFlags are the inline flags in force.
type pyFlags struct {
	i, m, s, x, a bool
}

// pyWidth is a subpattern's (min, max) width, as getwidth computes it.
type pyWidth struct{ lo, hi int64 }

func (w pyWidth) plus(o pyWidth) pyWidth {
	return pyWidth{min(w.lo+o.lo, pyMaxRepeat-1), min(w.hi+o.hi, pyMaxRepeat)}
}

type pyParser struct {
	rs         []rune
	i          int
	global     pyFlags        // flags set by (?...) at the start
	widths     []pyWidth      // per group number (0 unused)
	open       []bool         // per group number: still open
	names      map[string]int // group names
	lookbehind int            // state.lookbehindgroups, -1 outside a lookbehind
	condRefs   map[int]bool   // groups named by a conditional by number
}

func (p *pyParser) more() bool { return p.i < len(p.rs) }

func (p *pyParser) peek() rune {
	if p.i < len(p.rs) {
		return p.rs[p.i]
	}
	return -1
}

func (p *pyParser) match(r rune) bool {
	if p.peek() == r {
		p.i++
		return true
	}
	return false
}

// pyItem is one item of a sequence: its .NET text, width and kind.
type pyItem struct {
	out  string
	w    pyWidth
	kind byte // 'a': an assertion at a position (^, $, \b...); 'r': a repeat; 0: other
}

// sub is _parse_sub: alternatives separated by '|'.
func (p *pyParser) sub(f pyFlags, nested int) (string, pyWidth, error) {
	var alts []string
	var w pyWidth
	for first := true; ; first = false {
		out, aw, err := p.seq(&f, nested, nested == 0 && first)
		if err != nil {
			return "", w, err
		}
		if first {
			w = aw
		} else {
			w = pyWidth{min(w.lo, aw.lo), max(w.hi, aw.hi)}
		}
		alts = append(alts, out)
		if !p.match('|') {
			break
		}
	}
	if len(alts) == 1 {
		return alts[0], w, nil
	}
	return "(?:" + strings.Join(alts, "|") + ")", w, nil
}

// seq is _parse: items up to '|', ')' or the end. first says global flags
// may come (the start of the expression).
func (p *pyParser) seq(f *pyFlags, nested int, first bool) (string, pyWidth, error) {
	var items []pyItem
	for p.more() {
		c := p.peek()
		if c == '|' || c == ')' {
			break
		}
		p.i++
		if f.x {
			if strings.ContainsRune(" \t\n\r\v\f", c) {
				continue
			}
			if c == '#' {
				for p.more() && p.rs[p.i] != '\n' {
					p.i++
				}
				continue
			}
		}
		switch c {
		case '\\':
			it, err := p.escape(*f)
			if err != nil {
				return "", pyWidth{}, err
			}
			items = append(items, it)
		case '[':
			out, err := p.class(*f)
			if err != nil {
				return "", pyWidth{}, err
			}
			items = append(items, pyItem{out: out, w: pyWidth{1, 1}})
		case '*', '+', '?', '{':
			if c == '{' && p.peek() == '}' {
				items = append(items, pyItem{out: p.lit('{', *f), w: pyWidth{1, 1}})
				continue
			}
			lo, hi, ok, err := p.repeatCounts(c)
			if err != nil {
				return "", pyWidth{}, err
			}
			if !ok {
				items = append(items, pyItem{out: p.lit('{', *f), w: pyWidth{1, 1}})
				continue
			}
			if len(items) == 0 || items[len(items)-1].kind == 'a' {
				return "", pyWidth{}, fmt.Errorf("nothing to repeat")
			}
			last := &items[len(items)-1]
			if last.kind == 'r' {
				return "", pyWidth{}, fmt.Errorf("multiple repeat")
			}
			q := "*"
			switch {
			case lo == 0 && hi == pyMaxRepeat:
			case lo == 1 && hi == pyMaxRepeat:
				q = "+"
			case lo == 0 && hi == 1:
				q = "?"
			case hi == pyMaxRepeat:
				q = fmt.Sprintf("{%d,}", lo)
			case lo == hi:
				q = fmt.Sprintf("{%d}", lo)
			default:
				q = fmt.Sprintf("{%d,%d}", lo, hi)
			}
			out := "(?:" + last.out + ")" + q
			switch {
			case p.match('?'):
				out += "?" // lazy
			case p.match('+'):
				out = "(?>" + out + ")" // possessive: an atomic group
			}
			wlo := min(last.w.lo*lo, pyMaxRepeat-1)
			whi := int64(pyMaxRepeat)
			if last.w.hi == 0 || hi < pyMaxRepeat && last.w.hi < pyMaxRepeat {
				whi = min(last.w.hi*hi, pyMaxRepeat)
			}
			*last = pyItem{out: out, w: pyWidth{wlo, whi}, kind: 'r'}
		case '.':
			if f.s {
				items = append(items, pyItem{out: `(?s:.)`, w: pyWidth{1, 1}})
			} else {
				items = append(items, pyItem{out: `(?-s:.)`, w: pyWidth{1, 1}})
			}
		case '^':
			if f.m {
				items = append(items, pyItem{out: `(?m:^)`, kind: 'a'})
			} else {
				items = append(items, pyItem{out: `\A`, kind: 'a'})
			}
		case '$':
			// Python's '$' also matches before a final newline, as .NET's does.
			if f.m {
				items = append(items, pyItem{out: `(?m:$)`, kind: 'a'})
			} else {
				items = append(items, pyItem{out: `(?-m:$)`, kind: 'a'})
			}
		case '(':
			it, global, err := p.group(f, nested, first && len(items) == 0)
			if err != nil {
				return "", pyWidth{}, err
			}
			if global {
				continue
			}
			if it.out != "" || it.kind != 'c' {
				items = append(items, it)
			}
		default:
			items = append(items, pyItem{out: p.lit(c, *f), w: pyWidth{1, 1}})
		}
	}
	var b strings.Builder
	var w pyWidth
	for _, it := range items {
		b.WriteString(it.out)
		w = w.plus(it.w)
	}
	return b.String(), w, nil
}

// repeatCounts reads a quantifier's counts; for '{' ok false means the '{'
// is a literal (and nothing was consumed).
func (p *pyParser) repeatCounts(c rune) (lo, hi int64, ok bool, err error) {
	switch c {
	case '*':
		return 0, pyMaxRepeat, true, nil
	case '+':
		return 1, pyMaxRepeat, true, nil
	case '?':
		return 0, 1, true, nil
	}
	start := p.i
	digits := func() string {
		s := p.i
		for p.more() && '0' <= p.rs[p.i] && p.rs[p.i] <= '9' {
			p.i++
		}
		return string(p.rs[s:p.i])
	}
	los := digits()
	his := los
	if p.match(',') {
		his = digits()
	}
	if !p.match('}') {
		p.i = start
		return 0, 0, false, nil
	}
	lo, hi = 0, pyMaxRepeat
	parse := func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n >= pyMaxRepeat {
			return 0, fmt.Errorf("the repetition number is too large")
		}
		if n > pyMaxCount {
			return 0, fmt.Errorf("repeat counts above %d are not supported", pyMaxCount)
		}
		return n, nil
	}
	if los != "" {
		if lo, err = parse(los); err != nil {
			return 0, 0, false, err
		}
	}
	if his != "" {
		if hi, err = parse(his); err != nil {
			return 0, 0, false, err
		}
		if hi < lo {
			return 0, 0, false, fmt.Errorf("min repeat greater than max repeat")
		}
	}
	return lo, hi, true, nil
}

// group reads what follows '(' as _parse does. global reports inline
// global flags, which produce no item; an item of kind 'c' and no text is
// a comment.
func (p *pyParser) group(f *pyFlags, nested int, first bool) (it pyItem, global bool, err error) {
	capture, atomic, name := true, false, ""
	inner := *f
	if p.match('?') {
		if !p.more() {
			return it, false, fmt.Errorf("unexpected end of pattern")
		}
		c := p.rs[p.i]
		p.i++
		switch {
		case c == 'P' && p.match('<'):
			name, err = p.until('>', "group name")
			if err != nil {
				return it, false, err
			}
			if !patIsIdentifier(name) {
				return it, false, fmt.Errorf("bad character in group name %q", name)
			}
		case c == 'P' && p.match('='):
			name, err = p.until(')', "group name")
			if err != nil {
				return it, false, err
			}
			if !patIsIdentifier(name) {
				return it, false, fmt.Errorf("bad character in group name %q", name)
			}
			g, ok := p.names[name]
			if !ok {
				return it, false, fmt.Errorf("unknown group name %q", name)
			}
			it, err = p.groupRef(g, *f)
			return it, false, err
		case c == 'P':
			if !p.more() {
				return it, false, fmt.Errorf("unexpected end of pattern")
			}
			return it, false, fmt.Errorf("unknown extension ?P%c", p.rs[p.i])
		case c == ':':
			capture = false
		case c == '#':
			for {
				if !p.more() {
					return it, false, fmt.Errorf("missing ), unterminated comment")
				}
				p.i++
				if p.rs[p.i-1] == ')' {
					return pyItem{kind: 'c'}, false, nil
				}
			}
		case c == '=' || c == '!' || c == '<':
			behind := false
			if c == '<' {
				if !p.more() {
					return it, false, fmt.Errorf("unexpected end of pattern")
				}
				c = p.rs[p.i]
				p.i++
				if c != '=' && c != '!' {
					return it, false, fmt.Errorf("unknown extension ?<%c", c)
				}
				behind = true
			}
			outer := p.lookbehind
			if behind && outer < 0 {
				p.lookbehind = len(p.widths)
			}
			body, w, err := p.sub(*f, nested+1)
			p.lookbehind = outer
			if err != nil {
				return it, false, err
			}
			if !p.match(')') {
				return it, false, fmt.Errorf("missing ), unterminated subpattern")
			}
			if behind && w.lo != w.hi {
				return it, false, fmt.Errorf("look-behind requires fixed-width pattern")
			}
			op := map[[2]bool]string{{false, true}: "(?=", {false, false}: "(?!", {true, true}: "(?<=", {true, false}: "(?<!"}[[2]bool{behind, c == '='}]
			return pyItem{out: op + body + ")"}, false, nil
		case c == '(':
			return p.conditional(f, nested)
		case c == '>':
			capture, atomic = false, true
		case strings.ContainsRune("aiLmsxtu-", c):
			add, del, isGlobal, err := p.flags(c)
			if err != nil {
				return it, false, err
			}
			if isGlobal {
				if !first {
					return it, false, fmt.Errorf("global flags not at the start of the expression")
				}
				p.global = p.global.with(add, "")
				*f = f.with(add, "")
				return it, true, nil
			}
			inner = f.with(add, del)
			capture = false
		default:
			return it, false, fmt.Errorf("unknown extension ?%c", c)
		}
	}
	g := 0
	if capture {
		if name != "" {
			if old, ok := p.names[name]; ok {
				return it, false, fmt.Errorf("redefinition of group name %q as group %d; was group %d", name, len(p.widths), old)
			}
			p.names[name] = len(p.widths)
		}
		g = len(p.widths)
		p.widths = append(p.widths, pyWidth{})
		p.open = append(p.open, true)
	}
	body, w, err := p.sub(inner, nested+1)
	if err != nil {
		return it, false, err
	}
	if !p.match(')') {
		return it, false, fmt.Errorf("missing ), unterminated subpattern")
	}
	switch {
	case capture:
		p.widths[g], p.open[g] = w, false
		return pyItem{out: fmt.Sprintf("(?<g%d>%s)", g, body), w: w}, false, nil
	case atomic:
		return pyItem{out: "(?>" + body + ")", w: w}, false, nil
	}
	return pyItem{out: "(?:" + body + ")", w: w}, false, nil
}

// conditional reads (?(group)yes|no) after its "(?(".
func (p *pyParser) conditional(f *pyFlags, nested int) (pyItem, bool, error) {
	name, err := p.until(')', "group name")
	if err != nil {
		return pyItem{}, false, err
	}
	var g int
	if patIsIdentifier(name) {
		var ok bool
		if g, ok = p.names[name]; !ok {
			return pyItem{}, false, fmt.Errorf("unknown group name %q", name)
		}
	} else {
		n, err := strconv.Atoi(name)
		switch {
		case err != nil || n < 0 || strings.ContainsAny(name, "+-_ "):
			return pyItem{}, false, fmt.Errorf("bad character in group name %q", name)
		case n == 0:
			return pyItem{}, false, fmt.Errorf("bad group number")
		case n >= 100:
			return pyItem{}, false, fmt.Errorf("invalid group reference %d", n)
		}
		g = n
		if p.condRefs == nil {
			p.condRefs = map[int]bool{}
		}
		p.condRefs[g] = true
	}
	if err := p.checkLookbehind(g); err != nil {
		return pyItem{}, false, err
	}
	yes, wy, err := p.seq(f, nested+1, false)
	if err != nil {
		return pyItem{}, false, err
	}
	out := fmt.Sprintf("(?(g%d)%s", g, yes)
	w := pyWidth{0, wy.hi}
	if p.match('|') {
		no, wn, err := p.seq(f, nested+1, false)
		if err != nil {
			return pyItem{}, false, err
		}
		if p.peek() == '|' {
			return pyItem{}, false, fmt.Errorf("conditional backref with more than two branches")
		}
		out += "|" + no
		w = pyWidth{min(wy.lo, wn.lo), max(wy.hi, wn.hi)}
	} else {
		out += "|"
	}
	if !p.match(')') {
		return pyItem{}, false, fmt.Errorf("missing ), unterminated subpattern")
	}
	return pyItem{out: out + ")", w: w}, false, nil
}

// groupRef is a backreference to group g.
func (p *pyParser) groupRef(g int, f pyFlags) (pyItem, error) {
	if g >= len(p.widths) || p.open[g] {
		return pyItem{}, fmt.Errorf("cannot refer to an open group")
	}
	if err := p.checkLookbehind(g); err != nil {
		return pyItem{}, err
	}
	out := fmt.Sprintf(`\k<g%d>`, g)
	if f.i {
		// Python compares the lower cases of the two, as .NET does.
		out = "(?i:" + out + ")"
	}
	return pyItem{out: out, w: p.widths[g]}, nil
}

// checkLookbehind is state.checklookbehindgroup.
func (p *pyParser) checkLookbehind(g int) error {
	if p.lookbehind < 0 {
		return nil
	}
	if g >= len(p.widths) || p.open[g] {
		return fmt.Errorf("cannot refer to an open group")
	}
	if g >= p.lookbehind {
		return fmt.Errorf("cannot refer to group defined in the same lookbehind subpattern")
	}
	return nil
}

// until is source.getuntil: the text up to terminator, which must not be
// empty.
func (p *pyParser) until(term rune, what string) (string, error) {
	start := p.i
	for p.more() && p.rs[p.i] != term {
		p.i++
	}
	if !p.more() {
		return "", fmt.Errorf("missing %c, unterminated name", term)
	}
	s := string(p.rs[start:p.i])
	p.i++
	if s == "" {
		return "", fmt.Errorf("missing %s", what)
	}
	return s, nil
}

// with returns f with the flags in add turned on and those in del off.
func (f pyFlags) with(add, del string) pyFlags {
	set := func(flags string, on bool) {
		for _, c := range flags {
			switch c {
			case 'i':
				f.i = on
			case 'm':
				f.m = on
			case 's':
				f.s = on
			case 'x':
				f.x = on
			case 'a':
				f.a = on
			}
		}
	}
	set(add, true)
	set(del, false)
	return f
}

// flags is _parse_flags after "(?" and its first flag c: global reports
// "(?flags)", else the group is "(?add-del:...)".
func (p *pyParser) flags(c rune) (add, del string, global bool, err error) {
	const all = "aiLmsxtu"
	typeFlags := func(s string) int { return strings.Count(s, "a") + strings.Count(s, "u") + strings.Count(s, "L") }
	if c != '-' {
		for {
			switch c {
			case 'L':
				return "", "", false, fmt.Errorf("bad inline flag: cannot use 'L' flag with a str pattern")
			case 't':
				return "", "", false, fmt.Errorf("the t (TEMPLATE) flag is not supported")
			}
			if strings.ContainsRune("au", c) && typeFlags(add) > 0 && !strings.ContainsRune(add, c) {
				return "", "", false, fmt.Errorf("bad inline flag: flags 'a', 'u' and 'L' are incompatible")
			}
			add += string(c)
			if !p.more() {
				return "", "", false, fmt.Errorf("missing -, : or )")
			}
			c = p.rs[p.i]
			p.i++
			if strings.ContainsRune(")-:", c) {
				break
			}
			if !strings.ContainsRune(all, c) {
				return "", "", false, fmt.Errorf("unknown flag or missing -, : or )")
			}
		}
	}
	if c == ')' {
		return add, "", true, nil
	}
	if c == '-' {
		if !p.more() {
			return "", "", false, fmt.Errorf("missing flag")
		}
		c = p.rs[p.i]
		p.i++
		if !strings.ContainsRune(all, c) {
			return "", "", false, fmt.Errorf("unknown flag or missing flag")
		}
		for {
			if strings.ContainsRune("auL", c) {
				return "", "", false, fmt.Errorf("bad inline flag: cannot turn off flags 'a', 'u' and 'L'")
			}
			if c == 't' {
				return "", "", false, fmt.Errorf("bad inline flag: cannot turn off global flag")
			}
			del += string(c)
			if !p.more() {
				return "", "", false, fmt.Errorf("missing :")
			}
			c = p.rs[p.i]
			p.i++
			if c == ':' {
				break
			}
			if !strings.ContainsRune(all, c) {
				return "", "", false, fmt.Errorf("unknown flag or missing :")
			}
		}
	}
	if strings.ContainsAny(add, del) && del != "" {
		return "", "", false, fmt.Errorf("bad inline flag: flag turned on and off")
	}
	return add, del, false, nil
}

// escape is _escape: what follows a '\' outside a class.
func (p *pyParser) escape(f pyFlags) (pyItem, error) {
	if !p.more() {
		return pyItem{}, fmt.Errorf("bad escape (end of pattern)")
	}
	c := p.rs[p.i]
	p.i++
	one := func(out string) (pyItem, error) { return pyItem{out: out, w: pyWidth{1, 1}}, nil }
	switch c {
	case 'A':
		return pyItem{out: `\A`, kind: 'a'}, nil
	case 'Z':
		return pyItem{out: `\z`, kind: 'a'}, nil
	case 'b', 'B':
		return pyItem{out: pyBoundary(c == 'b', f.a), kind: 'a'}, nil
	case 'd', 'D', 's', 'S', 'w', 'W':
		body, neg := pyCategory(c, f.a)
		if neg {
			return one("[^" + body + "]")
		}
		return one("[" + body + "]")
	}
	if '1' <= c && c <= '9' || c == '0' {
		if c == '0' {
			end := p.i
			for end < len(p.rs) && end < p.i+2 && patIsOct(p.rs[end]) {
				end++
			}
			r, _ := patOctal(p.rs[p.i-1 : end])
			p.i = end
			return one(p.lit(r, f))
		}
		digits := string(c)
		if p.more() && '0' <= p.rs[p.i] && p.rs[p.i] <= '9' {
			digits += string(p.rs[p.i])
			p.i++
			if patIsOct(rune(digits[0])) && patIsOct(rune(digits[1])) && p.more() && patIsOct(p.rs[p.i]) {
				p.i++
				r, err := patOctal([]rune(digits + string(p.rs[p.i-1])))
				if err != nil {
					return pyItem{}, err
				}
				return one(p.lit(r, f))
			}
		}
		g, _ := strconv.Atoi(digits)
		if g < len(p.widths) {
			return p.groupRef(g, f)
		}
		return pyItem{}, fmt.Errorf("invalid group reference %d", g)
	}
	if c == 'N' {
		r, err := p.namedEscape()
		if err != nil {
			return pyItem{}, err
		}
		return one(p.lit(r, f))
	}
	r, next, err := patEscapeRune(p.rs, p.i-1)
	if err != nil {
		return pyItem{}, err
	}
	p.i = next
	return one(p.lit(r, f))
}

// namedEscape reads {NAME} after \N: unicodedata.lookup(NAME).
func (p *pyParser) namedEscape() (rune, error) {
	if !p.match('{') {
		return 0, fmt.Errorf("missing {")
	}
	name, err := p.until('}', "character name")
	if err != nil {
		return 0, err
	}
	r, ok := pycompat.LookupName(name)
	if !ok {
		return 0, fmt.Errorf("undefined character name %q", name)
	}
	return r, nil
}

// pyClassPart is one member of a class: a range of characters, or a
// category (\d...) as a class body, negated or not.
type pyClassPart struct {
	lo, hi rune
	cat    string
	neg    bool
}

// class reads a character class after its '[', as _parse does.
func (p *pyParser) class(f pyFlags) (string, error) {
	negate := p.match('^')
	var parts []pyClassPart
	item := func() (pyClassPart, bool, error) { // a member, and whether it is one character
		c := p.rs[p.i]
		p.i++
		if c != '\\' {
			return pyClassPart{lo: c, hi: c}, true, nil
		}
		if !p.more() {
			return pyClassPart{}, false, fmt.Errorf("bad escape (end of pattern)")
		}
		e := p.rs[p.i]
		p.i++
		switch {
		case strings.ContainsRune("dDsSwW", e):
			body, neg := pyCategory(e, f.a)
			return pyClassPart{cat: body, neg: neg}, false, nil
		case e == 'b':
			return pyClassPart{lo: '\b', hi: '\b'}, true, nil
		case e == 'N':
			r, err := p.namedEscape()
			return pyClassPart{lo: r, hi: r}, true, err
		case patIsOct(e):
			end := p.i
			for end < len(p.rs) && end < p.i+2 && patIsOct(p.rs[end]) {
				end++
			}
			r, err := patOctal(p.rs[p.i-1 : end])
			p.i = end
			return pyClassPart{lo: r, hi: r}, true, err
		}
		r, next, err := patEscapeRune(p.rs, p.i-1)
		p.i = next
		return pyClassPart{lo: r, hi: r}, true, err
	}
	for {
		if !p.more() {
			return "", fmt.Errorf("unterminated character set")
		}
		if p.rs[p.i] == ']' && len(parts) > 0 {
			p.i++
			break
		}
		lo, single, err := item()
		if err != nil {
			return "", err
		}
		if p.match('-') {
			if !p.more() {
				return "", fmt.Errorf("unterminated character set")
			}
			if p.rs[p.i] == ']' {
				p.i++
				parts = append(parts, lo, pyClassPart{lo: '-', hi: '-'})
				break
			}
			hi, single2, err := item()
			if err != nil {
				return "", err
			}
			if !single || !single2 || hi.lo < lo.lo {
				return "", fmt.Errorf("bad character range")
			}
			parts = append(parts, pyClassPart{lo: lo.lo, hi: hi.lo})
			continue
		}
		parts = append(parts, lo)
	}
	return pyClassOut(parts, negate, f), nil
}

// lit writes the character r, as a class of its case variants under the
// i flag.
func (p *pyParser) lit(r rune, f pyFlags) string {
	if f.i {
		return pyClassOut([]pyClassPart{{lo: r, hi: r}}, false, f)
	}
	return pyChar(r)
}

// pyClassOut writes a class. Under the i flag, a character matches when
// its lower case is in the class or is the lower case of one of its
// members, or an extra case of such (re/_casefix.py): the members grow by
// every character that does. A class with a negated category (\W, \D, \S)
// is written as an alternation, which .NET classes cannot hold.
func pyClassOut(parts []pyClassPart, negate bool, f pyFlags) string {
	if f.i {
		parts = pyCaseParts(parts, f.a)
	}
	var plain strings.Builder
	var alts []string
	for _, pt := range parts {
		switch {
		case pt.cat != "" && pt.neg:
			alts = append(alts, "[^"+pt.cat+"]")
		case pt.cat != "":
			plain.WriteString(pt.cat)
		case pt.lo == pt.hi:
			plain.WriteString(pyChar(pt.lo))
		default:
			plain.WriteString(pyChar(pt.lo) + "-" + pyChar(pt.hi))
		}
	}
	if plain.Len() > 0 {
		alts = append(alts, "["+plain.String()+"]")
	}
	if !negate {
		if len(alts) == 1 {
			return alts[0]
		}
		return "(?:" + strings.Join(alts, "|") + ")"
	}
	if len(alts) == 1 && alts[0][1] != '^' {
		return "[^" + alts[0][1:]
	}
	return "(?!" + strings.Join(alts, "|") + ")(?s:.)"
}

// pyChar writes a character for .NET, inside a class or out: ASCII
// letters and digits as they are, other BMP characters as \uXXXX, others
// (never special) as they are.
func pyChar(r rune) string {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return string(r)
	case r <= 0xFFFF:
		return fmt.Sprintf(`\u%04X`, r)
	}
	return string(r)
}

// pyCategory is the class body of \d, \w, \s for .NET (Unicode, or ASCII
// under the a flag), and whether c is the negated form.
func pyCategory(c rune, ascii bool) (string, bool) {
	neg := unicode.IsUpper(c)
	switch unicode.ToLower(c) {
	case 'd':
		if ascii {
			return `0-9`, neg
		}
		return `\p{Nd}`, neg
	case 'w':
		if ascii {
			return `0-9A-Za-z_`, neg
		}
		return `\p{L}\p{N}_`, neg
	}
	if ascii {
		return `\u0009-\u000D\u0020`, neg
	}
	return `\u0009-\u000D\u001C-\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000`, neg
}

// pyBoundary is \b (or \B) with Python's word characters. Neither matches
// in an empty string, in Python.
func pyBoundary(b, ascii bool) string {
	w, _ := pyCategory('w', ascii)
	w = "[" + w + "]"
	if b {
		return "(?:(?<=" + w + ")(?!" + w + ")|(?<!" + w + ")(?=" + w + "))"
	}
	return "(?:(?<=" + w + ")(?=" + w + ")|(?<!" + w + ")(?!" + w + ")(?!\\A\\z))"
}

// pyCaseParts adds to a class the characters the i flag makes it match:
// every character whose lower case is a member's lower case or one of
// their extra cases. Under the a flag only ASCII letters have cases.
func pyCaseParts(parts []pyClassPart, ascii bool) []pyClassPart {
	in := func(r rune) bool {
		for _, pt := range parts {
			if pt.cat == "" && pt.lo <= r && r <= pt.hi {
				return true
			}
		}
		return false
	}
	lower := unicode.ToLower
	cased := pyCased()
	if ascii {
		lower = func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}
		cased = pyASCIICased
	}
	// The class's lower cases, with their extra cases.
	lowers := map[rune]bool{}
	addLower := func(l rune) {
		lowers[l] = true
		if !ascii {
			for _, x := range pyExtraCases[l] {
				lowers[x] = true
			}
		}
	}
	for _, r := range cased {
		if in(r) {
			addLower(lower(r))
		}
	}
	if !ascii {
		for l := range pyExtraCases {
			if in(l) {
				addLower(l)
			}
		}
	}
	member := func(r rune) bool { return in(r) || lowers[r] }
	var extra []rune
	for l := range lowers {
		if !in(l) {
			extra = append(extra, l)
		}
	}
	for _, r := range cased {
		if !in(r) && member(lower(r)) {
			extra = append(extra, r)
		}
	}
	slices.Sort(extra)
	out := slices.Clone(parts)
	for _, r := range slices.Compact(extra) {
		out = append(out, pyClassPart{lo: r, hi: r})
	}
	return out
}

// pyCased lists the characters whose lower case is another character.
var pyCased = sync.OnceValue(func() []rune {
	var out []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.ToLower(r) != r {
			out = append(out, r)
		}
	}
	return out
})

var pyASCIICased = func() []rune {
	out := make([]rune, 0, 26)
	for r := 'A'; r <= 'Z'; r++ {
		out = append(out, r)
	}
	return out
}()

// pyExtraCases is re/_casefix.py's _EXTRA_CASES (Python 3.11): lower-case
// characters that share an upper case with others, which the i flag
// matches too.
var pyExtraCases = map[rune][]rune{
	0x0069: {0x0131}, 0x0073: {0x017F}, 0x00B5: {0x03BC}, 0x0131: {0x0069}, 0x017F: {0x0073},
	0x0345: {0x03B9, 0x1FBE}, 0x0390: {0x1FD3}, 0x03B0: {0x1FE3}, 0x03B2: {0x03D0},
	0x03B5: {0x03F5}, 0x03B8: {0x03D1}, 0x03B9: {0x0345, 0x1FBE}, 0x03BA: {0x03F0},
	0x03BC: {0x00B5}, 0x03C0: {0x03D6}, 0x03C1: {0x03F1}, 0x03C2: {0x03C3}, 0x03C3: {0x03C2},
	0x03C6: {0x03D5}, 0x03D0: {0x03B2}, 0x03D1: {0x03B8}, 0x03D5: {0x03C6}, 0x03D6: {0x03C0},
	0x03F0: {0x03BA}, 0x03F1: {0x03C1}, 0x03F5: {0x03B5}, 0x0432: {0x1C80}, 0x0434: {0x1C81},
	0x043E: {0x1C82}, 0x0441: {0x1C83}, 0x0442: {0x1C84, 0x1C85}, 0x044A: {0x1C86},
	0x0463: {0x1C87}, 0x1C80: {0x0432}, 0x1C81: {0x0434}, 0x1C82: {0x043E}, 0x1C83: {0x0441},
	0x1C84: {0x0442, 0x1C85}, 0x1C85: {0x0442, 0x1C84}, 0x1C86: {0x044A}, 0x1C87: {0x0463},
	0x1C88: {0xA64B}, 0x1E61: {0x1E9B}, 0x1E9B: {0x1E61}, 0x1FBE: {0x0345, 0x03B9},
	0x1FD3: {0x0390}, 0x1FE3: {0x03B0}, 0xA64B: {0x1C88}, 0xFB05: {0xFB06}, 0xFB06: {0xFB05},
}

// patIsIdentifier is str.isidentifier (XID_Start then XID_Continue, near
// enough: letters, letter numbers and '_', then also marks, digits and
// connectors).
func patIsIdentifier(s string) bool {
	for k, r := range s {
		start := r == '_' || unicode.IsLetter(r) || unicode.In(r, unicode.Nl, unicode.Other_ID_Start)
		if !start && (k == 0 || !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc, unicode.Other_ID_Continue)) {
			return false
		}
	}
	return s != ""
}
