package model

import (
	"fmt"
	"maps"
	"slices"
	"sort"
)

// DefaultPriority is the ansible_group_priority of a group that sets none.
const DefaultPriority = 1

// PriorityVar is the var that, set on a group in an inventory source, is the
// group's priority rather than a var.
const PriorityVar = "ansible_group_priority"

// Host is one inventory host.
//
// A host's vars come in two levels, lowest first: Vars, set in the inventory
// source (an INI host line, a YAML hosts entry), and FileVars, read from
// host_vars/ files. Which groups a host belongs to is held by the groups.
type Host struct {
	Name     string
	Vars     Map // inventory-source host vars (Ansible precedence level 4)
	FileVars Map // host_vars/ file vars (level 5)

	// Source is where the host was first declared ("hosts.ini:12"); VarSources
	// and FileVarSources say where each var was last set. All are optional.
	Source         string            `json:",omitempty"`
	VarSources     map[string]string `json:",omitempty"`
	FileVarSources map[string]string `json:",omitempty"`

	// LeftUngrouped is set on a host that Ansible's reconciliation took out
	// of 'ungrouped' (the source listed it there and in another group)
	// while 'ungrouped' is above one of its other groups
	// ([ungrouped:children]). Host.remove_group then drops 'ungrouped' from
	// the groups the host's vars come from, although the host is still
	// below it: the host gets neither the vars of 'ungrouped' nor 'ungrouped' in
	// group_names. Reconcile sets it; in nodes, it is a Slot (the script
	// output lists the host under 'ungrouped', and Ansible does the same).
	LeftUngrouped bool `json:",omitempty"`
}

// Group is one inventory group.
//
// Hosts and Children keep insertion order: Ansible runs hosts in inventory
// order, and --list prints both lists in that order.
type Group struct {
	Name     string
	Hosts    []string // direct member hosts
	Children []string // direct child groups
	Vars     Map      // inventory-source group vars (level 1)
	FileVars Map      // group_vars/ file vars (levels 2 and 3), a later source's over an earlier's
	// Priority is ansible_group_priority as set in the inventory source; a
	// group_vars/ file cannot set it. NewGroup sets DefaultPriority.
	Priority int

	// FileVarRanks says, for each var of FileVars that the group_vars/ of
	// an inventory source other than the first set, which source: its
	// index among the sources read (-i order), or for a source merged in
	// later (kook-import --merge), a number above every rank stored then.
	// Only their order matters. Ansible applies group_vars/
	// one source at a time (get_vars_from_inventory_sources), all the
	// host's groups in order for each, so a later source's file for a
	// shallow group beats an earlier source's for a deeper one; the rank
	// keeps that order. A var not listed has rank 0. An edit keeps the
	// rank of a var it changes; a var it adds has rank 0.
	FileVarRanks map[string]int `json:",omitempty"`

	Source         string            `json:",omitempty"`
	VarSources     map[string]string `json:",omitempty"`
	FileVarSources map[string]string `json:",omitempty"`
}

// FileVarsOfRank returns the vars of g.FileVars of rank r (see
// FileVarRanks), in their order.
func (g *Group) FileVarsOfRank(r int) Map {
	if len(g.FileVarRanks) == 0 {
		if r == 0 {
			return g.FileVars
		}
		return nil
	}
	var out Map
	for _, e := range g.FileVars {
		if g.FileVarRanks[e.Key] == r {
			out = append(out, e)
		}
	}
	return out
}

// checkRanks reports a rank that is not positive or names no file var.
func checkRanks(g *Group) error {
	for k, r := range g.FileVarRanks {
		if r < 1 {
			return fmt.Errorf("file var %q: rank %d: ranks start at 1 (0 is not recorded)", k, r)
		}
		if !g.FileVars.Has(k) {
			return fmt.Errorf("rank for %q, which is not a file var", k)
		}
	}
	return nil
}

// AddFileVarRanks adds to set the ranks of g's file vars, 0 included when
// some var has none.
func (g *Group) AddFileVarRanks(set map[int]bool) {
	if len(g.FileVarRanks) < len(g.FileVars) {
		set[0] = true
	}
	for _, r := range g.FileVarRanks {
		set[r] = true
	}
}

// NewGroup returns an empty group with Ansible's default priority.
func NewGroup(name string) *Group { return &Group{Name: name, Priority: DefaultPriority} }

// Inventory is a whole Ansible inventory as Ansible holds it after parsing and
// reconciling: hosts in the order they were first seen, groups in the order
// they were created, 'all' and 'ungrouped' always present.
//
// Add and remove hosts and groups through the methods, which keep the lookup
// indexes in step; fields of a Host or Group may be edited directly.
type Inventory struct {
	Hosts  []*Host
	Groups []*Group

	// The name indexes map a name to its position in the slice. They check
	// themselves on every hit (the element there must still bear the
	// name), so a lookup never returns a host or group that was renamed,
	// removed or replaced through the slices; on a miss they index the
	// elements appended since. See Reindex.
	hostIndex           map[string]int
	groupIndex          map[string]int
	hostSeen, groupSeen int // elements indexed

	// underAll holds the groups Reconcile put under 'all' for want of a
	// parent, as Ansible's reconcile_inventory does: Merge adds those
	// edges only to groups that still have no parent, as Ansible, which
	// reconciles once after reading every source, would.
	underAll map[string]bool
}

// New returns an inventory holding only 'all' and its first child 'ungrouped'.
func New() *Inventory {
	inv := &Inventory{}
	inv.AddGroup("all")
	inv.AddGroup("ungrouped")
	inv.Group("all").Children = []string{"ungrouped"}
	return inv
}

// Host returns the named host, or nil.
func (inv *Inventory) Host(name string) *Host {
	if i := lookup(&inv.hostIndex, &inv.hostSeen, len(inv.Hosts), name, false, func(i int) string { return inv.Hosts[i].Name }); i >= 0 {
		return inv.Hosts[i]
	}
	return nil
}

// Reindex makes Host and Group find hosts and groups renamed, or replaced
// by others of other names, through the slices (they notice on their own
// only once the old name is looked up).
func (inv *Inventory) Reindex() {
	inv.hostIndex, inv.hostSeen = nil, 0
	inv.groupIndex, inv.groupSeen = nil, 0
}

// Group returns the named group, or nil.
func (inv *Inventory) Group(name string) *Group {
	if i := lookup(&inv.groupIndex, &inv.groupSeen, len(inv.Groups), name, false, func(i int) string { return inv.Groups[i].Name }); i >= 0 {
		return inv.Groups[i]
	}
	return nil
}

// lookup finds name's position in a slice of n elements (nameAt gives
// each one's name) through index, which covers the first *seen elements.
// A hit is checked (the element there must still bear the name), so an old
// name never finds an element renamed or replaced since; a stale hit
// rebuilds the index. A miss indexes the elements appended since and, with
// sure, rebuilds the whole index before saying there is none (O(n): not for
// the lookups of a parser, which misses for every new name). It returns -1
// if no element bears the name.
func lookup(index *map[string]int, seen *int, n int, name string, sure bool, nameAt func(int) string) int {
	if i, ok := (*index)[name]; ok && i < n && nameAt(i) == name {
		return i
	} else if ok || *seen > n {
		*index, *seen = nil, 0 // the slice changed under the index
	}
	for pass := 0; pass < 2; pass++ {
		if *index == nil {
			*index = make(map[string]int, n)
		}
		for ; *seen < n; *seen++ {
			if _, dup := (*index)[nameAt(*seen)]; !dup {
				(*index)[nameAt(*seen)] = *seen
			}
		}
		if i, ok := (*index)[name]; ok && nameAt(i) == name {
			return i
		}
		if !sure || pass == 1 {
			break
		}
		*index, *seen = nil, 0
	}
	return -1
}

// AddHost returns the named host, creating it at the end if it is new.
// It does not rescan the whole inventory for a new name: parsers call it
// for every host.
func (inv *Inventory) AddHost(name string) *Host {
	if i := lookup(&inv.hostIndex, &inv.hostSeen, len(inv.Hosts), name, false, func(i int) string { return inv.Hosts[i].Name }); i >= 0 {
		return inv.Hosts[i]
	}
	h := &Host{Name: name}
	inv.Hosts = append(inv.Hosts, h)
	return h
}

// AddGroup returns the named group, creating it at the end if it is new.
func (inv *Inventory) AddGroup(name string) *Group {
	if i := lookup(&inv.groupIndex, &inv.groupSeen, len(inv.Groups), name, false, func(i int) string { return inv.Groups[i].Name }); i >= 0 {
		return inv.Groups[i]
	}
	g := NewGroup(name)
	inv.Groups = append(inv.Groups, g)
	return g
}

// AddHostToGroup adds an existing host to an existing group, if not already a
// member.
func (inv *Inventory) AddHostToGroup(group, host string) error {
	g, h := inv.Group(group), inv.Host(host)
	if g == nil {
		return fmt.Errorf("group %q: %w", group, ErrNotFound)
	}
	if h == nil {
		return fmt.Errorf("host %q: %w", host, ErrNotFound)
	}
	if !slices.Contains(g.Hosts, host) {
		g.Hosts = append(g.Hosts, host)
	}
	return nil
}

// AddChild makes child a child group of parent. Both must exist. It fails
// with ErrCycle if parent is child or one of its descendants, as Ansible does.
func (inv *Inventory) AddChild(parent, child string) error {
	p, c := inv.Group(parent), inv.Group(child)
	if p == nil {
		return fmt.Errorf("group %q: %w", parent, ErrNotFound)
	}
	if c == nil {
		return fmt.Errorf("group %q: %w", child, ErrNotFound)
	}
	if slices.Contains(p.Children, child) {
		return nil
	}
	if parent == child || inv.isDescendant(parent, child) {
		return fmt.Errorf("adding group %q as child to %q creates a recursive dependency loop: %w", child, parent, ErrCycle)
	}
	p.Children = append(p.Children, child)
	return nil
}

// isDescendant reports whether group name is below group of.
func (inv *Inventory) isDescendant(name, of string) bool {
	seen := map[string]bool{}
	stack := []string{of}
	for len(stack) > 0 {
		g := inv.Group(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		if g == nil {
			continue
		}
		for _, c := range g.Children {
			if c == name {
				return true
			}
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	return false
}

// RemoveHost deletes a host and its memberships. It reports whether the host
// existed.
func (inv *Inventory) RemoveHost(name string) bool {
	if inv.Host(name) == nil {
		return false
	}
	inv.Hosts = slices.DeleteFunc(inv.Hosts, func(h *Host) bool { return h.Name == name })
	inv.hostIndex, inv.hostSeen = nil, 0
	for _, g := range inv.Groups {
		g.Hosts = slices.DeleteFunc(g.Hosts, func(h string) bool { return h == name })
	}
	return true
}

// RemoveGroup deletes a group and every edge to and from it; its hosts and
// children stay in the inventory. 'all' and 'ungrouped' cannot be removed.
func (inv *Inventory) RemoveGroup(name string) error {
	if name == "all" || name == "ungrouped" {
		return fmt.Errorf("group %q cannot be removed", name)
	}
	if inv.Group(name) == nil {
		return fmt.Errorf("group %q: %w", name, ErrNotFound)
	}
	inv.Groups = slices.DeleteFunc(inv.Groups, func(g *Group) bool { return g.Name == name })
	inv.groupIndex, inv.groupSeen = nil, 0
	for _, g := range inv.Groups {
		g.Children = slices.DeleteFunc(g.Children, func(c string) bool { return c == name })
	}
	return nil
}

// Reconcile applies the rules Ansible applies after parsing
// (InventoryData.reconcile_inventory): every group without a parent becomes a
// child of 'all', a host with no group but 'all' goes to 'ungrouped', and a
// host in some other group leaves 'ungrouped'.
func (inv *Inventory) Reconcile() {
	parents := inv.Parents()
	all := inv.AddGroup("all")
	for _, g := range inv.Groups {
		if g.Name != "all" && len(parents[g.Name]) == 0 {
			all.Children = append(all.Children, g.Name)
			if inv.underAll == nil {
				inv.underAll = map[string]bool{}
			}
			inv.underAll[g.Name] = true
		}
	}
	ungrouped := inv.AddGroup("ungrouped")
	groups := inv.HostGroups()
	leave := map[string]bool{}
	var below map[string]bool // groups below 'ungrouped', once needed
	for _, h := range inv.Hosts {
		var inUngrouped, inOther bool
		for _, g := range groups[h.Name] {
			switch g {
			case "ungrouped":
				inUngrouped = true
			case "all":
			default:
				inOther = true
			}
		}
		switch {
		case inUngrouped && inOther:
			leave[h.Name] = true
			if len(ungrouped.Children) > 0 {
				if below == nil {
					below = inv.Below("ungrouped")
				}
				h.LeftUngrouped = slices.ContainsFunc(groups[h.Name], func(g string) bool { return below[g] })
			}
		case !inUngrouped && !inOther && inv.Group(h.Name) != nil:
			// Ansible's add_child('ungrouped', name) looks the name up
			// among groups first: the group of that name becomes the
			// child, and the host stays out of 'ungrouped'. A cycle this
			// makes is reported by Validate, as Ansible fails on it.
			if !slices.Contains(ungrouped.Children, h.Name) {
				ungrouped.Children = append(ungrouped.Children, h.Name)
			}
		case !inUngrouped && !inOther:
			ungrouped.Hosts = append(ungrouped.Hosts, h.Name)
		}
	}
	if len(leave) > 0 {
		ungrouped.Hosts = slices.DeleteFunc(ungrouped.Hosts, func(h string) bool { return leave[h] })
	}
}

// Below returns the set of groups below group (its descendants).
func (inv *Inventory) Below(group string) map[string]bool {
	out := map[string]bool{}
	stack := []string{group}
	for len(stack) > 0 {
		g := inv.Group(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		if g == nil {
			continue
		}
		for _, c := range g.Children {
			if !out[c] {
				out[c] = true
				stack = append(stack, c)
			}
		}
	}
	return out
}

// Parents returns, for every group, its direct parents in group order.
func (inv *Inventory) Parents() map[string][]string {
	parents := make(map[string][]string, len(inv.Groups))
	for _, g := range inv.Groups {
		for _, c := range g.Children {
			parents[c] = append(parents[c], g.Name)
		}
	}
	return parents
}

// HostGroups returns, for every host, the groups that list it directly, in
// group order.
func (inv *Inventory) HostGroups() map[string][]string {
	groups := make(map[string][]string, len(inv.Hosts))
	for _, g := range inv.Groups {
		for _, h := range g.Hosts {
			groups[h] = append(groups[h], g.Name)
		}
	}
	return groups
}

// Validate checks the invariants every stored inventory keeps: unique names,
// 'all' and 'ungrouped' present, membership naming existing hosts and groups
// at most once, and no cycle among groups.
func (inv *Inventory) Validate() error {
	hosts := make(map[string]bool, len(inv.Hosts))
	for _, h := range inv.Hosts {
		if err := ValidateName(h.Name); err != nil {
			return fmt.Errorf("host %q: %w", h.Name, err)
		}
		if hosts[h.Name] {
			return fmt.Errorf("host %q: %w", h.Name, ErrExists)
		}
		hosts[h.Name] = true
		for _, m := range []Map{h.Vars, h.FileVars} {
			if err := CheckValue(m); err != nil {
				return fmt.Errorf("host %q: %w", h.Name, err)
			}
		}
	}
	groups := make(map[string]bool, len(inv.Groups))
	for _, g := range inv.Groups {
		if err := ValidateName(g.Name); err != nil {
			return fmt.Errorf("group %q: %w", g.Name, err)
		}
		if groups[g.Name] {
			return fmt.Errorf("group %q: %w", g.Name, ErrExists)
		}
		groups[g.Name] = true
	}
	if !groups["all"] || !groups["ungrouped"] {
		return fmt.Errorf("inventory lacks the 'all' or 'ungrouped' group")
	}
	for _, g := range inv.Groups {
		seen := map[string]bool{}
		for _, h := range g.Hosts {
			if !hosts[h] {
				return fmt.Errorf("group %q lists host %q: %w", g.Name, h, ErrNotFound)
			}
			if seen[h] {
				return fmt.Errorf("group %q lists host %q twice", g.Name, h)
			}
			seen[h] = true
		}
		seen = map[string]bool{}
		for _, c := range g.Children {
			if !groups[c] {
				return fmt.Errorf("group %q lists child group %q: %w", g.Name, c, ErrNotFound)
			}
			if seen[c] {
				return fmt.Errorf("group %q lists child %q twice", g.Name, c)
			}
			seen[c] = true
		}
		for _, m := range []Map{g.Vars, g.FileVars} {
			if err := CheckValue(m); err != nil {
				return fmt.Errorf("group %q: %w", g.Name, err)
			}
		}
		if err := checkRanks(g); err != nil {
			return fmt.Errorf("group %q: %w", g.Name, err)
		}
	}
	if _, err := inv.Depths(); err != nil {
		return err
	}
	return nil
}

// Depths returns each group's depth as Ansible computes it: 'all' is 0, and a
// group is one deeper than its deepest parent. It fails with ErrCycle on a
// cycle.
func (inv *Inventory) Depths() (map[string]int, error) {
	parents := inv.Parents()
	depth := make(map[string]int, len(inv.Groups))
	state := make(map[string]int8, len(inv.Groups)) // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("group %q is its own ancestor: %w", name, ErrCycle)
		case 2:
			return nil
		}
		state[name] = 1
		d := 0
		for _, p := range parents[name] {
			if err := visit(p); err != nil {
				return err
			}
			d = max(d, depth[p]+1)
		}
		depth[name] = d
		state[name] = 2
		return nil
	}
	for _, g := range inv.Groups {
		if err := visit(g.Name); err != nil {
			return nil, err
		}
	}
	return depth, nil
}

// Ancestors returns the names of every group above group, nearest first
// (breadth-first over parents, in parent order).
func Ancestors(parents map[string][]string, group string) []string {
	var out []string
	seen := map[string]bool{group: true}
	queue := []string{group}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, p := range parents[g] {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
				queue = append(queue, p)
			}
		}
	}
	return out
}

// Clone returns a deep copy of inv.
func (inv *Inventory) Clone() *Inventory {
	c := &Inventory{Hosts: make([]*Host, len(inv.Hosts)), Groups: make([]*Group, len(inv.Groups))}
	for i, h := range inv.Hosts {
		hc := *h
		hc.Vars, hc.FileVars = h.Vars.Clone(), h.FileVars.Clone()
		hc.VarSources, hc.FileVarSources = maps.Clone(h.VarSources), maps.Clone(h.FileVarSources)
		c.Hosts[i] = &hc
	}
	for i, g := range inv.Groups {
		gc := *g
		gc.Hosts = append([]string(nil), g.Hosts...)
		gc.Children = append([]string(nil), g.Children...)
		gc.Vars, gc.FileVars = g.Vars.Clone(), g.FileVars.Clone()
		gc.VarSources, gc.FileVarSources = maps.Clone(g.VarSources), maps.Clone(g.FileVarSources)
		gc.FileVarRanks = maps.Clone(g.FileVarRanks)
		c.Groups[i] = &gc
	}
	c.underAll = maps.Clone(inv.underAll)
	return c
}

// SortedGroupNames returns every group name in byte order.
func (inv *Inventory) SortedGroupNames() []string {
	names := make([]string, len(inv.Groups))
	for i, g := range inv.Groups {
		names[i] = g.Name
	}
	sort.Strings(names)
	return names
}
