package model

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// Nodes is a whole inventory as nodes, in memory. It implements Tx, so the
// same ops edit it as edit a store (dry runs, tests, building an import),
// but its Members and Children cost the whole inventory. The zero value is
// not ready: use NewNodes.
type Nodes struct {
	Hosts  map[string]*HostNode
	Groups map[string]*GroupNode
	// KeyBase is where NewKey starts: keys NewKey returns are KeyBase+1,
	// KeyBase+2, ... spaced by KeyStep.
	KeyBase int64
	next    int64
}

// KeyStep spaces the keys of one change, leaving room for a later import
// to put an edge between two (see package script).
const KeyStep = 1 << 8

var _ Tx = (*Nodes)(nil)

// NewNodes returns an inventory holding only 'all' and 'ungrouped' (a
// child of 'all'), with keys after base.
func NewNodes(base int64) *Nodes {
	n := &Nodes{Hosts: map[string]*HostNode{}, Groups: map[string]*GroupNode{}, KeyBase: base}
	all := &GroupNode{Group: *NewGroup("all"), Seq: n.NewKey()}
	ungrouped := &GroupNode{Group: *NewGroup("ungrouped"), Seq: n.NewKey(), Parents: []Edge{{Name: "all", Key: n.NewKey()}}}
	n.Groups["all"], n.Groups["ungrouped"] = all, ungrouped
	return n
}

// Host implements Tx.
func (n *Nodes) Host(name string) (*HostNode, error) {
	h, ok := n.Hosts[name]
	if !ok {
		return nil, fmt.Errorf("host %q: %w", name, ErrNotFound)
	}
	return h.Clone(), nil
}

// Group implements Tx.
func (n *Nodes) Group(name string) (*GroupNode, error) {
	g, ok := n.Groups[name]
	if !ok {
		return nil, fmt.Errorf("group %q: %w", name, ErrNotFound)
	}
	return g.Clone(), nil
}

// Members implements Tx. It scans every host.
func (n *Nodes) Members(group string) ([]string, error) {
	if _, err := n.Group(group); err != nil {
		return nil, err
	}
	var edges []Edge
	for _, h := range n.Hosts {
		for _, e := range h.Groups {
			if e.Name == group {
				edges = append(edges, Edge{Name: h.Name, Key: e.Key})
			}
		}
	}
	sortEdgesByKey(edges)
	return edgeNames(edges), nil
}

// Children implements Tx. It scans every group.
func (n *Nodes) Children(group string) ([]string, error) {
	if _, err := n.Group(group); err != nil {
		return nil, err
	}
	var edges []Edge
	for _, g := range n.Groups {
		for _, e := range g.Parents {
			if e.Name == group {
				edges = append(edges, Edge{Name: g.Name, Key: e.Key})
			}
		}
	}
	sortEdgesByKey(edges)
	return edgeNames(edges), nil
}

// PutHost implements Tx.
func (n *Nodes) PutHost(h *HostNode) { n.Hosts[h.Name] = h.Clone() }

// PutGroup implements Tx.
func (n *Nodes) PutGroup(g *GroupNode) { n.Groups[g.Name] = g.Clone() }

// DeleteHost implements Tx.
func (n *Nodes) DeleteHost(name string) { delete(n.Hosts, name) }

// DeleteGroup implements Tx.
func (n *Nodes) DeleteGroup(name string) { delete(n.Groups, name) }

// NewKey implements Tx.
func (n *Nodes) NewKey() int64 {
	n.next++
	return n.KeyBase + n.next*KeyStep
}

// Clone returns a deep copy of n.
func (n *Nodes) Clone() *Nodes {
	c := &Nodes{Hosts: make(map[string]*HostNode, len(n.Hosts)), Groups: make(map[string]*GroupNode, len(n.Groups)),
		KeyBase: n.KeyBase, next: n.next}
	for k, h := range n.Hosts {
		c.Hosts[k] = h.Clone()
	}
	for k, g := range n.Groups {
		c.Groups[k] = g.Clone()
	}
	return c
}

// Validate checks what every stored inventory keeps: valid names, 'all'
// and 'ungrouped' present, every edge naming an existing group, every host
// in some group, every group but 'all' below some group, no cycle, valid
// values.
func (n *Nodes) Validate() error {
	if n.Groups["all"] == nil || n.Groups["ungrouped"] == nil {
		return fmt.Errorf("inventory lacks the 'all' or 'ungrouped' group")
	}
	for _, name := range slices.Sorted(maps.Keys(n.Hosts)) {
		h := n.Hosts[name]
		if err := ValidateName(name); err != nil {
			return fmt.Errorf("host %q: %w", name, err)
		}
		if len(h.Groups) == 0 {
			return fmt.Errorf("host %q belongs to no group", name)
		}
		seen := map[string]bool{}
		for _, e := range h.Groups {
			if n.Groups[e.Name] == nil {
				return fmt.Errorf("host %q is a member of group %q: %w", name, e.Name, ErrNotFound)
			}
			if seen[e.Name] {
				return fmt.Errorf("host %q is a member of group %q twice", name, e.Name)
			}
			seen[e.Name] = true
		}
		if err := checkVars("host", name, h.Vars); err != nil {
			return err
		}
		if err := checkVars("host", name, h.FileVars); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(n.Groups)) {
		g := n.Groups[name]
		if err := ValidateGroupName(name); err != nil {
			return fmt.Errorf("group %q: %w", name, err)
		}
		if name != "all" && len(g.Parents) == 0 {
			return fmt.Errorf("group %q has no parent group", name)
		}
		seen := map[string]bool{}
		for _, e := range g.Parents {
			if n.Groups[e.Name] == nil {
				return fmt.Errorf("group %q is a child of group %q: %w", name, e.Name, ErrNotFound)
			}
			if seen[e.Name] {
				return fmt.Errorf("group %q is a child of group %q twice", name, e.Name)
			}
			seen[e.Name] = true
		}
		if err := checkVars("group", name, g.Vars); err != nil {
			return err
		}
		if err := checkVars("group", name, g.FileVars); err != nil {
			return err
		}
		if err := checkRanks(&g.Group); err != nil {
			return fmt.Errorf("group %q: %w", name, err)
		}
	}
	// A cycle: walk up from every group.
	state := map[string]int8{}
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("group %q is its own ancestor: %w", name, ErrCycle)
		case 2:
			return nil
		}
		state[name] = 1
		for _, p := range n.Groups[name].Parents {
			if err := visit(p.Name); err != nil {
				return err
			}
		}
		state[name] = 2
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(n.Groups)) {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

func sortEdgesByKey(edges []Edge) {
	slices.SortFunc(edges, func(a, b Edge) int {
		if c := cmp.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// InventoryOf returns the inventory of some hosts and the groups above
// them ('all' included): enough to compute those hosts' vars, since a
// host's vars depend only on its groups and theirs. Groups are in Seq
// order; each lists, of the given hosts, its direct members. The
// inventory shares the nodes' vars: do not modify it.
func InventoryOf(hosts []*HostNode, groups map[string]*GroupNode) *Inventory {
	inv := &Inventory{}
	nodes := make([]*GroupNode, 0, len(groups))
	for _, g := range groups {
		nodes = append(nodes, g)
	}
	slices.SortFunc(nodes, func(a, b *GroupNode) int {
		if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	for _, g := range nodes {
		ig := inv.AddGroup(g.Name)
		ig.Vars, ig.FileVars, ig.Priority, ig.FileVarRanks = g.Vars, g.FileVars, g.Priority, g.FileVarRanks
		ig.Source, ig.VarSources, ig.FileVarSources = g.Source, g.VarSources, g.FileVarSources
	}
	for _, g := range nodes {
		parents := slices.Clone(g.Parents)
		sortEdgesByKey(parents)
		for _, p := range parents {
			if pg := inv.Group(p.Name); pg != nil {
				pg.Children = append(pg.Children, g.Name)
			}
		}
	}
	var below map[string]bool // groups below 'ungrouped', once needed
	for _, h := range hosts {
		ih := inv.AddHost(h.Name)
		ih.Vars, ih.FileVars = h.Vars, h.FileVars
		ih.Source, ih.VarSources, ih.FileVarSources = h.Source, h.VarSources, h.FileVarSources
		for _, e := range h.Groups {
			if g := inv.Group(e.Name); g != nil {
				g.Hosts = append(g.Hosts, h.Name)
			}
		}
		if h.Slot != 0 {
			if below == nil {
				below = inv.Below("ungrouped")
			}
			ih.LeftUngrouped = LeftUngrouped(h, below)
		}
	}
	return inv
}

// LeftUngrouped reports whether Ansible, reading the script output of
// these nodes, drops 'ungrouped' from the groups host h's vars come from
// (see Host.LeftUngrouped): h is listed under 'ungrouped' (a Slot) and
// is a member of a group below it. below is the set of groups below
// 'ungrouped'.
func LeftUngrouped(h *HostNode, below map[string]bool) bool {
	return h.Slot != 0 && !h.InGroup("ungrouped") && slices.ContainsFunc(h.Groups, func(e Edge) bool { return below[e.Name] })
}
