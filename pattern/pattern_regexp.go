package pattern

// Translation of shell globs (fnmatch.translate), the pattern language of
// host patterns without '~', into Go regexps; Python regular expressions
// ('~') are pattern_pyre.go's. Both read escapes and classes as Python's
// re does.

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
	if c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
		return 0, 0, fmt.Errorf(`bad escape \%c`, c)
	}
	return c, i + 1, nil
}
