package pattern

// Translation of the two pattern languages Ansible host patterns use into
// Go regexps: shell globs (fnmatch.translate) and Python regular
// expressions (the re module), refusing what RE2 cannot express.

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// patGlob is fnmatch.translate as an RE2 body, matched whole: '*' is any
// run, '?' any character, and '[...]' becomes the Python class fnmatch
// writes (ranges that would be empty removed, '!' negating), read as Python
// reads it.
func patGlob(pat string) (string, error) {
	rs := []rune(pat)
	var b strings.Builder
	for i, n := 0, len(rs); i < n; {
		c := rs[i]
		i++
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i
			if j < n && rs[j] == '!' {
				j++
			}
			if j < n && rs[j] == ']' {
				j++
			}
			for j < n && rs[j] != ']' {
				j++
			}
			if j >= n {
				b.WriteString(`\[`)
				continue
			}
			cls, err := patGlobClass(rs, i, j)
			if err != nil {
				return "", err
			}
			b.WriteString(cls)
			i = j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), nil
}

// patGlobClass translates the glob class rs[i:j] as fnmatch.translate does.
func patGlobClass(rs []rune, i, j int) (string, error) {
	esc := strings.NewReplacer(`\`, `\\`, `-`, `\-`)
	var stuff string
	if !slices.Contains(rs[i:j], '-') {
		stuff = strings.ReplaceAll(string(rs[i:j]), `\`, `\\`)
	} else {
		var chunks [][]rune
		k := i + 1
		if rs[i] == '!' {
			k = i + 2
		}
		for {
			k = patIndex(rs, '-', k, j)
			if k < 0 {
				break
			}
			chunks = append(chunks, append([]rune(nil), rs[i:k]...))
			i = k + 1
			k += 3
		}
		if i < j {
			chunks = append(chunks, append([]rune(nil), rs[i:j]...))
		} else {
			chunks[len(chunks)-1] = append(chunks[len(chunks)-1], '-')
		}
		// Drop ranges whose ends are reversed, with their ends.
		for k := len(chunks) - 1; k > 0; k-- {
			a, b := chunks[k-1], chunks[k]
			if len(a) > 0 && len(b) > 0 && a[len(a)-1] > b[0] {
				chunks[k-1] = append(append([]rune(nil), a[:len(a)-1]...), b[1:]...)
				chunks = append(chunks[:k], chunks[k+1:]...)
			}
		}
		parts := make([]string, len(chunks))
		for n, c := range chunks {
			parts[n] = esc.Replace(string(c))
		}
		stuff = strings.Join(parts, "-")
	}
	stuff = strings.NewReplacer("&", `\&`, "~", `\~`, "|", `\|`).Replace(stuff)
	switch {
	case stuff == "":
		return `[^\x00-\x{10FFFF}]`, nil // matches nothing
	case stuff == "!":
		return ".", nil
	case stuff[0] == '!':
		stuff = "^" + stuff[1:]
	case stuff[0] == '^' || stuff[0] == '[':
		stuff = `\` + stuff
	}
	cls, _, err := patClass([]rune(stuff+"]"), 0, false)
	return cls, err
}

// patIndex is str.find(r, from, to) on runes.
func patIndex(rs []rune, r rune, from, to int) int {
	to = min(to, len(rs))
	if from < to {
		if i := slices.Index(rs[from:to], r); i >= 0 {
			return from + i
		}
	}
	return -1
}

// patRegex translates a Python regular expression (re module, str
// pattern) into RE2 syntax with the same meaning, or says why it cannot:
// backreferences, lookaround, atomic groups, possessive quantifiers,
// conditionals and the x and scoped a flags have no RE2 equivalent. \d, \w
// and \s keep Python's Unicode meaning; \b stays ASCII-based, and '$' does
// not also match before a final newline as Python's does.
func patRegex(py string) (string, error) {
	rs := []rune(py)
	var b strings.Builder
	ascii := false
	names := map[string]bool{}
	atStart := true // only global flags so far
	quant := false  // the last token was a quantifier
	for i := 0; i < len(rs); {
		c := rs[i]
		i++
		wasQuant, start := quant, atStart
		quant, atStart = false, false
		switch c {
		case '\\':
			s, next, err := patEscape(rs, i, ascii)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i = next
		case '[':
			s, next, err := patClass(rs, i, ascii)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i = next
		case '(':
			if i >= len(rs) || rs[i] != '?' {
				b.WriteByte('(')
				continue
			}
			if i+1 < len(rs) && rs[i+1] == '#' {
				// A comment is not there at all: a quantifier after it
				// applies to what came before.
				end := patIndex(rs, ')', i, len(rs))
				if end < 0 {
					return "", fmt.Errorf("missing ), unterminated comment")
				}
				i, quant, atStart = end+1, wasQuant, start
				continue
			}
			s, next, global, err := patGroup(rs, i+1, names)
			if err != nil {
				return "", err
			}
			if global != "" {
				if !start {
					return "", fmt.Errorf("global flags not at the start of the expression")
				}
				atStart = true
				ascii = ascii || strings.Contains(global, "a")
			}
			b.WriteString(s)
			i = next
		case '*', '+', '?':
			switch {
			case wasQuant && c == '+':
				return "", fmt.Errorf("possessive quantifiers are not supported")
			case wasQuant && c == '?':
				b.WriteByte('?') // lazy
			default:
				b.WriteRune(c)
				quant = true
			}
		case '{':
			s, next, ok, err := patRepeat(rs, i)
			if err != nil {
				return "", err
			}
			if !ok {
				b.WriteString(`\{`)
				continue
			}
			if wasQuant {
				return "", fmt.Errorf("multiple repeat")
			}
			b.WriteString(s)
			i, quant = next, true
		case '^', '$', '.', '|', ')':
			b.WriteRune(c)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), nil
}

// patGroup reads what follows "(?" at rs[i:]: it returns the RE2 opening,
// or for global flags "(?i)" the flags themselves.
func patGroup(rs []rune, i int, names map[string]bool) (s string, next int, global string, err error) {
	if i >= len(rs) {
		return "", 0, "", fmt.Errorf("unexpected end of pattern")
	}
	c := rs[i]
	i++
	switch {
	case c == ':':
		return "(?:", i, "", nil
	case c == 'P' && i < len(rs) && rs[i] == '<':
		end := patIndex(rs, '>', i+1, len(rs))
		if end < 0 {
			return "", 0, "", fmt.Errorf("missing >, unterminated name")
		}
		name := string(rs[i+1 : end])
		if !patIsIdentifier(name) {
			return "", 0, "", fmt.Errorf("bad character in group name %q", name)
		}
		if names[name] {
			return "", 0, "", fmt.Errorf("redefinition of group name %q", name)
		}
		names[name] = true
		return "(", end + 1, "", nil // captures are never read
	case c == 'P' && i < len(rs) && rs[i] == '=':
		return "", 0, "", fmt.Errorf("backreferences are not supported")
	case c == '=' || c == '!' || c == '<' && i < len(rs) && (rs[i] == '=' || rs[i] == '!'):
		return "", 0, "", fmt.Errorf("lookahead and lookbehind are not supported")
	case c == '>':
		return "", 0, "", fmt.Errorf("atomic groups are not supported")
	case c == '(':
		return "", 0, "", fmt.Errorf("conditional groups are not supported")
	case strings.ContainsRune("aiLmsxtu-", c):
		return patFlags(rs, i-1)
	}
	return "", 0, "", fmt.Errorf("unknown extension ?%c", c)
}

// patFlags reads inline flags at rs[i:], as _parse_flags does.
func patFlags(rs []rune, i int) (s string, next int, global string, err error) {
	var on, off strings.Builder
	cur := &on
	for ; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == ')' && cur == &on:
			g := on.String()
			if g == "" {
				return "", 0, "", fmt.Errorf("missing flag")
			}
			if strings.ContainsAny(g, "Lxt") {
				return "", 0, "", fmt.Errorf("inline flags %q are not supported", g)
			}
			f := strings.NewReplacer("a", "", "u", "").Replace(g)
			if strings.Contains(g, "a") && strings.Contains(g, "u") {
				return "", 0, "", fmt.Errorf("bad inline flag: flags 'a', 'u' and 'L' are incompatible")
			}
			if f != "" {
				s = "(?" + f + ")"
			}
			return s, i + 1, g, nil
		case c == ':':
			add, del := on.String(), off.String()
			if cur == &off && del == "" {
				return "", 0, "", fmt.Errorf("missing flag")
			}
			if strings.ContainsAny(add+del, "Lxta") || strings.Contains(del, "u") {
				return "", 0, "", fmt.Errorf("inline flags %q are not supported", add+"-"+del)
			}
			if strings.ContainsAny(add, del) {
				return "", 0, "", fmt.Errorf("bad inline flag: flag turned on and off")
			}
			f := strings.ReplaceAll(add, "u", "")
			if del != "" {
				f += "-" + del
			}
			return "(?" + f + ":", i + 1, "", nil
		case c == '-' && cur == &on:
			cur = &off
		case strings.ContainsRune("aiLmsxtu", c):
			cur.WriteRune(c)
		default:
			return "", 0, "", fmt.Errorf("unknown flag %q", c)
		}
	}
	return "", 0, "", fmt.Errorf("missing -, : or )")
}

func patIsIdentifier(s string) bool {
	for k, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || k > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// patRepeat reads a Python {m,n} repeat after its '{' at rs[i:]; ok false
// means the '{' is a literal.
func patRepeat(rs []rune, i int) (s string, next int, ok bool, err error) {
	digits := func() string {
		start := i
		for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
			i++
		}
		return string(rs[start:i])
	}
	if i < len(rs) && rs[i] == '}' {
		return "", 0, false, nil
	}
	lo := digits()
	hi, comma := lo, false
	if i < len(rs) && rs[i] == ',' {
		i++
		hi, comma = digits(), true
	}
	if i >= len(rs) || rs[i] != '}' {
		return "", 0, false, nil
	}
	const maxRE2 = 1000
	min, max := 0, -1
	if lo != "" {
		if min, err = strconv.Atoi(lo); err != nil || min > maxRE2 {
			return "", 0, false, fmt.Errorf("repeat counts above %d are not supported", maxRE2)
		}
	}
	if hi != "" {
		if max, err = strconv.Atoi(hi); err != nil || max > maxRE2 {
			return "", 0, false, fmt.Errorf("repeat counts above %d are not supported", maxRE2)
		}
		if max < min {
			return "", 0, false, fmt.Errorf("min repeat greater than max repeat")
		}
	}
	switch {
	case !comma:
		return fmt.Sprintf("{%d}", min), i + 1, true, nil
	case max < 0:
		return fmt.Sprintf("{%d,}", min), i + 1, true, nil
	}
	return fmt.Sprintf("{%d,%d}", min, max), i + 1, true, nil
}

// patEscape translates the escape after a '\' at rs[i:] outside a class,
// as sre_parse's _escape reads it.
func patEscape(rs []rune, i int, ascii bool) (string, int, error) {
	if i >= len(rs) {
		return "", 0, fmt.Errorf("bad escape (end of pattern)")
	}
	c := rs[i]
	switch c {
	case 'A':
		return `\A`, i + 1, nil
	case 'Z':
		return `\z`, i + 1, nil
	case 'b', 'B':
		return `\` + string(c), i + 1, nil
	case 'd', 'D', 's', 'S', 'w', 'W':
		cls, neg := patCategory(c, ascii)
		if neg {
			return "[^" + cls + "]", i + 1, nil
		}
		return "[" + cls + "]", i + 1, nil
	}
	if c >= '1' && c <= '9' {
		// Three octal digits are a character; anything else a group reference.
		if i+2 < len(rs) && patIsOct(c) && patIsOct(rs[i+1]) && patIsOct(rs[i+2]) {
			r, err := patOctal(rs[i : i+3])
			return fmt.Sprintf(`\x{%x}`, r), i + 3, err
		}
		return "", 0, fmt.Errorf("backreferences are not supported")
	}
	if c == '0' {
		end := i + 1
		for end < len(rs) && end < i+3 && patIsOct(rs[end]) {
			end++
		}
		r, err := patOctal(rs[i:end])
		return fmt.Sprintf(`\x{%x}`, r), end, err
	}
	r, next, err := patEscapeRune(rs, i)
	return fmt.Sprintf(`\x{%x}`, r), next, err
}

// patClass reads a Python character class from rs[i:], just past its '[',
// as sre_parse does, and returns it as an RE2 class and the index past it.
func patClass(rs []rune, i int, ascii bool) (string, int, error) {
	var b strings.Builder
	b.WriteByte('[')
	if i < len(rs) && rs[i] == '^' {
		b.WriteByte('^')
		i++
	}
	empty := true
	// item reads one class member: a literal, or a category such as \d.
	item := func() (lit rune, cat string, err error) {
		c := rs[i]
		i++
		if c != '\\' {
			return c, "", nil
		}
		if i >= len(rs) {
			return 0, "", fmt.Errorf("bad escape (end of pattern)")
		}
		switch e := rs[i]; {
		case strings.ContainsRune("dDsSwW", e):
			i++
			cls, neg := patCategory(e, ascii)
			if neg {
				// RE2 cannot put a negated union inside a class.
				return 0, "", fmt.Errorf(`\%c inside a character class is not supported`, e)
			}
			return 0, cls, nil
		case e == 'b':
			i++
			return '\b', "", nil
		case patIsOct(e):
			end := i + 1
			for end < len(rs) && end < i+3 && patIsOct(rs[end]) {
				end++
			}
			lit, err = patOctal(rs[i:end])
			i = end
			return lit, "", err
		}
		lit, i, err = patEscapeRune(rs, i)
		return lit, "", err
	}
	for {
		if i >= len(rs) {
			return "", 0, fmt.Errorf("unterminated character set")
		}
		if rs[i] == ']' && !empty {
			b.WriteByte(']')
			return b.String(), i + 1, nil
		}
		empty = false
		lo, cat, err := item()
		if err != nil {
			return "", 0, err
		}
		if i < len(rs) && rs[i] == '-' {
			i++
			if i >= len(rs) {
				return "", 0, fmt.Errorf("unterminated character set")
			}
			if rs[i] == ']' {
				b.WriteString(patClassItem(lo, cat) + `\-]`)
				return b.String(), i + 1, nil
			}
			hi, cat2, err := item()
			if err != nil {
				return "", 0, err
			}
			if cat != "" || cat2 != "" || hi < lo {
				return "", 0, fmt.Errorf("bad character range")
			}
			b.WriteString(fmt.Sprintf(`\x{%x}-\x{%x}`, lo, hi))
			continue
		}
		b.WriteString(patClassItem(lo, cat))
	}
}

func patClassItem(lit rune, cat string) string {
	if cat != "" {
		return cat
	}
	return fmt.Sprintf(`\x{%x}`, lit)
}

// patCategory returns the class body of \d, \w, \s (Unicode, or ASCII
// under the a flag) and whether c is the negated form.
func patCategory(c rune, ascii bool) (body string, negated bool) {
	negated = unicode.IsUpper(c)
	switch unicode.ToLower(c) {
	case 'd':
		body = `\p{Nd}`
		if ascii {
			body = `0-9`
		}
	case 'w':
		body = `\p{L}\p{N}_`
		if ascii {
			body = `0-9A-Za-z_`
		}
	default:
		body = patSpaceClass
		if ascii {
			body = `\t-\r `
		}
	}
	return body, negated
}

func patIsOct(r rune) bool { return r >= '0' && r <= '7' }

// patOctal is the character of an octal escape (\0, \012, \177).
func patOctal(digits []rune) (rune, error) {
	v, _ := strconv.ParseInt(string(digits), 8, 32)
	if v > 0o377 {
		return 0, fmt.Errorf(`octal escape value \%s outside of range 0-0o377`, string(digits))
	}
	return rune(v), nil
}

// patEscapeRune reads the literal escape at rs[i:], just past its '\':
// \a \f \n \r \t \v, \xhh, \uhhhh, \Uhhhhhhhh, or a character that is
// not an ASCII letter or digit standing for itself.
func patEscapeRune(rs []rune, i int) (rune, int, error) {
	c := rs[i]
	if n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[c]; n > 0 {
		if i+1+n > len(rs) {
			return 0, 0, fmt.Errorf(`incomplete escape \%c`, c)
		}
		v, err := strconv.ParseUint(string(rs[i+1:i+1+n]), 16, 32)
		if err != nil || v > unicode.MaxRune {
			return 0, 0, fmt.Errorf(`bad escape \%c%s`, c, string(rs[i+1:i+1+n]))
		}
		return rune(v), i + 1 + n, nil
	}
	if r, ok := map[rune]rune{'a': 7, 'f': 12, 'n': 10, 'r': 13, 't': 9, 'v': 11}[c]; ok {
		return r, i + 1, nil
	}
	if c == 'N' {
		return 0, 0, fmt.Errorf(`named escapes \N{...} are not supported`)
	}
	if c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
		return 0, 0, fmt.Errorf(`bad escape \%c`, c)
	}
	return c, i + 1, nil
}
