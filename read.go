package kook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/pattern"
	"github.com/kook-project/kook/precedence"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkstore"
)

// Vars are vars in order, with their types: a host's effective vars, a
// level of a group's. json.Marshal writes them as a JSON object.
type Vars = model.Map

// Var is one var of Vars.
type Var = model.Entry

// Host is one host as Ansible sees it.
type Host struct {
	Name string
	// Groups are the groups the host is a direct member of, in the order
	// Ansible lists them ('ungrouped' for a host in no other group).
	Groups []string
	// Vars are the host's effective vars, as Ansible merges the inventory's
	// levels (before facts, play or extra vars), Ansible's internal vars
	// left out: exactly what kook-inventory --host prints, and what
	// `ansible-inventory --host` prints for the host.
	Vars Vars
	// OwnVars are set on the host in the inventory source, FileVars in its
	// host_vars/ file.
	OwnVars, FileVars Vars
	// Source is where the host was first declared, "file:line", if known;
	// VarSources and FileVarSources where each of its own vars was set.
	Source                     string
	VarSources, FileVarSources map[string]string
	// Generation is the inventory generation read.
	Generation int64

	ancestors []string // every group above the host, 'all' left out
}

// GroupNames returns Ansible's group_names: the host's groups and all
// their ancestors but 'all', sorted.
func (h *Host) GroupNames() []string {
	out := slices.DeleteFunc(slices.Clone(h.ancestors), func(g string) bool { return g == "all" })
	slices.Sort(out)
	return out
}

// Host returns one host. It reads the host and the groups above it only.
// ErrNotFound if there is no such host.
func (c *Client) Host(ctx context.Context, name string) (*Host, error) {
	var out *Host
	err := c.store.Read(ctx, true, func(sn *zkstore.Snapshot) error {
		h, groups, err := sn.Lineage(name)
		if err != nil {
			return err
		}
		inv := model.InventoryOf([]*model.HostNode{h}, groups)
		m := precedence.NewMerger(inv)
		out = &Host{Name: name, Vars: precedence.StripInternal(m.HostVars(name)), OwnVars: h.Vars, FileVars: h.FileVars,
			Source: h.Source, VarSources: h.VarSources, FileVarSources: h.FileVarSources, Generation: sn.Generation()}
		direct := slices.Clone(h.Groups)
		slices.SortFunc(direct, func(a, b model.Edge) int {
			return cmp.Compare(groups[a.Name].Seq, groups[b.Name].Seq)
		})
		for _, e := range direct {
			out.Groups = append(out.Groups, e.Name)
		}
		// Ansible's host.get_groups(): the groups above the host, less
		// 'ungrouped' when reconciliation took the host out of it.
		out.ancestors = m.Groups(name)
		return nil
	})
	return out, err
}

// WriteHost writes what kook-inventory --host prints for name: the host's
// effective vars as a JSON object, {} for a host kook does not know (what
// the script protocol expects).
func (c *Client) WriteHost(ctx context.Context, w io.Writer, name string) error {
	h, err := c.Host(ctx, name)
	out := []byte("{}\n")
	switch {
	case err == nil:
		out = append(model.AppendJSON(nil, h.Vars, false), '\n')
	case !errors.Is(err, model.ErrNotFound):
		return err
	}
	_, err = w.Write(out)
	return err
}

// WriteList writes what kook-inventory --list prints. With limit (an
// Ansible host pattern, "web:&prod:!canary") it lists only the hosts the
// pattern selects, each with all its groups and their ancestors, so that
// every host listed keeps exactly the vars it has without the limit.
// Without a limit it reads the views' segments at once and writes them
// out, parsing nothing; with one it reads the whole inventory's views.
func (c *Client) WriteList(ctx context.Context, w io.Writer, limit string) error {
	return c.store.Read(ctx, false, func(sn *zkstore.Snapshot) error {
		// Groups and members are read per group: all at once, ahead.
		// Hostvars, the bulk, stream past in one scan (segment.Table.Scan).
		if err := sn.Prefetch(script.TableGroups, script.TableMembers); err != nil {
			return err
		}
		if limit == "" {
			return script.WriteList(w, sn.TableFunc())
		}
		inv, err := script.ReadInventory(sn.TableFunc())
		if err != nil {
			return err
		}
		limited, err := pattern.Limit(inv, limit)
		if err != nil {
			return fmt.Errorf("limit %q: %w", limit, err)
		}
		_, err = w.Write(script.List(limited))
		return err
	})
}

// WriteListFromNodes writes what WriteList writes, rendered from every node
// instead of read from the views: the slow path, for checking the views.
func (c *Client) WriteListFromNodes(ctx context.Context, w io.Writer) error {
	return c.store.Read(ctx, true, func(sn *zkstore.Snapshot) error {
		n, err := sn.LoadNodes()
		if err != nil {
			return err
		}
		tables, err := script.Renderer{}.Tables(n)
		if err != nil {
			return err
		}
		return script.WriteList(w, script.MemTables(tables))
	})
}

// Ansible returns the inventory as Ansible sees it through kook-inventory:
// groups and hosts in Ansible's order, each group's vars as emitted, each
// host's vars its _meta.hostvars entry. It reads the whole inventory's
// views.
func (c *Client) Ansible(ctx context.Context) (*model.Inventory, error) {
	var inv *model.Inventory
	err := c.store.Read(ctx, false, func(sn *zkstore.Snapshot) error {
		if err := sn.Prefetch(script.TableGroups, script.TableMembers); err != nil {
			return err
		}
		var err error
		inv, err = script.ReadInventory(sn.TableFunc())
		return err
	})
	return inv, err
}

// Inventory returns the whole stored inventory with every level and
// provenance kept (what export and backups need), and its generation. It
// reads every node.
func (c *Client) Inventory(ctx context.Context) (*model.Inventory, int64, error) {
	var inv *model.Inventory
	var gen int64
	err := c.store.Read(ctx, true, func(sn *zkstore.Snapshot) error {
		n, err := sn.LoadNodes()
		if err != nil {
			return err
		}
		inv, gen = script.Inventory(n), sn.Generation()
		return nil
	})
	return inv, gen, err
}

// Hosts returns the hosts an Ansible host pattern selects, in the order
// `ansible PATTERN --list-hosts` lists them. It reads the whole inventory's
// views.
func (c *Client) Hosts(ctx context.Context, hostPattern string) ([]string, error) {
	inv, err := c.Ansible(ctx)
	if err != nil {
		return nil, err
	}
	return pattern.Select(inv, hostPattern)
}

// Group is one group as Ansible sees it.
type Group struct {
	Name string
	// Parents, Children and Hosts are in the order Ansible lists them.
	Parents, Children, Hosts []string
	// Vars are set in the inventory source, FileVars in group_vars/ files.
	Vars, FileVars Vars
	Priority       int
	// Depth is the longest chain of parents up to 'all' (0 for 'all').
	Depth                      int
	Source                     string
	VarSources, FileVarSources map[string]string
	Generation                 int64
}

// Group returns one group: its node, and its children and hosts from the
// views. It costs the group's hosts, not the inventory's.
func (c *Client) Group(ctx context.Context, name string) (*Group, error) {
	var out *Group
	err := c.store.Read(ctx, true, func(sn *zkstore.Snapshot) (err error) {
		out, err = readGroup(sn, name)
		return err
	})
	return out, err
}

// GroupWithHosts is Group and GroupHosts read from one snapshot: what
// `kook group show` prints, for one read of the views instead of two.
func (c *Client) GroupWithHosts(ctx context.Context, name string) (*Group, []string, error) {
	var out *Group
	var all []string
	err := c.store.Read(ctx, true, func(sn *zkstore.Snapshot) (err error) {
		if out, err = readGroup(sn, name); err != nil {
			return err
		}
		all, err = groupHosts(sn, name)
		return err
	})
	return out, all, err
}

func readGroup(sn *zkstore.Snapshot, name string) (*Group, error) {
	g, err := sn.Group(name)
	if err != nil {
		return nil, err
	}
	r := script.Renderer{}
	members, err := r.Members(sn.TableFunc(), g)
	if err != nil {
		return nil, err
	}
	children, err := r.Children(sn.TableFunc(), g)
	if err != nil {
		return nil, err
	}
	out := &Group{Name: name, Children: children, Vars: g.Vars, FileVars: g.FileVars, Priority: g.Priority,
		Source: g.Source, VarSources: g.VarSources, FileVarSources: g.FileVarSources, Generation: sn.Generation()}
	if out.Depth, err = depth(sn, g); err != nil {
		return nil, err
	}
	parents := make([]*model.GroupNode, 0, len(g.Parents))
	for _, p := range g.Parents {
		pg, err := sn.Group(p.Name)
		if err != nil {
			return nil, err
		}
		parents = append(parents, pg)
	}
	slices.SortFunc(parents, func(a, b *model.GroupNode) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, p := range parents {
		out.Parents = append(out.Parents, p.Name)
	}
	for _, m := range members {
		if name != "ungrouped" {
			out.Hosts = append(out.Hosts, m.Name)
			continue
		}
		// 'ungrouped' also lists hosts only to create them early.
		if h, err := sn.Host(m.Name); err == nil && h.InGroup("ungrouped") {
			out.Hosts = append(out.Hosts, m.Name)
		}
	}
	return out, nil
}

// Layer is one place that sets a var of a host, in Ansible's precedence
// order: Level 1 inventory group vars ('all' first, then the groups by
// depth, priority and name), 2 group_vars/all, 3 group_vars/<group>, 4 the
// host's inventory vars, 5 host_vars/<host>.
type Layer struct {
	Level  int
	Kind   string // "group" or "host"
	Name   string // the group or host
	Value  model.Value
	Source string // "file:line" where it was read, if known
	// Depth and Priority order the groups of levels 1 and 3.
	Depth, Priority int
}

// Explanation is where one var of a host comes from.
type Explanation struct {
	Var    string
	Value  model.Value // the winner: the last layer's value
	Layers []Layer     // every layer that sets it, winner last
	// Internal is set for a var Ansible sets itself (inventory_hostname...):
	// the inventory's value never shows.
	Internal bool
}

// Explain returns, for each of the host's vars (only name, if not ""),
// every layer that sets it, lowest precedence first. It reads the host and
// the groups above it.
func (c *Client) Explain(ctx context.Context, host, name string) ([]Explanation, error) {
	var out []Explanation
	err := c.store.Read(ctx, true, func(sn *zkstore.Snapshot) error {
		h, groups, err := sn.Lineage(host)
		if err != nil {
			return err
		}
		inv := model.InventoryOf([]*model.HostNode{h}, groups)
		out, err = ExplainIn(inv, precedence.NewMerger(inv), host, name)
		return err
	})
	return out, err
}

// ExplainIn is Explain over an inventory already in memory, with its
// merger (kook serve keeps both): it costs the groups above host and a walk
// of inv's groups for their depths.
func ExplainIn(inv *model.Inventory, m *precedence.Merger, host, name string) ([]Explanation, error) {
	effective := m.HostVars(host)
	keys := effective.SortedKeys()
	if name != "" {
		if !effective.Has(name) {
			return nil, fmt.Errorf("host %q has no var %q in the inventory: %w", host, name, model.ErrNotFound)
		}
		keys = []string{name}
	}
	depths, err := inv.Depths()
	if err != nil {
		return nil, err
	}
	layers := m.Layers(host)
	out := make([]Explanation, 0, len(keys))
	for _, k := range keys {
		value, _ := effective.Get(k)
		e := Explanation{Var: k, Value: value, Internal: precedence.IsInternalVar(k)}
		for _, l := range layers {
			v, ok := l.Vars.Get(k)
			if !ok {
				continue
			}
			layer := Layer{Level: l.Level, Kind: "group", Name: l.Entity, Value: v, Source: l.Sources[k]}
			if l.Level >= precedence.LevelHost {
				layer.Kind = "host"
			} else if g := inv.Group(l.Entity); g != nil {
				layer.Depth, layer.Priority = depths[g.Name], g.Priority
			}
			e.Layers = append(e.Layers, layer)
		}
		out = append(out, e)
	}
	return out, nil
}

// depth is the length of the longest chain of parents from g up: what
// Ansible's Group.depth ends up as. It reads the groups above g.
func depth(sn *zkstore.Snapshot, g *model.GroupNode) (int, error) {
	memo := map[string]int{}
	var walk func(g *model.GroupNode, seen int) (int, error)
	walk = func(g *model.GroupNode, seen int) (int, error) {
		if d, ok := memo[g.Name]; ok {
			return d, nil
		}
		if seen > 1000 {
			return 0, fmt.Errorf("group %q: parents too deep (a cycle?): %w", g.Name, model.ErrCycle)
		}
		d := 0
		for _, p := range g.Parents {
			pg, err := sn.Group(p.Name)
			if err != nil {
				return 0, err
			}
			pd, err := walk(pg, seen+1)
			if err != nil {
				return 0, err
			}
			d = max(d, pd+1)
		}
		memo[g.Name] = d
		return d, nil
	}
	return walk(g, 0)
}

// GroupHosts returns every host below a group, in the order
// `ansible GROUP --list-hosts` lists them. It costs the group's
// descendants and their hosts.
func (c *Client) GroupHosts(ctx context.Context, group string) ([]string, error) {
	var out []string
	err := c.store.Read(ctx, false, func(sn *zkstore.Snapshot) (err error) {
		out, err = groupHosts(sn, group)
		return err
	})
	return out, err
}

func groupHosts(sn *zkstore.Snapshot, group string) ([]string, error) {
	inv, err := script.ReadGroup(sn.TableFunc(), group)
	if err != nil {
		return nil, err
	}
	return pattern.Select(inv, group)
}
