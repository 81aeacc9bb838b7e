package jones

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// envNode is one environment as read for a change.
type envNode struct {
	conf    model.Map
	version int32 // of the conf znode as read
	after   int32 // of the conf znode once the change commits
	null    bool  // the conf znode has null data
	view    znode
	rec     znode // the record of what view was computed from
}

// snapshot is what a change to one environment depends on: the chain of
// configs from the root down to it and, when the change affects them, its
// descendants' configs, with the views of all of them and their records.
//
// A change that fits in one request checks the version of every config and
// of every view it rewrites, so a change planned from a stale snapshot
// fails instead of writing stale views. A new child is the one change that
// alters no config a concurrent writer checks, so creating an environment
// also rewrites its parent's view: every writer whose views include the new
// one's checks that view's version.
type snapshot struct {
	svc    string
	nodes  map[string]*envNode
	order  []string // the chain root first, then descendants parents first
	nchain int
	meta   meta
}

// meta is the state of kook's own znodes of a service.
type meta struct {
	sources bool     // kook-sources exists
	pending bool     // kook-pending exists
	markers []string // in kook-pending: rewrites that may not have finished
}

// load reads env's chain and, with subtree, its descendants. A missing env
// or ancestor is model.ErrNotFound.
func (s *Store) load(ctx context.Context, svc, env string, subtree bool) (*snapshot, error) {
	sn := &snapshot{svc: svc, nodes: map[string]*envNode{}}
	sn.order = chain(env)
	sn.nchain = len(sn.order)
	err := each(2, func(i int) error {
		if i == 0 {
			return s.readMeta(ctx, svc, &sn.meta)
		}
		return s.readEnvs(ctx, sn, sn.order)
	})
	if err != nil {
		return nil, err
	}
	for _, e := range sn.order {
		if sn.nodes[e] == nil {
			return nil, envNotFound(svc, e)
		}
	}
	if !subtree {
		return sn, nil
	}
	var below []string
	for level := []string{env}; len(level) > 0; {
		kids := make([][]string, len(level))
		err := each(len(level), func(i int) error {
			var err error
			kids[i], err = s.children(ctx, s.confPath(svc, level[i]))
			return err
		})
		if err != nil {
			return nil, err
		}
		var next []string
		for i, e := range level {
			for _, k := range kids[i] {
				if err := checkName(k); err != nil {
					return nil, fmt.Errorf("environment %q of %s has a child znode %q that names no environment: %w", displayEnv(e), svc, k, err)
				}
				next = append(next, joinEnv(e, k))
			}
		}
		if err := s.readEnvs(ctx, sn, next); err != nil {
			return nil, err
		}
		for _, e := range next {
			if sn.nodes[e] == nil {
				return nil, errRetry // deleted since it was listed
			}
		}
		below = append(below, next...)
		level = next
	}
	sn.order = append(sn.order, preorder(below)...)
	return sn, nil
}

// readMeta reads which of kook's znodes of svc exist, and the markers.
func (s *Store) readMeta(ctx context.Context, svc string, m *meta) error {
	return each(2, func(i int) error {
		if i == 0 {
			ok, _, err := s.conn.Exists(ctx, s.sourcesPath(svc))
			m.sources = ok
			return err
		}
		kids, _, err := s.conn.Children(ctx, s.pendingPath(svc))
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		m.pending, m.markers = err == nil, kids
		return err
	})
}

// readEnvs reads the config, view and record of each env into sn.nodes.
// An env whose config is missing gets no node.
func (s *Store) readEnvs(ctx context.Context, sn *snapshot, envs []string) error {
	const per = 3
	zs := make([]znode, per*len(envs))
	err := each(len(zs), func(i int) error {
		var err error
		switch e := envs[i/per]; i % per {
		case 0:
			zs[i], err = s.get(ctx, s.confPath(sn.svc, e))
		case 1:
			zs[i], err = s.get(ctx, s.viewPath(sn.svc, e))
		default:
			zs[i], err = s.get(ctx, s.recordPath(sn.svc, e))
		}
		return err
	})
	if err != nil {
		return err
	}
	for i, e := range envs {
		c := zs[per*i]
		if !c.ok {
			continue
		}
		conf, err := decodeObject(s.confPath(sn.svc, e), c.data)
		if err != nil {
			return err
		}
		sn.nodes[e] = &envNode{conf: conf, version: c.version, after: c.version, null: c.data == nil,
			view: zs[per*i+1], rec: zs[per*i+2]}
	}
	return nil
}

// checkConfs adds version checks of the configs of sn.order[from:to].
func (s *Store) checkConfs(t *zkconn.Txn, sn *snapshot, from, to int) {
	for _, e := range sn.order[from:to] {
		t.Check(s.confPath(sn.svc, e), sn.nodes[e].version)
	}
}

// eachView calls fn with each env of sn.order[:upto] in order, its view as
// the configs in sn make it, and the record of the config versions (after
// the change) it is computed from. fn returns false to stop.
func (sn *snapshot) eachView(upto int, fn func(i int, env string, data, rec []byte) bool) {
	views := make(map[string]model.Map, upto)
	for i, e := range sn.order[:upto] {
		var v model.Map
		if e != "" {
			v = append(v, views[parentEnv(e)]...)
		}
		v.Update(sn.nodes[e].conf)
		views[e] = v
		if !fn(i, e, model.MarshalJSON(v), sn.record(e)) {
			return
		}
	}
}

// record renders what env's view is computed from: the version of each
// config on its chain, {"/": 3, "a": 0, "a/b": 5}. Jones's client never
// reads it: it sits in its own znode beside the view, not in it.
func (sn *snapshot) record(env string) []byte {
	buf := []byte{'{'}
	for i, e := range chain(env) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = model.AppendString(buf, displayEnv(e))
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, int64(sn.nodes[e].after), 10)
	}
	return append(buf, '}')
}

// planViews adds the ops that make the views of sn.order[from:upto] the
// inheritance of the configs in sn: a write of each view that differs (or
// of touch's view in any case), a version check of each that does not, and
// a write of each record that changes. It returns how many writes it added,
// and false once t no longer fits in one request (it then stops). The
// views of sn.order[:from], the ancestors, are not this change's to write;
// they are only created if missing, for the views below need a parent
// znode.
func (s *Store) planViews(t *zkconn.Txn, sn *snapshot, from, upto int, touch string) (writes int, fits bool) {
	fits = true
	sn.eachView(upto, func(i int, e string, data, rec []byte) bool {
		node, p := sn.nodes[e], s.viewPath(sn.svc, e)
		wrote := true
		switch {
		case !node.view.ok:
			t.Create(p, data)
		case i < from:
			return true
		case e == touch || !bytes.Equal(node.view.data, data):
			t.Set(p, data, node.view.version)
		default:
			t.Check(p, node.view.version)
			wrote = false
		}
		if wrote {
			writes++
		}
		if s.planRecord(t, sn, e, rec) {
			writes++
		}
		fits = t.Fits()
		return fits
	})
	return writes, fits
}

// planRecord adds the write of env's record if it is not rec, and reports
// whether it did. The record is written with the view, or alone when only
// the versions changed; the version checks of the configs it names are the
// caller's.
func (s *Store) planRecord(t *zkconn.Txn, sn *snapshot, env string, rec []byte) bool {
	node, p := sn.nodes[env], s.recordPath(sn.svc, env)
	if node.rec.ok && bytes.Equal(node.rec.data, rec) {
		return false
	}
	if !sn.meta.sources {
		t.Create(s.sourcesPath(sn.svc), []byte{})
		sn.meta.sources = true
	}
	if node.rec.ok {
		t.Set(p, rec, node.rec.version)
	} else {
		t.Create(p, rec)
	}
	return true
}

// EnvConfig is one environment as `kook config show` prints it.
type EnvConfig struct {
	Service string
	Env     string    // "/" for the root
	Version int32     // of the config; pass it to Replace to refuse a stale edit
	Config  model.Map // the environment's own config
	View    model.Map // its materialized view; nil if the view znode is missing
}

// MarshalJSON renders the environment as one JSON object, values typed and
// in their stored order.
func (c EnvConfig) MarshalJSON() ([]byte, error) {
	m := model.Map{
		{Key: "service", Value: c.Service},
		{Key: "env", Value: c.Env},
		{Key: "version", Value: int64(c.Version)},
		{Key: "config", Value: c.Config},
		{Key: "view", Value: nilIfEmpty(c.View)},
	}
	return model.MarshalJSON(m), nil
}

func nilIfEmpty(m model.Map) model.Value {
	if m == nil {
		return nil
	}
	return m
}

// Show returns env's own config, its version and its stored view. It
// returns model.ErrNotFound for a missing service or environment.
func (s *Store) Show(ctx context.Context, svc, env string) (*EnvConfig, error) {
	env, err := checkArgs(svc, env)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sn := &snapshot{svc: svc, nodes: map[string]*envNode{}}
	if err := s.readEnvs(ctx, sn, []string{env}); err != nil {
		return nil, fmt.Errorf("show %s %s: %w", svc, displayEnv(env), err)
	}
	n := sn.nodes[env]
	if n == nil {
		return nil, fmt.Errorf("show: %w", envNotFound(svc, env))
	}
	c := &EnvConfig{Service: svc, Env: displayEnv(env), Version: n.version, Config: n.conf}
	if n.view.ok {
		if c.View, err = decodeObject(s.viewPath(svc, env), n.view.data); err != nil {
			return nil, fmt.Errorf("show %s %s: %w", svc, displayEnv(env), err)
		}
	}
	return c, nil
}

// ViewFor returns the view host sees and the environment it comes from, as
// a Jones client would resolve it: the view its association names, or the
// root's when host has none or that view is missing. host "" means this
// machine's FQDN. It returns model.ErrNotFound when svc has no root view.
func (s *Store) ViewFor(ctx context.Context, svc, host string) (view model.Map, env string, err error) {
	if err := checkService(svc); err != nil {
		return nil, "", err
	}
	if host == "" {
		host = FQDN()
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	// The root view is read with the nodemap, not after it: an unassociated
	// host needs it, and so does one whose view is missing.
	rootView := jonesView(svc, "")
	var nm, top znode
	err = each(2, func(i int) (err error) {
		if i == 0 {
			nm, err = s.get(ctx, s.nodemapsPath(svc))
		} else {
			top, err = s.get(ctx, s.root+rootView)
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("view for %s: %w", host, err)
	}
	p, ok, err := lookupNodemap(nm.data, host)
	if err != nil {
		return nil, "", fmt.Errorf("view for %s: %s: %w", host, s.nodemapsPath(svc), err)
	}
	if ok && p != rootView && validPath(p) {
		z, err := s.get(ctx, s.root+p)
		if err != nil {
			return nil, "", fmt.Errorf("view for %s: %w", host, err)
		}
		if z.ok {
			view, err := decodeObject(s.root+p, z.data)
			if err != nil {
				return nil, "", fmt.Errorf("view for %s: %w", host, err)
			}
			return view, envName(svc, p), nil
		}
	}
	if !top.ok {
		return nil, "", fmt.Errorf("view for %s: %w", host, serviceNotFound(svc))
	}
	view, err = decodeObject(s.root+rootView, top.data)
	if err != nil {
		return nil, "", fmt.Errorf("view for %s: %w", host, err)
	}
	return view, Root, nil
}

// envName names the env a nodemap path points at, or returns the path itself
// when it is not a view of svc.
func envName(svc, p string) string {
	if env, ok := envFromView(svc, p); ok {
		return displayEnv(env)
	}
	return p
}

// checkArgs validates a service and env argument and returns the clean env.
func checkArgs(svc, env string) (string, error) {
	if err := checkService(svc); err != nil {
		return "", err
	}
	return cleanEnv(env)
}
