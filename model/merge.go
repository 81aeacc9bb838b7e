package model

import (
	"fmt"
	"maps"
	"slices"
)

// Merge adds Src's hosts, groups, memberships, children and vars to the
// stored inventory and removes nothing. A var set in both takes Src's
// value, a group's priority takes Src's, and provenance is merged. New
// hosts, groups, memberships and children come after the stored ones, in
// Src's order. It costs in proportion to Src.
type Merge struct{ Src *Inventory }

func (o Merge) String() string {
	return fmt.Sprintf("merge %d hosts, %d groups", len(o.Src.Hosts), len(o.Src.Groups))
}

// Prefetcher is implemented by a Tx that can read many nodes at once
// faster than one at a time.
type Prefetcher interface {
	Prefetch(hosts, groups []string) error
}

// Apply implements Op.
func (o Merge) Apply(tx Tx) error {
	src := o.Src
	if p, ok := tx.(Prefetcher); ok {
		hosts := make([]string, len(src.Hosts))
		for i, h := range src.Hosts {
			hosts[i] = h.Name
		}
		groups := make([]string, len(src.Groups))
		for i, g := range src.Groups {
			groups[i] = g.Name
		}
		if err := p.Prefetch(hosts, groups); err != nil {
			return err
		}
	}
	// Src's group_vars/ come after every source stored, as if read after
	// them (-i A -i B): each of Src's ranks maps to a fresh one above every
	// rank stored, in order. A file var whose value does not change keeps
	// its rank, so that merging the same source again changes nothing.
	srcRanks := map[int]bool{}
	for _, g := range src.Groups {
		g.AddFileVarRanks(srcRanks)
	}
	ranks := make(map[int]int, len(srcRanks))
	for _, r := range slices.Sorted(maps.Keys(srcRanks)) {
		ranks[r] = int(tx.NewKey())
	}
	groups := make(map[string]*GroupNode, len(src.Groups))
	for _, g := range src.Groups {
		d, err := getOrNewGroup(tx, g.Name)
		if err != nil {
			return err
		}
		d.Vars.Update(g.Vars.Clone())
		for _, e := range g.FileVars {
			if old, ok := d.FileVars.Get(e.Key); ok && EqualOrdered(old, e.Value) {
				continue
			}
			d.FileVars.Set(e.Key, CloneValue(e.Value))
			if g.Name != "all" { // group_vars/all is a level of its own, applied in source order
				setRank(&d.Group, e.Key, ranks[g.FileVarRanks[e.Key]])
			}
		}
		// ansible_group_priority, when Src sets it (a source that does not
		// leaves the group's priority as it is; one that sets the default,
		// 1, explicitly cannot be told apart: kook group priority does it).
		if g.Priority != DefaultPriority {
			d.Priority = g.Priority
		}
		if d.Source == "" {
			d.Source = g.Source
		}
		d.VarSources = mergeSources(d.VarSources, g.VarSources)
		d.FileVarSources = mergeSources(d.FileVarSources, g.FileVarSources)
		groups[g.Name] = d
	}
	hosts := make(map[string]*HostNode, len(src.Hosts))
	for _, h := range src.Hosts {
		d, err := tx.Host(h.Name)
		switch {
		case err == nil:
		case isNotFound(err):
			d = &HostNode{Host: Host{Name: h.Name}}
		default:
			return err
		}
		d.Vars.Update(h.Vars.Clone())
		d.FileVars.Update(h.FileVars.Clone())
		if d.Source == "" {
			d.Source = h.Source
		}
		d.VarSources = mergeSources(d.VarSources, h.VarSources)
		d.FileVarSources = mergeSources(d.FileVarSources, h.FileVarSources)
		hosts[h.Name] = d
	}
	for _, g := range src.Groups {
		for _, h := range g.Hosts {
			addEdge(&hosts[h].Groups, g.Name, tx.NewKey())
		}
		for _, c := range g.Children {
			if g.Name == "all" && src.underAll[c] {
				continue // Src's reconcile put it there: see below
			}
			addEdge(&groups[c].Parents, g.Name, tx.NewKey())
		}
	}
	for _, g := range src.Groups {
		d := groups[g.Name]
		if len(d.Parents) > 1 && d.HasParent("all") && !src.underAllExplicitly(g.Name) {
			// A group that hung from 'all' for want of a parent leaves it
			// once Src gives it one, as Attach does.
			dropEdge(&d.Parents, "all")
		}
		// One still without a parent hangs from 'all', as Ansible's
		// reconcile after the last source puts it.
		reconcileGroup(tx, d)
		tx.PutGroup(d)
	}
	for _, h := range src.Hosts {
		d := hosts[h.Name]
		reconcileHost(tx, d)
		tx.PutHost(d)
	}
	// A cycle that only the merge creates is refused, as Ansible fails on it.
	for _, g := range src.Groups {
		for _, c := range g.Children {
			if c == g.Name {
				return fmt.Errorf("group %q is its own child: %w", c, ErrCycle)
			}
			if cyc, err := isAncestor(tx, c, g.Name); err != nil {
				return err
			} else if cyc {
				return fmt.Errorf("adding group %q as child to %q creates a recursive dependency loop: %w", c, g.Name, ErrCycle)
			}
		}
	}
	return nil
}

// underAllExplicitly reports whether the source made child a child of
// 'all' itself ([all:children]), not Reconcile for want of a parent.
func (inv *Inventory) underAllExplicitly(child string) bool {
	g := inv.Group("all")
	return g != nil && slices.Contains(g.Children, child) && !inv.underAll[child]
}

func getOrNewGroup(tx Tx, name string) (*GroupNode, error) {
	d, err := tx.Group(name)
	if isNotFound(err) {
		if err := ValidateGroupName(name); err != nil {
			return nil, fmt.Errorf("group %q: %w", name, err)
		}
		return &GroupNode{Group: *NewGroup(name), Seq: tx.NewKey()}, nil
	}
	return d, err
}

func mergeSources(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
