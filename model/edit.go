package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// This file holds the edits people make with `kook host ...` and
// `kook group ...`. Each leaves the inventory as Ansible would hold it had
// the source file been edited and parsed again: after a structural change it
// reconciles ('ungrouped' and the children of 'all' follow membership), and a
// var it writes loses the provenance of the value it replaced.

// ErrNotEmpty: a group still has hosts or child groups and removing it was
// not forced.
var ErrNotEmpty = errors.New("not empty")

// VarLevel says which of a host's or group's two var levels an edit writes.
type VarLevel int

const (
	// LevelAuto writes where the var is set now, the file level when it is
	// set at both (that is the value Ansible uses), and the inventory level
	// for a new var. Unsetting removes the var from both levels.
	LevelAuto VarLevel = iota
	// LevelInventory is Vars: what an inventory source sets.
	LevelInventory
	// LevelFile is FileVars: what group_vars/ and host_vars/ files set.
	LevelFile
)

// PriorityVar is the var that, set on a group in an inventory source, is the
// group's priority rather than a var.
const PriorityVar = "ansible_group_priority"

// CreateHost adds a new host, a member of groups (which must exist), with
// inventory-level vars. It fails with ErrExists if the host exists.
func (inv *Inventory) CreateHost(name string, groups []string, vars Map) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("host %q: %w", name, err)
	}
	if inv.Host(name) != nil {
		return fmt.Errorf("host %q: %w", name, ErrExists)
	}
	if err := inv.needGroups(groups); err != nil {
		return err
	}
	h := inv.AddHost(name)
	h.Vars = vars.Clone()
	for _, g := range groups {
		if err := inv.AddHostToGroup(g, name); err != nil {
			return err
		}
	}
	inv.Reconcile()
	return nil
}

// DeleteHost removes a host and its memberships.
func (inv *Inventory) DeleteHost(name string) error {
	if !inv.RemoveHost(name) {
		return fmt.Errorf("host %q: %w", name, ErrNotFound)
	}
	return nil
}

// CreateGroup adds a new group under parents (which must exist; none means
// under 'all'), with inventory-level vars. A PriorityVar among vars sets
// its priority. It fails with ErrExists if the group exists.
func (inv *Inventory) CreateGroup(name string, parents []string, vars Map) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("group %q: %w", name, err)
	}
	if inv.Group(name) != nil {
		return fmt.Errorf("group %q: %w", name, ErrExists)
	}
	if err := inv.needGroups(parents); err != nil {
		return err
	}
	inv.AddGroup(name)
	if err := inv.SetGroupVars(name, LevelInventory, vars); err != nil {
		return err
	}
	for _, p := range parents {
		if err := inv.AddChild(p, name); err != nil {
			return err
		}
	}
	inv.Reconcile()
	return nil
}

// Detached says what removing a group took away from it.
type Detached struct {
	Hosts    []string // its direct member hosts
	Children []string // its child groups
	// Ungrouped are the hosts that now belong to no group but 'ungrouped';
	// Rerooted the child groups that now hang from 'all' alone.
	Ungrouped []string
	Rerooted  []string
}

// Empty reports whether the group had neither hosts nor children.
func (d Detached) Empty() bool { return len(d.Hosts) == 0 && len(d.Children) == 0 }

// DeleteGroup removes a group. A group with hosts or child groups is only
// removed with force (else ErrNotEmpty, naming them); its hosts and children
// stay in the inventory, and those left without a group move under
// 'ungrouped' or 'all'. 'all' and 'ungrouped' cannot be removed.
func (inv *Inventory) DeleteGroup(name string, force bool) (Detached, error) {
	g := inv.Group(name)
	if g == nil {
		return Detached{}, fmt.Errorf("group %q: %w", name, ErrNotFound)
	}
	d := Detached{Hosts: append([]string(nil), g.Hosts...), Children: append([]string(nil), g.Children...)}
	if name == "all" || name == "ungrouped" {
		return d, fmt.Errorf("group %q is built in and cannot be removed", name)
	}
	if !d.Empty() && !force {
		return d, fmt.Errorf("group %q still has %s: %w (--force detaches them)", name, describe(d), ErrNotEmpty)
	}
	if err := inv.RemoveGroup(name); err != nil {
		return d, err
	}
	inv.Reconcile()
	for _, h := range d.Hosts {
		if only(inv.HostGroups()[h], "ungrouped") {
			d.Ungrouped = append(d.Ungrouped, h)
		}
	}
	parents := inv.Parents()
	for _, c := range d.Children {
		if only(parents[c], "all") {
			d.Rerooted = append(d.Rerooted, c)
		}
	}
	return d, nil
}

func describe(d Detached) string {
	var parts []string
	if n := len(d.Hosts); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", n, plural(n, "host"), joinNames(d.Hosts)))
	}
	if n := len(d.Children); n > 0 {
		parts = append(parts, fmt.Sprintf("%d child %s (%s)", n, plural(n, "group"), joinNames(d.Children)))
	}
	return strings.Join(parts, " and ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// joinNames joins names, eliding the end of a long list.
func joinNames(names []string) string {
	if len(names) > 8 {
		return strings.Join(names[:6], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-6)
	}
	return strings.Join(names, ", ")
}

func only(names []string, name string) bool { return len(names) == 1 && names[0] == name }

// AddMember makes host a direct member of group (both must exist). Adding a
// member again changes nothing.
func (inv *Inventory) AddMember(group, host string) error {
	if err := inv.AddHostToGroup(group, host); err != nil {
		return err
	}
	inv.Reconcile()
	return nil
}

// RemoveMember takes host out of group. A host left in no group goes to
// 'ungrouped', so removing a host from 'ungrouped' alone is refused.
func (inv *Inventory) RemoveMember(group, host string) error {
	g, err := inv.needMember(group, host)
	if err != nil {
		return err
	}
	if group == "ungrouped" {
		return fmt.Errorf("host %q belongs to no other group, and every host is in one (add it to a group instead)", host)
	}
	g.Hosts = remove(g.Hosts, host)
	inv.Reconcile()
	return nil
}

func (inv *Inventory) needMember(group, host string) (*Group, error) {
	g := inv.Group(group)
	if g == nil {
		return nil, fmt.Errorf("group %q: %w", group, ErrNotFound)
	}
	if inv.Host(host) == nil {
		return nil, fmt.Errorf("host %q: %w", host, ErrNotFound)
	}
	if !contains(g.Hosts, host) {
		return nil, fmt.Errorf("host %q is not a member of group %q: %w", host, group, ErrNotFound)
	}
	return g, nil
}

// Attach makes child a child group of parent (ErrCycle if it would become
// its own ancestor). A group that hung from 'all' only for want of a parent
// leaves 'all', as it would had the source declared it under parent.
func (inv *Inventory) Attach(parent, child string) error {
	if p := inv.Group(parent); p != nil && contains(p.Children, child) {
		return nil
	}
	if err := inv.AddChild(parent, child); err != nil {
		return err
	}
	if parent != "all" {
		if all := inv.Group("all"); all != nil {
			all.Children = remove(all.Children, child)
		}
	}
	inv.Reconcile()
	return nil
}

// Detach removes child from parent's children. A group left without a
// parent goes under 'all', so detaching a group from 'all' alone is
// refused.
func (inv *Inventory) Detach(parent, child string) error {
	p, c := inv.Group(parent), inv.Group(child)
	switch {
	case p == nil:
		return fmt.Errorf("group %q: %w", parent, ErrNotFound)
	case c == nil:
		return fmt.Errorf("group %q: %w", child, ErrNotFound)
	case !contains(p.Children, child):
		return fmt.Errorf("group %q is not a child of %q: %w", child, parent, ErrNotFound)
	}
	if parent == "all" && only(inv.Parents()[child], "all") {
		return fmt.Errorf("group %q has no other parent, and every group is below 'all' (attach it elsewhere first)", child)
	}
	p.Children = remove(p.Children, child)
	inv.Reconcile()
	return nil
}

// SetPriority sets a group's ansible_group_priority.
func (inv *Inventory) SetPriority(group string, priority int) error {
	g := inv.Group(group)
	if g == nil {
		return fmt.Errorf("group %q: %w", group, ErrNotFound)
	}
	g.Priority = priority
	return nil
}

// SetHostVars sets vars on a host at level.
func (inv *Inventory) SetHostVars(host string, level VarLevel, vars Map) error {
	h := inv.Host(host)
	if h == nil {
		return fmt.Errorf("host %q: %w", host, ErrNotFound)
	}
	for _, e := range vars {
		if err := CheckValue(e.Value); err != nil {
			return fmt.Errorf("host %q: %s: %w", host, e.Key, err)
		}
		if pick(level, h.FileVars, e.Key) == LevelFile {
			setVar(&h.FileVars, h.FileVarSources, e)
		} else {
			setVar(&h.Vars, h.VarSources, e)
		}
	}
	return nil
}

// SetGroupVars sets vars on a group at level. At the inventory level,
// PriorityVar sets the group's priority and must be an integer, as in an
// inventory source; in a group_vars/ file it is an ordinary var.
func (inv *Inventory) SetGroupVars(group string, level VarLevel, vars Map) error {
	g := inv.Group(group)
	if g == nil {
		return fmt.Errorf("group %q: %w", group, ErrNotFound)
	}
	for _, e := range vars {
		if err := CheckValue(e.Value); err != nil {
			return fmt.Errorf("group %q: %s: %w", group, e.Key, err)
		}
		if pick(level, g.FileVars, e.Key) == LevelFile {
			setVar(&g.FileVars, g.FileVarSources, e)
			continue
		}
		if e.Key == PriorityVar {
			n, ok := e.Value.(int64)
			if !ok || int64(int(n)) != n {
				return fmt.Errorf("group %q: %s must be an integer, not %s", group, PriorityVar, short(e.Value))
			}
			g.Priority = int(n)
			continue
		}
		setVar(&g.Vars, g.VarSources, e)
	}
	return nil
}

// UnsetHostVars removes vars from a host at level. A var the host does not
// set there is an error.
func (inv *Inventory) UnsetHostVars(host string, level VarLevel, keys []string) error {
	h := inv.Host(host)
	if h == nil {
		return fmt.Errorf("host %q: %w", host, ErrNotFound)
	}
	for _, k := range keys {
		if !unsetVar(level, k, &h.Vars, h.VarSources, &h.FileVars, h.FileVarSources) {
			return fmt.Errorf("host %q has no var %q%s: %w", host, k, where(level), ErrNotFound)
		}
	}
	return nil
}

// UnsetGroupVars removes vars from a group at level; unsetting PriorityVar
// at the inventory level restores the default priority.
func (inv *Inventory) UnsetGroupVars(group string, level VarLevel, keys []string) error {
	g := inv.Group(group)
	if g == nil {
		return fmt.Errorf("group %q: %w", group, ErrNotFound)
	}
	for _, k := range keys {
		if k == PriorityVar && level != LevelFile && !g.FileVars.Has(k) && g.Priority != DefaultPriority {
			g.Priority = DefaultPriority
			continue
		}
		if !unsetVar(level, k, &g.Vars, g.VarSources, &g.FileVars, g.FileVarSources) {
			return fmt.Errorf("group %q has no var %q%s: %w", group, k, where(level), ErrNotFound)
		}
	}
	return nil
}

func where(level VarLevel) string {
	switch level {
	case LevelInventory:
		return " at the inventory level"
	case LevelFile:
		return " in its vars file"
	}
	return ""
}

// pick resolves LevelAuto for one key.
func pick(level VarLevel, fileVars Map, key string) VarLevel {
	if level == LevelAuto {
		if fileVars.Has(key) {
			return LevelFile
		}
		return LevelInventory
	}
	return level
}

// setVar sets a var; setting the value it has changes nothing, not even
// its provenance.
func setVar(m *Map, sources map[string]string, e Entry) {
	if old, ok := m.Get(e.Key); ok && EqualOrdered(old, e.Value) {
		return
	}
	m.Set(e.Key, CloneValue(e.Value))
	delete(sources, e.Key)
}

func unsetVar(level VarLevel, key string, vars *Map, varSources map[string]string, fileVars *Map, fileSources map[string]string) bool {
	var done bool
	if level != LevelFile && vars.Delete(key) {
		delete(varSources, key)
		done = true
	}
	if level != LevelInventory && fileVars.Delete(key) {
		delete(fileSources, key)
		done = true
	}
	return done
}

func (inv *Inventory) needGroups(names []string) error {
	for _, n := range names {
		if inv.Group(n) == nil {
			return fmt.Errorf("group %q: %w (create it first)", n, ErrNotFound)
		}
	}
	return nil
}

// EditResult says what an edit changed (or would change).
type EditResult struct {
	Changes    []Change
	Generation int64 // stored generation after the edit
	Written    bool  // false for a dry run or when nothing changed
}

// Edit applies fn to the stored inventory as one atomic, version-checked
// change (Store.Update). With dryRun it applies fn to a copy and writes
// nothing. Either way the result lists the changes. If fn fails, or its
// result is not a valid inventory, nothing is written.
func Edit(ctx context.Context, s Store, dryRun bool, fn func(*Inventory) error) (EditResult, error) {
	if dryRun {
		cur, gen, err := s.Load(ctx)
		if errors.Is(err, ErrNotFound) {
			cur, err = New(), nil
		}
		if err != nil {
			return EditResult{}, err
		}
		next := cur.Clone()
		if err := fn(next); err != nil {
			return EditResult{Generation: gen}, err
		}
		if err := next.Validate(); err != nil {
			return EditResult{Generation: gen}, err
		}
		return EditResult{Changes: Diff(cur, next), Generation: gen}, nil
	}
	var res EditResult
	gen, err := s.Update(ctx, func(inv *Inventory) error {
		old := inv.Clone()
		if err := fn(inv); err != nil {
			return err
		}
		res.Changes = Diff(old, inv)
		return nil
	})
	res.Generation = gen
	if err != nil {
		res.Changes = nil
		return res, err
	}
	res.Written = len(res.Changes) > 0
	return res, nil
}
