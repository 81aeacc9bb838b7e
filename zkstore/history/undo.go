package history

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
)

// Undoing changes. A revert undoes one change, what it changed and nothing
// else: for each node it touched, each aspect it changed (a var, a file
// var, a membership, a parent, the priority...) goes back to what it was
// before it, the node's other aspects stay as they are now. A rollback
// makes every node touched since a generation what it was then. Both are
// new changes, recorded as any other, made through Update: one multi, or
// the big-change path when the nodes do not fit in one.

// Revert makes a new change that undoes generation gen. Unless force, it
// refuses, writing nothing, when a later change (or a hand edit) touched
// an aspect gen changed: the error is a *model.ConflictError naming them. Its
// reason is "revert of GEN", then opts.Reason. It reads gen's record, a
// stat of each node gen touched and, only if one of those was written
// since, the records after gen; then it writes what gen touched. A revert
// that puts a group back below a parent it left is written as Replace
// writes (reading every node, rendering the views anew): the views list a
// group's children in the order they joined, and it rejoins at its old
// place.
func Revert(ctx context.Context, s *zkstore.Store, opts model.UpdateOptions, gen int64, force bool) (model.Result, error) {
	r, err := s.ReadRecord(ctx, gen, true)
	if err != nil {
		return model.Result{}, err
	}
	c := r.Commit
	if c.Minimal {
		return model.Result{}, fmt.Errorf("revert generation %d: %w", gen, model.ErrMinimal)
	}
	if !force {
		conflicts, err := laterConflicts(ctx, s, c)
		if err != nil {
			return model.Result{}, err
		}
		if len(conflicts) > 0 {
			return model.Result{}, &model.ConflictError{Generation: gen, Conflicts: conflicts}
		}
	}
	opts.Reason = undoReason(fmt.Sprintf("revert of %d", gen), opts.Reason)
	fn := func(t model.Tx) error {
		if err := prefetchChanged(t, c.Hosts, c.Groups); err != nil {
			return err
		}
		var outside []model.Conflict
		for _, gc := range c.Groups {
			name := gc.Name()
			cur, err := currentGroup(t, name)
			if err != nil {
				return err
			}
			as := groupAspects(gc.Before, gc.After)
			if !force {
				if diff := groupAspects(gc.After, cur); as.meets(diff) {
					outside = append(outside, model.Conflict{Entity: "group " + name, Aspects: as.common(diff)})
					continue
				}
			}
			putGroup(t, name, cur, undoGroup(gc.Before, gc.After, cur, as, t.NewKey))
		}
		for _, hc := range c.Hosts {
			name := hc.Name()
			cur, err := currentHost(t, name)
			if err != nil {
				return err
			}
			as := hostAspects(hc.Before, hc.After)
			if !force {
				if diff := hostAspects(hc.After, cur); as.meets(diff) {
					outside = append(outside, model.Conflict{Entity: "host " + name, Aspects: as.common(diff)})
					continue
				}
			}
			putHost(t, name, cur, undoHost(hc.Before, hc.After, cur, as, t.NewKey))
		}
		if len(outside) > 0 {
			return &model.ConflictError{Generation: gen, Conflicts: outside}
		}
		return nil
	}
	return update(ctx, s, opts, rejoins(c.Groups), fn)
}

// update makes an undo's change: through Replace when full (see rejoins),
// else as a small change.
func update(ctx context.Context, s *zkstore.Store, opts model.UpdateOptions, full bool, fn func(model.Tx) error) (model.Result, error) {
	if full {
		return s.Replace(ctx, opts, func(n *model.Nodes) (*model.Nodes, error) { return n, fn(n) })
	}
	return s.Update(ctx, opts, fn)
}

// rejoins reports whether undoing changes puts a group back below a parent
// it left: it rejoins at the place its old key gives it, not last, which
// only a full render of the views gets right.
func rejoins(groups []model.GroupChange) bool {
	for _, gc := range groups {
		for _, e := range gc.Before.Edges() {
			if gc.After == nil || !slices.Contains(gc.After.Parents, e) {
				return true
			}
		}
	}
	return false
}

// Rollback makes a new change that makes every node changed after
// generation to what it was at to: everything after to is undone at once.
// It reads every record after to. Its reason is "rollback to GEN", then
// opts.Reason. A rollback past the start of history fails with zkstore.ErrPruned.
// Like Revert, one that puts groups back below parents they left is
// written as Replace writes.
func Rollback(ctx context.Context, s *zkstore.Store, opts model.UpdateOptions, to int64) (model.Result, error) {
	opts.Reason = undoReason(fmt.Sprintf("rollback to %d", to), opts.Reason)
	for {
		start, last, err := s.History(ctx)
		if err != nil {
			return model.Result{}, err
		}
		if to < 1 {
			return model.Result{}, fmt.Errorf("rollback to generation %d: the first generation is 1 (it made 'all' and 'ungrouped', which cannot be removed)", to)
		}
		if to >= last {
			return model.Result{Generation: last}, nil
		}
		if to+1 < start {
			return model.Result{}, fmt.Errorf("rollback to generation %d: %w (history starts at generation %d)", to, zkstore.ErrPruned, start)
		}
		var cs []*model.Commit
		err = Commits(ctx, s, to+1, last, func(c *model.Commit) (bool, error) {
			if c.Minimal {
				return false, fmt.Errorf("rollback to generation %d: generation %d: %w", to, c.Generation, model.ErrMinimal)
			}
			cs = append(cs, c)
			return true, nil
		})
		if err != nil {
			return model.Result{}, err
		}
		hosts, groups := model.Squash(cs)
		fn := func(t model.Tx) error {
			if err := prefetchChanged(t, hosts, groups); err != nil {
				return err
			}
			for _, gc := range groups {
				name := gc.Name()
				cur, err := currentGroup(t, name)
				if err != nil {
					return err
				}
				putGroup(t, name, cur, gc.Before)
			}
			for _, hc := range hosts {
				name := hc.Name()
				cur, err := currentHost(t, name)
				if err != nil {
					return err
				}
				putHost(t, name, cur, hc.Before)
			}
			return nil
		}
		// Made only on top of last: a change committed since the records
		// were read moves the inventory on, and the loop reads again.
		opts.At = last
		res, err := update(ctx, s, opts, rejoins(groups), fn)
		if !errors.Is(err, model.ErrMoved) {
			return res, err
		}
	}
}

func undoReason(what, why string) string {
	if why == "" {
		return what
	}
	return what + ": " + why
}

func prefetchChanged(t model.Tx, hosts []model.HostChange, groups []model.GroupChange) error {
	p, ok := t.(model.Prefetcher)
	if !ok {
		return nil
	}
	hs := make([]string, len(hosts))
	for i, hc := range hosts {
		hs[i] = hc.Name()
	}
	gs := make([]string, len(groups))
	for i, gc := range groups {
		gs[i] = gc.Name()
	}
	return p.Prefetch(hs, gs)
}

// currentHost returns the host as t holds it, nil if it has none.
func currentHost(t model.Tx, name string) (*model.HostNode, error) {
	h, err := t.Host(name)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	return h, err
}

func currentGroup(t model.Tx, name string) (*model.GroupNode, error) {
	g, err := t.Group(name)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	return g, err
}

// putHost makes host name h (nil: none), cur being what t holds.
func putHost(t model.Tx, name string, cur, h *model.HostNode) {
	switch {
	case h != nil:
		t.PutHost(h)
	case cur != nil:
		t.DeleteHost(name)
	}
}

func putGroup(t model.Tx, name string, cur, g *model.GroupNode) {
	switch {
	case g != nil:
		t.PutGroup(g)
	case cur != nil:
		t.DeleteGroup(name)
	}
}

// laterConflicts returns what changes after c touched of what c changed.
// It stats each node c touched: one written by a transaction after the
// record of the generation following c's (or present or absent against
// what c left) was changed since, and only then are the later records
// read to name the changes.
func laterConflicts(ctx context.Context, s *zkstore.Store, c *model.Commit) ([]model.Conflict, error) {
	_, last, err := s.History(ctx)
	if err != nil {
		return nil, err
	}
	if c.Generation >= last {
		return nil, nil
	}
	w := &walker{s: s, ctx: ctx, czxids: map[int64]int64{}}
	bound, err := w.czxid(c.Generation + 1)
	if err != nil {
		return nil, err
	}
	type node struct {
		path   string
		exists bool // as c left it
	}
	var nodes []node
	for _, hc := range c.Hosts {
		nodes = append(nodes, node{s.HostPath(hc.Name()), hc.After != nil})
	}
	for _, gc := range c.Groups {
		nodes = append(nodes, node{s.GroupPath(gc.Name()), gc.After != nil})
	}
	touched := make([]bool, len(nodes))
	if err := zkconn.Parallel(ctx, len(nodes), 64, func(i int) error {
		ok, st, err := s.Conn().Exists(ctx, nodes[i].path)
		if err != nil {
			return err
		}
		touched[i] = ok != nodes[i].exists || (ok && (bound < 0 || st.Mzxid >= bound))
		return nil
	}); err != nil {
		return nil, err
	}
	if !slices.Contains(touched, true) {
		return nil, nil
	}
	hostAs := map[string]aspects{}
	for _, hc := range c.Hosts {
		hostAs[hc.Name()] = hostAspects(hc.Before, hc.After)
	}
	groupAs := map[string]aspects{}
	for _, gc := range c.Groups {
		groupAs[gc.Name()] = groupAspects(gc.Before, gc.After)
	}
	var out []model.Conflict
	err = Commits(ctx, s, c.Generation+1, last, func(later *model.Commit) (bool, error) {
		for _, hc := range later.Hosts {
			name := hc.Name()
			if as, ok := hostAs[name]; ok {
				if diff := hostAspects(hc.Before, hc.After); as.meets(diff) {
					out = append(out, model.Conflict{Generation: later.Generation, Entity: "host " + name, Aspects: as.common(diff)})
				}
			}
		}
		for _, gc := range later.Groups {
			name := gc.Name()
			if as, ok := groupAs[name]; ok {
				if diff := groupAspects(gc.Before, gc.After); as.meets(diff) {
					out = append(out, model.Conflict{Generation: later.Generation, Entity: "group " + name, Aspects: as.common(diff)})
				}
			}
		}
		return true, nil
	})
	return out, err
}

// aspects are what a change changed of one node: "exists" (created or
// removed), "var K", "file var K", "member G", "parent P", "priority"...
type aspects map[string]bool

// meets reports whether two sets of aspects of one node overlap. A node
// created or removed meets every change of it.
func (a aspects) meets(b aspects) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	if a["exists"] || b["exists"] {
		return true
	}
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// common lists the aspects of a that b meets, sorted.
func (a aspects) common(b aspects) []string {
	var out []string
	for k := range a {
		if b[k] || b["exists"] || a["exists"] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func hostAspects(b, a *model.HostNode) aspects {
	as := aspects{}
	switch {
	case b == nil && a == nil:
	case b == nil || a == nil:
		as["exists"] = true
	default:
		varAspects(as, "var ", b.Vars, a.Vars, b.VarSources, a.VarSources)
		varAspects(as, "file var ", b.FileVars, a.FileVars, b.FileVarSources, a.FileVarSources)
		edgeAspects(as, "member ", b.Groups, a.Groups)
		varAspects(as, "field ", b.Extra, a.Extra, nil, nil)
		if b.Slot != a.Slot {
			as["slot"] = true
		}
		if b.Source != a.Source {
			as["source"] = true
		}
	}
	return as
}

func groupAspects(b, a *model.GroupNode) aspects {
	as := aspects{}
	switch {
	case b == nil && a == nil:
	case b == nil || a == nil:
		as["exists"] = true
	default:
		varAspects(as, "var ", b.Vars, a.Vars, b.VarSources, a.VarSources)
		varAspects(as, "file var ", b.FileVars, a.FileVars, b.FileVarSources, a.FileVarSources)
		edgeAspects(as, "parent ", b.Parents, a.Parents)
		varAspects(as, "field ", b.Extra, a.Extra, nil, nil)
		for _, f := range []struct {
			name string
			same bool
		}{{"priority", b.Priority == a.Priority}, {"seq", b.Seq == a.Seq}, {"list_last", b.ListLast == a.ListLast}, {"source", b.Source == a.Source}} {
			if !f.same {
				as[f.name] = true
			}
		}
	}
	return as
}

// varAspects adds prefix+K for each var K whose value, presence or
// provenance differs.
func varAspects(as aspects, prefix string, b, a model.Map, bs, asrc map[string]string) {
	for _, e := range b {
		v, ok := a.Get(e.Key)
		if !ok || !model.EqualOrdered(v, e.Value) || bs[e.Key] != asrc[e.Key] {
			as[prefix+e.Key] = true
		}
	}
	for _, e := range a {
		if !b.Has(e.Key) {
			as[prefix+e.Key] = true
		}
	}
}

func edgeAspects(as aspects, prefix string, b, a []model.Edge) {
	for _, e := range b {
		if !slices.Contains(a, e) {
			as[prefix+e.Name] = true
		}
	}
	for _, e := range a {
		if !slices.Contains(b, e) {
			as[prefix+e.Name] = true
		}
	}
}

// undoHost returns cur with the aspects as of a change from b to a put
// back as b had them; nil removes the host. A host the change left as it
// is now becomes b exactly.
func undoHost(b, a, cur *model.HostNode, as aspects, newKey func() int64) *model.HostNode {
	switch {
	case model.EqualHostNodes(cur, a):
		return cloneHost(b)
	case b == nil:
		return nil
	case a == nil:
		return b.Clone()
	case cur == nil:
		return nil // removed since: nothing left to undo
	}
	t := cur.Clone()
	t.VarSources = restoreVars(as, "var ", &t.Vars, t.VarSources, b.Vars, b.VarSources)
	t.FileVarSources = restoreVars(as, "file var ", &t.FileVars, t.FileVarSources, b.FileVars, b.FileVarSources)
	restoreVars(as, "field ", &t.Extra, nil, b.Extra, nil)
	t.Groups = restoreEdges(as, "member ", t.Groups, b.Groups)
	if as["slot"] {
		t.Slot = b.Slot
	}
	if as["source"] {
		t.Source = b.Source
	}
	switch i := slices.IndexFunc(t.Groups, func(e model.Edge) bool { return e.Name == "ungrouped" }); {
	case len(t.Groups) == 0:
		t.Groups = append(t.Groups, model.Edge{Name: "ungrouped", Key: newKey()})
	case len(t.Groups) > 1 && i >= 0:
		t.Groups = slices.Delete(t.Groups, i, i+1)
	}
	return t
}

// undoGroup is undoHost for a group.
func undoGroup(b, a, cur *model.GroupNode, as aspects, newKey func() int64) *model.GroupNode {
	switch {
	case model.EqualGroupNodes(cur, a):
		return cloneGroup(b)
	case b == nil:
		return nil
	case a == nil:
		return b.Clone()
	case cur == nil:
		return nil
	}
	t := cur.Clone()
	t.VarSources = restoreVars(as, "var ", &t.Vars, t.VarSources, b.Vars, b.VarSources)
	t.FileVarSources = restoreVars(as, "file var ", &t.FileVars, t.FileVarSources, b.FileVars, b.FileVarSources)
	restoreVars(as, "field ", &t.Extra, nil, b.Extra, nil)
	t.Parents = restoreEdges(as, "parent ", t.Parents, b.Parents)
	if as["priority"] {
		t.Priority = b.Priority
	}
	if as["seq"] {
		t.Seq = b.Seq
	}
	if as["list_last"] {
		t.ListLast = b.ListLast
	}
	if as["source"] {
		t.Source = b.Source
	}
	if t.Name != "all" {
		switch i := slices.IndexFunc(t.Parents, func(e model.Edge) bool { return e.Name == "all" }); {
		case len(t.Parents) == 0:
			t.Parents = append(t.Parents, model.Edge{Name: "all", Key: newKey()})
		case len(t.Parents) > 1 && i >= 0 && !slices.ContainsFunc(b.Parents, func(e model.Edge) bool { return e.Name == "all" }):
			t.Parents = slices.Delete(t.Parents, i, i+1)
		}
	}
	return t
}

func cloneHost(h *model.HostNode) *model.HostNode {
	if h == nil {
		return nil
	}
	return h.Clone()
}

func cloneGroup(g *model.GroupNode) *model.GroupNode {
	if g == nil {
		return nil
	}
	return g.Clone()
}

// restoreVars puts back, in vars and their sources, each var whose aspect
// (prefix+K) is in as as b has it: set again (where b had it among its
// neighbours) or removed. It returns the sources map, made if needed.
func restoreVars(as aspects, prefix string, vars *model.Map, sources map[string]string, b model.Map, bs map[string]string) map[string]string {
	for i, e := range b {
		if !as[prefix+e.Key] {
			continue
		}
		if vars.Has(e.Key) {
			vars.Set(e.Key, model.CloneValue(e.Value))
		} else {
			// After the nearest var before it in b that vars holds.
			at := 0
			for j := i - 1; j >= 0; j-- {
				if k := slices.IndexFunc(*vars, func(x model.Entry) bool { return x.Key == b[j].Key }); k >= 0 {
					at = k + 1
					break
				}
			}
			*vars = slices.Insert(*vars, at, model.Entry{Key: e.Key, Value: model.CloneValue(e.Value)})
		}
		if src, ok := bs[e.Key]; ok {
			if sources == nil {
				sources = map[string]string{}
			}
			sources[e.Key] = src
		} else {
			delete(sources, e.Key)
		}
	}
	for k := range as {
		if key, ok := strings.CutPrefix(k, prefix); ok && !b.Has(key) {
			vars.Delete(key)
			delete(sources, key)
		}
	}
	if len(*vars) == 0 {
		*vars = nil
	}
	if len(sources) == 0 {
		sources = nil
	}
	return sources
}

// restoreEdges puts back the edges whose aspect is in as as b has them.
func restoreEdges(as aspects, prefix string, cur, b []model.Edge) []model.Edge {
	out := slices.Clone(cur)
	for k := range as {
		name, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		out = slices.DeleteFunc(out, func(e model.Edge) bool { return e.Name == name })
		if i := slices.IndexFunc(b, func(e model.Edge) bool { return e.Name == name }); i >= 0 {
			out = append(out, b[i])
		}
	}
	return out
}
