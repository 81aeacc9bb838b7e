package script

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kook-project/kook/model"
)

// Renderer renders the view tables kook-inventory reads (see tables.go).
// Hand it to the store of every program that writes.
type Renderer struct{}

var _ model.Renderer = Renderer{}

// Tables implements model.Renderer: every table of a whole inventory. It
// refuses what the script protocol cannot express (see Check).
func (r Renderer) Tables(n *model.Nodes) (map[string][]model.KV, error) {
	return r.tables(n, true)
}

// tables is Tables; unless strict, it leaves out what it cannot express
// rather than failing.
func (Renderer) tables(n *model.Nodes, strict bool) (map[string][]model.KV, error) {
	if _, ok := n.Groups[model.MetaGroup]; ok && strict {
		return nil, errMetaGroup()
	}
	inv := Inventory(n)
	_, children := edgeLists(n)
	var groups, members, hostvars []model.KV
	order := emission(n, children)
	names := make([]string, len(order))
	seqs := make(map[string]int64, len(order))
	for i, g := range order {
		names[i], seqs[g.Name] = g.Name, g.Seq
	}
	ranks := ranksOf(names, seqs)
	for _, g := range order {
		groups = append(groups, model.KV{Key: groupKey(g.Name), Value: groupValue(g, ranks[g.Name], edgeNamesOf(children[g.Name]))})
	}
	for _, h := range n.Hosts {
		members = append(members, memberEntries(h)...)
	}
	entries := hostVars(inv, inv.Hosts)
	for _, h := range inv.Hosts {
		// A host named like a group gets no entry (see emit.go).
		line, err := hostEntry(h.Name, entries[h.Name], inv.Group(h.Name) != nil)
		if err != nil && strict {
			return nil, err
		}
		if line != nil {
			hostvars = append(hostvars, model.KV{Key: hostvarsKey(h.Name), Value: line})
		}
	}
	out := map[string][]model.KV{TableGroups: groups, TableMembers: members, TableHostvars: hostvars}
	for _, t := range out {
		slices.SortFunc(t, func(a, b model.KV) int { return bytes.Compare(a.Key, b.Key) })
	}
	return out, nil
}

// ranksOf gives each group, in the order --list lists them, a rank that
// follows from that order and the groups' Seqs alone: its Seq where the
// Seqs still increase, else a number between its neighbours'. Listed in
// the order they were created, the groups' ranks are their Seqs, and a
// change that leaves a group's place alone leaves its rank alone.
func ranksOf(emitted []string, seqs map[string]int64) map[string]int64 {
	next := int64(0)
	for _, s := range seqs {
		next = max(next, s)
	}
	return assignKeys(emitted, seqs, func() int64 { next += model.KeyStep; return next })
}

func edgeNamesOf(edges []model.Edge) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = e.Name
	}
	return out
}

// groupValue is a group's groups-table value.
func groupValue(g *model.GroupNode, rank int64, children []string) []byte {
	var vars []byte
	if v := emittedGroupVars(&g.Group); len(v) > 0 {
		vars = model.AppendJSON(nil, v, false)
	}
	fileKeys := g.FileVars.Keys()
	if g.Vars.Has(model.PriorityVar) {
		fileKeys = append(fileKeys, model.PriorityVar)
	}
	return encodeGroupEntry(rank, vars, children, g.Seq, fileKeys)
}

// memberEntries are the members-table entries listing host h.
func memberEntries(h *model.HostNode) []model.KV {
	var out []model.KV
	name := model.AppendString(nil, h.Name)
	for _, e := range h.Groups {
		out = append(out, model.KV{Key: memberKey(e.Name, e.Key), Value: name})
	}
	if h.Slot != 0 && !h.InGroup("ungrouped") {
		out = append(out, model.KV{Key: memberKey("ungrouped", h.Slot), Value: name})
	}
	return out
}

// Update implements model.Renderer. It reads the changed nodes, the groups
// above the hosts whose entries it renders, and the table entries it
// changes: a change to one host costs that host's ancestors, whatever the
// inventory's size. A change to a group's vars renders again the hosts
// below it only when Ansible's result for them can change (the vars of
// group_vars/ files and ansible_group_priority can make it differ from the
// emitted group vars, see emit.go); a change of its parents or priority
// always does. Those cost the hosts below the group, on purpose.
func (Renderer) Update(src model.ViewSource, hosts []model.HostChange, groups []model.GroupChange) (model.TableEdits, error) {
	u := &updater{src: src, edits: model.TableEdits{}, render: map[string]bool{},
		changedGroups: map[string]*model.GroupChange{}}
	for i, c := range groups {
		if c.After != nil && c.After.Name == model.MetaGroup {
			return nil, errMetaGroup()
		}
		u.changedGroups[c.Name()] = &groups[i]
	}
	if err := u.groups(groups); err != nil {
		return nil, err
	}
	for _, c := range hosts {
		u.host(c)
	}
	if err := u.renderHosts(); err != nil {
		return nil, err
	}
	return u.edits, nil
}

type updater struct {
	src           model.ViewSource
	edits         model.TableEdits
	render        map[string]bool               // hosts whose hostvars entry to render again
	changedGroups map[string]*model.GroupChange // by name
	fileKeys      map[string]bool               // vars set in some group's file level, once read
}

func (u *updater) put(table string, key, value []byte) {
	u.edits[table] = append(u.edits[table], model.KV{Key: key, Value: value})
}

func (u *updater) del(table string, key []byte) {
	u.edits[table] = append(u.edits[table], model.KV{Key: key})
}

// groups rewrites the groups-table entries the changed groups alter: their
// own, and those of every parent they joined or left (its children). A
// change to the groups themselves (a group made or removed, parents, Seq)
// can change the order --list lists them in: that costs reading the whole
// groups table, and rewriting the entries whose rank moves.
func (u *updater) groups(changes []model.GroupChange) error {
	touched := map[string]bool{}
	structural := false
	for _, c := range changes {
		touched[c.Name()] = true
		for _, e := range c.Before.Edges() {
			touched[e.Name] = true
		}
		for _, e := range c.After.Edges() {
			touched[e.Name] = true
		}
		if c.Before == nil || c.After == nil || c.Before.Seq != c.After.Seq || c.Before.ListLast != c.After.ListLast ||
			!sameParents(c.Before, c.After) {
			structural = true
		}
	}
	var err error
	if structural {
		err = u.reorderGroups(touched)
	} else {
		for _, name := range slices.Sorted(mapKeys(touched)) {
			if err = u.rewriteGroup(name, nil); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	// Hosts whose entries may change.
	for _, c := range changes {
		switch {
		case c.Before == nil:
			// A new group holds no host yet, but a host named like it
			// loses its own entry (see emit.go).
			u.render[c.After.Name] = true
		case c.After == nil:
			u.render[c.Before.Name] = true
		default:
			below, err := u.affectsHostsBelow(c)
			if err != nil {
				return err
			}
			if below {
				if err := u.renderBelow(c.After.Name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sameParents(a, b *model.GroupNode) bool {
	if len(a.Parents) != len(b.Parents) {
		return false
	}
	for _, e := range a.Parents {
		if !slices.Contains(b.Parents, e) {
			return false
		}
	}
	return true
}

// rewriteGroup writes name's groups-table entry as the change leaves it,
// at rank (its present rank when nil), or deletes it.
func (u *updater) rewriteGroup(name string, rank *int64) error {
	e, err := groupEntryOf(u.src.Table(TableGroups), name)
	if err != nil {
		return err
	}
	after, err := u.src.Group(name)
	if errors.Is(err, model.ErrNotFound) {
		if e != nil {
			u.del(TableGroups, groupKey(name))
		}
		return nil
	}
	if err != nil {
		return err
	}
	var listed []string
	var r int64
	if e != nil {
		listed, r = e.Children, e.Rank
	}
	if rank != nil {
		r = *rank
	}
	u.put(TableGroups, groupKey(name), groupValue(after, r, u.childrenAfter(name, listed)))
	return nil
}

// reorderGroups works the groups' order out again from every entry with
// the change laid over them, and rewrites the touched entries and those
// whose rank moves. It costs the groups, not the hosts.
func (u *updater) reorderGroups(touched map[string]bool) error {
	type info struct {
		seq      int64
		rank     int64 // 0: new
		children []string
	}
	groups := map[string]*info{}
	var ferr error
	err := u.src.Table(TableGroups).Scan(nil, nil, func(k, v []byte) bool {
		e, err := decodeGroupEntry(k, v)
		if err != nil {
			ferr = err
			return false
		}
		groups[e.Name] = &info{seq: e.Seq, rank: e.Rank, children: e.Children}
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	last := false
	for name, gc := range u.changedGroups {
		if gc.After == nil {
			delete(groups, name)
			continue
		}
		g := groups[name]
		if g == nil {
			g = &info{}
			groups[name] = g
		}
		g.seq = gc.After.Seq
	}
	for name := range touched {
		if g := groups[name]; g != nil {
			g.children = u.childrenAfter(name, g.children)
		}
	}
	if ug, err := u.src.Group("ungrouped"); err == nil {
		last = ug.ListLast
	}
	names := slices.Collect(mapKeys(groups))
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(groups[a].seq, groups[b].seq); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	inv := groupsOnly(names, func(g string) []string { return groups[g].children })
	order := emissionOrder(inv, last)
	emitted := make([]string, len(order))
	seqs := make(map[string]int64, len(order))
	for i, k := range order {
		emitted[i] = inv.Groups[k].Name
		seqs[emitted[i]] = groups[emitted[i]].seq
	}
	ranks := ranksOf(emitted, seqs)
	for _, name := range slices.Sorted(mapKeys(u.changedGroups)) {
		if groups[name] == nil {
			if err := u.rewriteGroup(name, nil); err != nil {
				return err
			}
		}
	}
	for _, name := range emitted {
		r := ranks[name]
		if touched[name] || r != groups[name].rank {
			if err := u.rewriteGroup(name, &r); err != nil {
				return err
			}
		}
	}
	return nil
}

// childrenAfter lays the change's groups over the children a group had.
// A child added by a change has a key above every older one: it comes
// last.
func (u *updater) childrenAfter(parent string, listed []string) []string {
	var out []string
	for _, c := range listed {
		if gc, ok := u.changedGroups[c]; ok && (gc.After == nil || !sameEdge(gc.Before, gc.After, parent)) {
			continue // gone, or linked again with a new key: placed below
		}
		out = append(out, c)
	}
	var added []model.Edge
	for name, gc := range u.changedGroups {
		if gc.After == nil || slices.Contains(out, name) {
			continue
		}
		for _, e := range gc.After.Parents {
			if e.Name == parent {
				added = append(added, model.Edge{Name: name, Key: e.Key})
			}
		}
	}
	sortEdges(added)
	for _, e := range added {
		out = append(out, e.Name)
	}
	return out
}

// sameEdge reports whether group b links to parent with the key a did.
func sameEdge(a, b *model.GroupNode, parent string) bool {
	for _, e := range b.Edges() {
		if e.Name == parent {
			return slices.Contains(a.Edges(), e)
		}
	}
	return false
}

// affectsHostsBelow reports whether a change to a group that stays can
// change the entries of hosts below it.
func (u *updater) affectsHostsBelow(c model.GroupChange) (bool, error) {
	a, b := c.Before, c.After
	if a.Priority != b.Priority || !sameParents(a, b) || !maps.Equal(a.FileVarRanks, b.FileVarRanks) ||
		!model.EqualOrdered(a.FileVars, b.FileVars) || a.Vars.Has(model.PriorityVar) || b.Vars.Has(model.PriorityVar) {
		return true, nil
	}
	// Only inventory-level vars changed: the emitted fold and Ansible's
	// agree on them unless some group's file level sets one too.
	var changed []string
	for _, e := range b.Vars {
		if old, ok := a.Vars.Get(e.Key); !ok || !model.EqualOrdered(old, e.Value) {
			changed = append(changed, e.Key)
		}
	}
	for _, e := range a.Vars {
		if !b.Vars.Has(e.Key) {
			changed = append(changed, e.Key)
		}
	}
	if len(changed) == 0 {
		return false, nil
	}
	fk, err := u.allFileKeys()
	if err != nil {
		return false, err
	}
	for _, k := range changed {
		if fk[k] {
			return true, nil
		}
	}
	return false, nil
}

// allFileKeys returns the vars some group sets at its file level, from the
// groups table (its cost is the groups', not the hosts'), with the
// change's groups laid over it.
func (u *updater) allFileKeys() (map[string]bool, error) {
	if u.fileKeys != nil {
		return u.fileKeys, nil
	}
	u.fileKeys = map[string]bool{}
	var ferr error
	err := u.src.Table(TableGroups).Scan(nil, nil, func(k, v []byte) bool {
		e, err := decodeGroupEntry(k, v)
		if err != nil {
			ferr = err
			return false
		}
		if _, changed := u.changedGroups[e.Name]; changed {
			return true
		}
		for _, key := range e.FileKeys {
			u.fileKeys[key] = true
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	for _, gc := range u.changedGroups {
		for _, g := range []*model.GroupNode{gc.Before, gc.After} {
			if g != nil {
				for _, key := range g.FileVars.Keys() {
					u.fileKeys[key] = true
				}
				if g.Vars.Has(model.PriorityVar) {
					u.fileKeys[model.PriorityVar] = true
				}
			}
		}
	}
	return u.fileKeys, err
}

// renderBelow marks every host below group (its members, and its
// descendants' members) for rendering. It costs the hosts below.
func (u *updater) renderBelow(group string) error {
	seen := map[string]bool{}
	queue := []string{group}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		edges, err := members(u.src.Table(TableMembers), name)
		if err != nil {
			return err
		}
		for _, e := range edges {
			u.render[e.Name] = true
		}
		e, err := groupEntryOf(u.src.Table(TableGroups), name)
		if err != nil {
			return err
		}
		var listed []string
		if e != nil {
			listed = e.Children
		}
		queue = append(queue, u.childrenAfter(name, listed)...)
	}
	return nil
}

// host renders what a changed host alters: its membership entries and its
// hostvars entry.
func (u *updater) host(c model.HostChange) {
	name := c.Name()
	entries := func(h *model.HostNode) map[string][]byte {
		out := map[string][]byte{}
		if h != nil {
			for _, e := range memberEntries(h) {
				out[string(e.Key)] = e.Value
			}
		}
		return out
	}
	before, after := entries(c.Before), entries(c.After)
	for k := range before {
		if _, ok := after[k]; !ok {
			u.del(TableMembers, []byte(k))
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			u.put(TableMembers, []byte(k), v)
		}
	}
	u.render[name] = true
}

// renderHosts renders the hostvars entries of the marked hosts: each from
// the host and the groups above it only.
func (u *updater) renderHosts() error {
	names := slices.Sorted(mapKeys(u.render))
	nodes, err := u.src.Hosts(names)
	if err != nil {
		return err
	}
	// The groups above the hosts, read once each.
	groups := map[string]*model.GroupNode{}
	var need []string
	for _, h := range nodes {
		if h != nil {
			for _, e := range h.Groups {
				need = append(need, e.Name)
			}
		}
	}
	need = append(need, "all")
	for len(need) > 0 {
		name := need[len(need)-1]
		need = need[:len(need)-1]
		if _, ok := groups[name]; ok {
			continue
		}
		g, err := u.src.Group(name)
		if err != nil {
			return fmt.Errorf("group %q: %w", name, err)
		}
		groups[name] = g
		for _, p := range g.Parents {
			need = append(need, p.Name)
		}
	}
	var hosts []*model.HostNode
	for i, h := range nodes {
		if h == nil {
			u.setHostvars(names[i], nil)
			continue
		}
		hosts = append(hosts, h)
	}
	inv := model.InventoryOf(hosts, groups)
	entries := hostVars(inv, inv.Hosts)
	for _, h := range hosts {
		// A host named like a group gets no entry (see emit.go): look
		// the name up among all groups, not only those above it.
		isGroup := false
		if _, ok := groups[h.Name]; ok {
			isGroup = true
		} else if _, err := u.src.Group(h.Name); err == nil {
			isGroup = true
		} else if !errors.Is(err, model.ErrNotFound) {
			return err
		}
		line, err := hostEntry(h.Name, entries[h.Name], isGroup)
		if err != nil {
			return err
		}
		if err := u.setHostvars(h.Name, line); err != nil {
			return err
		}
	}
	return nil
}

// setHostvars puts (nil: deletes) a host's hostvars entry unless the table
// already holds exactly that: a segment is rewritten only for an entry
// that changes.
func (u *updater) setHostvars(name string, line []byte) error {
	key := hostvarsKey(name)
	old, ok, err := u.src.Table(TableHostvars).Get(key)
	if err != nil {
		return err
	}
	switch {
	case line == nil && ok:
		u.del(TableHostvars, key)
	case line != nil && (!ok || !bytes.Equal(old, line)):
		u.put(TableHostvars, key, line)
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
