package jones

import (
	"context"
	"fmt"
	"slices"

	"github.com/kook-project/kook/zkconn"
)

// Delete deletes env with its config and view. Without force it refuses,
// with an error wrapping ErrNotEmpty, an environment that has child
// environments or associated hosts. With force it deletes the whole subtree
// and moves the hosts associated with any environment in it to env's
// parent, all in one transaction; it returns the hosts it moved.
//
// Deleting the root environment ("" or "/") deletes the service, its
// nodemaps included: with force its associations are dropped, not moved.
//
// A subtree too large for one transaction is refused with an error
// wrapping model.ErrTooLarge and nothing is deleted. It returns
// model.ErrNotFound for a missing environment.
func (s *Store) Delete(ctx context.Context, svc, env string, force bool) (moved []string, err error) {
	env, err = checkArgs(svc, env)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("delete %s %s", svc, displayEnv(env))
	if env == "" {
		_, err := s.commit(ctx, what, func() (*zkconn.Txn, error) { return s.planDeleteService(ctx, svc, force) })
		return nil, err
	}
	var markers []string
	_, err = s.commit(ctx, what, func() (*zkconn.Txn, error) {
		var t *zkconn.Txn
		t, moved, markers, err = s.planDelete(ctx, svc, env, force)
		return t, err
	})
	if err != nil {
		return nil, err
	}
	return moved, s.finish(ctx, svc, what, markers)
}

func (s *Store) planDelete(ctx context.Context, svc, env string, force bool) (*zkconn.Txn, []string, []string, error) {
	conf, err := s.get(ctx, s.confPath(svc, env))
	if err != nil {
		return nil, nil, nil, err
	}
	if !conf.ok {
		return nil, nil, nil, envNotFound(svc, env)
	}
	var confs, views, records []string
	var view znode
	var nm *nodemap
	var m meta
	err = each(6, func(i int) (err error) {
		switch i {
		case 0:
			confs, err = s.walk(ctx, s.confPath(svc, env))
		case 1:
			views, err = s.walk(ctx, s.viewPath(svc, env))
		case 2:
			view, err = s.get(ctx, s.viewPath(svc, env))
		case 3:
			records, err = s.children(ctx, s.sourcesPath(svc))
		case 4:
			err = s.readMeta(ctx, svc, &m)
		default:
			nm, err = s.readNodemap(ctx, svc)
		}
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	hosts := nm.hostsIn(svc, env)
	if !force && (len(confs) > 0 || len(hosts) > 0) {
		return nil, nil, nil, fmt.Errorf("environment %q: %w: %s below it, %s associated (force deletes them and moves the hosts to %q)",
			env, ErrNotEmpty, count(len(confs), "environment"), count(len(hosts), "host"), displayEnv(parentEnv(env)))
	}
	// The record keeps every config deleted, parents first.
	ch := &Change{Op: "delete", Env: displayEnv(env)}
	envs := []string{env}
	for _, rel := range confs {
		envs = append(envs, joinEnv(env, rel))
	}
	if ch.Configs, err = s.readConfigs(ctx, svc, envs, conf); err != nil {
		return nil, nil, nil, err
	}
	// Deleting a znode that gained a child since it was listed fails, so
	// nothing created meanwhile is left behind; a writer that read the
	// deleted configs fails its version checks.
	t := s.conn.NewTxn()
	removeTree(t, s.viewPath(svc, env), views, view.ok)
	removeTree(t, s.confPath(svc, env), confs, true)
	for _, r := range records {
		if e, ok := unescapeEnv(r); ok && e != "" && within(e, env) {
			t.Delete(s.sourcesPath(svc)+"/"+r, -1)
		}
	}
	if len(hosts) > 0 {
		for _, h := range hosts {
			old, _ := nm.get(h)
			nm.set(h, jonesView(svc, parentEnv(env)))
			ch.Assocs = append(ch.Assocs, AssocChange{Host: h, Before: old, After: jonesView(svc, parentEnv(env))})
		}
		nm.write(t, s.nodemapsPath(svc))
	} else {
		nm.guard(t, s.nodemapsPath(svc)) // no host was associated meanwhile
	}
	if _, err := s.record(ctx, t, svc, ch, room(t)); err != nil {
		return nil, nil, nil, err
	}
	return t, hosts, m.markers, nil
}

// readConfigs reads the configs of envs (the first one's already read as
// first) and describes their deletion.
func (s *Store) readConfigs(ctx context.Context, svc string, envs []string, first znode) ([]ConfigChange, error) {
	zs := make([]znode, len(envs))
	zs[0] = first
	if err := each(len(envs)-1, func(i int) (err error) {
		zs[i+1], err = s.get(ctx, s.confPath(svc, envs[i+1]))
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]ConfigChange, 0, len(envs))
	for i, e := range envs {
		if !zs[i].ok {
			return nil, errRetry // deleted since it was listed
		}
		conf, err := decodeObject(s.confPath(svc, e), zs[i].data)
		if err != nil {
			return nil, err
		}
		out = append(out, diffConfig(e, conf, nil, true, false))
	}
	return out, nil
}

// planDeleteService deletes everything under the service znode and the
// znode itself, whose version guards against concurrent shape changes.
func (s *Store) planDeleteService(ctx context.Context, svc string, force bool) (*zkconn.Txn, error) {
	top, err := s.get(ctx, s.svcPath(svc))
	if err != nil {
		return nil, err
	}
	if !top.ok {
		return nil, serviceNotFound(svc)
	}
	var all, envs []string
	var nm *nodemap
	err = each(3, func(i int) (err error) {
		switch i {
		case 0:
			all, err = s.walkService(ctx, svc)
		case 1:
			envs, err = s.walk(ctx, s.confPath(svc, ""))
		default:
			nm, err = s.readNodemap(ctx, svc)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, serviceNotFound(svc) // deleted: only its history is left
	}
	if !force && (len(envs) > 0 || nm.len() > 0) {
		return nil, fmt.Errorf("service %q: %w: %s below its root, %s associated (force deletes them all)",
			svc, ErrNotEmpty, count(len(envs), "environment"), count(nm.len(), "host"))
	}
	root, err := s.get(ctx, s.confPath(svc, ""))
	if err != nil {
		return nil, err
	}
	ch := &Change{Op: "delete", Env: Root}
	if root.ok {
		if ch.Configs, err = s.readConfigs(ctx, svc, append([]string{""}, envs...), root); err != nil {
			return nil, err
		}
	}
	for i, h := range nm.hosts {
		ch.Assocs = append(ch.Assocs, AssocChange{Host: h, Before: nm.paths[i]})
	}
	// The history stays, and the service znode as its parent, so that the
	// deletion can be seen and reverted.
	t := s.conn.NewTxn()
	for _, rel := range slices.Backward(all) {
		version := int32(-1)
		if rel == "nodemaps" && nm.z.ok {
			version = nm.z.version // no host was associated meanwhile
		}
		t.Delete(envPath(s.svcPath(svc), rel), version)
	}
	t.Check(s.svcPath(svc), top.version)
	if _, err := s.record(ctx, t, svc, ch, room(t)); err != nil {
		return nil, err
	}
	return t, nil
}

// removeTree adds deletes of base's descendants (rel, parents first, as
// walk lists them) children first, then of base itself if it exists. A
// view znode can be missing where another tool left the tree incomplete.
func removeTree(t *zkconn.Txn, base string, rel []string, exists bool) {
	for _, r := range slices.Backward(rel) {
		t.Delete(envPath(base, r), -1)
	}
	if exists {
		t.Delete(base, -1)
	}
}

// count says "1 host", "2 hosts".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// walkService is walk of the service znode without kook-history, which
// stays when the service is deleted (and whose thousands of records a walk
// would list one by one).
func (s *Store) walkService(ctx context.Context, svc string) ([]string, error) {
	kids, err := s.children(ctx, s.svcPath(svc))
	if err != nil {
		return nil, err
	}
	kids = slices.DeleteFunc(kids, func(k string) bool { return k == "kook-history" })
	below := make([][]string, len(kids))
	if err := each(len(kids), func(i int) (err error) {
		below[i], err = s.walk(ctx, s.svcPath(svc)+"/"+kids[i])
		return err
	}); err != nil {
		return nil, err
	}
	var all []string
	for i, k := range kids {
		all = append(all, k)
		for _, rel := range below[i] {
			all = append(all, k+"/"+rel)
		}
	}
	return all, nil
}
