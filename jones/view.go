package jones

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kook-project/kook/model"
)

// envNode is one environment as read for a change.
type envNode struct {
	conf    model.Map
	version int32 // of the conf znode
	view    znode
}

// snapshot is what a change to one environment depends on: the chain of
// configs from the root down to it and, when the change affects them, its
// descendants' configs, with the views of all of them. The change's multi
// checks the version of every config and of every view it rewrites, so a
// change planned from a stale snapshot fails instead of writing stale views.
//
// A new child is the one change that alters no config a concurrent writer
// checks, so creating an environment also rewrites its parent's view: every
// writer whose views include the new one's checks that view's version.
type snapshot struct {
	svc    string
	nodes  map[string]*envNode
	order  []string // the chain root first, then descendants parents first
	nchain int
}

// load reads env's chain and, with subtree, its descendants. A missing env
// or ancestor is model.ErrNotFound.
func (s *Store) load(svc, env string, subtree bool) (*snapshot, error) {
	sn := &snapshot{svc: svc, nodes: map[string]*envNode{}}
	sn.order = chain(env)
	sn.nchain = len(sn.order)
	if err := s.readEnvs(sn, sn.order); err != nil {
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
			kids[i], err = s.children(s.confPath(svc, level[i]))
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
		if err := s.readEnvs(sn, next); err != nil {
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

// readEnvs reads the config and view of each env into sn.nodes. An env
// whose config is missing gets no node.
func (s *Store) readEnvs(sn *snapshot, envs []string) error {
	confs := make([]znode, len(envs))
	views := make([]znode, len(envs))
	err := each(2*len(envs), func(i int) error {
		var err error
		if e := envs[i/2]; i%2 == 0 {
			confs[i/2], err = s.get(s.confPath(sn.svc, e))
		} else {
			views[i/2], err = s.get(s.viewPath(sn.svc, e))
		}
		return err
	})
	if err != nil {
		return err
	}
	for i, e := range envs {
		if !confs[i].ok {
			continue
		}
		conf, err := decodeObject(s.confPath(sn.svc, e), confs[i].data)
		if err != nil {
			return err
		}
		sn.nodes[e] = &envNode{conf: conf, version: confs[i].version, view: views[i]}
	}
	return nil
}

// checkConfs adds version checks of the configs of sn.order[from:to].
func (s *Store) checkConfs(t *txn, sn *snapshot, from, to int) {
	for _, e := range sn.order[from:to] {
		t.check(s.confPath(sn.svc, e), sn.nodes[e].version)
	}
}

// planViews adds the ops that make the views of sn.order[from:] the
// inheritance of the configs in sn: a write of each view that differs (or
// of touch's view in any case), a version check of each that does not, and
// returns how many writes it added. The views of sn.order[:from], the
// ancestors, are not this change's to write; they are only created if
// missing, for the views below need a parent znode.
func (s *Store) planViews(t *txn, sn *snapshot, from int, touch string) int {
	views := make(map[string]model.Map, len(sn.order))
	writes := 0
	for i, e := range sn.order {
		var v model.Map
		if e != "" {
			v = append(v, views[parentEnv(e)]...)
		}
		v.Update(sn.nodes[e].conf)
		views[e] = v
		node, p := sn.nodes[e], s.viewPath(sn.svc, e)
		data := model.MarshalJSON(v)
		switch {
		case !node.view.ok:
			t.create(p, data)
		case i < from:
			continue
		case e == touch || !bytes.Equal(node.view.data, data):
			t.set(p, data, node.view.version)
		default:
			t.check(p, node.view.version)
			continue
		}
		writes++
	}
	return writes
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
	if err := s.readEnvs(sn, []string{env}); err != nil {
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
	nm, err := s.readNodemap(svc)
	if err != nil {
		return nil, "", fmt.Errorf("view for %s: %w", host, err)
	}
	paths := []string{jonesView(svc, "")}
	if p, ok := nm.entries.Get(host); ok && p != paths[0] && validPath(p.(string)) {
		paths = append([]string{p.(string)}, paths...)
	}
	for _, p := range paths {
		z, err := s.get(s.root + p)
		if err != nil {
			return nil, "", fmt.Errorf("view for %s: %w", host, err)
		}
		if !z.ok {
			continue
		}
		view, err := decodeObject(s.root+p, z.data)
		if err != nil {
			return nil, "", fmt.Errorf("view for %s: %w", host, err)
		}
		return view, envName(svc, p), nil
	}
	return nil, "", fmt.Errorf("view for %s: %w", host, serviceNotFound(svc))
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
