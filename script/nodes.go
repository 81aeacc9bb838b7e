package script

import (
	"cmp"
	"maps"
	"slices"

	"github.com/kook-project/kook/model"
)

// How an inventory is kept as nodes. The script plugin creates groups and
// hosts in the order it meets them in --list's JSON. A group's Seq is the
// order Ansible must create it in; kook lists the groups in the order that
// makes it do so (emit_order.go works it out from the Seqs and the
// children). Each group lists its hosts and children by the keys of their
// edges. Inventory rebuilds what Ansible holds from nodes; Nodes turns an
// inventory (a parsed source) into nodes whose JSON makes Ansible rebuild
// that inventory, as nearly as the protocol allows.

// Inventory returns the inventory Ansible builds from the --list JSON of n:
// groups in the order Ansible creates them, hosts in the order it first
// meets them, each group's hosts and children in key order. 'ungrouped'
// lists only the hosts in no other group.
func Inventory(n *model.Nodes) *model.Inventory {
	members, children := edgeLists(n)
	inv := &model.Inventory{}
	inv.AddGroup("all")
	inv.AddGroup("ungrouped")
	for _, g := range emission(n, children) {
		inv.AddGroup(g.Name)
		for _, e := range members[g.Name] {
			inv.AddHost(e.Name)
		}
		for _, c := range children[g.Name] {
			inv.AddGroup(c.Name)
		}
	}
	var below map[string]bool // groups below 'ungrouped', once needed
	for _, h := range inv.Hosts {
		node := n.Hosts[h.Name]
		h.Vars, h.FileVars = node.Vars.Clone(), node.FileVars.Clone()
		h.Source, h.VarSources, h.FileVarSources = node.Source, maps.Clone(node.VarSources), maps.Clone(node.FileVarSources)
		if node.Slot != 0 {
			if below == nil {
				below = belowUngrouped(n, children)
			}
			h.LeftUngrouped = model.LeftUngrouped(node, below)
		}
	}
	for _, g := range inv.Groups {
		node := n.Groups[g.Name]
		if node == nil {
			continue
		}
		g.Vars, g.FileVars, g.Priority = node.Vars.Clone(), node.FileVars.Clone(), node.Priority
		g.Source, g.VarSources, g.FileVarSources = node.Source, maps.Clone(node.VarSources), maps.Clone(node.FileVarSources)
		g.FileVarRanks = maps.Clone(node.FileVarRanks)
		for _, e := range members[g.Name] {
			if h := n.Hosts[e.Name]; g.Name != "ungrouped" || h.InGroup("ungrouped") {
				g.Hosts = append(g.Hosts, e.Name)
			}
		}
		for _, c := range children[g.Name] {
			g.Children = append(g.Children, c.Name)
		}
	}
	return inv
}

// belowUngrouped returns the groups below 'ungrouped' in n.
func belowUngrouped(n *model.Nodes, children map[string][]model.Edge) map[string]bool {
	out := map[string]bool{}
	stack := []string{"ungrouped"}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range children[g] {
			if !out[c.Name] {
				out[c.Name] = true
				stack = append(stack, c.Name)
			}
		}
	}
	return out
}

// emission returns n's groups in the order --list lists them.
func emission(n *model.Nodes, children map[string][]model.Edge) []*model.GroupNode {
	seqOrder := sortedGroups(n)
	last := false
	if u := n.Groups["ungrouped"]; u != nil {
		last = u.ListLast
	}
	names := make([]string, len(seqOrder))
	for i, g := range seqOrder {
		names[i] = g.Name
	}
	order := emissionOrder(groupsOnly(names, func(g string) []string { return edgeNamesOf(children[g]) }), last)
	out := make([]*model.GroupNode, len(order))
	for i, k := range order {
		out[i] = seqOrder[k]
	}
	return out
}

// groupsOnly is an inventory of the groups alone, in the order given, each
// with its children: what emissionOrder needs.
func groupsOnly(names []string, children func(string) []string) *model.Inventory {
	inv := &model.Inventory{}
	for _, name := range names {
		inv.AddGroup(name)
	}
	for _, g := range inv.Groups {
		for _, c := range children(g.Name) {
			if inv.Group(c) != nil {
				g.Children = append(g.Children, c)
			}
		}
	}
	return inv
}

// sortedGroups returns n's groups in Seq order.
func sortedGroups(n *model.Nodes) []*model.GroupNode {
	out := make([]*model.GroupNode, 0, len(n.Groups))
	for _, g := range n.Groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *model.GroupNode) int {
		if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// edgeLists returns each group's listed hosts ('ungrouped': its members
// and the hosts with a slot) and its children, in key order.
func edgeLists(n *model.Nodes) (members, children map[string][]model.Edge) {
	members = map[string][]model.Edge{}
	children = map[string][]model.Edge{}
	for _, h := range n.Hosts {
		for _, e := range h.Groups {
			members[e.Name] = append(members[e.Name], model.Edge{Name: h.Name, Key: e.Key})
		}
		if h.Slot != 0 && !h.InGroup("ungrouped") {
			members["ungrouped"] = append(members["ungrouped"], model.Edge{Name: h.Name, Key: h.Slot})
		}
	}
	for _, g := range n.Groups {
		for _, e := range g.Parents {
			children[e.Name] = append(children[e.Name], model.Edge{Name: g.Name, Key: e.Key})
		}
	}
	for _, m := range []map[string][]model.Edge{members, children} {
		for _, list := range m {
			sortEdges(list)
		}
	}
	return members, children
}

func sortEdges(list []model.Edge) {
	slices.SortFunc(list, func(a, b model.Edge) int {
		if c := cmp.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// Nodes returns inv as nodes to store in place of base: groups get the
// Seq order --list must use for Ansible to create them in inv's order,
// edges the keys that list each group's hosts and children in inv's order,
// and hosts that Ansible would otherwise create out of order a Slot in
// 'ungrouped'. Keys already in base are kept where they still give the
// right order, so that an unchanged entity is not rewritten; new keys come
// after base.KeyBase. Fields base's nodes hold and kook does not know
// (Extra) are kept. inv must be reconciled, as a parsed inventory is.
func Nodes(inv *model.Inventory, base *model.Nodes) *model.Nodes {
	out := &model.Nodes{Hosts: make(map[string]*model.HostNode, len(inv.Hosts)),
		Groups: make(map[string]*model.GroupNode, len(inv.Groups)), KeyBase: base.KeyBase}
	var counter int64
	newKey := func() int64 {
		counter++
		return base.KeyBase + counter*model.KeyStep
	}
	keys, padding := newEmitter(inv).plan()
	order := make([]string, len(inv.Groups))
	oldSeq := make(map[string]int64, len(base.Groups))
	for i, g := range inv.Groups {
		order[i] = g.Name
	}
	for _, g := range base.Groups {
		oldSeq[g.Name] = g.Seq
	}
	seqs := assignKeys(order, oldSeq, newKey)
	// 'ungrouped' listed last (the plan's other choice is first).
	last := len(keys) > 1 && inv.Groups[keys[len(keys)-1]].Name == "ungrouped"
	baseMembers, baseChildren := edgeLists(base)
	for _, h := range inv.Hosts {
		node := &model.HostNode{Host: *h.Clone()}
		node.LeftUngrouped = false // a Slot stands for it (see model.Host.LeftUngrouped)
		if old := base.Hosts[h.Name]; old != nil {
			node.Extra = old.Extra.Clone()
		}
		out.Hosts[h.Name] = node
	}
	for _, k := range keys {
		g := inv.Groups[k]
		listed := g.Hosts
		if g.Name == "ungrouped" && padding != nil {
			listed = padding
		}
		old := map[string]int64{}
		for _, e := range baseMembers[g.Name] {
			old[e.Name] = e.Key
		}
		mk := assignKeys(listed, old, newKey)
		real := map[string]bool{}
		if g.Name == "ungrouped" {
			for _, h := range g.Hosts {
				real[h] = true
			}
		}
		for _, h := range listed {
			node := out.Hosts[h]
			if g.Name == "ungrouped" && !real[h] {
				node.Slot = mk[h]
				continue
			}
			node.Groups = append(node.Groups, model.Edge{Name: g.Name, Key: mk[h]})
		}
	}
	for _, k := range keys {
		g := inv.Groups[k]
		node := &model.GroupNode{Group: *g.Clone(), Seq: seqs[g.Name], ListLast: g.Name == "ungrouped" && last}
		node.Hosts, node.Children = nil, nil
		if old := base.Groups[g.Name]; old != nil {
			node.Extra = old.Extra.Clone()
		}
		out.Groups[g.Name] = node
	}
	for _, k := range keys {
		g := inv.Groups[k]
		old := map[string]int64{}
		for _, e := range baseChildren[g.Name] {
			old[e.Name] = e.Key
		}
		ck := assignKeys(g.Children, old, newKey)
		for _, c := range g.Children {
			out.Groups[c].Parents = append(out.Groups[c].Parents, model.Edge{Name: g.Name, Key: ck[c]})
		}
	}
	// Keep the edge order a node had when its edges are the same, so that
	// equal nodes encode alike.
	for name, node := range out.Hosts {
		if old := base.Hosts[name]; old != nil {
			node.Groups = sameOrder(node.Groups, old.Groups)
		}
	}
	for name, node := range out.Groups {
		if old := base.Groups[name]; old != nil {
			node.Parents = sameOrder(node.Parents, old.Parents)
		}
	}
	return out
}

// sameOrder returns edges in old's order when both hold the same edges.
func sameOrder(edges, old []model.Edge) []model.Edge {
	if len(edges) != len(old) {
		return edges
	}
	for _, e := range old {
		if !slices.Contains(edges, e) {
			return edges
		}
	}
	return slices.Clone(old)
}

// assignKeys gives each name, in order, a key that keeps the order: the
// key it had in old where the keys kept still increase, a key between its
// kept neighbours where there is room, and new keys after the last kept
// one (from newKey, which returns keys above every old one).
func assignKeys(names []string, old map[string]int64, newKey func() int64) map[string]int64 {
	out := make(map[string]int64, len(names))
	keep := make([]bool, len(names))
	last := int64(0)
	for i, n := range names {
		if k, ok := old[n]; ok && k > last {
			keep[i], last = true, k
		}
	}
	lo := int64(0)
	for i := 0; i < len(names); {
		if keep[i] {
			lo = old[names[i]]
			out[names[i]] = lo
			i++
			continue
		}
		// A run of names needing keys, up to the next kept name with room
		// enough below it.
		j := i
		for j < len(names) && !keep[j] {
			j++
		}
		for j < len(names) && old[names[j]]-lo <= int64(j-i) {
			keep[j] = false
			for j < len(names) && !keep[j] {
				j++
			}
		}
		if j == len(names) {
			for k := i; k < j; k++ {
				lo = newKey()
				out[names[k]] = lo
			}
		} else {
			gap := (old[names[j]] - lo) / int64(j-i+1)
			for k := i; k < j; k++ {
				lo += gap
				out[names[k]] = lo
			}
		}
		i = j
	}
	return out
}
