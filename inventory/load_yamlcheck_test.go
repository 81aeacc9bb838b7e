package inventory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kook-project/kook/internal/pycompat"
)

// checkCannotBeYAMLMapping fails if cannotBeYAMLMapping claims data is not
// a mapping while the YAML loader reads one from it.
func checkCannotBeYAMLMapping(t *testing.T, name string, data []byte) {
	t.Helper()
	if !cannotBeYAMLMapping(data) {
		return
	}
	v, err := pycompat.Load("f", data)
	if _, ok := v.(*pycompat.Dict); ok && err == nil {
		t.Errorf("%s: cannotBeYAMLMapping, but YAML reads a mapping from %q", name, data)
	}
}

func TestCannotBeYAMLMapping(t *testing.T) {
	tests := []struct {
		data string
		want bool
	}{
		{"h1 a=1\nh2 b=2\n[web]\nh3\n", true},
		{"# comment\n  # indented comment\n\n   \nh1 a=1\n\n  \nh2\n", true},
		{"1\n2\n", true},
		{"true\nfalse\n", true},
		{"h1\n", false},                    // one line: a key needs no second line
		{"h1 a=1\n", false},                // nor does a string
		{"h1\n[web]\n", false},             // second line does not start a word
		{"h1\n  h2\n", false},              // nor here
		{"h1\n# c\nh2\n", false},           // a comment ends the scalar
		{"h1\n---\nh2\n", false},           // so does a document marker
		{"a: 1\nb: 2\n", false},            // a mapping
		{"a b:\n  c\n", false},             // key on the first line
		{"a #x\nb\n", false},               // comment on the first line
		{"# c\rk: v\nab\ncd\n", false},     // '\r' ends a comment for YAML
		{"# c\u2028k: v\nab\ncd\n", false}, // so does U+2028
		{"\th1\nh2\n", false},
		{"{\"a\": 1}\nb\n", false},
		{"[web]\nh1\n", false},
		{"-h1\nh2\n", false},
		{"%YAML 1.1\n---\na\nb\n", false},
		{"", false},
		{"# only a comment\n", false},
	}
	for _, tt := range tests {
		if got := cannotBeYAMLMapping([]byte(tt.data)); got != tt.want {
			t.Errorf("cannotBeYAMLMapping(%q) = %v, want %v", tt.data, got, tt.want)
		}
		checkCannotBeYAMLMapping(t, "case", []byte(tt.data))
	}
	files, _ := filepath.Glob("testdata/*/*")
	more, _ := filepath.Glob("testdata/dirs/*/*")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err == nil {
			checkCannotBeYAMLMapping(t, f, data)
		}
	}
}

func FuzzCannotBeYAMLMapping(f *testing.F) {
	for _, s := range []string{
		"h1 a=1\nh2 b=2\n", "# c\nh1\nh2\n", "a\n b: c\n", "a\nb\n: c\n", "x\ny\n...\nz: 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkCannotBeYAMLMapping(t, "fuzz", data)
	})
}
