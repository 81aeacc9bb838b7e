package pycompat

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/runenames"
)

//go:generate /usr/bin/python3 testdata/gen_unicodenames.py

// LookupName returns the character a \N{name} escape stands for in a
// Python str literal (unicodedata's _getcode, named sequences excluded),
// as the Python that runs Ansible (3.11, Unicode 14.0) resolves it:
//
//   - a character's name, in any ASCII case ("latin small letter a");
//   - one of its aliases (NameAliases.txt: "LINE FEED", "BOM");
//   - "HANGUL SYLLABLE " (any case) and a syllable in upper case;
//   - "CJK UNIFIED IDEOGRAPH-" (any case) and four or five upper-case hex
//     digits of a unified ideograph.
//
// Names come from golang.org/x/text/unicode/runenames (Unicode 15.0)
// without the characters Unicode 15.0 added; the aliases and those
// characters are in unicodename_tables.go, generated from Python.
func LookupName(name string) (rune, bool) {
	up := asciiUpper(name)
	switch {
	case strings.HasPrefix(up, "HANGUL SYLLABLE "):
		return hangulSyllable(name[len("HANGUL SYLLABLE "):])
	case strings.HasPrefix(up, "CJK UNIFIED IDEOGRAPH-"):
		return cjkUnified(name[len("CJK UNIFIED IDEOGRAPH-"):])
	}
	if r, ok := pyNameAliases[up]; ok {
		return r, true
	}
	r, ok := nameTable()[up]
	return r, ok
}

// nameTable maps every name runenames gives a character Python names too
// to that character. Building it walks all of Unicode (tens of
// milliseconds), so only a \N{...} escape does it.
var nameTable = sync.OnceValue(func() map[string]rune {
	m := make(map[string]rune, 40000)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		n := runenames.Name(r)
		if n == "" || n[0] == '<' || pyUnnamedRune(r) {
			continue // no name, or one made up from the code point
		}
		m[n] = r
	}
	return m
})

func pyUnnamedRune(r rune) bool {
	for _, rg := range pyUnnamed {
		if rg[0] <= r && r <= rg[1] {
			return true
		}
	}
	return false
}

// cjkUnified reads the hex digits of a CJK UNIFIED IDEOGRAPH-XXXX name.
func cjkUnified(hex string) (rune, bool) {
	if len(hex) != 4 && len(hex) != 5 {
		return 0, false
	}
	var v rune
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		switch {
		case '0' <= c && c <= '9':
			v = v*16 + rune(c-'0')
		case 'A' <= c && c <= 'F': // upper case only, as _getcode reads them
			v = v*16 + rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	for _, rg := range pyCJKUnified {
		if rg[0] <= v && v <= rg[1] {
			return v, true
		}
	}
	return 0, false
}

// The short names of the Hangul jamo a syllable's name is made of (Unicode
// chapter 3.12), as _getcode's find_syllable matches them: case-sensitive,
// the longest that fits.
var (
	hangulL = []string{"G", "GG", "N", "D", "DD", "R", "M", "B", "BB", "S", "SS", "", "J", "JJ", "C", "K", "T", "P", "H"}
	hangulV = []string{"A", "AE", "YA", "YAE", "EO", "E", "YEO", "YE", "O", "WA", "WAE", "OE", "YO", "U", "WEO", "WE", "WI", "YU", "EU", "YI", "I"}
	hangulT = []string{"", "G", "GG", "GS", "N", "NJ", "NH", "D", "L", "LG", "LM", "LB", "LS", "LT", "LP", "LH", "M", "B", "BS", "S", "SS", "NG", "J", "C", "K", "T", "P", "H"}
)

func hangulSyllable(s string) (rune, bool) {
	l, n := findJamo(s, hangulL)
	s = s[n:]
	v, n := findJamo(s, hangulV)
	s = s[n:]
	t, n := findJamo(s, hangulT)
	if l < 0 || v < 0 || t < 0 || n != len(s) {
		return 0, false
	}
	const sBase, vCount, tCount = 0xAC00, 21, 28
	return rune(sBase + (l*vCount+v)*tCount + t), true
}

// findJamo is find_syllable: the index of the longest name in names that
// starts s and its length; the empty name matches with length 0.
func findJamo(s string, names []string) (pos, length int) {
	pos, length = -1, -1
	for i, n := range names {
		if len(n) > length && strings.HasPrefix(s, n) {
			pos, length = i, len(n)
		}
	}
	if length < 0 {
		length = 0
	}
	return pos, length
}

// asciiUpper is Py_TOUPPER over s: ASCII letters only.
func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
