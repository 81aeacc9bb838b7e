package jones

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
)

// ErrNotEmpty is returned when deleting an environment that has child
// environments or associated hosts without force: model's sentinel, shared
// with the inventory's group removal.
var ErrNotEmpty = model.ErrNotEmpty

// Store reads and writes the configuration of every service under one root.
// It is safe for concurrent use; writers on other connections are expected
// and handled by retrying.
type Store struct {
	conn *zkconn.Conn
	root string // "" (the chroot itself) or "/kook"
	// who is recorded with every change (see As); keep and days are the
	// history's retention (see WithRetention).
	who        Attribution
	keep, days int
}

// NewStore returns a Store for the Jones tree under root, as zkstore takes
// it: "" means zkstore.DefaultRoot (/kook), "/" the top of conn's chroot.
// Nothing is read until a method is called.
func NewStore(conn *zkconn.Conn, root string) *Store {
	return &Store{conn: conn, root: cleanRoot(root)}
}

// cleanRoot applies zkstore's rule for roots and returns the prefix of the
// store's paths: "" for the top of the chroot.
func cleanRoot(root string) string {
	if root == "" {
		root = zkstore.DefaultRoot
	}
	root = strings.TrimRight(root, "/")
	if root != "" && !strings.HasPrefix(root, "/") {
		root = "/" + root
	}
	return root
}

// znode is the result of one Get; ok is false when the znode is missing.
// go-zookeeper returns nil data for a znode created with null data, and an
// empty slice for one with empty data.
type znode struct {
	data    []byte
	version int32
	ok      bool
}

func (s *Store) get(ctx context.Context, p string) (znode, error) {
	data, st, err := s.conn.Get(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		return znode{}, nil
	}
	if err != nil {
		return znode{}, fmt.Errorf("read %s: %w", p, err)
	}
	return znode{data: data, version: st.Version, ok: true}, nil
}

// children lists p's children sorted; a missing p has none.
func (s *Store) children(ctx context.Context, p string) ([]string, error) {
	kids, _, err := s.conn.Children(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", p, err)
	}
	sort.Strings(kids)
	return kids, nil
}

// readParallel is how many requests one call keeps in flight. go-zookeeper
// pipelines concurrent calls on one connection, so a level of a tree costs
// about one round trip instead of one per znode.
const readParallel = 16

// each runs fn(0..n-1) with up to readParallel in flight and returns the
// first error.
func each(n int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, readParallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// walk returns the paths of p's descendants relative to p ("a", "a/b"),
// parents before children, siblings sorted. A missing p has none.
func (s *Store) walk(ctx context.Context, p string) ([]string, error) {
	var all []string
	level := []string{""}
	for len(level) > 0 {
		kids := make([][]string, len(level))
		err := each(len(level), func(i int) error {
			var err error
			kids[i], err = s.children(ctx, envPath(p, level[i]))
			return err
		})
		if err != nil {
			return nil, err
		}
		var next []string
		for i, rel := range level {
			for _, k := range kids[i] {
				next = append(next, joinEnv(rel, k))
			}
		}
		all = append(all, next...)
		level = next
	}
	return preorder(all), nil
}

// preorder sorts env paths so that each follows its parent and siblings are
// in byte order.
func preorder(envs []string) []string {
	sort.Slice(envs, func(i, j int) bool {
		return strings.Compare(strings.ReplaceAll(envs[i], "/", "\x00"), strings.ReplaceAll(envs[j], "/", "\x00")) < 0
	})
	return envs
}

// decodeObject parses a conf or view znode: a JSON object, or nothing (Jones
// created some znodes empty).
func decodeObject(p string, data []byte) (model.Map, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return model.Map{}, nil
	}
	m, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// ParseConfig parses an environment's config: a JSON object whose values
// keep their types (1 and 1.0 differ) and key order.
func ParseConfig(data []byte) (model.Map, error) {
	v, err := model.UnmarshalJSON(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(model.Map)
	if !ok {
		return nil, fmt.Errorf("config must be a JSON object, not %s", jsonKind(v))
	}
	return m, nil
}

func jsonKind(v model.Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []model.Value:
		return "an array"
	case model.Vault:
		return "a vaulted string"
	}
	return "a number"
}

// Services returns the names of the services under the root, sorted. As
// for Jones, a service is one with a root config: Jones creates the
// nodemaps znode of any name it is asked about, which leaves strays without
// one.
func (s *Store) Services(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names, err := s.children(ctx, s.servicesPath())
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	found := make([]bool, len(names))
	err = each(len(names), func(i int) error {
		ok, _, err := s.conn.Exists(ctx, s.confPath(names[i], ""))
		found[i] = ok
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	svcs := []string{}
	for i, name := range names {
		if found[i] {
			svcs = append(svcs, name)
		}
	}
	return svcs, nil
}

// ensurePath creates p and its missing ancestors, the chroot included, with
// empty data. Not null data: kazoo returns None for that, on which Jones's
// /export fails.
func (s *Store) ensurePath(ctx context.Context, p string) error {
	if ok, _, err := s.conn.Exists(ctx, p); err == nil && ok {
		return nil
	}
	return s.conn.EnsurePath(ctx, p)
}

// Envs returns svc's environment tree as nested objects: each key is a
// child environment's name and its value that child's own tree; the top
// object is the root environment. {"child1": {"sib": {}}} holds the root,
// "child1" and "child1/sib". It returns model.ErrNotFound for a missing
// service.
func (s *Store) Envs(ctx context.Context, svc string) (model.Map, error) {
	if err := checkService(svc); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := s.get(ctx, s.confPath(svc, ""))
	if err == nil && !root.ok {
		err = serviceNotFound(svc)
	}
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	envs, err := s.walk(ctx, s.confPath(svc, ""))
	if err != nil {
		return nil, fmt.Errorf("list environments of %s: %w", svc, err)
	}
	kids := map[string][]string{}
	for _, e := range envs {
		kids[parentEnv(e)] = append(kids[parentEnv(e)], e)
	}
	var tree func(env string) model.Map
	tree = func(env string) model.Map {
		m := model.Map{}
		for _, k := range kids[env] {
			m = append(m, model.Entry{Key: k[strings.LastIndexByte(k, '/')+1:], Value: tree(k)})
		}
		return m
	}
	return tree(""), nil
}

func serviceNotFound(svc string) error {
	return fmt.Errorf("service %q: %w", svc, model.ErrNotFound)
}

func envNotFound(svc, env string) error {
	if env == "" {
		return serviceNotFound(svc)
	}
	return fmt.Errorf("environment %q of service %q: %w", env, svc, model.ErrNotFound)
}
