package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// envCache keeps each service's tree of environments, which every service
// page shows: listing a tree of 1,000 environments costs 1,000 requests.
// A watch on the children of each environment drops the service's tree
// when one is created or deleted, by anyone; the server's own writes drop
// it at once. Each znode has at most one watch armed at a time, so watches
// do not pile up however often a tree is read again.
type envCache struct {
	conn *zkconn.Conn
	root string // of the Jones tree: "/kook"

	mu    sync.Mutex
	trees map[string]model.Map
	armed map[string]bool // paths with a children watch armed
	gen   map[string]int  // per service, bumped by each drop
}

func newEnvCache(conn *zkconn.Conn, root string) *envCache {
	root = strings.TrimRight(root, "/")
	return &envCache{conn: conn, root: root, trees: map[string]model.Map{}, armed: map[string]bool{}, gen: map[string]int{}}
}

func (c *envCache) drop(svc string) {
	c.mu.Lock()
	delete(c.trees, svc)
	c.gen[svc]++
	c.mu.Unlock()
}

// Envs returns svc's tree as jones.Store.Envs does; model.ErrNotFound if
// the service has no root config.
func (c *envCache) Envs(ctx context.Context, svc string) (model.Map, error) {
	c.mu.Lock()
	t, ok := c.trees[svc]
	gen := c.gen[svc]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	if svc == "" || strings.Contains(svc, "/") || svc == "." || svc == ".." {
		return nil, fmt.Errorf("service %q: not a valid name: %w", svc, model.ErrNotFound)
	}
	base := c.root + "/services/" + svc + "/conf"
	tree, err := c.walk(ctx, svc, base)
	if errors.Is(err, zk.ErrNoNode) && tree == nil {
		return nil, fmt.Errorf("service %q: %w", svc, model.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen[svc] == gen { // nothing changed while it was read
		c.trees[svc] = tree
	}
	c.mu.Unlock()
	return tree, nil
}

// walk lists the tree under base a level at a time, arming watches.
func (c *envCache) walk(ctx context.Context, svc, base string) (model.Map, error) {
	type node struct {
		path string
		m    *model.Map
	}
	var top model.Map
	level := []node{{base, &top}}
	first := true
	for len(level) > 0 {
		kids := make([][]string, len(level))
		errs := make([]error, len(level))
		sem := make(chan struct{}, 16)
		var wg sync.WaitGroup
		for i, n := range level {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				kids[i], errs[i] = c.children(ctx, svc, n.path)
			}()
		}
		wg.Wait()
		var next []node
		for i, n := range level {
			if errs[i] != nil {
				if first || !errors.Is(errs[i], zk.ErrNoNode) {
					if first {
						return nil, errs[i]
					}
					return top, errs[i]
				}
				continue // deleted meanwhile: its watch drops the tree
			}
			slices.Sort(kids[i])
			*n.m = make(model.Map, len(kids[i]))
			for j, k := range kids[i] {
				(*n.m)[j] = model.Entry{Key: k, Value: model.Map{}}
			}
			for j, k := range kids[i] {
				sub := model.Map{}
				(*n.m)[j].Value = &sub
				next = append(next, node{n.path + "/" + k, &sub})
			}
		}
		first = false
		level = next
	}
	return resolve(top), nil
}

// resolve turns the *model.Map placeholders walk leaves into values.
func resolve(m model.Map) model.Map {
	out := make(model.Map, len(m))
	for i, e := range m {
		sub := model.Map{}
		if p, ok := e.Value.(*model.Map); ok && *p != nil {
			sub = resolve(*p)
		}
		out[i] = model.Entry{Key: e.Key, Value: sub}
	}
	return out
}

// children lists p's children, arming a watch on them unless one is armed.
func (c *envCache) children(ctx context.Context, svc, p string) ([]string, error) {
	c.mu.Lock()
	armed := c.armed[p]
	if !armed {
		c.armed[p] = true
	}
	c.mu.Unlock()
	if armed {
		kids, _, err := c.conn.Children(ctx, p)
		return kids, err
	}
	kids, _, ev, err := c.conn.ChildrenW(ctx, p)
	if err != nil {
		c.mu.Lock()
		delete(c.armed, p)
		c.mu.Unlock()
		return nil, err
	}
	go func() {
		<-ev // a child created or deleted, the node deleted, or the watch lost
		c.mu.Lock()
		delete(c.armed, p)
		c.mu.Unlock()
		c.drop(svc)
	}()
	return kids, nil
}
