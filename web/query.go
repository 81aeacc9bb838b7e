package web

import (
	"cmp"
	"container/list"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/pattern"
	"github.com/kook-project/kook/precedence"
)

// What the pages and the API read, computed from one snapshot in memory.

// HostDetail is one host with what its page shows.
type HostDetail struct {
	Name     string
	Groups   []string   // direct groups, in Ansible's order
	Ancestry [][]string // for each direct group, its chains up to 'all' ("web", "prod", "all")
	// GroupNames is Ansible's group_names: every group above, sorted.
	GroupNames        []string
	Vars              model.Map // effective, internal vars left out
	OwnVars, FileVars model.Map
	Explain           []kook.Explanation
	Source            string
	Generation        int64
}

// Host returns a host's detail; ErrNotFound if the snapshot has no such host.
func (sn *Snap) Host(name string) (*HostDetail, error) {
	h := sn.HostNode(name)
	if h == nil {
		return nil, fmt.Errorf("host %q: %w", name, model.ErrNotFound)
	}
	groups := sn.lineage(h)
	inv := model.InventoryOf([]*model.HostNode{h}, groups)
	m := precedence.NewMerger(inv)
	d := &HostDetail{Name: name, OwnVars: h.Vars, FileVars: h.FileVars, Source: h.Source, Generation: sn.Gen,
		Vars: precedence.StripInternal(m.HostVars(name)), GroupNames: m.Groups(name)}
	slices.Sort(d.GroupNames)
	direct := slices.Clone(h.Groups)
	slices.SortFunc(direct, func(a, b model.Edge) int { return cmp.Compare(seqOf(groups, a.Name), seqOf(groups, b.Name)) })
	for _, e := range direct {
		d.Groups = append(d.Groups, e.Name)
		d.Ancestry = append(d.Ancestry, sn.chain(e.Name))
	}
	var err error
	d.Explain, err = explain(inv, m, name)
	return d, err
}

func seqOf(groups map[string]*model.GroupNode, name string) int64 {
	if g := groups[name]; g != nil {
		return g.Seq
	}
	return 0
}

// lineage returns every group above h, 'all' included.
func (sn *Snap) lineage(h *model.HostNode) map[string]*model.GroupNode {
	out := map[string]*model.GroupNode{}
	var climb func(string)
	climb = func(name string) {
		g := sn.Groups[name]
		if g == nil || out[name] != nil {
			return
		}
		out[name] = g
		for _, p := range g.Parents {
			climb(p.Name)
		}
	}
	climb("all")
	for _, e := range h.Groups {
		climb(e.Name)
	}
	return out
}

// chain is a group and its first parent's chain up to 'all', as people
// read ancestry ("web → prod → all"); other parents show on the group's
// page.
func (sn *Snap) chain(group string) []string {
	out := []string{group}
	seen := map[string]bool{group: true}
	for g := sn.Groups[group]; g != nil && len(g.Parents) > 0; {
		parents := slices.Clone(g.Parents)
		slices.SortFunc(parents, func(a, b model.Edge) int { return cmp.Compare(a.Key, b.Key) })
		p := parents[0].Name
		if seen[p] {
			break
		}
		seen[p] = true
		out = append(out, p)
		g = sn.Groups[p]
	}
	return out
}

// explain is kook explain for every var of host but the internal ones.
func explain(inv *model.Inventory, m *precedence.Merger, host string) ([]kook.Explanation, error) {
	all, err := kook.ExplainIn(inv, m, host, "")
	return slices.DeleteFunc(all, func(e kook.Explanation) bool { return e.Internal }), err
}

// GroupDetail is one group with what its page shows.
type GroupDetail struct {
	Name                string
	Parents, Children   []string
	Hosts               []string // direct members, in order
	AllHosts            int      // hosts below it, its own included
	Vars, FileVars      model.Map
	VarSources          map[string]string
	FileVarSources      map[string]string
	Priority, Depth     int
	Source              string
	Generation          int64
	EmittedVarsOverride bool
}

// Group returns a group's detail; ErrNotFound if there is none.
func (sn *Snap) Group(name string) (*GroupDetail, error) {
	g := sn.Groups[name]
	ig := sn.Inv.Group(name)
	if g == nil || ig == nil {
		return nil, fmt.Errorf("group %q: %w", name, model.ErrNotFound)
	}
	d := &GroupDetail{Name: name, Children: ig.Children, Hosts: ig.Hosts, Vars: g.Vars, FileVars: g.FileVars,
		VarSources: g.VarSources, FileVarSources: g.FileVarSources, Priority: g.Priority, Source: g.Source, Generation: sn.Gen}
	parents := slices.Clone(g.Parents)
	slices.SortFunc(parents, func(a, b model.Edge) int { return cmp.Compare(seqOf(sn.Groups, a.Name), seqOf(sn.Groups, b.Name)) })
	for _, p := range parents {
		d.Parents = append(d.Parents, p.Name)
	}
	d.Depth = len(sn.chain(name)) - 1
	return d, nil
}

// Query is a host search: an Ansible pattern and --where filters.
type Query struct {
	Pattern string
	Where   []string
}

func (q Query) key(gen int64) string {
	return fmt.Sprintf("%d\x00%s\x00%s", gen, q.Pattern, strings.Join(q.Where, "\x00"))
}

// queryCache keeps the last searches' results per generation, so that
// turning pages does not search again.
type queryCache struct {
	mu    sync.Mutex
	order *list.List
	items map[string]*list.Element
}

type cached struct {
	key   string
	hosts []string
}

const queryCacheSize = 8

func newQueryCache() *queryCache {
	return &queryCache{order: list.New(), items: map[string]*list.Element{}}
}

func (c *queryCache) get(key string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cached).hosts, true
	}
	return nil, false
}

func (c *queryCache) put(key string, hosts []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[key] = c.order.PushFront(&cached{key: key, hosts: hosts})
	for c.order.Len() > queryCacheSize {
		e := c.order.Back()
		c.order.Remove(e)
		delete(c.items, e.Value.(*cached).key)
	}
}

// Search returns the hosts q selects, in Ansible's order.
func (sn *Snap) Search(q Query) ([]string, error) {
	names, err := sn.Select(q.Pattern)
	if err != nil {
		return nil, err
	}
	return sn.Filter(names, q.Where)
}

// Select returns the hosts an Ansible pattern selects ("" is all).
func (sn *Snap) Select(p string) ([]string, error) {
	if strings.TrimSpace(p) == "" {
		p = "all"
	}
	return pattern.Select(sn.Inv, p)
}

// Filter returns the names whose effective vars match every --where
// expression.
func (sn *Snap) Filter(names []string, where []string) ([]string, error) {
	if len(where) == 0 {
		return names, nil
	}
	q := Query{Where: where}
	filters := make([]kook.Filter, 0, len(q.Where))
	for _, w := range q.Where {
		f, err := kook.ParseFilter(w, pycompat.ParseValue)
		if err != nil {
			return nil, err
		}
		filters = append(filters, f)
	}
	keys := make([]string, len(filters))
	for i, f := range filters {
		keys[i] = f.Key
	}
	sn.merger.mu.Lock()
	defer sn.merger.mu.Unlock()
	if sn.merger.m == nil {
		sn.merger.m = precedence.NewMerger(sn.Inv)
	}
	m := sn.merger.m
	out := names[:0:0]
	for _, name := range names {
		vars := effectiveKeys(m, name, sn.HostNode(name), keys)
		ok := true
		for _, f := range filters {
			if !f.Match(vars) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, name)
		}
	}
	return out, nil
}

// effectiveKeys returns the effective values of keys only, as the
// precedence levels give them: the host_vars file, the host's inventory
// vars, then what its groups give it (shared by every host in the same
// groups, and computed once per snapshot).
func effectiveKeys(m *precedence.Merger, name string, h *model.HostNode, keys []string) model.Map {
	out := model.Map{}
	if h == nil { // Ansible's implicit localhost
		return out
	}
	var groupVars model.Map
	if s := m.GroupSet(name); s != nil {
		groupVars = s.Vars()
	}
	for _, k := range keys {
		for _, level := range []model.Map{h.FileVars, h.Vars, groupVars} {
			if v, ok := level.Get(k); ok {
				out = append(out, model.Entry{Key: k, Value: v})
				break
			}
		}
	}
	return out
}

// GroupNames returns the groups in Ansible's order whose names contain
// filter ("" for all).
func (sn *Snap) GroupNames(filter string) []string {
	var out []string
	for _, g := range sn.Inv.Groups {
		if filter == "" || strings.Contains(g.Name, filter) {
			out = append(out, g.Name)
		}
	}
	return out
}
