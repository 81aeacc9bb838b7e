package jones

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

func (s *Store) readNodemap(ctx context.Context, svc string) (*nodemap, error) {
	p := s.nodemapsPath(svc)
	z, err := s.get(ctx, p)
	if err != nil {
		return nil, err
	}
	nm, err := parseNodemap(z.data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	nm.z = z
	return nm, nil
}

// write adds to t the write of the map as JSON, guarded by the version
// read.
func (nm *nodemap) write(t *zkconn.Txn, p string) { writeNodemap(t, p, nm.z, nm.marshal()) }

// guard adds a check that the nodemap is still as read, so that a change
// that relies on who is (not) associated fails if that changes.
func (nm *nodemap) guard(t *zkconn.Txn, p string) {
	if nm.z.ok {
		t.Check(p, nm.z.version)
	}
}

// hostsIn returns the hosts associated with top or an environment below it.
func (nm *nodemap) hostsIn(svc, top string) []string {
	var hosts []string
	for i, p := range nm.paths {
		if env, ok := envFromView(svc, p); ok && within(env, top) {
			hosts = append(hosts, nm.hosts[i])
		}
	}
	return hosts
}

// Assoc associates host with env: host's clients then read env's view. A
// host has at most one association; a new one replaces the old. It returns
// model.ErrNotFound for a missing environment.
func (s *Store) Assoc(ctx context.Context, svc, host, env string) error {
	env, err := checkArgs(svc, env)
	if err != nil {
		return err
	}
	if err := checkHost(host); err != nil {
		return err
	}
	if err := checkNewName("service", svc); err != nil {
		return err
	}
	if err := checkNewName("environment", env); err != nil {
		return err
	}
	_, err = s.commit(ctx, fmt.Sprintf("associate %s with %s %s", host, svc, displayEnv(env)), func() (*zkconn.Txn, error) {
		var conf, nm znode
		err := each(2, func(i int) (err error) {
			if i == 0 {
				conf, err = s.get(ctx, s.confPath(svc, env))
			} else {
				nm, err = s.get(ctx, s.nodemapsPath(svc))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if !conf.ok {
			return nil, envNotFound(svc, env)
		}
		want := jonesView(svc, env)
		data, _, err := s.editNodemap(svc, nm, host, &want)
		if err != nil || data == nil {
			return nil, err
		}
		old, _, _ := lookupNodemap(nm.data, host)
		t := s.conn.NewTxn()
		t.Check(s.confPath(svc, env), conf.version) // env is not being deleted
		writeNodemap(t, s.nodemapsPath(svc), nm, data)
		ch := &Change{Op: "assoc", Assocs: []AssocChange{{Host: host, Before: old, After: want}}}
		if _, err := s.record(ctx, t, svc, ch, room(t)); err != nil {
			return nil, err
		}
		return t, nil
	})
	return err
}

// Unassoc removes host's association; its clients then read the root view.
// It returns model.ErrNotFound if host has no association.
func (s *Store) Unassoc(ctx context.Context, svc, host string) error {
	if err := checkService(svc); err != nil {
		return err
	}
	_, err := s.commit(ctx, fmt.Sprintf("unassociate %s from %s", host, svc), func() (*zkconn.Txn, error) {
		nm, err := s.get(ctx, s.nodemapsPath(svc))
		if err != nil {
			return nil, err
		}
		data, found, err := s.editNodemap(svc, nm, host, nil)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("host %q has no association: %w", host, model.ErrNotFound)
		}
		// One setData of less than the server took before: it fits. With
		// its record it is a multi, which must stay under kook's limit: a
		// map too close to the server's for that is written without one,
		// so that it can always shrink.
		old, _, _ := lookupNodemap(nm.data, host)
		t := s.conn.NewTxn()
		writeNodemap(t, s.nodemapsPath(svc), nm, data)
		ch := &Change{Op: "unassoc", Assocs: []AssocChange{{Host: host, Before: old}}}
		if _, err := s.record(ctx, t, svc, ch, room(t)); err != nil {
			return nil, err
		}
		return t, nil
	})
	return err
}

// editNodemap returns the nodemap read as z with host's entry set to *p,
// or removed when p is nil, and whether host had an entry. data is nil when
// nothing changes. A map in the old line format is always rewritten, as
// JSON.
func (s *Store) editNodemap(svc string, z znode, host string, p *string) (data []byte, found bool, err error) {
	data, found, ok, err := editNodemap(z.data, host, p)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", s.nodemapsPath(svc), err)
	}
	if ok {
		return data, found, nil
	}
	nm, err := parseNodemap(z.data)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", s.nodemapsPath(svc), err)
	}
	_, found = nm.get(host)
	if p != nil {
		nm.set(host, *p)
	} else {
		nm.remove(host)
	}
	return nm.marshal(), found, nil
}

// writeNodemap adds to t the write of data, guarded by the version read.
// A map that shrinks can always be written back (zkconn.Txn.SetSmaller).
func writeNodemap(t *zkconn.Txn, p string, z znode, data []byte) {
	if z.ok {
		t.SetSmaller(p, data, z.version, len(z.data))
	} else {
		t.Create(p, data)
	}
}

// Assoc is one host's association.
type Assoc struct {
	Host string
	Env  string // "/" for the root; "" when View is not a view of the service
	View string // the view path as stored, relative to the root
}

// Assocs is a service's associations sorted by host.
type Assocs []Assoc

// MarshalJSON renders the associations as {"host": "env"}; a host whose
// stored path is not a view of the service maps to that path.
func (as Assocs) MarshalJSON() ([]byte, error) {
	m := make(model.Map, 0, len(as))
	for _, a := range as {
		env := a.Env
		if env == "" {
			env = a.View
		}
		m = append(m, model.Entry{Key: a.Host, Value: env})
	}
	return model.MarshalJSON(m), nil
}

// Assocs returns svc's associations, sorted by host. A service without a
// nodemaps znode has none.
func (s *Store) Assocs(ctx context.Context, svc string) (Assocs, error) {
	if err := checkService(svc); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	nm, err := s.readNodemap(ctx, svc)
	if err != nil {
		return nil, fmt.Errorf("associations of %s: %w", svc, err)
	}
	as := make(Assocs, 0, nm.len())
	for i, h := range nm.hosts {
		a := Assoc{Host: h, View: nm.paths[i]}
		if env, ok := envFromView(svc, a.View); ok {
			a.Env = displayEnv(env)
		}
		as = append(as, a)
	}
	sort.Slice(as, func(i, j int) bool { return as[i].Host < as[j].Host })
	return as, nil
}

// checkHost refuses host names that the line format of Jones ≤ 0.7 cannot
// hold, or that would make Jones 1.0 take a JSON nodemap for that format.
func checkHost(host string) error {
	switch {
	case host == "":
		return fmt.Errorf("empty host name")
	case !utf8.ValidString(host):
		return fmt.Errorf("host %q is not valid UTF-8", host)
	case strings.ContainsAny(host, "\n\r") || strings.Contains(host, oldSep):
		return fmt.Errorf("host %q contains a newline or %q", host, oldSep)
	}
	return nil
}
