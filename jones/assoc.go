package jones

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/model"
)

// legacySep separates host and view path in Jones 1.0's nodemaps lines.
const legacySep = " -> "

// nodemap is a service's nodemaps znode: host -> view path relative to the
// root, in stored order.
type nodemap struct {
	entries model.Map // values are strings
	z       znode
	legacy  bool // stored as Jones 1.0 lines; rewritten as JSON on the next change
}

func (s *Store) readNodemap(svc string) (*nodemap, error) {
	p := s.nodemapsPath(svc)
	z, err := s.get(p)
	if err != nil {
		return nil, err
	}
	entries, legacy, err := parseNodemap(z.data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &nodemap{entries: entries, z: z, legacy: legacy}, nil
}

// parseNodemap reads a JSON object of strings, or Jones 1.0's format: one
// "host -> /services/svc/views/env" per line. Either way a repeated host
// keeps its first position and last path, as Python's dict does.
func parseNodemap(data []byte) (entries model.Map, legacy bool, err error) {
	entries = model.Map{}
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return entries, false, nil
	}
	if text[0] == '{' {
		v, err := ParseConfig(text)
		if err != nil {
			return nil, false, fmt.Errorf("nodemaps: %w", err)
		}
		for _, e := range v {
			p, ok := e.Value.(string)
			if !ok {
				return nil, false, fmt.Errorf("nodemaps: host %q maps to %s, not a view path", e.Key, jsonKind(e.Value))
			}
			entries.Set(e.Key, p)
		}
		return entries, false, nil
	}
	if !utf8.Valid(data) {
		return nil, false, fmt.Errorf("nodemaps: not UTF-8")
	}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		host, p, ok := strings.Cut(line, legacySep)
		if !ok || strings.Contains(p, legacySep) {
			return nil, false, fmt.Errorf("nodemaps line %d: %q is not \"host%sview path\"", i+1, line, legacySep)
		}
		entries.Set(host, p)
	}
	return entries, true, nil
}

// write adds to t the write of entries as JSON, guarded by the version read.
func (nm *nodemap) write(t *txn, p string) {
	data := model.MarshalJSON(nm.entries)
	if nm.z.ok {
		t.set(p, data, nm.z.version)
	} else {
		t.create(p, data)
	}
}

// guard adds a check that the nodemap is still as read, so that a change
// that relies on who is (not) associated fails if that changes.
func (nm *nodemap) guard(t *txn, p string) {
	if nm.z.ok {
		t.check(p, nm.z.version)
	}
}

// hostsIn returns the hosts associated with top or an environment below it.
func (nm *nodemap) hostsIn(svc, top string) []string {
	var hosts []string
	for _, e := range nm.entries {
		if env, ok := envFromView(svc, e.Value.(string)); ok && within(env, top) {
			hosts = append(hosts, e.Key)
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
	_, err = s.commit(ctx, fmt.Sprintf("associate %s with %s %s", host, svc, displayEnv(env)), func() (*txn, error) {
		var conf znode
		var nm *nodemap
		err := each(2, func(i int) (err error) {
			if i == 0 {
				conf, err = s.get(s.confPath(svc, env))
			} else {
				nm, err = s.readNodemap(svc)
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
		if old, ok := nm.entries.Get(host); ok && old == want && !nm.legacy {
			return nil, nil
		}
		nm.entries.Set(host, want)
		t := &txn{}
		t.check(s.confPath(svc, env), conf.version) // env is not being deleted
		nm.write(t, s.nodemapsPath(svc))
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
	_, err := s.commit(ctx, fmt.Sprintf("unassociate %s from %s", host, svc), func() (*txn, error) {
		nm, err := s.readNodemap(svc)
		if err != nil {
			return nil, err
		}
		if !nm.entries.Delete(host) {
			return nil, fmt.Errorf("host %q has no association: %w", host, model.ErrNotFound)
		}
		t := &txn{}
		nm.write(t, s.nodemapsPath(svc))
		return t, nil
	})
	return err
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
	nm, err := s.readNodemap(svc)
	if err != nil {
		return nil, fmt.Errorf("associations of %s: %w", svc, err)
	}
	as := make(Assocs, 0, len(nm.entries))
	for _, e := range nm.entries {
		a := Assoc{Host: e.Key, View: e.Value.(string)}
		if env, ok := envFromView(svc, a.View); ok {
			a.Env = displayEnv(env)
		}
		as = append(as, a)
	}
	sort.Slice(as, func(i, j int) bool { return as[i].Host < as[j].Host })
	return as, nil
}

// checkHost refuses host names the legacy nodemaps format could not hold.
func checkHost(host string) error {
	switch {
	case host == "":
		return fmt.Errorf("empty host name")
	case !utf8.ValidString(host):
		return fmt.Errorf("host %q is not valid UTF-8", host)
	case strings.ContainsAny(host, "\n\r") || strings.Contains(host, legacySep):
		return fmt.Errorf("host %q contains a newline or %q", host, legacySep)
	}
	return nil
}
