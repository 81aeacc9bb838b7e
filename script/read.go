package script

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/kook-project/kook/model"
)

// ReadInventory returns the inventory Ansible builds from the --list the
// tables hold, as its script plugin builds it: groups and hosts created in
// the order met, each group's vars the emitted ones, each host's vars its
// _meta.hostvars entry, then reconciled (a host listed in 'ungrouped' only
// to be created early leaves it). Its effective vars are Ansible's. It
// costs the whole tables, on purpose: pattern matching and KOOK_LIMIT need
// every host.
func ReadInventory(tables func(string) model.TableReader) (*model.Inventory, error) {
	inv := model.New()
	groups, err := rankedGroups(tables(TableGroups))
	if err != nil {
		return nil, err
	}
	membersTable := tables(TableMembers)
	var ferr error
	for _, raw := range groups {
		v, _, _ := tables(TableGroups).Get(raw.name)
		e, err := decodeGroupEntry(raw.name, v)
		if err != nil {
			return nil, err
		}
		g := inv.AddGroup(e.Name)
		edges, err := members(membersTable, e.Name)
		if err != nil {
			return nil, err
		}
		addMembers(inv, g, edges)
		if e.Vars != nil {
			vars, err := model.UnmarshalJSON(e.Vars)
			m, ok := vars.(model.Map)
			if err != nil || !ok {
				return nil, fmt.Errorf("groups entry %q: vars: not a JSON object (%v)", e.Name, err)
			}
			for _, kv := range m {
				if kv.Key == model.PriorityVar {
					if n, ok := kv.Value.(int64); ok {
						g.Priority = int(n)
						continue
					}
				}
				g.Vars = append(g.Vars, kv)
			}
		}
		for _, c := range e.Children {
			inv.AddGroup(c)
			if err := inv.AddChild(g.Name, c); err != nil {
				return nil, err
			}
		}
	}
	err = tables(TableHostvars).Scan(nil, nil, func(k, v []byte) bool {
		if len(k) < 4 {
			ferr = errBadEntry(TableHostvars, k)
			return false
		}
		h := inv.Host(string(k[4:]))
		if h == nil {
			return true // listed in no group: Ansible drops it too
		}
		vars, err := model.UnmarshalJSON(v)
		m, ok := vars.(model.Map)
		if err != nil || !ok {
			ferr = fmt.Errorf("hostvars entry %q: not a JSON object (%v)", k[4:], err)
			return false
		}
		h.Vars = m
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	inv.Reconcile()
	return inv, nil
}

// ReadGroup returns the part of the inventory Ansible sees below group:
// the group, its descendants with their hosts, in the order --list lists
// them. Its cost is those groups and hosts.
func ReadGroup(tables func(string) model.TableReader, group string) (*model.Inventory, error) {
	inv := model.New()
	entries := map[string]*groupEntry{}
	queue := []string{group}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if _, ok := entries[name]; ok {
			continue
		}
		e, err := groupEntryOf(tables(TableGroups), name)
		if err != nil {
			return nil, err
		}
		if e == nil {
			if name == group {
				return nil, fmt.Errorf("group %q: %w", group, model.ErrNotFound)
			}
			continue
		}
		entries[name] = e
		queue = append(queue, e.Children...)
	}
	ordered := make([]*groupEntry, 0, len(entries))
	for _, e := range entries {
		ordered = append(ordered, e)
	}
	slices.SortFunc(ordered, func(a, b *groupEntry) int {
		if c := cmp.Compare(a.Rank, b.Rank); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	for _, e := range ordered {
		g := inv.AddGroup(e.Name)
		edges, err := members(tables(TableMembers), e.Name)
		if err != nil {
			return nil, err
		}
		addMembers(inv, g, edges)
	}
	for _, e := range ordered {
		for _, c := range e.Children {
			if inv.Group(c) != nil {
				if err := inv.AddChild(e.Name, c); err != nil {
					return nil, err
				}
			}
		}
	}
	inv.Reconcile()
	return inv, nil
}

// addMembers lists a group's members, read from the members table, in its
// order. Appending, not AddHostToGroup, which searches the group's hosts
// for each one: a group of 70,000 hosts would cost billions of compares.
// A name the table holds twice (a damaged table) is listed once.
func addMembers(inv *model.Inventory, g *model.Group, edges []model.Edge) {
	seen := make(map[string]bool, len(edges))
	for _, m := range edges {
		if seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		inv.AddHost(m.Name)
		g.Hosts = append(g.Hosts, m.Name)
	}
}
