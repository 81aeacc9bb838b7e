package pycompat

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// yaml11Tests hold YAML (and JSON) documents and what Ansible makes of them,
// as the JSON ansible-inventory would print. TestIntegration_YAML11TableIsAnsibles checks
// every want against Python again.
var yaml11Tests = []struct {
	name    string
	in      string
	want    string
	wantErr bool
}{
	// Expected values produced by /usr/bin/python3 with Ansible's from_yaml
	// (JSON first, then AnsibleLoader) and json.dumps(cls=AnsibleJSONEncoder).
	{name: "bool yes", in: "v: yes", want: "{\"v\": true}"},
	{name: "bool Yes", in: "v: Yes", want: "{\"v\": true}"},
	{name: "bool YES", in: "v: YES", want: "{\"v\": true}"},
	{name: "mixed case is a string", in: "v: yEs", want: "{\"v\": \"yEs\"}"},
	{name: "bool on off", in: "v: [on, Off, ON]", want: "{\"v\": [true, false, true]}"},
	{name: "y is a string", in: "v: [y, n, Y]", want: "{\"v\": [\"y\", \"n\", \"Y\"]}"},
	{name: "true false", in: "v: [true, False, TRUE]", want: "{\"v\": [true, false, true]}"},
	{name: "null forms", in: "v: [~, null, Null, NULL, ]", want: "{\"v\": [null, null, null, null]}"},
	{name: "nULL is a string", in: "v: nULL", want: "{\"v\": \"nULL\"}"},
	{name: "empty value is null", in: "v:", want: "{\"v\": null}"},
	{name: "octal 010", in: "v: 010", want: "{\"v\": 8}"},
	{name: "0o10 is a string", in: "v: 0o10", want: "{\"v\": \"0o10\"}"},
	{name: "leading zero decimal is a string", in: "v: 09", want: "{\"v\": \"09\"}"},
	{name: "negative octal", in: "v: -017", want: "{\"v\": -15}"},
	{name: "hex", in: "v: 0x1F", want: "{\"v\": 31}"},
	{name: "hex underscore", in: "v: 0x_1f", want: "{\"v\": 31}"},
	{name: "binary", in: "v: 0b1010", want: "{\"v\": 10}"},
	{name: "underscores", in: "v: 1_000_000", want: "{\"v\": 1000000}"},
	{name: "minus zero", in: "v: -0", want: "{\"v\": 0}"},
	{name: "plus int", in: "v: +12", want: "{\"v\": 12}"},
	{name: "sexagesimal", in: "v: 1:20", want: "{\"v\": 80}"},
	{name: "sexagesimal long", in: "v: 190:20:30", want: "{\"v\": 685230}"},
	{name: "sexagesimal negative", in: "v: -1:30", want: "{\"v\": -90}"},
	{name: "0:30 is a string", in: "v: 0:30", want: "{\"v\": \"0:30\"}"},
	{name: "1:60 is a string", in: "v: 1:60", want: "{\"v\": \"1:60\"}"},
	{name: "sexagesimal float", in: "v: 1:20.5", want: "{\"v\": 80.5}"},
	{name: "big int", in: "v: 99999999999999999999", want: "{\"v\": 99999999999999999999}"},
	{name: "int64 max", in: "v: 9223372036854775807", want: "{\"v\": 9223372036854775807}"},
	{name: "int64 min", in: "v: -9223372036854775808", want: "{\"v\": -9223372036854775808}"},
	{name: "past int64", in: "v: 9223372036854775808", want: "{\"v\": 9223372036854775808}"},
	{name: "float", in: "v: 1.5", want: "{\"v\": 1.5}"},
	{name: "float trailing dot", in: "v: 1.", want: "{\"v\": 1.0}"},
	{name: "float leading dot", in: "v: .5", want: "{\"v\": 0.5}"},
	{name: "signed leading dot is a string", in: "v: [-.5, +.5]", want: "{\"v\": [\"-.5\", \"+.5\"]}"},
	{name: "1e3 is a string", in: "v: 1e3", want: "{\"v\": \"1e3\"}"},
	{name: "1.0e3 is a string", in: "v: 1.0e3", want: "{\"v\": \"1.0e3\"}"},
	{name: "signed exponent float", in: "v: 1.0e+3", want: "{\"v\": 1000.0}"},
	{name: "exponent without fraction digits", in: "v: 1.e+5", want: "{\"v\": 100000.0}"},
	{name: "float underscores", in: "v: 1_0.5_0", want: "{\"v\": 10.5}"},
	{name: "float overflow", in: "v: 1.0e+999", want: "{\"v\": Infinity}"},
	{name: "negative zero float", in: "v: -0.0", want: "{\"v\": -0.0}"},
	{name: "inf", in: "v: [.inf, -.Inf, +.INF]", want: "{\"v\": [Infinity, -Infinity, Infinity]}"},
	{name: "nan", in: "v: .NaN", want: "{\"v\": NaN}"},
	{name: "inf without dot is a string", in: "v: inf", want: "{\"v\": \"inf\"}"},
	{name: "date", in: "v: 2001-12-14", want: "{\"v\": \"2001-12-14\"}"},
	{name: "short date is a string", in: "v: 2001-1-1", want: "{\"v\": \"2001-1-1\"}"},
	{name: "timestamp with offset", in: "v: 2001-12-14t21:59:43.10-05:00", want: "{\"v\": \"2001-12-14T21:59:43.100000-05:00\"}"},
	{name: "timestamp with space offset", in: "v: 2001-12-14 21:59:43.10 -5", want: "{\"v\": \"2001-12-14T21:59:43.100000-05:00\"}"},
	{name: "timestamp Z", in: "v: 2001-12-14T21:59:43Z", want: "{\"v\": \"2001-12-14T21:59:43+00:00\"}"},
	{name: "timestamp lower z is a string", in: "v: 2001-12-14t21:59:43z", want: "{\"v\": \"2001-12-14t21:59:43z\"}"},
	{name: "naive timestamp", in: "v: 2002-12-14 21:59:43", want: "{\"v\": \"2002-12-14T21:59:43\"}"},
	{name: "timestamp one-digit fields", in: "v: 2001-1-1 1:02:03", want: "{\"v\": \"2001-01-01T01:02:03\"}"},
	{name: "fraction truncated", in: "v: 2001-01-01T01:02:03.1234567", want: "{\"v\": \"2001-01-01T01:02:03.123456\"}"},
	{name: "zero offset", in: "v: 2001-01-01 01:00:00 -0", want: "{\"v\": \"2001-01-01T01:00:00+00:00\"}"},
	{name: "offset minutes", in: "v: 2001-01-01 01:00:00 +5:30", want: "{\"v\": \"2001-01-01T01:00:00+05:30\"}"},
	{name: "explicit str", in: "v: !!str 010", want: "{\"v\": \"010\"}"},
	{name: "explicit int", in: "v: !!int '0x10'", want: "{\"v\": 16}"},
	{name: "explicit float", in: "v: !!float '1'", want: "{\"v\": 1.0}"},
	{name: "explicit bool", in: "v: !!bool 'yes'", want: "{\"v\": true}"},
	{name: "explicit null", in: "v: !!null 'x'", want: "{\"v\": null}"},
	{name: "explicit timestamp", in: "v: !!timestamp '2001-1-1'", want: "{\"v\": \"2001-01-01\"}"},
	{name: "explicit int 0o", in: "v: !!int '0o17'", want: "{\"v\": 15}"},
	{name: "explicit int spaces", in: "v: !!int ' 12 '", want: "{\"v\": 12}"},
	{name: "explicit float nan", in: "v: !!float 'nan'", want: "{\"v\": NaN}"},
	{name: "explicit seq and map", in: "v: [!!seq [1], !!map {a: 1}]", want: "{\"v\": [[1], {\"a\": 1}]}"},
	{name: "python dict and unicode", in: "v: [!!python/dict {a: 1}, !!python/unicode x]", want: "{\"v\": [{\"a\": 1}, \"x\"]}"},
	{name: "non-specific tag resolves plain", in: "v: [! 010, ! 'yes', ! \"1:20\"]", want: "{\"v\": [8, true, 80]}"},
	{name: "quoted stays str", in: "v: ['yes', \"010\", '1:20', \"~\"]", want: "{\"v\": [\"yes\", \"010\", \"1:20\", \"~\"]}"},
	{name: "literal block", in: "v: |\n  a\n  b\n", want: "{\"v\": \"a\\nb\\n\"}"},
	{name: "folded block", in: "v: >\n  a\n  b\n", want: "{\"v\": \"a b\\n\"}"},
	{name: "double quoted escapes", in: "v: \"\\x41\\u00e9\\N\\_\\e\\t\"", want: "{\"v\": \"A\u00e9\u0085\u00a0\\u001b\\t\"}"},
	{name: "slash escape", in: "v: [\"a\\/b\", 'c\\/d', e\\/f, \"g\\\\/h\"]", want: "{\"v\": [\"a/b\", \"c\\\\/d\", \"e\\\\/f\", \"g\\\\/h\"]}"},
	{name: "omap", in: "v: !!omap [a: 1, b: 2]", want: "{\"v\": [[\"a\", 1], [\"b\", 2]]}"},
	{name: "pairs", in: "v: !!pairs [a: 1, a: 2]", want: "{\"v\": [[\"a\", 1], [\"a\", 2]]}"},
	{name: "unsafe string", in: "v: !unsafe '{{ x }}'", want: "{\"v\": {\"__ansible_unsafe\": \"{{ x }}\"}}"},
	{name: "unsafe scalar stays a string", in: "v: !unsafe 123", want: "{\"v\": {\"__ansible_unsafe\": \"123\"}}"},
	{name: "unsafe list empties nested containers", in: "v: !unsafe [1, '{{ y }}', {k: v}, [1]]", want: "{\"v\": [1, {\"__ansible_unsafe\": \"{{ y }}\"}, {}, []]}"},
	{name: "unsafe map", in: "v: !unsafe {k: '{{ y }}', n: 2}", want: "{\"v\": {\"k\": {\"__ansible_unsafe\": \"{{ y }}\"}, \"n\": 2}}"},
	{name: "unsafe sees a filled anchor", in: "a: &x {k: 1}\nv: !unsafe [*x]", want: "{\"a\": {\"k\": 1}, \"v\": [{}]}"},
	{name: "vault", in: "v: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132\n  3334\n", want: "{\"v\": {\"__ansible_vault\": \"$ANSIBLE_VAULT;1.1;AES256\\n3132\\n3334\\n\"}}"},
	{name: "vault flow", in: "v: !vault \"$ANSIBLE_VAULT;1.1;AES256\\n3132\"", want: "{\"v\": {\"__ansible_vault\": \"$ANSIBLE_VAULT;1.1;AES256\\n3132\"}}"},
	{name: "int bool float keys", in: "{1: a, true: b, 1.0: c, 2: d}", want: "{\"1\": \"c\", \"2\": \"d\"}"},
	{name: "null and float keys", in: "{~: a, 1.5: b, .inf: c}", want: "{\"null\": \"a\", \"1.5\": \"b\", \"Infinity\": \"c\"}"},
	{name: "int and string keys print alike", in: "{1: a, '1': b}", want: "{\"1\": \"a\", \"1\": \"b\"}"},
	{name: "duplicate keys", in: "{a: 1, b: 2, a: 3}", want: "{\"a\": 3, \"b\": 2}"},
	{name: "merge", in: "a: &a {x: 1, y: 2}\nv:\n  <<: *a\n  y: 3", want: "{\"a\": {\"x\": 1, \"y\": 2}, \"v\": {\"x\": 1, \"y\": 3}}"},
	{name: "merge own key first", in: "a: &a {x: 1}\nv:\n  x: 2\n  <<: *a", want: "{\"a\": {\"x\": 1}, \"v\": {\"x\": 2}}"},
	{name: "merge list earlier wins", in: "a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nv:\n  <<: [*a, *b]\n  w: 5", want: "{\"a\": {\"x\": 1, \"y\": 2}, \"b\": {\"y\": 3, \"z\": 4}, \"v\": {\"y\": 2, \"z\": 4, \"x\": 1, \"w\": 5}}"},
	{name: "two merge keys later wins", in: "a: &a {x: 1}\nb: &b {x: 2}\nv:\n  <<: *a\n  <<: *b", want: "{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}, \"v\": {\"x\": 2}}"},
	{name: "nested merge", in: "a: &a {x: 1, <<: {y: 2}}\nv: {<<: *a}", want: "{\"a\": {\"y\": 2, \"x\": 1}, \"v\": {\"y\": 2, \"x\": 1}}"},
	{name: "quoted merge key is a string", in: "v: {'<<': {a: 1}}", want: "{\"v\": {\"<<\": {\"a\": 1}}}"},
	{name: "equals key", in: "v: {=: 1}", want: "{\"v\": {\"=\": 1}}"},
	{name: "alias", in: "a: &a [1, {b: 2}]\nv: [*a, *a]", want: "{\"a\": [1, {\"b\": 2}], \"v\": [[1, {\"b\": 2}], [1, {\"b\": 2}]]}"},
	{name: "json first", in: "{\"a\": 1e3, \"b\": 1.0, \"c\": \"yes\", \"d\": 010}", want: "{\"a\": \"1e3\", \"b\": 1.0, \"c\": \"yes\", \"d\": 8}"},
	{name: "valid json", in: "{\"a\": 1e3, \"b\": 1.0, \"c\": \"yes\", \"d\": [NaN, Infinity, -Infinity]}", want: "{\"a\": 1000.0, \"b\": 1.0, \"c\": \"yes\", \"d\": [NaN, Infinity, -Infinity]}"},
	{name: "json duplicate keys", in: "{\"a\": 1, \"b\": 2, \"a\": 3}", want: "{\"a\": 3, \"b\": 2}"},
	{name: "json vault", in: "{\"v\": {\"__ansible_vault\": \"abc\"}, \"w\": {\"x\": 1, \"__ansible_vault\": \"def\"}}", want: "{\"v\": {\"__ansible_vault\": \"abc\"}, \"w\": {\"__ansible_vault\": \"def\"}}"},
	{name: "json unsafe", in: "{\"v\": {\"__ansible_unsafe\": \"{{ x }}\"}, \"w\": {\"__ansible_unsafe\": {\"k\": \"v\", \"n\": 1}}}", want: "{\"v\": {\"__ansible_unsafe\": \"{{ x }}\"}, \"w\": {\"k\": {\"__ansible_unsafe\": \"v\"}, \"n\": 1}}"},
	{name: "json big int", in: "{\"v\": 123456789012345678901234567890}", want: "{\"v\": 123456789012345678901234567890}"},
	{name: "json bom is yaml", in: "\ufeff{\"v\": 1e3}", want: "{\"v\": \"1e3\"}"},
	{name: "json minus zero", in: "{\"v\": [-0, -0.0, 1E400]}", want: "{\"v\": [0, -0.0, Infinity]}"},
	{name: "yaml 1.2 directive", in: "%YAML 1.2\n---\nv: yes", want: "{\"v\": true}"},
	{name: "empty document", in: "", want: "null"},
	{name: "document marker only", in: "---\n", want: "null"},
	{name: "bad date", in: "v: 2001-02-30", wantErr: true},
	{name: "hour 24", in: "v: 2001-01-01 24:00:00", wantErr: true},
	{name: "year 0", in: "v: 0000-01-01", wantErr: true},
	{name: "offset 24", in: "v: 2001-01-01 01:00:00 +24", wantErr: true},
	{name: "explicit int 08", in: "v: !!int '08'", wantErr: true},
	{name: "explicit int empty", in: "v: !!int ''", wantErr: true},
	{name: "explicit bool foo", in: "v: !!bool 'foo'", wantErr: true},
	{name: "explicit float hex", in: "v: !!float '0x1p-2'", wantErr: true},
	{name: "hex without digits", in: "v: 0x_", wantErr: true},
	{name: "unknown tag", in: "v: !foo x", wantErr: true},
	{name: "merge value", in: "v: <<", wantErr: true},
	{name: "value tag as value", in: "v: =", wantErr: true},
	{name: "merge scalar", in: "v:\n  <<: 1", wantErr: true},
	{name: "merge list of scalars", in: "v:\n  <<: [1]", wantErr: true},
	{name: "duplicate anchor", in: "a: &x 1\nb: &x 2", wantErr: true},
	{name: "list key", in: "? [a]\n: 1", wantErr: true},
	{name: "map key", in: "{{a: 1}: 2}", wantErr: true},
	{name: "two documents", in: "--- 1\n--- 2", wantErr: true},
	{name: "syntax", in: "v: [1", wantErr: true},
	{name: "str of a sequence", in: "v: !!str [1]", wantErr: true},
	{name: "map of a sequence", in: "v: !!map [1]", wantErr: true},
	{name: "seq of a map", in: "v: !!seq {a: 1}", wantErr: true},
	{name: "omap of a map", in: "v: !!omap {a: 1}", wantErr: true},
	{name: "recursive unsafe", in: "&a !unsafe [*a]", wantErr: true},
	{name: "vault key", in: "{!vault x: 1}", wantErr: true},
}

// loadAsJSON loads a document as Ansible would and returns the value as a
// reader of Ansible's JSON output sees it.
func loadAsJSON(t testing.TB, in string) (model.Value, error) {
	t.Helper()
	v, err := Load("x.yml", []byte(in))
	if err != nil {
		return nil, err
	}
	got, err := NewConverter([]byte(in)).Value(v)
	if err != nil {
		return nil, err
	}
	return asJSONReads(t, got), nil
}

func TestYAML11(t *testing.T) {
	for _, tt := range yaml11Tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadAsJSON(t, tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("load(%q) = %s, want an error", tt.in, model.MarshalJSON(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("load(%q): %v", tt.in, err)
			}
			want, err := model.UnmarshalJSON([]byte(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			if !model.EqualOrdered(got, want) {
				t.Errorf("load(%q) = %s, want %s", tt.in, model.MarshalJSON(got), tt.want)
			}
		})
	}
}

// pyLoadScript prints, for each document read as a JSON list on stdin, what
// Ansible's from_yaml makes of it as JSON, or "ERROR".
const pyLoadScript = `
import json, sys
from ansible.parsing.utils.yaml import from_yaml
from ansible.parsing.ajson import AnsibleJSONEncoder
out = []
for src in json.load(sys.stdin):
    try:
        v = from_yaml(src, file_name='x.yml')
        out.append(json.dumps(v, cls=AnsibleJSONEncoder, preprocess_unsafe=True, sort_keys=False))
    except Exception as e:
        out.append('ERROR')
print(json.dumps(out))
`

// pythonLoads runs pyLoadScript.
func pythonLoads(t testing.TB, docs []string) []string {
	t.Helper()
	in, _ := json.Marshal(docs)
	out := ansibletest.RunPython(t, pyLoadScript, in)
	var res []string
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(docs) {
		t.Fatalf("python output: %v", err)
	}
	return res
}

// asJSONReads is v as a reader of its JSON sees it: a mapping whose only key
// is "__ansible_vault" prints exactly as a vaulted value does.
func asJSONReads(t testing.TB, v model.Value) model.Value {
	t.Helper()
	r, err := model.UnmarshalJSON(model.MarshalJSON(v))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIntegration_YAML11TableIsAnsibles(t *testing.T) {
	docs := make([]string, len(yaml11Tests))
	for i, tt := range yaml11Tests {
		docs[i] = tt.in
	}
	for i, py := range pythonLoads(t, docs) {
		tt := yaml11Tests[i]
		if tt.wantErr != (py == "ERROR") {
			t.Errorf("%s: wantErr %v, Python says %s", tt.name, tt.wantErr, py)
			continue
		}
		if !tt.wantErr {
			a, _ := model.UnmarshalJSON([]byte(py))
			b, _ := model.UnmarshalJSON([]byte(tt.want))
			if !model.EqualOrdered(a, b) {
				t.Errorf("%s: want %s, Python says %s", tt.name, tt.want, py)
			}
		}
	}
}

func TestYAML11Positions(t *testing.T) {
	src := "# comment\nweb:\n  hosts:\n    h1:\n      x: 1\n\n      'y': [1,\n        2]\n"
	v, err := Load("f.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	web := v.(*Dict).Vals[0].(*Dict)
	hosts := web.Vals[0].(*Dict)
	h1 := hosts.Vals[0].(*Dict)
	if got, want := v.(*Dict).KeyLines, []int{2}; !slices.Equal(got, want) {
		t.Errorf("top key lines = %v, want %v", got, want)
	}
	if got, want := h1.KeyLines, []int{5, 7}; !slices.Equal(got, want) {
		t.Errorf("h1 key lines = %v, want %v", got, want)
	}
}

func TestYAML11Errors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"parser error line", "a: 1\nb: [1\n", "x.yml:2: yaml: did not find expected ',' or ']'"},
		{"scanner error line", "a: 1\nb: c: d\n", "x.yml:2: yaml: mapping values are not allowed in this context"},
		{"constructor error line", "a: 1\nb: !!int abc\n", "x.yml:2: cannot construct int from \"abc\""},
		{"duplicate anchor", "a: &x 1\nb: &x 2\n", "x.yml:2: found duplicate anchor \"x\"; first occurrence on line 1"},
		{"unknown tag", "a:\n  - !foo 1\n", "x.yml:2: could not determine a constructor for the tag \"!foo\""},
		{"bad json in a .json file", "{\"a\": 1,\n \"b\" 2}", "x.json:2: invalid JSON (Expecting ':' delimiter), and not YAML either (yaml: did not find expected ',' or '}')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := "x.yml"
			if strings.HasPrefix(tt.want, "x.json") {
				file = "x.json"
			}
			_, err := Load(file, []byte(tt.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v, want an *Error", err)
			}
			if got := fmt.Sprintf("%s:%d: %v", file, e.Line, e); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error = %s, want prefix %q", got, tt.want)
			}
		})
	}
}

// TestYAML11AliasBomb checks that a document built to expand exponentially
// fails fast instead of exhausting memory.
func TestYAML11AliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 12; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	_, err := loadAsJSON(t, b.String())
	if err == nil || !strings.Contains(err.Error(), "too many values") {
		t.Fatalf("err = %v, want a too-many-values error", err)
	}
	// Merges can multiply entries the same way.
	b.Reset()
	b.WriteString("m0: &m0 {k0: 1}\n")
	for i := 1; i <= 30; i++ {
		b.WriteString("m" + itoa(i) + ": &m" + itoa(i) + " {<<: [*m" + itoa(i-1) + ", *m" + itoa(i-1) + "], k" + itoa(i) + ": 1}\n")
	}
	if _, err := loadAsJSON(t, b.String()); err == nil || !strings.Contains(err.Error(), "too many values") {
		t.Fatalf("merge bomb: err = %v, want a too-many-values error", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// within fails the test if fn runs longer than d: the fuzz targets look for
// hangs as well as panics.
func within(t *testing.T, d time.Duration, in any, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v on %q", d, in)
	}
}

// FuzzYAML11 loads arbitrary documents: no panic, no runaway, and whatever
// loads is a valid model value that survives a JSON round trip.
func FuzzYAML11(f *testing.F) {
	for _, tt := range yaml11Tests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 1<<16 {
			return
		}
		var got model.Value
		var err error
		within(t, 5*time.Second, in, func() {
			var v any
			if v, err = Load("f.yml", []byte(in)); err == nil {
				got, err = NewConverter([]byte(in)).Value(v)
			}
		})
		if err != nil {
			return
		}
		if err := model.CheckValue(got); err != nil {
			t.Fatalf("load(%q) made an invalid value: %v", in, err)
		}
		back, err := model.UnmarshalJSON(model.MarshalJSON(got))
		if err != nil {
			t.Fatalf("load(%q): JSON of the result does not parse: %v", in, err)
		}
		if !model.Equal(back, asJSONReads(t, back)) {
			t.Fatalf("load(%q): JSON round trip unstable", in)
		}
	})
}
