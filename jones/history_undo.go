package jones

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// RevertOptions say how Revert works.
type RevertOptions struct {
	// Force reverts even when later changes touched the same keys or
	// associations (their changes to them are undone too).
	Force bool
	// DryRun computes the change and writes nothing.
	DryRun bool
}

// Revert makes a new change to svc that undoes generation gen of its
// history: the keys it changed get their values before it back (an
// environment it created is deleted, one it deleted is created again with
// its config), and the hosts whose association it changed get their
// association before it back. Everything else stays. Unless opts.Force, a
// later change (or a change outside kook) that touched the same keys or
// associations makes it refuse, writing nothing, with a
// *model.ConflictError naming the generations. It returns the change
// made (or that would be made), recorded with the reason "revert of GEN".
//
// It reads the service's whole tree, and the records after gen when not
// forced; it is written in one request, and refused with model.ErrTooLarge,
// nothing written, when its configs and views do not fit in one.
func (s *Store) Revert(ctx context.Context, svc string, gen int64, opts RevertOptions) (*Change, error) {
	ch, err := s.Change(ctx, svc, gen)
	if err != nil {
		return nil, err
	}
	if ch.Omitted {
		return nil, fmt.Errorf("revert generation %d of %s: its record holds no values (the change was too large to record them): %w", gen, svc, model.ErrMinimal)
	}
	if !opts.Force {
		conflicts, err := s.laterConflicts(ctx, ch)
		if err != nil {
			return nil, err
		}
		if len(conflicts) > 0 {
			return nil, &model.ConflictError{Generation: gen, Conflicts: conflicts}
		}
	}
	reason := fmt.Sprintf("revert of %d", gen)
	if s.who.Reason != "" {
		reason += ": " + s.who.Reason
	}
	var made *Change
	plan := func() (*zkconn.Txn, error) {
		t, c, err := s.planRevert(ctx, ch, opts.Force)
		if err != nil || t == nil {
			made = c
			return nil, err
		}
		c.Reason = reason
		if ok, err := s.record(ctx, t, svc, c, room(t)); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("the revert and its record take more than one request: %w", model.ErrTooLarge)
		}
		made = c
		return t, nil
	}
	what := fmt.Sprintf("revert generation %d of %s", gen, svc)
	if opts.DryRun {
		t, c, err := s.planRevert(ctx, ch, opts.Force)
		if err == nil && t != nil && !t.Fits() {
			err = fmt.Errorf("%s: it takes %d bytes, more than one request: %w", what, t.Size(), model.ErrTooLarge)
		}
		if c != nil {
			c.Service, c.Reason = svc, reason
		}
		return c, err
	}
	if _, err := s.commit(ctx, what, plan); err != nil {
		return nil, err
	}
	return made, nil
}

// laterConflicts returns the changes after ch that touched the keys,
// environments or associations ch changed.
func (s *Store) laterConflicts(ctx context.Context, ch *Change) ([]model.Conflict, error) {
	_, last, err := s.History(ctx, ch.Service)
	if err != nil || last <= ch.Generation {
		return nil, err
	}
	var out []model.Conflict
	err = s.Changes(ctx, ch.Service, ch.Generation+1, last, func(later *Change) (bool, error) {
		for _, cc := range ch.Configs {
			for _, lc := range later.Configs {
				if lc.Env != cc.Env {
					continue
				}
				var common []string
				if cc.Created || cc.Deleted || lc.Created || lc.Deleted {
					common = []string{"environment"}
				} else {
					lk := lc.keys()
					for _, k := range cc.keys() {
						if slices.Contains(lk, k) {
							common = append(common, k)
						}
					}
				}
				if len(common) > 0 {
					out = append(out, model.Conflict{Generation: later.Generation, Entity: "environment " + cc.Env, Aspects: common})
				}
			}
		}
		for _, a := range ch.Assocs {
			for _, la := range later.Assocs {
				if la.Host == a.Host {
					out = append(out, model.Conflict{Generation: later.Generation, Entity: "host " + a.Host, Aspects: []string{"association"}})
				}
			}
		}
		return true, nil
	})
	return out, err
}

// planRevert plans the undoing of ch from fresh reads of the whole service:
// the ops and the change they make; a nil txn when there is nothing to do.
func (s *Store) planRevert(ctx context.Context, ch *Change, force bool) (*zkconn.Txn, *Change, error) {
	svc := ch.Service
	sn, err := s.load(ctx, svc, "", true)
	if errors.Is(err, model.ErrNotFound) {
		// The service was deleted: nothing is left of its tree.
		sn = &snapshot{svc: svc, nodes: map[string]*envNode{}}
		err = s.readMeta(ctx, svc, &sn.meta)
	}
	if err != nil {
		return nil, nil, err
	}
	nm, err := s.readNodemap(ctx, svc)
	if err != nil {
		return nil, nil, err
	}
	// target: each environment's config after the revert; absent: deleted.
	target := map[string]model.Map{}
	for _, e := range sn.order {
		target[e] = sn.nodes[e].conf
	}
	var outside []model.Conflict
	for _, cc := range ch.Configs {
		e, err := cleanEnv(cc.Env)
		if err != nil {
			return nil, nil, fmt.Errorf("generation %d: %w", ch.Generation, err)
		}
		cur, ok := target[e]
		if !force {
			if what := configDrift(cc, cur, ok); what != nil {
				outside = append(outside, model.Conflict{Entity: "environment " + cc.Env, Aspects: what})
				continue
			}
		}
		switch {
		case cc.Created:
			delete(target, e)
		case cc.Deleted:
			target[e] = cc.undo(model.Map{})
		case ok:
			target[e] = cc.undo(cur)
		}
	}
	newMap := nm.clone()
	for _, a := range ch.Assocs {
		cur, _ := nm.get(a.Host)
		if !force && cur != a.After {
			outside = append(outside, model.Conflict{Entity: "host " + a.Host, Aspects: []string{"association"}})
			continue
		}
		if a.Before == "" {
			newMap.remove(a.Host)
		} else {
			newMap.set(a.Host, a.Before)
		}
	}
	if len(outside) > 0 {
		return nil, nil, &model.ConflictError{Generation: ch.Generation, Conflicts: outside}
	}
	return s.planApply(ctx, sn, nm, newMap, target)
}

// configDrift says which of cc's keys the config cur (present: ok) no
// longer holds as cc left it; nil when it holds all of them so.
func configDrift(cc ConfigChange, cur model.Map, ok bool) []string {
	switch {
	case cc.Deleted && ok, !cc.Deleted && !ok:
		return []string{"environment"}
	case cc.Deleted:
		return nil
	}
	var out []string
	for _, k := range cc.keys() {
		want, wok := cc.New.Get(k)
		have, hok := cur.Get(k)
		if wok != hok || !model.EqualOrdered(want, have) {
			out = append(out, k)
		}
	}
	return out
}

// planApply plans making svc's configs target (env -> config; a missing
// env is deleted) and its nodemap nm2, from sn and nm as read, in one
// request with every view that changes. It returns the change it makes.
func (s *Store) planApply(ctx context.Context, sn *snapshot, nm, nm2 *nodemap, target map[string]model.Map) (*zkconn.Txn, *Change, error) {
	svc := sn.svc
	c := &Change{Service: svc, Op: "revert"}
	var after []string
	for e := range target {
		after = append(after, e)
	}
	after = preorder(after)
	for _, e := range after {
		if e != "" {
			if _, ok := target[parentEnv(e)]; !ok {
				return nil, nil, fmt.Errorf("environment %s would have no parent %s: %w", displayEnv(e), displayEnv(parentEnv(e)), model.ErrNotFound)
			}
		}
	}
	var gone []string
	for _, e := range sn.order {
		if _, ok := target[e]; !ok {
			gone = append(gone, e)
		}
	}
	for _, h := range nm2.hosts {
		p, _ := nm2.get(h)
		if env, ok := envFromView(svc, p); ok && slices.Contains(gone, env) {
			return nil, nil, fmt.Errorf("environment %s would be deleted with host %s still associated with it: %w", displayEnv(env), h, ErrNotEmpty)
		}
	}
	// Environments created read what another tool may have left at their
	// view and record, which is overwritten.
	var made []string
	for _, e := range after {
		if sn.nodes[e] == nil {
			made = append(made, e)
		}
	}
	left := make([]znode, 2*len(made))
	if err := each(len(left), func(i int) (err error) {
		if i%2 == 0 {
			left[i], err = s.get(ctx, s.viewPath(svc, made[i/2]))
		} else {
			left[i], err = s.get(ctx, s.recordPath(svc, made[i/2]))
		}
		return err
	}); err != nil {
		return nil, nil, err
	}
	t := s.conn.NewTxn()
	next := &snapshot{svc: svc, nodes: map[string]*envNode{}, order: after, meta: sn.meta}
	if len(made) > 0 && made[0] == "" {
		// The service itself comes back: its znodes first.
		top, err := s.get(ctx, s.svcPath(svc))
		if err != nil {
			return nil, nil, err
		}
		if !top.ok {
			if err := s.ensurePath(ctx, s.servicesPath()); err != nil {
				return nil, nil, err
			}
			t.Create(s.svcPath(svc), []byte{})
		}
	}
	for _, e := range after {
		conf := target[e]
		data := model.MarshalJSON(conf)
		old := sn.nodes[e]
		if old == nil {
			i := slices.Index(made, e)
			t.Create(s.confPath(svc, e), data)
			next.nodes[e] = &envNode{conf: conf, view: left[2*i], rec: left[2*i+1]}
			c.Configs = append(c.Configs, diffConfig(e, nil, conf, false, true))
			continue
		}
		n := *old
		n.conf = conf
		if model.EqualOrdered(conf, old.conf) && !old.null {
			t.Check(s.confPath(svc, e), old.version)
		} else {
			t.Set(s.confPath(svc, e), data, old.version)
			n.after = old.version + 1
			if cc := diffConfig(e, old.conf, conf, true, true); cc.changed() {
				c.Configs = append(c.Configs, cc)
			}
		}
		next.nodes[e] = &n
	}
	if slices.Contains(gone, "") {
		// The service goes, as Delete of its root does: all but its
		// history.
		all, err := s.walkService(ctx, svc)
		if err != nil {
			return nil, nil, err
		}
		for _, rel := range slices.Backward(all) {
			version := int32(-1)
			if rel == "nodemaps" && nm.z.ok {
				version = nm.z.version
			}
			t.Delete(envPath(s.svcPath(svc), rel), version)
		}
	}
	for _, e := range slices.Backward(gone) {
		if slices.Contains(gone, "") {
			break
		}
		old := sn.nodes[e]
		if old.view.ok {
			t.Delete(s.viewPath(svc, e), -1)
		}
		t.Delete(s.confPath(svc, e), old.version)
		if old.rec.ok {
			t.Delete(s.recordPath(svc, e), -1)
		}
	}
	for _, e := range gone {
		c.Configs = append(c.Configs, diffConfig(e, sn.nodes[e].conf, nil, true, false))
	}
	if len(after) > 0 {
		s.planViews(t, next, 0, len(after), "")
	}
	for _, h := range nm.hosts {
		if _, ok := nm2.get(h); !ok {
			p, _ := nm.get(h)
			c.Assocs = append(c.Assocs, AssocChange{Host: h, Before: p})
		}
	}
	for _, h := range nm2.hosts {
		p2, _ := nm2.get(h)
		if p, _ := nm.get(h); p != p2 {
			c.Assocs = append(c.Assocs, AssocChange{Host: h, Before: p, After: p2})
		}
	}
	switch {
	case slices.Contains(gone, ""): // deleted with the service
	case len(c.Assocs) > 0 || (!nm.z.ok && len(after) > 0):
		nm2.write(t, s.nodemapsPath(svc))
	case len(after) > 0:
		nm.guard(t, s.nodemapsPath(svc))
	}
	if len(c.Configs) == 0 && len(c.Assocs) == 0 {
		return nil, c, nil
	}
	return t, c, nil
}

// clone returns a copy of nm that can change apart from it.
func (nm *nodemap) clone() *nodemap {
	c := &nodemap{hosts: slices.Clone(nm.hosts), paths: slices.Clone(nm.paths), index: map[string]int{}, z: nm.z, old: nm.old}
	for i, h := range c.hosts {
		c.index[h] = i
	}
	return c
}

// SquashChanges combines changes to one service made one after the other
// (oldest first) into one: each key's value before the first and after
// the last, each association's likewise; what they leave as they found it
// is dropped.
func SquashChanges(changes []*Change) *Change {
	out := &Change{Op: "diff"}
	if len(changes) == 0 {
		return out
	}
	out.Service = changes[0].Service
	type state struct {
		existed, exists bool
		before, after   model.Map // of the keys touched
		order, newOrder []string
		seen            map[string]bool
	}
	envs := map[string]*state{}
	var envOrder []string
	assocs := map[string]*AssocChange{}
	var hostOrder []string
	for _, c := range changes {
		out.Omitted = out.Omitted || c.Omitted
		for _, cc := range c.Configs {
			st := envs[cc.Env]
			if st == nil {
				st = &state{existed: !cc.Created, seen: map[string]bool{}, order: cc.Order}
				envs[cc.Env] = st
				envOrder = append(envOrder, cc.Env)
			}
			st.exists = !cc.Deleted
			for _, k := range cc.keys() {
				if !st.seen[k] {
					st.seen[k] = true
					if v, ok := cc.Old.Get(k); ok {
						st.before = append(st.before, model.Entry{Key: k, Value: v})
					}
				}
				st.after.Delete(k)
				if v, ok := cc.New.Get(k); ok {
					st.after = append(st.after, model.Entry{Key: k, Value: v})
				}
			}
			if cc.NewOrder != nil {
				st.newOrder = cc.NewOrder
			}
		}
		for _, a := range c.Assocs {
			if cur, ok := assocs[a.Host]; ok {
				cur.After = a.After
			} else {
				assocs[a.Host] = &AssocChange{Host: a.Host, Before: a.Before, After: a.After}
				hostOrder = append(hostOrder, a.Host)
			}
		}
	}
	for _, e := range envOrder {
		st := envs[e]
		cc := ConfigChange{Env: e, Created: !st.existed && st.exists, Deleted: st.existed && !st.exists}
		if !st.existed && !st.exists {
			continue
		}
		for _, b := range st.before {
			if v, ok := st.after.Get(b.Key); !ok || !model.EqualOrdered(v, b.Value) || cc.Deleted {
				cc.Old = append(cc.Old, b)
			}
		}
		for _, a := range st.after {
			if v, ok := st.before.Get(a.Key); !ok || !model.EqualOrdered(v, a.Value) || cc.Created {
				cc.New = append(cc.New, a)
			}
		}
		if cc.changed() {
			out.Configs = append(out.Configs, cc)
		}
	}
	for _, h := range hostOrder {
		if a := assocs[h]; a.Before != a.After {
			out.Assocs = append(out.Assocs, *a)
		}
	}
	return out
}

// Lines describes the change for people, one model.Change per key,
// environment or association: "~ env child1: var foo: 1 -> 2".
func (c *Change) Lines() []model.Change {
	var out []model.Change
	for _, cc := range c.Configs {
		ent := "env " + cc.Env
		switch {
		case cc.Created:
			out = append(out, model.Change{Op: '+', Kind: "environment", Entity: ent})
		case cc.Deleted:
			out = append(out, model.Change{Op: '-', Kind: "environment", Entity: ent})
		}
		if cc.Keys != nil {
			out = append(out, model.Change{Op: '~', Kind: "keys", Entity: ent, Detail: strings.Join(cc.Keys, ", ") + " (values not recorded)"})
			continue
		}
		if cc.Created || cc.Deleted {
			continue
		}
		for _, e := range cc.New {
			if old, ok := cc.Old.Get(e.Key); ok {
				out = append(out, model.Change{Op: '~', Kind: "var", Entity: ent, Detail: fmt.Sprintf("%s: %s -> %s", e.Key, short(old), short(e.Value))})
			} else {
				out = append(out, model.Change{Op: '+', Kind: "var", Entity: ent, Detail: fmt.Sprintf("%s = %s", e.Key, short(e.Value))})
			}
		}
		for _, e := range cc.Old {
			if !cc.New.Has(e.Key) {
				out = append(out, model.Change{Op: '-', Kind: "var", Entity: ent, Detail: e.Key})
			}
		}
		if cc.Order != nil || cc.NewOrder != nil {
			if len(cc.Old) == 0 && len(cc.New) == 0 {
				out = append(out, model.Change{Op: '~', Kind: "order", Entity: ent, Detail: "keys reordered"})
			}
		}
	}
	for _, a := range c.Assocs {
		ent := "host " + a.Host
		switch {
		case a.Before == "":
			out = append(out, model.Change{Op: '+', Kind: "assoc", Entity: ent, Detail: a.AfterEnv(c.Service)})
		case a.After == "":
			out = append(out, model.Change{Op: '-', Kind: "assoc", Entity: ent, Detail: a.BeforeEnv(c.Service)})
		default:
			out = append(out, model.Change{Op: '~', Kind: "assoc", Entity: ent, Detail: a.BeforeEnv(c.Service) + " -> " + a.AfterEnv(c.Service)})
		}
	}
	return out
}

func short(v model.Value) string {
	s := string(model.MarshalJSON(v))
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
