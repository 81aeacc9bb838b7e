package zkstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/record"
	"github.com/kook-project/kook/zkstore/segment"
)

// tx is the model.Tx of one attempt at a change. It reads nodes when first
// asked for them and remembers each one's znode version, which the commit
// checks; writes stay in memory until the commit. Membership lists come
// from the view tables of the generation the attempt started from, with
// the attempt's own changes laid over them.
type tx struct {
	s    *Store
	ctx  context.Context
	head *head    // nil when nothing is stored yet
	stat *zk.Stat // head's stat, nil when nothing is stored
	idx  *segment.Index
	gen  int64 // the generation this change makes
	keys int64 // keys handed out

	mu     sync.Mutex
	hosts  map[string]*hostState
	groups map[string]*groupState
	tables map[string]*segment.Table
	err    error // the first failure of a method that cannot return one
}

// hostState is one host as the attempt found it and as it leaves it.
type hostState struct {
	before, after *model.HostNode // nil: absent
	version       int32           // znode version read; -1 when absent
	mzxid         int64           // zxid of the znode's last write; 0 when absent
	err           error           // reading it failed
}

type groupState struct {
	before, after *model.GroupNode
	version       int32
	mzxid         int64
	err           error
}

var (
	_ model.Tx         = (*tx)(nil)
	_ model.ViewSource = (*tx)(nil)
	_ model.Prefetcher = (*tx)(nil)
)

func (s *Store) newTx(ctx context.Context, h *head, st *zk.Stat, idx *segment.Index) *tx {
	t := &tx{s: s, ctx: ctx, head: h, stat: st, idx: idx, gen: 1,
		hosts: map[string]*hostState{}, groups: map[string]*groupState{}, tables: map[string]*segment.Table{}}
	if h != nil {
		t.gen = h.Generation + 1
	}
	return t
}

// host returns the state of the named host, reading it if need be.
func (t *tx) host(name string) *hostState {
	t.mu.Lock()
	st, ok := t.hosts[name]
	t.mu.Unlock()
	if ok {
		return st
	}
	st = &hostState{version: -1}
	data, zst, err := t.s.conn.Get(t.ctx, t.s.HostPath(name))
	switch {
	case errors.Is(err, zk.ErrNoNode):
	case err != nil:
		st.err = fmt.Errorf("read host %q: %w", name, err)
	default:
		st.version, st.mzxid = zst.Version, zst.Mzxid
		st.before, err = record.DecodeHost(name, data)
		if err != nil {
			st.err = fmt.Errorf("host record %s: %w", t.s.HostPath(name), err)
		}
	}
	st.after = st.before
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.hosts[name]; ok { // read concurrently by a prefetch
		return prev
	}
	t.hosts[name] = st
	return st
}

func (t *tx) group(name string) *groupState {
	t.mu.Lock()
	st, ok := t.groups[name]
	t.mu.Unlock()
	if ok {
		return st
	}
	st = &groupState{version: -1}
	data, zst, err := t.s.conn.Get(t.ctx, t.s.GroupPath(name))
	switch {
	case errors.Is(err, zk.ErrNoNode):
	case err != nil:
		st.err = fmt.Errorf("read group %q: %w", name, err)
	default:
		st.version, st.mzxid = zst.Version, zst.Mzxid
		st.before, err = record.DecodeGroup(name, data)
		if err != nil {
			st.err = fmt.Errorf("group record %s: %w", t.s.GroupPath(name), err)
		}
	}
	st.after = st.before
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.groups[name]; ok {
		return prev
	}
	t.groups[name] = st
	return st
}

func (t *tx) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
}

// Prefetch implements model.Prefetcher: it reads the named nodes, many at
// a time.
func (t *tx) Prefetch(hosts, groups []string) error {
	if err := zkconn.Parallel(t.ctx, len(hosts), 64, func(i int) error { return t.host(hosts[i]).err }); err != nil {
		return err
	}
	return zkconn.Parallel(t.ctx, len(groups), 64, func(i int) error { return t.group(groups[i]).err })
}

// Host implements model.Tx.
func (t *tx) Host(name string) (*model.HostNode, error) {
	st := t.host(name)
	if st.err != nil {
		return nil, st.err
	}
	if st.after == nil {
		return nil, fmt.Errorf("host %q: %w", name, model.ErrNotFound)
	}
	return st.after.Clone(), nil
}

// Group implements model.Tx.
func (t *tx) Group(name string) (*model.GroupNode, error) {
	st := t.group(name)
	if st.err != nil {
		return nil, st.err
	}
	if st.after == nil {
		return nil, fmt.Errorf("group %q: %w", name, model.ErrNotFound)
	}
	return st.after.Clone(), nil
}

// Hosts implements model.ViewSource.
func (t *tx) Hosts(names []string) ([]*model.HostNode, error) {
	if err := t.Prefetch(names, nil); err != nil {
		return nil, err
	}
	out := make([]*model.HostNode, len(names))
	for i, n := range names {
		out[i] = t.host(n).after
	}
	return out, nil
}

// Table implements model.ViewSource: the table as the generation the
// attempt started from holds it.
func (t *tx) Table(name string) model.TableReader { return t.table(name) }

func (t *tx) table(name string) *segment.Table {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr, ok := t.tables[name]
	if !ok {
		tr = t.s.newTableReader(t.ctx, t.idx, name)
		t.tables[name] = tr
	}
	return tr
}

func (t *tx) tableFunc() func(string) model.TableReader { return t.Table }

// Members implements model.Tx: the members the views list, with the
// attempt's own changes of membership laid over them.
func (t *tx) Members(group string) ([]string, error) {
	st := t.group(group)
	if st.err != nil {
		return nil, st.err
	}
	if st.after == nil {
		return nil, fmt.Errorf("group %q: %w", group, model.ErrNotFound)
	}
	var listed []model.Edge
	if st.before != nil {
		var err error
		if listed, err = t.renderer().Members(t.tableFunc(), st.before); err != nil {
			return nil, err
		}
	}
	keep := make(map[string]bool, len(listed))
	for _, e := range listed {
		keep[e.Name] = true
	}
	t.mu.Lock()
	touched := make([]*hostState, 0, len(t.hosts))
	for _, h := range t.hosts {
		touched = append(touched, h)
	}
	t.mu.Unlock()
	var added []model.Edge
	for _, h := range touched {
		if h.before == nil && h.after == nil {
			continue
		}
		name := nodeName(h.before, h.after)
		in := h.after != nil && h.after.InGroup(group)
		switch {
		case in && !keep[name]:
			i := slices.IndexFunc(h.after.Groups, func(e model.Edge) bool { return e.Name == group })
			added = append(added, model.Edge{Name: name, Key: h.after.Groups[i].Key})
		case !in && keep[name]:
			keep[name] = false
		}
	}
	var out []model.Edge
	for _, e := range listed {
		if keep[e.Name] {
			out = append(out, e)
		}
	}
	out = append(out, added...)
	slices.SortStableFunc(out, func(a, b model.Edge) int { return cmp.Compare(a.Key, b.Key) })
	names := make([]string, len(out))
	for i, e := range out {
		names[i] = e.Name
	}
	return names, nil
}

func nodeName(before, after *model.HostNode) string {
	if after != nil {
		return after.Name
	}
	return before.Name
}

// Children implements model.Tx, as Members does.
func (t *tx) Children(group string) ([]string, error) {
	st := t.group(group)
	if st.err != nil {
		return nil, st.err
	}
	if st.after == nil {
		return nil, fmt.Errorf("group %q: %w", group, model.ErrNotFound)
	}
	var listed []string
	if st.before != nil {
		var err error
		if listed, err = t.renderer().Children(t.tableFunc(), st.before); err != nil {
			return nil, err
		}
	}
	keep := make(map[string]bool, len(listed))
	for _, c := range listed {
		keep[c] = true
	}
	t.mu.Lock()
	touched := make([]*groupState, 0, len(t.groups))
	for _, g := range t.groups {
		touched = append(touched, g)
	}
	t.mu.Unlock()
	var added []model.Edge
	for _, g := range touched {
		if g.before == nil && g.after == nil {
			continue
		}
		name := g.name()
		in := g.after != nil && g.after.HasParent(group)
		switch {
		case in && !keep[name]:
			i := slices.IndexFunc(g.after.Parents, func(e model.Edge) bool { return e.Name == group })
			added = append(added, model.Edge{Name: name, Key: g.after.Parents[i].Key})
		case !in && keep[name]:
			keep[name] = false
		}
	}
	slices.SortStableFunc(added, func(a, b model.Edge) int { return cmp.Compare(a.Key, b.Key) })
	var out []string
	for _, c := range listed {
		if keep[c] {
			out = append(out, c)
		}
	}
	for _, e := range added {
		out = append(out, e.Name)
	}
	return out, nil
}

func (g *groupState) name() string {
	if g.after != nil {
		return g.after.Name
	}
	return g.before.Name
}

// PutHost implements model.Tx.
func (t *tx) PutHost(h *model.HostNode) {
	st := t.host(h.Name)
	if st.err != nil {
		t.fail(st.err)
		return
	}
	st.after = h.Clone()
}

// PutGroup implements model.Tx.
func (t *tx) PutGroup(g *model.GroupNode) {
	st := t.group(g.Name)
	if st.err != nil {
		t.fail(st.err)
		return
	}
	st.after = g.Clone()
}

// DeleteHost implements model.Tx.
func (t *tx) DeleteHost(name string) {
	st := t.host(name)
	if st.err != nil {
		t.fail(st.err)
		return
	}
	st.after = nil
}

// DeleteGroup implements model.Tx.
func (t *tx) DeleteGroup(name string) {
	st := t.group(name)
	if st.err != nil {
		t.fail(st.err)
		return
	}
	st.after = nil
}

// NewKey implements model.Tx: keys of generation g are g<<32 plus a
// counter, spaced by model.KeyStep, so they exceed every key of earlier
// generations.
func (t *tx) NewKey() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keys++
	return t.gen<<32 + t.keys*model.KeyStep
}

func (t *tx) renderer() model.Renderer {
	if t.s.opts.Renderer == nil {
		return noRenderer{}
	}
	return t.s.opts.Renderer
}

// changes returns the nodes the attempt changes, by name.
func (t *tx) changes() ([]model.HostChange, []model.GroupChange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var hosts []model.HostChange
	for _, name := range slices.Sorted(maps.Keys(t.hosts)) {
		st := t.hosts[name]
		if !model.EqualHostNodes(st.before, st.after) {
			hosts = append(hosts, model.HostChange{Before: st.before, After: st.after})
		}
	}
	var groups []model.GroupChange
	for _, name := range slices.Sorted(maps.Keys(t.groups)) {
		st := t.groups[name]
		if !model.EqualGroupNodes(st.before, st.after) {
			groups = append(groups, model.GroupChange{Before: st.before, After: st.after})
		}
	}
	return hosts, groups
}

// validate checks that the nodes the attempt changes keep the inventory
// whole: every host in a group, every group but 'all' below one, edges to
// groups that exist, no cycle, no group removed that still has members or
// children, and records that fit a znode. It reads what the changed nodes
// link to, nothing more.
func (t *tx) validate(hosts []model.HostChange, groups []model.GroupChange) error {
	for _, c := range hosts {
		h := c.After
		if h == nil {
			continue
		}
		if err := model.ValidateName(h.Name); err != nil {
			return fmt.Errorf("host %q: %w", h.Name, err)
		}
		if len(h.Groups) == 0 {
			return fmt.Errorf("host %q belongs to no group", h.Name)
		}
		for _, e := range h.Groups {
			if _, err := t.Group(e.Name); err != nil {
				return fmt.Errorf("host %q is a member of group %q: %w", h.Name, e.Name, model.ErrNotFound)
			}
		}
		for _, m := range []model.Map{h.Vars, h.FileVars} {
			if err := model.CheckValue(m); err != nil {
				return fmt.Errorf("host %q: %w", h.Name, err)
			}
		}
		if n := len(record.Host(h)); n > record.MaxNode {
			return fmt.Errorf("host %q: its record is %d bytes, over the %d-byte znode limit: %w", h.Name, n, record.MaxNode, model.ErrTooLarge)
		}
	}
	for _, c := range groups {
		g := c.After
		if g == nil {
			if name := c.Before.Name; name == "all" || name == "ungrouped" {
				return fmt.Errorf("group %q is built in and cannot be removed", name)
			}
			continue
		}
		if err := model.ValidateName(g.Name); err != nil {
			return fmt.Errorf("group %q: %w", g.Name, err)
		}
		if g.Name != "all" && len(g.Parents) == 0 {
			return fmt.Errorf("group %q has no parent group", g.Name)
		}
		for _, e := range g.Parents {
			if _, err := t.Group(e.Name); err != nil {
				return fmt.Errorf("group %q is a child of group %q: %w", g.Name, e.Name, model.ErrNotFound)
			}
		}
		if err := t.checkCycle(g.Name); err != nil {
			return err
		}
		for _, m := range []model.Map{g.Vars, g.FileVars} {
			if err := model.CheckValue(m); err != nil {
				return fmt.Errorf("group %q: %w", g.Name, err)
			}
		}
		if n := len(record.Group(g)); n > record.MaxNode {
			return fmt.Errorf("group %q: its record is %d bytes, over the %d-byte znode limit: %w", g.Name, n, record.MaxNode, model.ErrTooLarge)
		}
	}
	// A removed group's members and children must have been moved: no
	// node, touched or listed in the views, may still link to it.
	for _, c := range groups {
		if c.After != nil {
			continue
		}
		if err := t.checkUnlinked(c.Before); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) checkUnlinked(gone *model.GroupNode) error {
	name := gone.Name
	members, err := t.renderer().Members(t.tableFunc(), gone)
	if err != nil {
		return err
	}
	kids, err := t.renderer().Children(t.tableFunc(), gone)
	if err != nil {
		return err
	}
	hostNames := make([]string, len(members))
	for i, e := range members {
		hostNames[i] = e.Name
	}
	if err := t.Prefetch(hostNames, kids); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range t.hosts {
		if h.after != nil && h.after.InGroup(name) {
			return fmt.Errorf("group %q is removed but host %q is still a member: %w", name, h.after.Name, model.ErrNotEmpty)
		}
	}
	for _, g := range t.groups {
		if g.after != nil && g.after.HasParent(name) {
			return fmt.Errorf("group %q is removed but group %q is still its child: %w", name, g.after.Name, model.ErrNotEmpty)
		}
	}
	return nil
}

// checkCycle walks up from group and fails if it meets group again.
func (t *tx) checkCycle(group string) error {
	seen := map[string]bool{}
	stack := []string{group}
	for len(stack) > 0 {
		g, err := t.Group(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		if err != nil {
			return err
		}
		for _, p := range g.Parents {
			if p.Name == group {
				return fmt.Errorf("group %q would be its own ancestor: %w", group, model.ErrCycle)
			}
			if !seen[p.Name] {
				seen[p.Name] = true
				stack = append(stack, p.Name)
			}
		}
	}
	return nil
}

// noRenderer is the renderer of a Store opened without one: it can list
// nothing and render nothing.
type noRenderer struct{}

var errNoRenderer = errors.New("this store was opened without a view renderer and cannot write")

func (noRenderer) Tables(*model.Nodes) (map[string][]model.KV, error) { return nil, errNoRenderer }
func (noRenderer) Update(model.ViewSource, []model.HostChange, []model.GroupChange) (model.TableEdits, error) {
	return nil, errNoRenderer
}
func (noRenderer) Members(func(string) model.TableReader, *model.GroupNode) ([]model.Edge, error) {
	return nil, errNoRenderer
}
func (noRenderer) Children(func(string) model.TableReader, *model.GroupNode) ([]string, error) {
	return nil, errNoRenderer
}
