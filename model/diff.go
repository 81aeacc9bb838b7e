package model

import (
	"fmt"
	"io"
	"strings"
)

// Change is one difference between two inventories, for people to read.
type Change struct {
	Op     byte   // '+' added, '-' removed, '~' changed
	Kind   string // "host", "group", "member", "child", "var", "file var", "file var source", "priority", "order"
	Entity string // "host web1" or "group web"
	Detail string // what changed, e.g. `http_port: 80 -> 8080`
}

func (c Change) String() string {
	if c.Detail == "" {
		return fmt.Sprintf("%c %s", c.Op, c.Entity)
	}
	return fmt.Sprintf("%c %s: %s %s", c.Op, c.Entity, c.Kind, c.Detail)
}

// Diff lists what turns a into b: hosts and groups added and removed,
// memberships, children, vars at each level, priorities, and order.
// Provenance alone is not reported.
func Diff(a, b *Inventory) []Change {
	var out []Change
	for _, h := range b.Hosts {
		if a.Host(h.Name) == nil {
			out = append(out, Change{Op: '+', Kind: "host", Entity: "host " + h.Name})
		}
	}
	for _, h := range a.Hosts {
		if b.Host(h.Name) == nil {
			out = append(out, Change{Op: '-', Kind: "host", Entity: "host " + h.Name})
		}
	}
	for _, g := range b.Groups {
		if a.Group(g.Name) == nil {
			out = append(out, Change{Op: '+', Kind: "group", Entity: "group " + g.Name})
		}
	}
	for _, g := range a.Groups {
		if b.Group(g.Name) == nil {
			out = append(out, Change{Op: '-', Kind: "group", Entity: "group " + g.Name})
		}
	}
	for _, hb := range b.Hosts {
		ha := a.Host(hb.Name)
		if ha == nil {
			ha = &Host{}
		}
		ent := "host " + hb.Name
		out = diffVars(out, ent, "var", ha.Vars, hb.Vars)
		out = diffVars(out, ent, "file var", ha.FileVars, hb.FileVars)
	}
	for _, gb := range b.Groups {
		ga := a.Group(gb.Name)
		if ga == nil {
			ga = NewGroup(gb.Name)
		}
		ent := "group " + gb.Name
		out = diffList(out, ent, "member", ga.Hosts, gb.Hosts)
		out = diffList(out, ent, "child", ga.Children, gb.Children)
		if ga.Priority != gb.Priority {
			out = append(out, Change{Op: '~', Kind: "priority", Entity: ent, Detail: fmt.Sprintf("%d -> %d", ga.Priority, gb.Priority)})
		}
		out = diffVars(out, ent, "var", ga.Vars, gb.Vars)
		out = diffVars(out, ent, "file var", ga.FileVars, gb.FileVars)
		out = diffRanks(out, ent, ga, gb)
	}
	if len(out) == 0 && !EqualInventories(a, b) {
		out = append(out, Change{Op: '~', Kind: "order", Entity: "inventory", Detail: "(hosts or groups reordered, or provenance changed)"})
	}
	return out
}

func diffVars(out []Change, ent, kind string, a, b Map) []Change {
	for _, e := range b {
		old, ok := a.Get(e.Key)
		switch {
		case !ok:
			out = append(out, Change{Op: '+', Kind: kind, Entity: ent, Detail: fmt.Sprintf("%s = %s", e.Key, short(e.Value))})
		case !EqualOrdered(old, e.Value):
			out = append(out, Change{Op: '~', Kind: kind, Entity: ent, Detail: fmt.Sprintf("%s: %s -> %s", e.Key, short(old), short(e.Value))})
		}
	}
	for _, e := range a {
		if !b.Has(e.Key) {
			out = append(out, Change{Op: '-', Kind: kind, Entity: ent, Detail: e.Key})
		}
	}
	return out
}

// diffRanks reports file vars of b whose source rank (Group.FileVarRanks)
// differs from a's, the value staying the same.
func diffRanks(out []Change, ent string, a, b *Group) []Change {
	for _, e := range b.FileVars {
		old, ok := a.FileVars.Get(e.Key)
		if ok && EqualOrdered(old, e.Value) && a.FileVarRanks[e.Key] != b.FileVarRanks[e.Key] {
			out = append(out, Change{Op: '~', Kind: "file var source", Entity: ent,
				Detail: fmt.Sprintf("%s: source %d -> %d", e.Key, a.FileVarRanks[e.Key], b.FileVarRanks[e.Key])})
		}
	}
	return out
}

func diffList(out []Change, ent, kind string, a, b []string) []Change {
	inA := make(map[string]bool, len(a))
	for _, x := range a {
		inA[x] = true
	}
	inB := make(map[string]bool, len(b))
	for _, x := range b {
		inB[x] = true
		if !inA[x] {
			out = append(out, Change{Op: '+', Kind: kind, Entity: ent, Detail: x})
		}
	}
	for _, x := range a {
		if !inB[x] {
			out = append(out, Change{Op: '-', Kind: kind, Entity: ent, Detail: x})
		}
	}
	return out
}

// short renders a value as JSON, cut to a readable length.
func short(v Value) string {
	s := string(MarshalJSON(v))
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// Summary counts changes by kind and operation: "+2 hosts, -1 group, ~3 vars".
func Summary(changes []Change) string {
	if len(changes) == 0 {
		return "no changes"
	}
	type key struct {
		op   byte
		kind string
	}
	counts := map[key]int{}
	var order []key
	for _, c := range changes {
		k := key{c.Op, c.Kind}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		noun := k.kind
		if counts[k] != 1 {
			noun = pluralNoun(noun)
		}
		parts[i] = fmt.Sprintf("%c%d %s", k.op, counts[k], noun)
	}
	return strings.Join(parts, ", ")
}

// WriteChanges writes one change per line.
func WriteChanges(w io.Writer, changes []Change) error {
	for _, c := range changes {
		if _, err := fmt.Fprintln(w, c); err != nil {
			return err
		}
	}
	return nil
}

func pluralNoun(noun string) string {
	switch {
	case strings.HasSuffix(noun, "child"):
		return noun + "ren"
	case strings.HasSuffix(noun, "y"):
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}

// NodeDiff lists, for people, what a change of nodes does: hosts and
// groups added and removed, then each host's vars, then each group's
// members, children, priority and vars. Provenance and keys alone are not
// reported. A membership is reported on its group ("group web: member w1"),
// a parent link on the parent ("group prod: child web").
func NodeDiff(hosts []HostChange, groups []GroupChange) []Change {
	var out []Change
	for _, c := range hosts {
		if c.Before == nil {
			out = append(out, Change{Op: '+', Kind: "host", Entity: "host " + c.After.Name})
		}
	}
	for _, c := range hosts {
		if c.After == nil {
			out = append(out, Change{Op: '-', Kind: "host", Entity: "host " + c.Before.Name})
		}
	}
	for _, c := range groups {
		if c.Before == nil {
			out = append(out, Change{Op: '+', Kind: "group", Entity: "group " + c.After.Name})
		}
	}
	for _, c := range groups {
		if c.After == nil {
			out = append(out, Change{Op: '-', Kind: "group", Entity: "group " + c.Before.Name})
		}
	}
	for _, c := range hosts {
		a, b := c.Before, c.After
		if b == nil {
			continue
		}
		if a == nil {
			a = &HostNode{Host: Host{Name: b.Name}}
		}
		ent := "host " + b.Name
		out = diffVars(out, ent, "var", a.Vars, b.Vars)
		out = diffVars(out, ent, "file var", a.FileVars, b.FileVars)
	}
	// Edges, reported on the group they point to.
	type edge struct {
		op          byte
		kind, group string
		name        string
	}
	var edges []edge
	for _, c := range hosts {
		for _, g := range c.Before.Edges() {
			if c.After == nil || !c.After.InGroup(g.Name) {
				edges = append(edges, edge{'-', "member", g.Name, c.Before.Name})
			}
		}
		for _, g := range c.After.Edges() {
			if c.Before == nil || !c.Before.InGroup(g.Name) {
				edges = append(edges, edge{'+', "member", g.Name, c.After.Name})
			}
		}
	}
	for _, c := range groups {
		for _, p := range c.Before.Edges() {
			if c.After == nil || !c.After.HasParent(p.Name) {
				edges = append(edges, edge{'-', "child", p.Name, c.Before.Name})
			}
		}
		for _, p := range c.After.Edges() {
			if c.Before == nil || !c.Before.HasParent(p.Name) {
				edges = append(edges, edge{'+', "child", p.Name, c.After.Name})
			}
		}
	}
	for _, e := range edges {
		out = append(out, Change{Op: e.op, Kind: e.kind, Entity: "group " + e.group, Detail: e.name})
	}
	for _, c := range groups {
		a, b := c.Before, c.After
		if b == nil {
			continue
		}
		if a == nil {
			a = &GroupNode{Group: *NewGroup(b.Name)}
		}
		ent := "group " + b.Name
		if a.Priority != b.Priority {
			out = append(out, Change{Op: '~', Kind: "priority", Entity: ent, Detail: fmt.Sprintf("%d -> %d", a.Priority, b.Priority)})
		}
		out = diffVars(out, ent, "var", a.Vars, b.Vars)
		out = diffVars(out, ent, "file var", a.FileVars, b.FileVars)
		out = diffRanks(out, ent, &a.Group, &b.Group)
	}
	return out
}
