package export

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// This file writes values as YAML that Ansible's loader (PyYAML, YAML 1.1)
// reads back as the same values, and reads one value the way that loader
// does. yaml.v3 decides quoting by YAML 1.2, so every string that YAML 1.1
// would type as something else (yes, 010, 1:20, 2024-01-01, <<, =) is
// quoted here, and floats are written in a form YAML 1.1 types as float
// (1.0e+16, not 1e+16).

// MarshalYAML returns v as a block-style YAML document that Ansible reads
// back as v.
func MarshalYAML(v model.Value) ([]byte, error) {
	var y yamlEncoder
	n, err := y.node(v)
	if err != nil {
		return nil, err
	}
	return y.encode(n)
}

// yamlEncoder builds yaml.v3 nodes.
type yamlEncoder struct{}

func (y *yamlEncoder) encode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encode yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode yaml: %w", err)
	}
	return buf.Bytes(), nil
}

// node builds the node for v.
func (y *yamlEncoder) node(v model.Value) (*yaml.Node, error) {
	switch v := v.(type) {
	case nil:
		return yamlScalar("!!null", "null"), nil
	case bool:
		return yamlScalar("!!bool", strconv.FormatBool(v)), nil
	case int64:
		return yamlScalar("!!int", strconv.FormatInt(v, 10)), nil
	case *big.Int:
		return yamlScalar("!!int", v.String()), nil
	case float64:
		return yamlScalar("!!float", yamlFloat(v)), nil
	case string:
		return y.str(v)
	case model.Vault:
		n := yamlScalar("!vault", string(v))
		n.Style = yaml.LiteralStyle
		return n, nil
	case []model.Value:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, x := range v {
			c, err := y.node(x)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case model.Map:
		// {"__ansible_unsafe": text} is how kook holds an !unsafe string.
		if len(v) == 1 && v[0].Key == pycompat.UnsafeKey {
			if s, ok := v[0].Value.(string); ok {
				n, err := y.str(s)
				if err != nil {
					return nil, err
				}
				n.Tag, n.Style = "!unsafe", yaml.DoubleQuotedStyle
				return n, nil
			}
		}
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, e := range v {
			k, err := y.str(e.Key)
			if err != nil {
				return nil, err
			}
			c, err := y.node(e.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.Key, err)
			}
			n.Content = append(n.Content, k, c)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

func yamlScalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// str is a string node, quoted when YAML 1.1 would not read it back as
// this string.
func (y *yamlEncoder) str(s string) (*yaml.Node, error) {
	// A Python string may hold lone surrogates (kook keeps them WTF-8
	// encoded); Ansible's YAML loader (libyaml) refuses even their \u
	// escapes, so no YAML holds them.
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("string %q is not valid UTF-8 (a lone surrogate?) and YAML cannot hold it", s)
	}
	n := yamlScalar("!!str", s)
	// A multi-line string may go in a literal block; libyaml's emitter falls
	// back to double quotes where a block could not hold it exactly.
	if !pycompat.ImplicitStr(s) || strings.ContainsAny(s, "\r\t") ||
		(!strings.Contains(s, "\n") && s != strings.TrimSpace(s)) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n, nil
}

// yamlFloat writes f so that YAML 1.1 reads a float: Python's repr with a
// '.' before any exponent, and .inf/.nan.
func yamlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := model.FormatFloat(f)
	if i := strings.IndexAny(s, "eE"); i >= 0 && !strings.Contains(s[:i], ".") {
		s = s[:i] + ".0" + s[i:]
	}
	return s
}

// yamlEntry is one mention of a group in a YAML inventory.
type yamlEntry struct {
	name     string
	hosts    []string
	vars     model.Map // with ansible_group_priority when not 1
	children []*yamlEntry
	data     bool // write hosts and vars here
}

// renderYAML writes inv as a YAML inventory that yaml.py reads back the
// same. yaml.py creates a group where the document first mentions it and
// adds a child to its parent's children after reading the child, so:
//
//   - Where a depth-first walk from 'all' meets the groups in creation
//     order (as in a YAML source), the document is the usual nested one:
//     'all' holds the tree, each group its hosts, vars and children where
//     first met, and a bare mention under any other parent.
//   - Otherwise (as from an INI source, whose [x:children] sections come
//     last) it is flat: a top-level entry per group in creation order
//     holding its hosts and vars, then 'all' with the tree of children only,
//     which adds every edge once all groups exist. A group named "plugin"
//     has its hosts and vars in the tree instead: yaml.py takes a document
//     with a non-empty top-level "plugin" for a plugin config.
//
// Either way hosts that the document would create out of inventory order
// are listed first under 'ungrouped' (see renderINI), and each group's
// ansible_group_priority other than 1 is in its vars.
func renderYAML(inv *model.Inventory) ([]byte, error) {
	ungrouped := inv.Group("ungrouped")
	top, first := yamlNested(inv)
	natural := yamlHosts(top)
	// In the nested layout 'all''s own hosts come before 'ungrouped': it
	// serves only if they need no hosts created before them.
	if top == nil || len(inv.Group("all").Hosts) > 0 && len(ungroupedPrefix(inv, natural)) > 0 {
		top, first = yamlFlat(inv)
		natural = yamlHosts(top)
	}
	// A host in no group but 'all' cannot be created early through
	// 'ungrouped': it is created where 'all' lists it (Export notes it).
	var prefix []string
	eligible := ungroupable(inv)
	candidates, exact := ungroupedPrefixExact(inv, natural)
	if !exact {
		// A host below 'ungrouped' cannot be listed there early: in the
		// flat layout, 'ungrouped' listed after the groups may do.
		flat, ug := yamlFlat(inv)
		flat = append(append(slices.Clone(flat[1:len(flat)-1]), ug), flat[len(flat)-1])
		if rest := withoutNames(yamlHosts(flat), ungrouped.Hosts); ungroupedLast(inv, rest) {
			top, first, natural, candidates = flat, ug, yamlHosts(flat), nil
		}
	}
	for _, h := range candidates {
		if eligible[h] {
			prefix = append(prefix, h)
		}
	}
	first.hosts = append(prefix, withoutNames(ungrouped.Hosts, prefix)...)

	w := &yamlWriter{inv: inv, seen: map[string]bool{}, bare: laterMentioned(inv, prefix, withoutNames(natural, ungrouped.Hosts)), skip: first}
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, e := range top {
		if e == w.skip && e.empty() {
			continue
		}
		k, n, err := w.entry(e)
		if err != nil {
			return nil, err
		}
		doc.Content = append(doc.Content, k, n)
	}
	return w.y.encode(doc)
}

// yamlHosts lists the hosts a document mentions with data, in order.
func yamlHosts(top []*yamlEntry) []string {
	var out []string
	var walk func(e *yamlEntry)
	walk = func(e *yamlEntry) {
		if e.data {
			out = append(out, e.hosts...)
		}
		for _, c := range e.children {
			walk(c)
		}
	}
	for _, e := range top {
		walk(e)
	}
	return out
}

// yamlGroup is the entry of a group holding its hosts and vars.
func yamlGroup(g *model.Group) *yamlEntry {
	e := &yamlEntry{name: g.Name, hosts: g.Hosts, vars: g.Vars, data: true}
	if g.Priority != model.DefaultPriority {
		e.vars = append(model.Map{{Key: model.PriorityVar, Value: int64(g.Priority)}}, g.Vars...)
	}
	return e
}

// empty reports whether an entry would be a bare mention.
func (e *yamlEntry) empty() bool {
	return len(e.children) == 0 && (!e.data || len(e.hosts) == 0 && len(e.vars) == 0)
}

// yamlTree returns the entries of the children of 'all', depth first, each
// group's own data (when withData) and children at its first mention.
func yamlTree(inv *model.Inventory, withData func(name string) bool) []*yamlEntry {
	visited := map[string]bool{}
	var visit func(name string) *yamlEntry
	visit = func(name string) *yamlEntry {
		g := inv.Group(name)
		if visited[name] {
			return &yamlEntry{name: name}
		}
		visited[name] = true
		e := &yamlEntry{name: name}
		if withData(name) {
			e = yamlGroup(g)
		}
		for _, c := range g.Children {
			e.children = append(e.children, visit(c))
		}
		return e
	}
	var out []*yamlEntry
	for _, c := range inv.Group("all").Children {
		out = append(out, visit(c))
	}
	return out
}

// yamlNested returns the nested document's top entries and the entry that
// lists hosts created early ('ungrouped'), or nil where the nested layout
// would not create the groups in order or could not put those hosts first.
func yamlNested(inv *model.Inventory) ([]*yamlEntry, *yamlEntry) {
	all := inv.Group("all")
	if len(all.Children) == 0 || all.Children[0] != "ungrouped" {
		return nil, nil
	}
	root := yamlGroup(all)
	root.children = yamlTree(inv, func(string) bool { return true })
	var order []string
	var walk func(e *yamlEntry)
	seen := map[string]bool{}
	walk = func(e *yamlEntry) {
		if !seen[e.name] {
			seen[e.name] = true
			order = append(order, e.name)
		}
		for _, c := range e.children {
			walk(c)
		}
	}
	walk(root)
	for i, g := range inv.Groups {
		if i >= len(order) || order[i] != g.Name {
			return nil, nil
		}
	}
	return []*yamlEntry{root}, root.children[0]
}

// yamlFlat returns the flat document's top entries and its first entry,
// 'ungrouped'.
func yamlFlat(inv *model.Inventory) ([]*yamlEntry, *yamlEntry) {
	all, ungrouped := inv.Group("all"), inv.Group("ungrouped")
	top := []*yamlEntry{yamlGroup(ungrouped)}
	for _, g := range inv.Groups {
		if g != all && g != ungrouped {
			e := yamlGroup(g)
			if g.Name == "plugin" {
				e = &yamlEntry{name: g.Name}
			}
			top = append(top, e)
		}
	}
	root := yamlGroup(all)
	for i, e := range yamlTree(inv, func(name string) bool { return name == "plugin" }) {
		if i == 0 && e.name == "ungrouped" && len(e.children) == 0 {
			continue // 'all' has it first already
		}
		root.children = append(root.children, e)
	}
	return append(top, root), top[0]
}

type yamlWriter struct {
	inv  *model.Inventory
	seen map[string]bool // hosts already written, with their vars
	bare map[string]bool // prefix hosts whose vars wait for a later mention
	skip *yamlEntry      // 'ungrouped', left out when it would be a bare mention
	y    yamlEncoder
}

// entry returns the key and value nodes of one group mention.
func (w *yamlWriter) entry(e *yamlEntry) (*yaml.Node, *yaml.Node, error) {
	key, err := w.y.str(e.name)
	if err != nil {
		return nil, nil, fmt.Errorf("group %q: %w", e.name, err)
	}
	body := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if e.data && len(e.hosts) > 0 {
		hosts := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, h := range e.hosts {
			if err := hostNameRoundTrips(h); err != nil {
				return nil, nil, fmt.Errorf("host %q: %w", h, err)
			}
			k, err := w.y.str(h)
			if err != nil {
				return nil, nil, fmt.Errorf("host %q: %w", h, err)
			}
			v := yamlScalar("!!null", "")
			if w.bare[h] {
				delete(w.bare, h)
			} else if vars := w.inv.Host(h).Vars; !w.seen[h] {
				if len(vars) > 0 {
					if v, err = w.y.node(vars); err != nil {
						return nil, nil, fmt.Errorf("host %q: %w", h, err)
					}
				}
				w.seen[h] = true
			}
			hosts.Content = append(hosts.Content, k, v)
		}
		body.Content = append(body.Content, yamlScalar("!!str", "hosts"), hosts)
	}
	if e.data && len(e.vars) > 0 {
		v, err := w.y.node(e.vars)
		if err != nil {
			return nil, nil, fmt.Errorf("group %q: %w", e.name, err)
		}
		body.Content = append(body.Content, yamlScalar("!!str", "vars"), v)
	}
	if len(e.children) > 0 {
		kids := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, c := range e.children {
			if c == w.skip && c.empty() {
				continue
			}
			k, v, err := w.entry(c)
			if err != nil {
				return nil, nil, err
			}
			kids.Content = append(kids.Content, k, v)
		}
		if len(kids.Content) > 0 {
			body.Content = append(body.Content, yamlScalar("!!str", "children"), kids)
		}
	}
	if len(body.Content) == 0 {
		return key, yamlScalar("!!null", ""), nil
	}
	return key, body, nil
}
