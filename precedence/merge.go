package precedence

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kook-project/kook/model"
)

// Precedence levels of a host's vars, lowest first, as Ansible's
// VariableManager.get_vars combines them under the default
// VARIABLE_PRECEDENCE (all_inventory, groups_inventory, all_plugins_inventory,
// all_plugins_play, groups_plugins_inventory, groups_plugins_play), then
// host.get_vars() and the host_vars plugin.
const (
	// LevelGroup: vars set on groups in the inventory source, 'all' first and
	// then the host's other groups in group order (see Merger.Groups).
	LevelGroup = 1
	// LevelAllFile: group_vars/all files.
	LevelAllFile = 2
	// LevelGroupFile: group_vars/<group> files, in group order.
	LevelGroupFile = 3
	// LevelHost: vars set on the host in the inventory source.
	LevelHost = 4
	// LevelHostFile: host_vars/<host> files.
	LevelHostFile = 5
)

// Layer is one set of vars that contributes to a host's effective vars.
type Layer struct {
	Level  int
	Entity string // the group or host the vars belong to
	// Rank, in a LevelGroupFile layer, is the inventory source whose
	// group_vars/ the vars come from (model.Group.FileVarRanks): Ansible
	// applies one source's files for all the host's groups, then the
	// next source's.
	Rank    int
	Vars    model.Map         // shared with the inventory: do not modify
	Sources map[string]string // var -> "file:line", where known
}

// Layers returns the layers that make up host's effective vars, lowest
// precedence first; layers without vars are left out. It returns nil if inv
// has no such host.
func Layers(inv *model.Inventory, host string) []Layer {
	return NewMerger(inv).Layers(host)
}

// HostVars returns host's effective vars as Ansible computes them from the
// inventory alone (before facts, play or extra vars), internal vars such as
// inventory_hostname not added. It returns nil if inv has no such host.
func HostVars(inv *model.Inventory, host string) model.Map {
	return NewMerger(inv).HostVars(host)
}

// Merger computes effective vars for the hosts of one inventory. Hosts
// that belong directly to the same groups share their sorted group list and
// their group-level vars, so computing every host of a large inventory costs
// about one merge per distinct group set. The inventory must not change while
// the Merger is in use. A Merger is not safe for concurrent use.
type Merger struct {
	inv     *model.Inventory
	groups  []*model.Group // by index, inventory order
	index   map[string]int32
	all     int32   // index of 'all', or -1
	order   []int32 // group indexes in (depth, priority, name) order
	rank    []int32 // position of each group in order
	up      [][]int32
	self    [][]int32            // per group: ranks of it and its ancestors, sorted, 'all' left out
	hostIdx map[string]int32     // host name -> index in inv.Hosts; nil until needed
	direct  [][]int32            // per host index: groups listing it, inventory order
	hostSet []*GroupSet          // per host index, once computed
	sets    map[string]*GroupSet // by direct group list
}

// A GroupSet is what hosts that belong directly to the same groups share:
// their groups and the vars those give them (levels 1 to 3).
type GroupSet struct {
	m      *Merger
	ranks  []int32        // the hosts' groups, 'all' left out, in precedence order
	groups []*model.Group // 'all', then ranks' groups; nil until needed
	vars   model.Map      // levels 1-3 folded; nil until needed
}

// NewMerger prepares inv for merging. Group depth is the length of the
// longest parent chain down from a root, which is what Ansible's incremental
// Group.depth ends up as; a cycle (which Validate rejects) is broken where it
// closes rather than failing.
func NewMerger(inv *model.Inventory) *Merger {
	m := &Merger{
		inv:    inv,
		groups: inv.Groups,
		index:  make(map[string]int32, len(inv.Groups)),
		all:    -1,
		sets:   map[string]*GroupSet{},
	}
	for i, g := range inv.Groups {
		m.index[g.Name] = int32(i)
		if g.Name == "all" {
			m.all = int32(i)
		}
	}
	n := len(inv.Groups)
	m.up = make([][]int32, n)
	for i, g := range inv.Groups {
		for _, c := range g.Children {
			if ci, ok := m.index[c]; ok {
				m.up[ci] = append(m.up[ci], int32(i))
			}
		}
	}
	depth := m.depths()
	m.order = make([]int32, n)
	for i := range m.order {
		m.order[i] = int32(i)
	}
	// helpers.sort_groups: sorted(groups, key=(depth, priority, name)).
	// Python compares str by code point, which byte order of UTF-8 matches.
	slices.SortFunc(m.order, func(a, b int32) int {
		ga, gb := m.groups[a], m.groups[b]
		if depth[a] != depth[b] {
			return depth[a] - depth[b]
		}
		if ga.Priority != gb.Priority {
			return ga.Priority - gb.Priority
		}
		return strings.Compare(ga.Name, gb.Name)
	})
	m.rank = make([]int32, n)
	for r, i := range m.order {
		m.rank[i] = int32(r)
	}
	m.self = make([][]int32, n)
	return m
}

// depths returns each group's longest distance from a group without parents.
func (m *Merger) depths() []int {
	n := len(m.groups)
	depth := make([]int, n)
	state := make([]int8, n) // 1 visiting, 2 done
	var visit func(i int32)
	visit = func(i int32) {
		state[i] = 1
		d := 0
		for _, p := range m.up[i] {
			if state[p] == 0 {
				visit(p)
			}
			if state[p] == 2 {
				d = max(d, depth[p]+1)
			}
		}
		depth[i] = d
		state[i] = 2
	}
	for i := range m.groups {
		if state[i] == 0 {
			visit(int32(i))
		}
	}
	return depth
}

// lineage returns the sorted ranks of group i and all its ancestors but
// 'all': Host.get_groups() holds the direct groups and their ancestors.
func (m *Merger) lineage(i int32) []int32 {
	if m.self[i] != nil {
		return m.self[i]
	}
	m.self[i] = []int32{} // cycle guard
	var out []int32
	if i != m.all {
		out = append(out, m.rank[i])
	}
	for _, p := range m.up[i] {
		out = append(out, m.lineage(p)...)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	m.self[i] = out
	return out
}

// GroupSet returns the group set of host, or nil if the host is unknown.
func (m *Merger) GroupSet(host string) *GroupSet {
	m.indexHosts()
	i, ok := m.hostIdx[host]
	if !ok {
		return nil
	}
	return m.GroupSetAt(int(i))
}

func (m *Merger) indexHosts() {
	if m.hostIdx != nil {
		return
	}
	m.hostIdx = make(map[string]int32, len(m.inv.Hosts))
	for i, h := range m.inv.Hosts {
		m.hostIdx[h.Name] = int32(i)
	}
	m.direct = make([][]int32, len(m.inv.Hosts))
	m.hostSet = make([]*GroupSet, len(m.inv.Hosts))
	for gi, g := range m.groups {
		for _, h := range g.Hosts {
			if i, ok := m.hostIdx[h]; ok {
				m.direct[i] = append(m.direct[i], int32(gi))
			}
		}
	}
}

// GroupSetAt returns the group set of the host at index i of inv.Hosts: the
// same pointer for every host in the same direct groups.
func (m *Merger) GroupSetAt(i int) *GroupSet {
	m.indexHosts()
	if s := m.hostSet[i]; s != nil {
		return s
	}
	direct := m.direct[i]
	left := m.inv.Hosts[i].LeftUngrouped
	// Hosts in the same groups tend to come together.
	if i > 0 && m.hostSet[i-1] != nil && slices.Equal(direct, m.direct[i-1]) && left == m.inv.Hosts[i-1].LeftUngrouped {
		m.hostSet[i] = m.hostSet[i-1]
		return m.hostSet[i]
	}
	key := setKey(direct)
	if left {
		key = append(key, 'u')
	}
	s, ok := m.sets[string(key)]
	if !ok {
		var ranks []int32
		for _, g := range direct {
			ranks = append(ranks, m.lineage(g)...)
		}
		slices.Sort(ranks)
		ranks = slices.Compact(ranks)
		if u, ok := m.index["ungrouped"]; ok && left {
			// Host.remove_group dropped 'ungrouped' (see
			// model.Host.LeftUngrouped); the groups above it stay, being
			// above the host's other groups too.
			ranks = slices.DeleteFunc(ranks, func(r int32) bool { return r == m.rank[u] })
		}
		s = &GroupSet{m: m, ranks: ranks}
		m.sets[string(key)] = s
	}
	m.hostSet[i] = s
	return s
}

func setKey(direct []int32) []byte {
	b := make([]byte, 0, len(direct)*4)
	for _, g := range direct {
		b = strconv.AppendInt(b, int64(g), 36)
		b = append(b, ',')
	}
	return b
}

// Groups returns the groups host belongs to, directly or through a child
// group, 'all' left out, in the order Ansible merges their vars: by depth,
// then ansible_group_priority, then name. It returns nil for an unknown host.
func (m *Merger) Groups(host string) []string {
	s := m.GroupSet(host)
	if s == nil {
		return nil
	}
	names := make([]string, len(s.ranks))
	for i, r := range s.ranks {
		names[i] = m.groups[m.order[r]].Name
	}
	return names
}

// Layers returns the non-empty layers of host's vars, lowest first, or nil
// for an unknown host.
func (m *Merger) Layers(host string) []Layer {
	s := m.GroupSet(host)
	if s == nil {
		return nil
	}
	var out []Layer
	add := func(level int, entity string, vars model.Map, sources map[string]string) {
		if len(vars) > 0 {
			out = append(out, Layer{Level: level, Entity: entity, Vars: vars, Sources: sources})
		}
	}
	addRank := func(g *model.Group, rank int) {
		if vars := g.FileVarsOfRank(rank); len(vars) > 0 {
			out = append(out, Layer{Level: LevelGroupFile, Entity: g.Name, Rank: rank, Vars: vars, Sources: g.FileVarSources})
		}
	}
	var all *model.Group
	if m.all >= 0 {
		all = m.groups[m.all]
		add(LevelGroup, all.Name, all.Vars, all.VarSources)
	}
	for _, r := range s.ranks {
		g := m.groups[m.order[r]]
		add(LevelGroup, g.Name, g.Vars, g.VarSources)
	}
	if all != nil {
		add(LevelAllFile, all.Name, all.FileVars, all.FileVarSources)
	}
	for _, rank := range s.fileRanks() {
		for _, r := range s.ranks {
			addRank(m.groups[m.order[r]], rank)
		}
	}
	h := m.inv.Hosts[m.hostIdx[host]]
	add(LevelHost, h.Name, h.Vars, h.VarSources)
	add(LevelHostFile, h.Name, h.FileVars, h.FileVarSources)
	return out
}

// HostVars returns host's effective vars, or nil for an unknown host. The
// top-level map is the caller's; values are shared with the inventory.
func (m *Merger) HostVars(host string) model.Map {
	s := m.GroupSet(host)
	if s == nil {
		return nil
	}
	h := m.inv.Hosts[m.hostIdx[host]]
	gv := s.Vars()
	f := NewFolder(len(gv) + len(h.Vars) + len(h.FileVars))
	f.Update(gv)
	f.Update(h.Vars)
	f.Update(h.FileVars)
	return f.Map()
}

// Groups returns the set's groups in the order their vars are folded:
// 'all' first (when the inventory has it), then the others by depth,
// priority and name. The slice is shared: do not modify it.
func (s *GroupSet) Groups() []*model.Group {
	if s.groups == nil {
		m := s.m
		s.groups = make([]*model.Group, 0, len(s.ranks)+1)
		if m.all >= 0 {
			s.groups = append(s.groups, m.groups[m.all])
		}
		for _, r := range s.ranks {
			s.groups = append(s.groups, m.groups[m.order[r]])
		}
	}
	return s.groups
}

// Vars returns levels 1 to 3 folded: what the groups give their hosts. The
// result is shared between hosts: do not modify it.
func (s *GroupSet) Vars() model.Map {
	if s.vars == nil {
		f := NewFolder(0)
		groups := s.Groups()
		for _, g := range groups {
			f.Update(g.Vars)
		}
		rest := groups
		if s.m.all >= 0 {
			f.Update(groups[0].FileVars) // level 2: group_vars/all of every source
			rest = groups[1:]
		}
		// Level 3: each source's group_vars/ for all the groups in turn.
		ranks := s.fileRanks()
		for _, rank := range ranks {
			for _, g := range rest {
				if len(ranks) == 1 {
					f.Update(g.FileVars)
				} else {
					f.Update(g.FileVarsOfRank(rank))
				}
			}
		}
		s.vars = f.Map()
	}
	return s.vars
}

// fileRanks are the source ranks among the file vars of the set's groups
// other than 'all' (whose file vars are a level of their own), in order;
// [0] when no var has one.
func (s *GroupSet) fileRanks() []int {
	set := map[int]bool{0: true}
	for _, r := range s.ranks {
		s.m.groups[s.m.order[r]].AddFileVarRanks(set)
	}
	return slices.Sorted(maps.Keys(set))
}

// A Folder builds a Map by successive Python dict updates (combine_vars
// with hash_behaviour=replace: a | b), indexing keys so that large maps
// stay linear.
type Folder struct {
	m   model.Map
	idx map[string]int
}

// indexAbove is the size above which a Folder indexes its keys: most maps
// (a host's vars) are smaller, and a linear scan beats hashing there.
const indexAbove = 16

// NewFolder returns an empty Folder with room for n keys.
func NewFolder(n int) Folder {
	return Folder{m: make(model.Map, 0, n)}
}

// Update sets every key of vars, in vars' order: dict.update.
func (f *Folder) Update(vars model.Map) {
	if len(vars) == 0 {
		return
	}
	if f.idx == nil && len(f.m)+len(vars) > indexAbove {
		f.index(len(f.m) + len(vars))
	}
	for _, e := range vars {
		if i := f.find(e.Key); i >= 0 {
			f.m[i].Value = e.Value
			continue
		}
		f.add(e)
	}
}

// SetDefault sets key to v unless key is set: dict.setdefault.
func (f *Folder) SetDefault(key string, v model.Value) {
	if f.find(key) < 0 {
		f.add(model.Entry{Key: key, Value: v})
	}
}

// Get returns the value of key and whether it is set.
func (f *Folder) Get(key string) (model.Value, bool) {
	if f.idx == nil && len(f.m) > indexAbove {
		f.index(len(f.m))
	}
	if i := f.find(key); i >= 0 {
		return f.m[i].Value, true
	}
	return nil, false
}

// Map returns the folded vars, never nil. The Folder must not be used
// afterwards.
func (f *Folder) Map() model.Map {
	if f.m == nil {
		return model.Map{}
	}
	return f.m
}

func (f *Folder) add(e model.Entry) {
	if f.idx != nil {
		f.idx[e.Key] = len(f.m)
	}
	f.m = append(f.m, e)
}

func (f *Folder) index(n int) {
	f.idx = make(map[string]int, n)
	for i, e := range f.m {
		f.idx[e.Key] = i
	}
}

func (f *Folder) find(key string) int {
	if f.idx != nil {
		if i, ok := f.idx[key]; ok {
			return i
		}
		return -1
	}
	for i := range f.m {
		if f.m[i].Key == key {
			return i
		}
	}
	return -1
}

// internalVars are the vars ansible-inventory strips from what it prints
// (cli/inventory.py INTERNAL_VARS). Ansible sets most of them itself, over any
// inventory value, so a value set in the inventory under one of these names
// never shows.
var internalVars = map[string]bool{
	"ansible_diff_mode": true, "ansible_config_file": true, "ansible_facts": true,
	"ansible_forks": true, "ansible_inventory_sources": true, "ansible_limit": true,
	"ansible_playbook_python": true, "ansible_run_tags": true, "ansible_skip_tags": true,
	"ansible_verbosity": true, "ansible_version": true, "inventory_dir": true,
	"inventory_file": true, "inventory_hostname": true, "inventory_hostname_short": true,
	"groups": true, "group_names": true, "omit": true, "playbook_dir": true,
}

// IsInternalVar reports whether ansible-inventory leaves name out of its
// output (--list, --host, --graph --vars).
func IsInternalVar(name string) bool { return internalVars[name] }

// StripInternal returns vars without the internal vars ansible-inventory
// leaves out of its output. It returns vars itself when there are none.
func StripInternal(vars model.Map) model.Map {
	n := 0
	for _, e := range vars {
		if internalVars[e.Key] {
			n++
		}
	}
	if n == 0 {
		return vars
	}
	out := make(model.Map, 0, len(vars)-n)
	for _, e := range vars {
		if !internalVars[e.Key] {
			out = append(out, e)
		}
	}
	return out
}
