package pycompat

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kook-project/kook/model"
)

// ParseValue types text as Ansible users expect a VAR=VALUE value typed:
// as the YAML 1.1 value Ansible's loader makes of it as a mapping value
// ("k: TEXT"). 8080 is an int, "8080" a string, yes and on bools, 1.5 a
// float, [1, 2] a list, {a: 1} a dict, an empty text null. A line break in
// text is an error: it would change the document's structure.
func ParseValue(text string) (model.Value, error) {
	if strings.ContainsAny(text, "\n\r") {
		return nil, errors.New("a line break in a YAML value is not supported (give the value as JSON)")
	}
	data := []byte("v: " + text + "\n")
	v, err := decodeYAML(data)
	if err != nil {
		return nil, fmt.Errorf("invalid YAML value %q: %w", text, err)
	}
	m, ok := v.(*Dict)
	if !ok || len(m.Keys) != 1 {
		return nil, fmt.Errorf("invalid YAML value %q", text)
	}
	return NewConverter(data).Value(m.Vals[0])
}

// ImplicitStr reports whether YAML 1.1 types the plain (unquoted) scalar s
// as a string, as PyYAML's resolver does: "web" yes, "yes", "010", "1:20",
// "2024-01-01", "~" and "<<" not.
func ImplicitStr(s string) bool { return y11ResolveImplicit(s) == ytagStr }
