package pycompat

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
)

func TestLookupName(t *testing.T) {
	for _, tt := range []struct {
		name string
		want rune // -1: unknown
	}{
		{"DIGIT ONE", '1'},
		{"latin small letter a", 'a'},
		{"Latin Small Letter A", 'a'},
		{"LINE FEED", '\n'},
		{"BOM", 0xFEFF},
		{"HANGUL SYLLABLE GAG", 0xAC01},
		{"hangul syllable GA", 0xAC00},
		{"HANGUL SYLLABLE ga", -1}, // the syllable's letters are case-sensitive
		{"HANGUL SYLLABLE A", 0xC544},
		{"CJK UNIFIED IDEOGRAPH-4E00", 0x4E00},
		{"cjk unified ideograph-4E00", 0x4E00},
		{"CJK UNIFIED IDEOGRAPH-4e00", -1},  // lower-case hex digits
		{"CJK UNIFIED IDEOGRAPH-31350", -1}, // Unicode 15.0, after Python 3.11's 14.0
		{"KAWI SIGN CANDRABINDU", -1},       // Unicode 15.0 too
		{"GRINNING FACE", 0x1F600},
		{"NO SUCH CHARACTER", -1},
		{" DIGIT ONE", -1},
		{"LATIN CAPITAL LETTER A WITH MACRON AND GRAVE", -1}, // a named sequence
	} {
		r, ok := LookupName(tt.name)
		if got := map[bool]rune{true: r, false: -1}[ok]; got != tt.want {
			t.Errorf("LookupName(%q) = %U (%v), want %U", tt.name, r, ok, tt.want)
		}
	}
}

// lookupPy answers, for each name read from stdin, what \N{name} gives in
// a str literal ("-" when it is a SyntaxError), then lists every character
// Python names, as "HEX\tNAME".
const lookupPy = `
import sys, unicodedata
for line in sys.stdin:
    name = line.rstrip('\n')
    try:
        print('%X' % ord(eval('"\\N{%s}"' % name)))
    except SyntaxError:
        print('-')
print('--')
for c in range(0x110000):
    n = unicodedata.name(chr(c), None)
    if n is not None:
        print('%X\t%s' % (c, n))
`

// TestIntegration_LookupNameMatchesPython resolves every name Python gives
// a character, and every alias kook knows, in upper and lower case, and
// checks kook knows no name Python does not.
func TestIntegration_LookupNameMatchesPython(t *testing.T) {
	var in bytes.Buffer
	var asked []string
	for name := range pyNameAliases {
		for _, n := range []string{name, strings.ToLower(name)} {
			asked = append(asked, n)
			in.WriteString(n + "\n")
		}
	}
	out := string(ansibletest.RunPython(t, lookupPy, in.Bytes()))
	answers, names, _ := strings.Cut(out, "--\n")
	for i, a := range strings.Split(strings.TrimSuffix(answers, "\n"), "\n") {
		r, ok := LookupName(asked[i])
		if got := map[bool]string{true: strconv.FormatInt(int64(r), 16), false: "-"}[ok]; !strings.EqualFold(got, a) {
			t.Errorf("alias %q: kook %s, Python %s", asked[i], got, a)
		}
	}
	plain := 0
	for _, line := range strings.Split(strings.TrimSuffix(names, "\n"), "\n") {
		hex, name, _ := strings.Cut(line, "\t")
		code, err := strconv.ParseInt(hex, 16, 32)
		if err != nil {
			t.Fatalf("python: %q", line)
		}
		if !strings.HasPrefix(name, "CJK UNIFIED IDEOGRAPH-") && !strings.HasPrefix(name, "HANGUL SYLLABLE ") {
			plain++
		}
		for _, n := range []string{name, strings.ToLower(name)} {
			if strings.HasPrefix(n, "cjk unified") || strings.HasPrefix(n, "hangul syllable") {
				continue // their code part is case-sensitive (TestLookupName)
			}
			if r, ok := LookupName(n); !ok || r != rune(code) {
				t.Errorf("LookupName(%q) = %U %v, Python %X", n, r, ok, code)
			}
		}
	}
	if n := len(nameTable()); n != plain {
		t.Errorf("kook knows %d names, Python %d", n, plain)
	}
}
