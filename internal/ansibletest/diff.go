package ansibletest

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/kook-project/kook/model"
)

// Diff compares two JSON values as Ansible's output means them: object key
// order is ignored (ansible-inventory sorts keys), list order counts (hosts
// run in inventory order), and types are exact (1 is not 1.0). It returns ""
// when they are equal, else the first difference as "PATH: want X, got Y",
// PATH like $.all.children[1] or $["web-1"].hosts.
func Diff(want, got model.Value) string {
	return diff("$", want, got)
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func keyPath(path, key string) string {
	if identifier.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func diff(path string, want, got model.Value) string {
	// Ansible prints a vaulted value and a plain dict {"__ansible_vault": s}
	// as the same JSON, and its dumps cannot tell them apart: neither can
	// the comparison.
	want, got = vaultForm(want), vaultForm(got)
	switch w := want.(type) {
	case model.Map:
		g, ok := got.(model.Map)
		if !ok {
			return mismatch(path, want, got)
		}
		for _, e := range w {
			gv, ok := g.Get(e.Key)
			if !ok {
				return fmt.Sprintf("%s: missing (want %s)", keyPath(path, e.Key), short(e.Value))
			}
			if d := diff(keyPath(path, e.Key), e.Value, gv); d != "" {
				return d
			}
		}
		for _, e := range g {
			if !w.Has(e.Key) {
				return fmt.Sprintf("%s: unexpected (got %s)", keyPath(path, e.Key), short(e.Value))
			}
		}
		return ""
	case []model.Value:
		g, ok := got.([]model.Value)
		if !ok {
			return mismatch(path, want, got)
		}
		for i := range min(len(w), len(g)) {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		if len(w) != len(g) {
			return fmt.Sprintf("%s: want %d items, got %d: want %s, got %s", path, len(w), len(g), short(want), short(got))
		}
		return ""
	}
	if !model.Equal(want, got) {
		return mismatch(path, want, got)
	}
	return ""
}

func mismatch(path string, want, got model.Value) string {
	return fmt.Sprintf("%s: want %s (%s), got %s (%s)", path, short(want), typeName(want), short(got), typeName(got))
}

func typeName(v model.Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case model.Map:
		return "object"
	case []model.Value:
		return "list"
	case int64:
		return "int"
	}
	return fmt.Sprintf("%T", v)
}

// short renders v as JSON, cut to a readable length.
func short(v model.Value) string {
	b := model.AppendJSON(nil, v, true)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

func vaultForm(v model.Value) model.Value {
	if m, ok := v.(model.Map); ok && len(m) == 1 && m[0].Key == "__ansible_vault" {
		if s, ok := m[0].Value.(string); ok {
			return model.Vault(s)
		}
	}
	return v
}
