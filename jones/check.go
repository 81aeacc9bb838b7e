package jones

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// Problem is something wrong in a service's znodes that Check found.
type Problem struct {
	Path    string // the znode, relative to the connection's chroot
	Env     string // the environment it concerns ("/" for the root), or ""
	What    string // what is wrong, for people
	Fixable bool   // Repair fixes it
}

// String renders the problem as one line.
func (p Problem) String() string { return p.Path + ": " + p.What }

// Check reports what in svc would mislead a reader: views that are not the
// inheritance of the current configs, views whose record of the config
// versions they were computed from is missing or out of date, rewrites
// that did not finish, records of environments that no longer exist, and
// what Jones's own code cannot read (null data, a nodemap it would
// misparse). It only reads. It returns model.ErrNotFound for a missing
// service.
func (s *Store) Check(ctx context.Context, svc string) ([]Problem, error) {
	if err := checkService(svc); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.survey(ctx, svc)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", svc, err)
	}
	return c.problems, nil
}

// Repair fixes what Check reports as fixable: it rewrites every view and
// record of svc that is not what the current configs make, finishes or
// drops unfinished rewrites, deletes records of missing environments, gives
// empty data to znodes with null data and rewrites nodemaps Jones 1.0
// cannot read as JSON. It returns the problems that remain, which need a
// person (a nodemap Jones misreads, a znode kook does not know), and
// model.ErrNotFound for a missing service.
func (s *Store) Repair(ctx context.Context, svc string) ([]Problem, error) {
	if err := checkService(svc); err != nil {
		return nil, err
	}
	c, err := s.survey(ctx, svc)
	if err != nil {
		return nil, fmt.Errorf("repair %s: %w", svc, err)
	}
	for _, f := range c.fixes {
		if err := f(ctx); err != nil {
			return nil, fmt.Errorf("repair %s: %w", svc, err)
		}
	}
	if err := s.rewrite(ctx, svc, "", ""); err != nil {
		return nil, fmt.Errorf("repair %s: %w", svc, err)
	}
	for _, m := range c.markers {
		if err := s.dropMarker(ctx, svc, m); err != nil {
			return nil, fmt.Errorf("repair %s: %w", svc, err)
		}
	}
	return s.Check(ctx, svc)
}

// survey is what Check found, with the fixes Repair applies before it
// rewrites the views.
type survey struct {
	problems []Problem
	fixes    []func(context.Context) error
	markers  []string
}

func (c *survey) add(p string, env string, fixable bool, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: p, Env: env, What: fmt.Sprintf(format, args...), Fixable: fixable})
}

func (s *Store) survey(ctx context.Context, svc string) (*survey, error) {
	c := &survey{}
	top := s.root
	if top == "" {
		top = "/"
	}
	// Jones's /export prints every znode under its root and fails on null
	// data; kook's parents come first.
	parents := []string{top, s.servicesPath(), s.svcPath(svc)}
	zs := make([]znode, len(parents))
	if err := each(len(parents), func(i int) (err error) { zs[i], err = s.get(ctx, parents[i]); return err }); err != nil {
		return nil, err
	}
	for i, z := range zs {
		if z.ok && z.data == nil {
			p, version := parents[i], z.version
			c.add(p, "", true, "null data: Jones's /export fails on it")
			c.fixes = append(c.fixes, func(ctx context.Context) error { return s.setIfAt(ctx, p, []byte{}, version) })
		}
	}
	var sn *snapshot
	err := s.again(ctx, func() (err error) {
		sn, err = s.load(ctx, svc, "", true)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.markers = sn.meta.markers
	for _, m := range sn.meta.markers {
		env, _ := markerEnv(m)
		c.add(s.pendingPath(svc)+"/"+m, displayEnv(env), true, "%s", markerText(m))
	}
	s.surveyViews(c, sn)
	if err := s.surveyRecords(ctx, c, sn); err != nil {
		return nil, err
	}
	if err := s.surveyNodemap(ctx, c, svc); err != nil {
		return nil, err
	}
	return c, nil
}

// surveyViews compares each view and record with what the configs make.
// A view may differ from kook's bytes in key order (Jones writes its own
// order): only a different value is stale.
func (s *Store) surveyViews(c *survey, sn *snapshot) {
	sn.eachView(len(sn.order), func(_ int, e string, data, rec []byte) bool {
		node, env := sn.nodes[e], displayEnv(e)
		if node.null {
			p, version := s.confPath(sn.svc, e), node.version
			c.add(p, env, true, "null data: Jones's client and /export fail on it (kook reads it as {})")
			c.fixes = append(c.fixes, func(ctx context.Context) error { return s.setIfAt(ctx, p, []byte("{}"), version) })
		}
		vp := s.viewPath(sn.svc, e)
		switch {
		case !node.view.ok:
			c.add(vp, env, true, "the view is missing: hosts associated with %s get the root's view", env)
		case node.view.data == nil:
			c.add(vp, env, true, "the view has null data: Jones's client fails on it")
		default:
			got, err := decodeObject(vp, node.view.data)
			want, _ := ParseConfig(data)
			if err != nil || !model.Equal(got, want) {
				c.add(vp, env, true, "the view is stale: it is not the inheritance of the current configs")
			}
		}
		rp := s.recordPath(sn.svc, e)
		switch {
		case !node.rec.ok:
			c.add(rp, env, true, "no record of the config versions the view was computed from")
		case !bytes.Equal(node.rec.data, rec):
			c.add(rp, env, true, "the view was computed from configs at versions %s; they are at %s", node.rec.data, rec)
		}
		return true
	})
}

// surveyRecords reports records of environments that do not exist.
func (s *Store) surveyRecords(ctx context.Context, c *survey, sn *snapshot) error {
	names, err := s.children(ctx, s.sourcesPath(sn.svc))
	if err != nil {
		return err
	}
	for _, name := range names {
		p := s.sourcesPath(sn.svc) + "/" + name
		env, ok := unescapeEnv(name)
		switch {
		case !ok:
			c.add(p, "", false, "not a record kook writes")
		case sn.nodes[env] == nil:
			c.add(p, displayEnv(env), true, "a record of an environment that does not exist")
			c.fixes = append(c.fixes, func(ctx context.Context) error { return s.removeIfThere(ctx, p) })
		}
	}
	return nil
}

// surveyNodemap reports a nodemap Jones's code cannot read as kook does.
func (s *Store) surveyNodemap(ctx context.Context, c *survey, svc string) error {
	p := s.nodemapsPath(svc)
	z, err := s.get(ctx, p)
	if err != nil {
		return err
	}
	nm, perr := parseNodemap(z.data)
	switch {
	case !z.ok:
		c.add(p, "", true, "missing: Jones's client raises EnvironmentNotFoundException")
	case z.data == nil:
		c.add(p, "", true, "null data: Jones's client fails on it")
	case perr != nil:
		c.add(p, "", false, "%v", perr)
		return nil
	case nm.old:
		c.add(p, "", true, "in the line format of Jones 0.7 and earlier, which Jones 1.0's client cannot read")
	case bytes.Contains(z.data, []byte(oldSep)):
		c.add(p, "", false, "holds %q, so Jones takes it for its pre-1.0 line format and loses associations on its next write; rename what holds it", oldSep)
		return nil
	default:
		return nil
	}
	c.fixes = append(c.fixes, func(ctx context.Context) error { return s.rewriteNodemap(ctx, svc) })
	return nil
}

// rewriteNodemap writes the nodemap back as JSON, creating it if missing.
func (s *Store) rewriteNodemap(ctx context.Context, svc string) error {
	_, err := s.commit(ctx, "rewrite nodemaps of "+svc, func() (*zkconn.Txn, error) {
		nm, err := s.readNodemap(ctx, svc)
		if err != nil {
			return nil, err
		}
		t := s.conn.NewTxn()
		nm.write(t, s.nodemapsPath(svc))
		return t, nil
	})
	return err
}

// setIfAt writes data to p unless p changed since it was read at version.
// After a lost reply the set is tried again, and fails the version check
// if it was applied: that is success too.
func (s *Store) setIfAt(ctx context.Context, p string, data []byte, version int32) error {
	err := s.retry(ctx, func() error { _, err := s.conn.Set(ctx, p, data, version); return err })
	if errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNoNode) {
		return nil // someone else wrote it meanwhile, or this one did
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func (s *Store) removeIfThere(ctx context.Context, p string) error {
	err := s.retry(ctx, func() error { return s.conn.Delete(ctx, p, -1) })
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}
