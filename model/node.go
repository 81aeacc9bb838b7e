package model

import (
	"maps"
	"slices"
)

// Nodes are the inventory as a store keeps it: one record per host and per
// group, each holding its own links upwards (a host's groups, a group's
// parents) with a key that orders it among its siblings. One host or group
// can then be read and changed alone, while every list Ansible orders (a
// group's hosts, a group's children, the groups themselves) is the order
// of the keys.

// Edge is one link upwards: a host's membership of a group, or a group's
// place among a parent's children. Key orders the link among the parent's
// other links; new keys only grow, so a link made later comes last.
type Edge struct {
	Name string
	Key  int64
}

// HostNode is a host as a store keeps it.
type HostNode struct {
	Host
	// Groups are the groups the host is a direct member of, 'ungrouped'
	// when it has no other.
	Groups []Edge
	// Slot, when not 0, is where the host is listed among 'ungrouped''s
	// hosts although it belongs to other groups, so that Ansible, which
	// creates hosts in the order it meets them, creates it in its original
	// place. Only an import sets it; see package script.
	Slot int64
	// Extra holds record fields kook does not know, written back as read.
	Extra Map
}

// GroupNode is a group as a store keeps it. The embedded Group's Hosts and
// Children are not used: membership is held by the host nodes' Groups,
// children by the group nodes' Parents.
type GroupNode struct {
	Group
	// Seq orders the group among all groups: the order in which Ansible
	// creates them (see package script for how kook lists groups so that it
	// does).
	Seq int64
	// ListLast, on 'ungrouped' only, lists it after the other groups, not
	// before: its hosts are then created after theirs (see package script).
	ListLast bool
	// Parents are the groups this group is a direct child of, 'all' when it
	// has no other.
	Parents []Edge
	// Extra holds record fields kook does not know, written back as read.
	Extra Map
}

// Clone returns a deep copy of h.
func (h *HostNode) Clone() *HostNode {
	c := *h
	c.Host = *h.Host.Clone()
	c.Groups = slices.Clone(h.Groups)
	c.Extra = h.Extra.Clone()
	return &c
}

// Clone returns a deep copy of g.
func (g *GroupNode) Clone() *GroupNode {
	c := *g
	c.Group = *g.Group.Clone()
	c.Group.Hosts, c.Group.Children = nil, nil
	c.Parents = slices.Clone(g.Parents)
	c.Extra = g.Extra.Clone()
	return &c
}

// Clone returns a deep copy of h.
func (h *Host) Clone() *Host {
	c := *h
	c.Vars, c.FileVars = h.Vars.Clone(), h.FileVars.Clone()
	c.VarSources, c.FileVarSources = maps.Clone(h.VarSources), maps.Clone(h.FileVarSources)
	return &c
}

// Clone returns a deep copy of g.
func (g *Group) Clone() *Group {
	c := *g
	c.Hosts, c.Children = slices.Clone(g.Hosts), slices.Clone(g.Children)
	c.Vars, c.FileVars = g.Vars.Clone(), g.FileVars.Clone()
	c.VarSources, c.FileVarSources = maps.Clone(g.VarSources), maps.Clone(g.FileVarSources)
	c.FileVarRanks = maps.Clone(g.FileVarRanks)
	return &c
}

// InGroup reports whether the host is a direct member of group.
func (h *HostNode) InGroup(group string) bool { return edgeIndex(h.Groups, group) >= 0 }

// GroupNames returns the host's direct groups in the order of its edges.
func (h *HostNode) GroupNames() []string { return edgeNames(h.Groups) }

// HasParent reports whether parent is a direct parent of the group.
func (g *GroupNode) HasParent(parent string) bool { return edgeIndex(g.Parents, parent) >= 0 }

// ParentNames returns the group's direct parents in the order of its edges.
func (g *GroupNode) ParentNames() []string { return edgeNames(g.Parents) }

func edgeIndex(edges []Edge, name string) int {
	return slices.IndexFunc(edges, func(e Edge) bool { return e.Name == name })
}

func edgeNames(edges []Edge) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = e.Name
	}
	return out
}

// addEdge links to name with key unless already linked; it reports
// whether it added one.
func addEdge(edges *[]Edge, name string, key int64) bool {
	if edgeIndex(*edges, name) >= 0 {
		return false
	}
	*edges = append(*edges, Edge{Name: name, Key: key})
	return true
}

// dropEdge removes the link to name; it reports whether there was one.
func dropEdge(edges *[]Edge, name string) bool {
	i := edgeIndex(*edges, name)
	if i < 0 {
		return false
	}
	*edges = slices.Delete(*edges, i, i+1)
	return true
}

// EqualHostNodes reports whether a and b hold the same host, edges and
// provenance included.
func EqualHostNodes(a, b *HostNode) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && a.Slot == b.Slot && sameEdges(a.Groups, b.Groups) &&
		equalHost(&a.Host, &b.Host) && EqualOrdered(a.Extra, b.Extra)
}

// EqualGroupNodes reports whether a and b hold the same group, edges and
// provenance included.
func EqualGroupNodes(a, b *GroupNode) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && a.Seq == b.Seq && a.ListLast == b.ListLast && a.Priority == b.Priority &&
		sameEdges(a.Parents, b.Parents) && EqualOrdered(a.Vars, b.Vars) &&
		EqualOrdered(a.FileVars, b.FileVars) && maps.Equal(a.FileVarRanks, b.FileVarRanks) && a.Source == b.Source &&
		maps.Equal(a.VarSources, b.VarSources) && maps.Equal(a.FileVarSources, b.FileVarSources) &&
		EqualOrdered(a.Extra, b.Extra)
}

func equalHost(a, b *Host) bool {
	return a.Name == b.Name && a.Source == b.Source &&
		EqualOrdered(a.Vars, b.Vars) && EqualOrdered(a.FileVars, b.FileVars) &&
		maps.Equal(a.VarSources, b.VarSources) && maps.Equal(a.FileVarSources, b.FileVarSources)
}

// sameEdges reports whether a and b hold the same edges, in any order: the
// order of a node's edges means nothing, their keys order the siblings.
func sameEdges(a, b []Edge) bool {
	if len(a) != len(b) {
		return false
	}
	if slices.Equal(a, b) {
		return true
	}
	for _, e := range a {
		if !slices.Contains(b, e) {
			return false
		}
	}
	return true
}

// Edges returns the host's group edges; none for a nil host.
func (h *HostNode) Edges() []Edge {
	if h == nil {
		return nil
	}
	return h.Groups
}

// Edges returns the group's parent edges; none for a nil group.
func (g *GroupNode) Edges() []Edge {
	if g == nil {
		return nil
	}
	return g.Parents
}
