package model

import (
	"errors"
	"fmt"
	"strings"
)

// This file holds the edits people make with `kook host ...` and
// `kook group ...`, as ops on a Tx. Each leaves the inventory as Ansible
// would hold it had the source file been edited and parsed again: a host
// left in no group is in 'ungrouped' and leaves it when it joins one, a
// group left without a parent hangs from 'all', and a var an edit writes
// loses the provenance of the value it replaced.

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

// CreateHost adds a new host, a direct member of Groups (which must exist;
// none means 'ungrouped'), with inventory-level Vars. It fails with
// ErrExists if the host exists.
type CreateHost struct {
	Name   string
	Groups []string
	Vars   Map
}

func (o CreateHost) String() string { return "host add " + o.Name }

// Apply implements Op.
func (o CreateHost) Apply(tx Tx) error {
	if err := ValidateName(o.Name); err != nil {
		return fmt.Errorf("host %q: %w", o.Name, err)
	}
	if _, err := tx.Host(o.Name); err == nil {
		return fmt.Errorf("host %q: %w", o.Name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := checkVars("host", o.Name, o.Vars); err != nil {
		return err
	}
	h := &HostNode{Host: Host{Name: o.Name, Vars: o.Vars.Clone()}}
	for _, g := range o.Groups {
		if _, err := needGroup(tx, g); err != nil {
			return err
		}
		addEdge(&h.Groups, g, tx.NewKey())
	}
	reconcileHost(tx, h)
	tx.PutHost(h)
	return nil
}

// DeleteHost removes a host and its memberships.
type DeleteHost struct{ Name string }

func (o DeleteHost) String() string { return "host rm " + o.Name }

// Apply implements Op.
func (o DeleteHost) Apply(tx Tx) error {
	if _, err := tx.Host(o.Name); err != nil {
		return err
	}
	tx.DeleteHost(o.Name)
	return nil
}

// CreateGroup adds a new group below Parents (which must exist; none means
// below 'all'), with inventory-level Vars. ansible_group_priority among Vars
// sets its priority. It fails with ErrExists if the group exists.
type CreateGroup struct {
	Name    string
	Parents []string
	Vars    Map
}

func (o CreateGroup) String() string { return "group add " + o.Name }

// Apply implements Op.
func (o CreateGroup) Apply(tx Tx) error {
	if err := ValidateName(o.Name); err != nil {
		return fmt.Errorf("group %q: %w", o.Name, err)
	}
	if _, err := tx.Group(o.Name); err == nil {
		return fmt.Errorf("group %q: %w", o.Name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	g := &GroupNode{Group: *NewGroup(o.Name), Seq: tx.NewKey()}
	if err := setGroupVars(g, LevelInventory, o.Vars); err != nil {
		return err
	}
	for _, p := range o.Parents {
		if _, err := needGroup(tx, p); err != nil {
			return err
		}
		addEdge(&g.Parents, p, tx.NewKey())
	}
	reconcileGroup(tx, g)
	tx.PutGroup(g)
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
// removed with Force (else ErrNotEmpty, naming them); its hosts and children
// stay in the inventory, and those left without a group move to
// 'ungrouped' or below 'all'. 'all' and 'ungrouped' cannot be removed. If
// Detached is not nil it is set to what the group lost. It costs in
// proportion to the group's hosts and children.
type DeleteGroup struct {
	Name     string
	Force    bool
	Detached *Detached
}

func (o DeleteGroup) String() string { return "group rm " + o.Name }

// Apply implements Op.
func (o DeleteGroup) Apply(tx Tx) error {
	if _, err := tx.Group(o.Name); err != nil {
		return err
	}
	if o.Name == "all" || o.Name == "ungrouped" {
		return fmt.Errorf("group %q is built in and cannot be removed", o.Name)
	}
	var d Detached
	var err error
	if d.Hosts, err = tx.Members(o.Name); err != nil {
		return err
	}
	if d.Children, err = tx.Children(o.Name); err != nil {
		return err
	}
	if o.Detached != nil {
		*o.Detached = d
	}
	if !d.Empty() && !o.Force {
		return fmt.Errorf("group %q still has %s: %w", o.Name, describe(d), ErrNotEmpty)
	}
	for _, name := range d.Hosts {
		h, err := tx.Host(name)
		if err != nil {
			return err
		}
		dropEdge(&h.Groups, o.Name)
		if reconcileHost(tx, h) {
			d.Ungrouped = append(d.Ungrouped, name)
		}
		tx.PutHost(h)
	}
	for _, name := range d.Children {
		c, err := tx.Group(name)
		if err != nil {
			return err
		}
		dropEdge(&c.Parents, o.Name)
		if reconcileGroup(tx, c) {
			d.Rerooted = append(d.Rerooted, name)
		}
		tx.PutGroup(c)
	}
	tx.DeleteGroup(o.Name)
	if o.Detached != nil {
		*o.Detached = d
	}
	return nil
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

// AddMember makes Host a direct member of Group (both must exist). Adding
// a member again changes nothing; a host in another group is not added to
// 'ungrouped', as Ansible's reconciliation would take it out again.
type AddMember struct{ Group, Host string }

func (o AddMember) String() string { return fmt.Sprintf("group add-host %s %s", o.Group, o.Host) }

// Apply implements Op.
func (o AddMember) Apply(tx Tx) error {
	if _, err := needGroup(tx, o.Group); err != nil {
		return err
	}
	h, err := tx.Host(o.Host)
	if err != nil {
		return err
	}
	if !addEdge(&h.Groups, o.Group, tx.NewKey()) {
		return nil
	}
	reconcileHost(tx, h)
	tx.PutHost(h)
	return nil
}

// RemoveMember takes Host out of Group. A host left in no group goes to
// 'ungrouped', so removing a host from 'ungrouped' alone is refused.
type RemoveMember struct{ Group, Host string }

func (o RemoveMember) String() string { return fmt.Sprintf("group rm-host %s %s", o.Group, o.Host) }

// Apply implements Op.
func (o RemoveMember) Apply(tx Tx) error {
	if _, err := needGroup(tx, o.Group); err != nil {
		return err
	}
	h, err := tx.Host(o.Host)
	if err != nil {
		return err
	}
	if !h.InGroup(o.Group) {
		return fmt.Errorf("host %q is not a member of group %q: %w", o.Host, o.Group, ErrNotFound)
	}
	if o.Group == "ungrouped" {
		return fmt.Errorf("host %q belongs to no other group, and every host is in one (add it to a group instead)", o.Host)
	}
	dropEdge(&h.Groups, o.Group)
	reconcileHost(tx, h)
	tx.PutHost(h)
	return nil
}

// Attach makes Child a child group of Parent (ErrCycle if it would become
// its own ancestor). A group that hung from 'all' only for want of a
// parent leaves 'all', as it would had the source declared it under
// Parent.
type Attach struct{ Parent, Child string }

func (o Attach) String() string { return fmt.Sprintf("group add-child %s %s", o.Parent, o.Child) }

// Apply implements Op.
func (o Attach) Apply(tx Tx) error {
	if _, err := needGroup(tx, o.Parent); err != nil {
		return err
	}
	c, err := needGroup(tx, o.Child)
	if err != nil {
		return err
	}
	if c.HasParent(o.Parent) {
		return nil
	}
	if o.Parent == o.Child {
		return fmt.Errorf("adding group %q as child to %q creates a recursive dependency loop: %w", o.Child, o.Parent, ErrCycle)
	}
	if below, err := isAncestor(tx, o.Child, o.Parent); err != nil {
		return err
	} else if below {
		return fmt.Errorf("adding group %q as child to %q creates a recursive dependency loop: %w", o.Child, o.Parent, ErrCycle)
	}
	addEdge(&c.Parents, o.Parent, tx.NewKey())
	if o.Parent != "all" {
		dropEdge(&c.Parents, "all")
	}
	tx.PutGroup(c)
	return nil
}

// isAncestor reports whether group anc is above group of, walking up the
// parents of of. It costs the groups above of.
func isAncestor(tx Tx, anc, of string) (bool, error) {
	seen := map[string]bool{of: true}
	stack := []string{of}
	for len(stack) > 0 {
		g, err := tx.Group(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		if err != nil {
			return false, err
		}
		for _, p := range g.Parents {
			if p.Name == anc {
				return true, nil
			}
			if !seen[p.Name] {
				seen[p.Name] = true
				stack = append(stack, p.Name)
			}
		}
	}
	return false, nil
}

// Detach removes Child from Parent's children. A group left without a
// parent goes below 'all', so detaching a group from 'all' alone is
// refused.
type Detach struct{ Parent, Child string }

func (o Detach) String() string { return fmt.Sprintf("group rm-child %s %s", o.Parent, o.Child) }

// Apply implements Op.
func (o Detach) Apply(tx Tx) error {
	if _, err := needGroup(tx, o.Parent); err != nil {
		return err
	}
	c, err := needGroup(tx, o.Child)
	if err != nil {
		return err
	}
	if !c.HasParent(o.Parent) {
		return fmt.Errorf("group %q is not a child of %q: %w", o.Child, o.Parent, ErrNotFound)
	}
	if o.Parent == "all" && len(c.Parents) == 1 {
		return fmt.Errorf("group %q has no other parent, and every group is below 'all' (attach it elsewhere first)", o.Child)
	}
	dropEdge(&c.Parents, o.Parent)
	reconcileGroup(tx, c)
	tx.PutGroup(c)
	return nil
}

// SetPriority sets a group's ansible_group_priority.
type SetPriority struct {
	Group    string
	Priority int
}

func (o SetPriority) String() string { return fmt.Sprintf("group priority %s %d", o.Group, o.Priority) }

// Apply implements Op.
func (o SetPriority) Apply(tx Tx) error {
	g, err := needGroup(tx, o.Group)
	if err != nil {
		return err
	}
	if g.Priority != o.Priority {
		g.Priority = o.Priority
		tx.PutGroup(g)
	}
	return nil
}

// SetHostVars sets vars on a host at Level.
type SetHostVars struct {
	Host  string
	Level VarLevel
	Vars  Map
}

func (o SetHostVars) String() string { return "host set " + o.Host + " " + assignments(o.Vars) }

// Apply implements Op.
func (o SetHostVars) Apply(tx Tx) error {
	h, err := tx.Host(o.Host)
	if err != nil {
		return err
	}
	if err := checkVars("host", o.Host, o.Vars); err != nil {
		return err
	}
	for _, e := range o.Vars {
		if pick(o.Level, h.FileVars, e.Key) == LevelFile {
			setVar(&h.FileVars, h.FileVarSources, e)
		} else {
			setVar(&h.Vars, h.VarSources, e)
		}
	}
	tx.PutHost(h)
	return nil
}

// SetGroupVars sets vars on a group at Level. At the inventory level,
// ansible_group_priority sets the group's priority and must be an integer,
// as in an inventory source; in a group_vars/ file it is an ordinary var.
type SetGroupVars struct {
	Group string
	Level VarLevel
	Vars  Map
}

func (o SetGroupVars) String() string { return "group set " + o.Group + " " + assignments(o.Vars) }

// Apply implements Op.
func (o SetGroupVars) Apply(tx Tx) error {
	g, err := needGroup(tx, o.Group)
	if err != nil {
		return err
	}
	if err := setGroupVars(g, o.Level, o.Vars); err != nil {
		return err
	}
	tx.PutGroup(g)
	return nil
}

func setGroupVars(g *GroupNode, level VarLevel, vars Map) error {
	if err := checkVars("group", g.Name, vars); err != nil {
		return err
	}
	for _, e := range vars {
		if pick(level, g.FileVars, e.Key) == LevelFile {
			setVar(&g.FileVars, g.FileVarSources, e)
			continue
		}
		if e.Key == PriorityVar {
			n, ok := e.Value.(int64)
			if !ok || int64(int(n)) != n {
				return fmt.Errorf("group %q: %s must be an integer, not %s", g.Name, PriorityVar, short(e.Value))
			}
			g.Priority = int(n)
			continue
		}
		setVar(&g.Vars, g.VarSources, e)
	}
	return nil
}

// UnsetHostVars removes vars from a host at Level. A var the host does not
// set there is an error.
type UnsetHostVars struct {
	Host  string
	Level VarLevel
	Keys  []string
}

func (o UnsetHostVars) String() string {
	return "host unset " + o.Host + " " + strings.Join(o.Keys, " ")
}

// Apply implements Op.
func (o UnsetHostVars) Apply(tx Tx) error {
	h, err := tx.Host(o.Host)
	if err != nil {
		return err
	}
	for _, k := range o.Keys {
		if !unsetVar(o.Level, k, &h.Vars, h.VarSources, &h.FileVars, h.FileVarSources) {
			return fmt.Errorf("host %q has no var %q%s: %w", o.Host, k, where(o.Level), ErrNotFound)
		}
	}
	tx.PutHost(h)
	return nil
}

// UnsetGroupVars removes vars from a group at Level; unsetting
// ansible_group_priority at the inventory level restores the default
// priority.
type UnsetGroupVars struct {
	Group string
	Level VarLevel
	Keys  []string
}

func (o UnsetGroupVars) String() string {
	return "group unset " + o.Group + " " + strings.Join(o.Keys, " ")
}

// Apply implements Op.
func (o UnsetGroupVars) Apply(tx Tx) error {
	g, err := needGroup(tx, o.Group)
	if err != nil {
		return err
	}
	for _, k := range o.Keys {
		if k == PriorityVar && o.Level != LevelFile && !g.FileVars.Has(k) && g.Priority != DefaultPriority {
			g.Priority = DefaultPriority
			continue
		}
		if !unsetVar(o.Level, k, &g.Vars, g.VarSources, &g.FileVars, g.FileVarSources) {
			return fmt.Errorf("group %q has no var %q%s: %w", o.Group, k, where(o.Level), ErrNotFound)
		}
	}
	tx.PutGroup(g)
	return nil
}

// reconcileHost applies Ansible's rule for 'ungrouped' to a host whose
// groups changed: in no group, it joins 'ungrouped'; in another group, it
// leaves it. It reports whether the host was put in 'ungrouped'.
func reconcileHost(tx Tx, h *HostNode) bool {
	switch {
	case len(h.Groups) == 0:
		h.Groups = append(h.Groups, Edge{Name: "ungrouped", Key: tx.NewKey()})
		return true
	case len(h.Groups) > 1 && h.InGroup("ungrouped"):
		dropEdge(&h.Groups, "ungrouped")
	}
	return false
}

// reconcileGroup puts a group left without a parent below 'all', and
// reports whether it did.
func reconcileGroup(tx Tx, g *GroupNode) bool {
	if len(g.Parents) == 0 && g.Name != "all" {
		g.Parents = append(g.Parents, Edge{Name: "all", Key: tx.NewKey()})
		return true
	}
	return false
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

func checkVars(kind, name string, vars Map) error {
	for _, e := range vars {
		if err := CheckValue(e.Value); err != nil {
			return fmt.Errorf("%s %q: %s: %w", kind, name, e.Key, err)
		}
	}
	return nil
}

func needGroup(tx Tx, name string) (*GroupNode, error) {
	g, err := tx.Group(name)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("group %q: %w (create it first)", name, ErrNotFound)
	}
	return g, err
}

// assignments renders vars as k=v pairs for an op's description.
func assignments(vars Map) string {
	parts := make([]string, len(vars))
	for i, e := range vars {
		parts[i] = e.Key + "=" + short(e.Value)
	}
	return strings.Join(parts, " ")
}
