package script

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/kook-project/kook/model"
)

// Renderer renders the view tables kook-inventory reads (see tables.go).
// Hand it to the store of every program that writes.
type Renderer struct{}

var _ model.Renderer = Renderer{}

// Tables implements model.Renderer: every table of a whole inventory.
func (Renderer) Tables(n *model.Nodes) (map[string][]model.KV, error) {
	inv := Inventory(n)
	_, children := edgeLists(n)
	var groups, members, hostvars []model.KV
	for _, g := range n.Groups {
		groups = append(groups, model.KV{Key: seqKey(g.Seq), Value: groupValue(g, edgeNamesOf(children[g.Name]))})
	}
	for _, h := range n.Hosts {
		members = append(members, memberEntries(n.Groups, h)...)
	}
	lines := hostVars(inv, inv.Hosts)
	for _, h := range inv.Hosts {
		// A host named like a group gets no entry (see emit.go).
		if line := lines[h.Name]; line != nil && inv.Group(h.Name) == nil {
			hostvars = append(hostvars, model.KV{Key: hostvarsKey(h.Name), Value: line})
		}
	}
	out := map[string][]model.KV{TableGroups: groups, TableMembers: members, TableHostvars: hostvars}
	for _, t := range out {
		slices.SortFunc(t, func(a, b model.KV) int { return bytes.Compare(a.Key, b.Key) })
	}
	return out, nil
}

func edgeNamesOf(edges []model.Edge) []string {
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = e.Name
	}
	return out
}

// groupValue is a group's groups-table value.
func groupValue(g *model.GroupNode, children []string) []byte {
	var vars []byte
	if v := emittedGroupVars(&g.Group); len(v) > 0 {
		vars = model.AppendJSON(nil, v, false)
	}
	var fileKeys []string
	fileKeys = append(fileKeys, g.FileVars.Keys()...)
	if g.Vars.Has(model.PriorityVar) {
		fileKeys = append(fileKeys, model.PriorityVar)
	}
	return encodeGroupEntry(g.Name, vars, children, fileKeys)
}

// memberEntries are the members-table entries listing host h.
func memberEntries(groups map[string]*model.GroupNode, h *model.HostNode) []model.KV {
	var out []model.KV
	name := model.AppendString(nil, h.Name)
	for _, e := range h.Groups {
		if g := groups[e.Name]; g != nil {
			out = append(out, model.KV{Key: memberKey(g.Seq, e.Key), Value: name})
		}
	}
	if h.Slot != 0 && !h.InGroup("ungrouped") {
		if g := groups["ungrouped"]; g != nil {
			out = append(out, model.KV{Key: memberKey(g.Seq, h.Slot), Value: name})
		}
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
		before: map[string]*model.GroupNode{}, changedGroups: map[string]*model.GroupChange{}}
	for i, c := range groups {
		if c.Before != nil {
			u.before[c.Before.Name] = c.Before
		}
		u.changedGroups[groupName(c)] = &groups[i]
	}
	if err := u.groups(groups); err != nil {
		return nil, err
	}
	for _, c := range hosts {
		if err := u.host(c); err != nil {
			return nil, err
		}
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
	before        map[string]*model.GroupNode   // changed groups as they were
	changedGroups map[string]*model.GroupChange // by name
	entries       map[string]*groupEntry        // groups-table entries read, by name
	children      map[string][]string           // children of the groups whose entry is rewritten
	fileKeys      map[string]bool               // vars set in some group's file level, once read
	allGroups     []*groupEntry                 // the whole groups table, once read
	seqOf         map[string]int64              // seq of the groups read
}

func groupName(c model.GroupChange) string {
	if c.After != nil {
		return c.After.Name
	}
	return c.Before.Name
}

func (u *updater) put(table string, key, value []byte) {
	u.edits[table] = append(u.edits[table], model.KV{Key: key, Value: value})
}

func (u *updater) del(table string, key []byte) {
	u.edits[table] = append(u.edits[table], model.KV{Key: key})
}

// seqBefore returns the seq a group had before the change, 0 if it did
// not exist.
func (u *updater) seqBefore(name string) (int64, error) {
	if g, ok := u.before[name]; ok {
		return g.Seq, nil
	}
	if _, changed := u.changedGroups[name]; changed {
		return 0, nil // created by this change
	}
	g, err := u.src.Group(name)
	if errors.Is(err, model.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return g.Seq, nil
}

// groups rewrites the groups-table entries the changed groups alter: their
// own, and those of every parent they joined or left (its children).
func (u *updater) groups(changes []model.GroupChange) error {
	touched := map[string]bool{}
	for _, c := range changes {
		touched[groupName(c)] = true
		for _, e := range c.Before.Edges() {
			touched[e.Name] = true
		}
		for _, e := range c.After.Edges() {
			touched[e.Name] = true
		}
	}
	for _, name := range slices.Sorted(mapKeys(touched)) {
		if err := u.rewriteGroup(name); err != nil {
			return err
		}
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

// rewriteGroup writes the groups-table entry of name as the change leaves
// it (or deletes it).
func (u *updater) rewriteGroup(name string) error {
	oldSeq, err := u.seqBefore(name)
	if err != nil {
		return err
	}
	after, err := u.src.Group(name)
	if errors.Is(err, model.ErrNotFound) {
		if oldSeq != 0 {
			u.del(TableGroups, seqKey(oldSeq))
		}
		return nil
	}
	if err != nil {
		return err
	}
	var listed []string
	if oldSeq != 0 {
		e, err := groupAt(u.src.Table(TableGroups), oldSeq)
		if err != nil {
			return err
		}
		if e != nil {
			listed = e.Children
		}
		if after.Seq != oldSeq {
			u.del(TableGroups, seqKey(oldSeq))
			if err := u.moveMembers(oldSeq, after.Seq); err != nil {
				return err
			}
		}
	}
	kids, err := u.childrenAfter(name, listed)
	if err != nil {
		return err
	}
	u.put(TableGroups, seqKey(after.Seq), groupValue(after, kids))
	return nil
}

// childrenAfter lays the change's groups over the children a group had.
// A child added by a change has a key above every older one: it comes
// last.
func (u *updater) childrenAfter(parent string, listed []string) ([]string, error) {
	var out []string
	for _, c := range listed {
		if gc, ok := u.changedGroups[c]; ok && (gc.After == nil || !gc.After.HasParent(parent)) {
			continue
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
	return out, nil
}

// moveMembers moves a group's members entries from one seq to another.
func (u *updater) moveMembers(from, to int64) error {
	edges, err := members(u.src.Table(TableMembers), from)
	if err != nil {
		return err
	}
	for _, e := range edges {
		u.del(TableMembers, memberKey(from, e.Key))
		u.put(TableMembers, memberKey(to, e.Key), model.AppendString(nil, e.Name))
	}
	return nil
}

// affectsHostsBelow reports whether a change to a group that stays can
// change the entries of hosts below it.
func (u *updater) affectsHostsBelow(c model.GroupChange) (bool, error) {
	a, b := c.Before, c.After
	if a.Priority != b.Priority || !slices.Equal(a.ParentNames(), b.ParentNames()) ||
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
		e, err := decodeGroupEntry(v)
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
		g, err := u.src.Group(name)
		if err != nil {
			if errors.Is(err, model.ErrNotFound) {
				continue
			}
			return err
		}
		seq, err := u.seqBefore(name)
		if err != nil {
			return err
		}
		if seq != 0 {
			edges, err := members(u.src.Table(TableMembers), seq)
			if err != nil {
				return err
			}
			for _, e := range edges {
				u.render[e.Name] = true
			}
			e, err := groupAt(u.src.Table(TableGroups), seq)
			if err != nil {
				return err
			}
			if e != nil {
				queue = append(queue, e.Children...)
			}
		}
		// Children gained in this change.
		for cname, gc := range u.changedGroups {
			if gc.After != nil && gc.After.HasParent(g.Name) {
				queue = append(queue, cname)
			}
		}
	}
	return nil
}

// host renders what a changed host alters: its membership entries and its
// hostvars entry.
func (u *updater) host(c model.HostChange) error {
	name := changeName(c)
	nameJSON := model.AppendString(nil, name)
	type edge struct {
		group string
		key   int64
	}
	edgesOf := func(h *model.HostNode) []edge {
		if h == nil {
			return nil
		}
		var out []edge
		for _, e := range h.Groups {
			out = append(out, edge{e.Name, e.Key})
		}
		if h.Slot != 0 && !h.InGroup("ungrouped") {
			out = append(out, edge{"ungrouped", h.Slot})
		}
		return out
	}
	before, after := edgesOf(c.Before), edgesOf(c.After)
	for _, e := range before {
		if slices.Contains(after, e) {
			continue
		}
		seq, err := u.seqBefore(e.group)
		if err != nil {
			return err
		}
		if seq != 0 {
			u.del(TableMembers, memberKey(seq, e.key))
		}
	}
	for _, e := range after {
		g, err := u.src.Group(e.group)
		if err != nil {
			return fmt.Errorf("host %q: group %q: %w", name, e.group, err)
		}
		if slices.Contains(before, e) {
			if seq, _ := u.seqBefore(e.group); seq == g.Seq {
				continue
			}
		}
		u.put(TableMembers, memberKey(g.Seq, e.key), nameJSON)
	}
	u.render[name] = true
	return nil
}

func changeName(c model.HostChange) string {
	if c.After != nil {
		return c.After.Name
	}
	return c.Before.Name
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
	lines := hostVars(inv, inv.Hosts)
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
		line := lines[h.Name]
		if isGroup {
			line = nil
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
