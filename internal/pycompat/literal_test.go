package pycompat

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// Outcomes of ParseLiteral, as Python and Ansible see them.
const (
	litOK         = "ok"
	litNotLiteral = "not a literal"     // SyntaxError or ValueError: Ansible keeps the string
	litFatal      = "fatal"             // TypeError, OverflowError...: Ansible fails to parse
	litUnrep      = "not representable" // evaluates, but ansible-inventory cannot print it
)

func bigInt(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 10)
	return n
}

// kv builds a model.Map from keys and values.
func kv(pairs ...model.Value) model.Map {
	m := model.Map{}
	for i := 0; i < len(pairs); i += 2 {
		m = append(m, model.Entry{Key: pairs[i].(string), Value: pairs[i+1]})
	}
	return m
}

func list(v ...model.Value) []model.Value {
	if v == nil {
		return []model.Value{}
	}
	return v
}

func literalOutcome(err error) string {
	switch {
	case err == nil:
		return litOK
	case errors.Is(err, ErrNotLiteral):
		return litNotLiteral
	case errors.Is(err, errUnrepresentable):
		return litUnrep
	}
	return litFatal
}

// literalTests: expected values produced with /usr/bin/python3 (3.11, the
// interpreter Ansible runs) ast.literal_eval, converted as Ansible's INI
// plugin and ansible-inventory's JSON output do (tuples as lists, top-level
// bytes decoded with surrogateescape, dict keys as json.dumps writes them).
// TestIntegration_LiteralTableMatchesPython re-checks every row against Python.
var literalTests = []struct {
	in   string
	want model.Value
	err  string
}{
	{"1", int64(1), litOK},
	{"-1", int64(-1), litOK},
	{"+1", int64(1), litOK},
	{"- 1", int64(-1), litOK},
	{"0", int64(0), litOK},
	{"00", int64(0), litOK},
	{"0_0", int64(0), litOK},
	{"010", nil, litNotLiteral},
	{"1_000", int64(1000), litOK},
	{"1__000", nil, litNotLiteral},
	{"1_", nil, litNotLiteral},
	{"0x10", int64(16), litOK},
	{"0X_fF", int64(255), litOK},
	{"0o17", int64(15), litOK},
	{"0O7_7", int64(63), litOK},
	{"0b101", int64(5), litOK},
	{"0B1_0", int64(2), litOK},
	{"0x", nil, litNotLiteral},
	{"0b2", nil, litNotLiteral},
	{"0o8", nil, litNotLiteral},
	{"9223372036854775807", int64(9223372036854775807), litOK},
	{"9223372036854775808", bigInt("9223372036854775808"), litOK},
	{"-9223372036854775808", int64(-9223372036854775808), litOK},
	{"-9223372036854775809", bigInt("-9223372036854775809"), litOK},
	{"123456789012345678901234567890", bigInt("123456789012345678901234567890"), litOK},
	{"0xffffffffffffffffffff", bigInt("1208925819614629174706175"), litOK},
	{"1.5", float64(1.5), litOK},
	{"1.5e3", float64(1500.0), litOK},
	{"1E5", float64(100000.0), litOK},
	{"1e-3", float64(0.001), litOK},
	{".5", float64(0.5), litOK},
	{"5.", float64(5.0), litOK},
	{"5.e3", float64(5000.0), litOK},
	{"1_0.5", float64(10.5), litOK},
	{"1_000.000_1", float64(1000.0001), litOK},
	{"0777e1", float64(7770.0), litOK},
	{"0_9.5", float64(9.5), litOK},
	{"1e999", math.Inf(1), litOK},
	{"-1e999", math.Inf(-1), litOK},
	{"1e-999", float64(0.0), litOK},
	{"-0.0", math.Copysign(0, -1), litOK},
	{"0.1", float64(0.1), litOK},
	{"1e16", float64(1e+16), litOK},
	{"1e15", float64(1000000000000000.0), litOK},
	{"123456789.123456789", float64(123456789.12345679), litOK},
	{"1.", float64(1.0), litOK},
	{"1._5", nil, litNotLiteral},
	{"1e", nil, litNotLiteral},
	{"1.5.5", nil, litNotLiteral},
	{"inf", nil, litNotLiteral},
	{"nan", nil, litNotLiteral},
	{"-inf", nil, litNotLiteral},
	{"'a'", "a", litOK},
	{"\"a\"", "a", litOK},
	{"'''a'''", "a", litOK},
	{"\"\"\"a\"\"\"", "a", litOK},
	{"r'\\n'", "\\n", litOK},
	{"R'\\d'", "\\d", litOK},
	{"u'x'", "x", litOK},
	{"U'x'", "x", litOK},
	{"b'bytes'", "bytes", litOK},
	{"B'x'", "x", litOK},
	{"br'\\n'", "\\n", litOK},
	{"Rb'x'", "x", litOK},
	{"rb'\\xff'", "\\xff", litOK},
	{"b'\\xc3\\xa9'", "é", litOK},
	{"b'\\xff'", "\xed\xb3\xbf", litOK},
	{"'a' 'b'", "ab", litOK},
	{"'a''b'", "ab", litOK},
	{"'a' \"b\" '''c'''", "abc", litOK},
	{"b'a' b'b'", "ab", litOK},
	{"'a' b'b'", nil, litNotLiteral},
	{"f'x'", nil, litNotLiteral},
	{"'a' f'b'", nil, litNotLiteral},
	{"ur'x'", nil, litNotLiteral},
	{"'\\n\\t\\\\'", "\n\t\\", litOK},
	{"'\\x41'", "A", litOK},
	{"'\\101'", "A", litOK},
	{"'\\777'", "ǿ", litOK},
	{"'\\0'", "\x00", litOK},
	{"'\\u00e9'", "é", litOK},
	{"'\\U0001F600'", "😀", litOK},
	{"'\\U00110000'", nil, litNotLiteral},
	{"'\\x4'", nil, litNotLiteral},
	{"'\\d'", "\\d", litOK},
	{"'\\N'", nil, litNotLiteral},
	{"'\\N{DIGIT ONE}'", "1", litOK},
	{"'\\N{latin small letter e with acute}x'", "éx", litOK},
	{"'\\N{BOM}'", "\ufeff", litOK},
	{"'\\N{LINE FEED}'", "\n", litOK},
	{"'\\N{HANGUL SYLLABLE GAG}'", "각", litOK},
	{"'\\N{CJK UNIFIED IDEOGRAPH-4E00}'", "一", litOK},
	{"'\\N{CJK UNIFIED IDEOGRAPH-4e00}'", nil, litNotLiteral},
	{"'\\N{CJK UNIFIED IDEOGRAPH-31350}'", nil, litNotLiteral},
	{"'\\N{KAWI SIGN CANDRABINDU}'", nil, litNotLiteral},
	{"'\\N{NO SUCH NAME}'", nil, litNotLiteral},
	{"'\\N{}'", nil, litNotLiteral},
	{"'\\N{DIGIT ONE'", nil, litNotLiteral},
	{"r'\\N{DIGIT ONE}'", "\\N{DIGIT ONE}", litOK},
	{"b'\\N{DIGIT ONE}'", "\\N{DIGIT ONE}", litOK},
	{"['\\N{DIGIT ONE}', '\\N{DIGIT TWO}']", []model.Value{"1", "2"}, litOK},
	{"'\\ud800'", "\xed\xa0\x80", litOK},
	{"'\\ud83d\\ude00'", "\xed\xa0\xbd\xed\xb8\x80", litOK},
	{"'it\\'s'", "it's", litOK},
	{"\"say \\\"hi\\\"\"", "say \"hi\"", litOK},
	{"'#not a comment'", "#not a comment", litOK},
	{"'é😀'", "é😀", litOK},
	{"b'é'", nil, litNotLiteral},
	{"'unterminated", nil, litNotLiteral},
	{"'a' # comment", "a", litOK},
	{"True", true, litOK},
	{"False", false, litOK},
	{"None", nil, litOK},
	{"true", nil, litNotLiteral},
	{"none", nil, litNotLiteral},
	{"yes", nil, litNotLiteral},
	{"hello", nil, litNotLiteral},
	{"hello world", nil, litNotLiteral},
	{"hello # world", nil, litNotLiteral},
	{"8080 # http", int64(8080), litOK},
	{"", nil, litNotLiteral},
	{" ", nil, litNotLiteral},
	{"#", nil, litNotLiteral},
	{"  1", int64(1), litOK},
	{"\t1", int64(1), litOK},
	{"-True", nil, litNotLiteral},
	{"+None", nil, litNotLiteral},
	{"--1", nil, litNotLiteral},
	{"-(1)", int64(-1), litOK},
	{"(-1)", int64(-1), litOK},
	{"-(-1)", nil, litNotLiteral},
	{"+-1", nil, litNotLiteral},
	{"1+2", nil, litNotLiteral},
	{"1-2", nil, litNotLiteral},
	{"...", nil, litUnrep},
	{"[]", list(), litOK},
	{"[1, 2]", list(int64(1), int64(2)), litOK},
	{"[1, 2,]", list(int64(1), int64(2)), litOK},
	{"[,]", nil, litNotLiteral},
	{"[1 2]", nil, litNotLiteral},
	{"[1, [2, [3]]]", list(int64(1), list(int64(2), list(int64(3)))), litOK},
	{"()", list(), litOK},
	{"(1)", int64(1), litOK},
	{"(1,)", list(int64(1)), litOK},
	{"1,", list(int64(1)), litOK},
	{"1, 2", list(int64(1), int64(2)), litOK},
	{"(1, 2, 3)", list(int64(1), int64(2), int64(3)), litOK},
	{",", nil, litNotLiteral},
	{"((1))", int64(1), litOK},
	{"{}", kv(), litOK},
	{"{'a': 1}", kv("a", int64(1)), litOK},
	{"{'a': 1,}", kv("a", int64(1)), litOK},
	{"{'a': 1, 'a': 2}", kv("a", int64(2)), litOK},
	{"{'b': 1, 'a': 2}", kv("b", int64(1), "a", int64(2)), litOK},
	{"{1: 'x'}", kv("1", "x"), litOK},
	{"{1: 'x', True: 'y', 1.0: 'z'}", kv("1", "z"), litOK},
	{"{True: 1, 1: 2}", kv("true", int64(2)), litOK},
	{"{None: 1}", kv("null", int64(1)), litOK},
	{"{1.5: 1}", kv("1.5", int64(1)), litOK},
	{"{1e999: 1}", kv("Infinity", int64(1)), litOK},
	{"{-0.0: 1}", kv("-0.0", int64(1)), litOK},
	{"{1: 'a', '1': 'b'}", kv("1", "b"), litOK}, // Ansible prints "1" twice; JSON readers keep the last
	{"{(1, 2): 3}", nil, litUnrep},
	{"{b'k': 1}", nil, litUnrep},
	{"{'k': (1, [2])}", kv("k", list(int64(1), list(int64(2)))), litOK},
	{"[1, x]", nil, litNotLiteral},
	{"{1: x}", nil, litNotLiteral},
	{"{**a}", nil, litNotLiteral},
	{"[*a]", nil, litNotLiteral},
	{"set()", nil, litUnrep},
	{"set( )", nil, litUnrep},
	{"set([1])", nil, litNotLiteral},
	{"{1, 2}", nil, litUnrep},
	{"[{1}]", nil, litUnrep},
	{"{}.keys()", nil, litNotLiteral},
	{"[1][0]", nil, litNotLiteral},
	{"{[1]: 2}", nil, litFatal},
	{"{1: 2, [3]: 4}", nil, litFatal},
	{"{[1]: x}", nil, litNotLiteral},
	{"{{}: 1}", nil, litFatal},
	{"{(1, [2]): 3}", nil, litFatal},
	{"{1, [2]}", nil, litFatal},
	{"{set(): 1}", nil, litFatal},
	{"1j", nil, litUnrep},
	{"1+2j", nil, litUnrep},
	{"-1-2j", nil, litUnrep},
	{"1.5+0.5j", nil, litUnrep},
	{"(1+2j)", nil, litUnrep},
	{"-(1+2j)", nil, litNotLiteral},
	{"1j+1", nil, litNotLiteral},
	{"True+1j", nil, litNotLiteral},
	{"lambda: 1", nil, litNotLiteral},
	{"1 if True else 2", nil, litNotLiteral},
	{"not 1", nil, litNotLiteral},
	{"~1", nil, litNotLiteral},
	{"1 < 2", nil, litNotLiteral},
	{"x.y", nil, litNotLiteral},
	{"f(x)", nil, litNotLiteral},
	{"'x'.upper()", nil, litNotLiteral},
	{"[x for x in y]", nil, litNotLiteral},
	{"a := 1", nil, litNotLiteral},
	{"1;2", nil, litNotLiteral},
	{"$", nil, litNotLiteral},
	{"`1`", nil, litNotLiteral},
	{"1 ", int64(1), litOK},
	{"1\t", int64(1), litOK},
	{"1 # c", int64(1), litOK},
	{"1#", int64(1), litOK},
	{"1\n", int64(1), litOK},
	{"\n1", int64(1), litOK},
	{"\n 1", nil, litNotLiteral},
	{"[1,\n2]", list(int64(1), int64(2)), litOK},
	{"(1\n)", int64(1), litOK},
	{"1\n2", nil, litNotLiteral},
	{"1 \\\n", nil, litNotLiteral},
	{"\x0c1", int64(1), litOK},
	{"\x001", nil, litNotLiteral},
	{"1\r\n", int64(1), litOK},
}

func TestParseLiteral(t *testing.T) {
	for _, tt := range literalTests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLiteral(tt.in)
			if outcome := literalOutcome(err); outcome != tt.err {
				t.Fatalf("ParseLiteral(%q) = %#v, %v (%s), want %s", tt.in, got, err, outcome, tt.err)
			}
			if err == nil && !model.EqualOrdered(got, tt.want) {
				t.Errorf("ParseLiteral(%q) = %s, want %s", tt.in, model.MarshalJSON(got), model.MarshalJSON(tt.want))
			}
			if err == nil {
				if f, isFloat := tt.want.(float64); isFloat && math.Signbit(f) != math.Signbit(got.(float64)) {
					t.Errorf("ParseLiteral(%q) = %v, want %v", tt.in, got, f)
				}
			}
		})
	}
}

// TestParseLiteralLimits covers inputs too long for the table; expected
// outcomes from /usr/bin/python3 ast.literal_eval.
func TestParseLiteralLimits(t *testing.T) {
	deep := func(open, mid, close string, n int) string {
		return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
	}
	tests := []struct {
		name, in string
		err      string
	}{
		{"4300 digits", strings.Repeat("7", 4300), litOK},
		{"4301 digits", strings.Repeat("7", 4301), litNotLiteral},
		{"4301 digits with underscores", strings.Repeat("7_", 4300) + "7", litNotLiteral},
		{"5000 zeros", strings.Repeat("0", 5000), litOK},
		{"4301-digit float", strings.Repeat("7", 4301) + ".0", litOK},
		{"hex over 4300 decimal digits", "0x" + strings.Repeat("f", 3600), litUnrep},
		{"200 brackets", deep("[", "", "]", 200), litOK},
		{"201 brackets", deep("[", "", "]", 201), litNotLiteral},
		{"201 open brackets", deep("(", "1", "", 201), litNotLiteral},
		{"200 parens", deep("(", "1", ")", 200), litOK},
		{"201 dict levels", deep("{1:", "1", "}", 201), litNotLiteral},
		{"int too big for a float plus complex", "1" + strings.Repeat("0", 400) + "+1j", litFatal},
		{"10^308 plus complex", "1" + strings.Repeat("0", 308) + "+1j", litUnrep},
		// ast.parse raises RecursionError for deeper trees under
		// ansible-inventory (TestParseINIRecursionLimit checks Ansible).
		{"2953 signs", strings.Repeat("-", 2953) + "1", litNotLiteral},
		{"2954 signs", strings.Repeat("-", 2954) + "1", litFatal},
		{"deep signs in brackets", deep("[", strings.Repeat("-", 2854)+"1", "]", 100), litFatal},
		{"deep but a syntax error", strings.Repeat("-", 5000) + "1 2", litNotLiteral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLiteral(tt.in)
			if got := literalOutcome(err); got != tt.err {
				t.Errorf("outcome %s (%v), want %s", got, err, tt.err)
			}
		})
	}
}

func TestLiteralValue(t *testing.T) {
	tests := []struct {
		in   string
		want model.Value
	}{
		{"42", int64(42)},
		{"hello # world", "hello # world"},
		{"", ""},
		{"{1, 2}", "{1, 2}"},
		{"'a'", "a"},
	}
	for _, tt := range tests {
		if got := LiteralValue(tt.in); !model.Equal(got, tt.want) {
			t.Errorf("LiteralValue(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// literalPy prints, for each JSON string read from stdin, the outcome of
// ast.literal_eval and the value in literalCanon's notation.
const literalPy = `
import ast, json, math, sys, warnings
warnings.simplefilter('ignore')
class Unrep(Exception): pass
def key(k):
    if isinstance(k, str): return k
    if k is True: return 'true'
    if k is False: return 'false'
    if k is None: return 'null'
    if isinstance(k, int): return str(k)
    if isinstance(k, float):
        return 'Infinity' if k == math.inf else '-Infinity' if k == -math.inf else repr(k)
    raise Unrep()
def canon(v):
    if v is None: return 'N'
    if v is True: return 'T'
    if v is False: return 'F'
    if isinstance(v, int):
        if len(str(abs(v))) > 4300: raise Unrep()
        return 'i%d' % v
    if isinstance(v, float): return 'f' + repr(v)
    if isinstance(v, str): return 's' + v.encode('utf-8', 'surrogatepass').hex()
    if isinstance(v, (list, tuple)): return '[' + ','.join(canon(x) for x in v) + ']'
    if isinstance(v, dict):
        items, pos = [], {}
        for k, x in v.items():
            k, x = key(k), canon(x)
            if k in pos: items[pos[k]] = (k, x)
            else: pos[k] = len(items); items.append((k, x))
        return '{' + ','.join(k.encode('utf-8', 'surrogatepass').hex() + ':' + x for k, x in items) + '}'
    raise Unrep()
for line in sys.stdin:
    s = json.loads(line)
    try:
        v = ast.literal_eval(s)
        if isinstance(v, bytes): v = v.decode('utf-8', 'surrogateescape')
        out = 'ok ' + canon(v)
    except (ValueError, SyntaxError): out = 'not a literal'
    except Unrep: out = 'not representable'
    except Exception: out = 'fatal'
    print(out, flush=True)
`

// literalCanon writes v in literalPy's notation.
func literalCanon(v model.Value) string {
	switch x := v.(type) {
	case nil:
		return "N"
	case bool:
		return map[bool]string{true: "T", false: "F"}[x]
	case int64:
		return fmt.Sprintf("i%d", x)
	case *big.Int:
		return "i" + x.String()
	case float64:
		switch {
		case math.IsInf(x, 1):
			return "finf"
		case math.IsInf(x, -1):
			return "f-inf"
		}
		return "f" + model.FormatFloat(x)
	case string:
		return "s" + hex.EncodeToString([]byte(x))
	case []model.Value:
		var parts []string
		for _, e := range x {
			parts = append(parts, literalCanon(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case model.Map:
		var parts []string
		for _, e := range x {
			parts = append(parts, hex.EncodeToString([]byte(e.Key))+":"+literalCanon(e.Value))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprintf("?%T", v)
}

// pythonLiterals runs literalPy on inputs.
func pythonLiterals(t *testing.T, inputs []string) []string {
	t.Helper()
	var in bytes.Buffer
	for _, s := range inputs {
		b, _ := json.Marshal(s)
		in.Write(append(b, '\n'))
	}
	out := ansibletest.RunPython(t, literalPy, in.Bytes())
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("python: %d answers for %d inputs", len(lines), len(inputs))
	}
	return lines
}

// TestIntegration_LiteralTableMatchesPython checks literalTests against Python.
func TestIntegration_LiteralTableMatchesPython(t *testing.T) {
	inputs := make([]string, len(literalTests))
	for i, tt := range literalTests {
		inputs[i] = tt.in
	}
	for i, got := range pythonLiterals(t, inputs) {
		tt := literalTests[i]
		want := tt.err
		if want == litOK {
			want = "ok " + literalCanon(tt.want)
		}
		if got != want {
			t.Errorf("Python says %q for %q, the table %q", got, tt.in, want)
		}
	}
}

// FuzzParseLiteral checks that ParseLiteral neither panics nor hangs and
// returns only model values.
func FuzzParseLiteral(f *testing.F) {
	for _, tt := range literalTests {
		f.Add(tt.in)
	}
	f.Add(strings.Repeat("[", 200) + strings.Repeat("]", 200))
	f.Add(strings.Repeat("-", 3000) + "1")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseLiteral(s)
		if err != nil {
			if v != nil {
				t.Fatalf("value %#v with error %v", v, err)
			}
			return
		}
		if err := model.CheckValue(v); err != nil {
			t.Fatalf("ParseLiteral(%q): %v", s, err)
		}
	})
}
