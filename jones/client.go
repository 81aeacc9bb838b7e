package jones

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// Client keeps one host's view of one service current, as a Jones client
// does: it looks the host up in the service's nodemaps, reads the view the
// association names (the root's when there is none, or when that view is
// missing) and watches both, following re-associations, view changes and
// ZooKeeper session expiry.
//
// One goroutine per Client does all the watching. go-zookeeper cannot cancel
// a watch, so the watch on a view the host left stays registered in the
// library until that view next changes; the Client keeps it and reuses it
// if the host comes back, so re-associating back and forth never adds more
// than one outstanding watch per view. (With a chroot, zkconn relays each
// outstanding watch's event through a goroutine of its own.)
type Client struct {
	conn     *zkconn.Conn
	svc      string
	host     string
	nodemaps string // paths relative to the chroot: root and Jones layout
	rootView string
	base     string // the root: nodemap entries are relative to it

	mu      sync.Mutex
	config  model.Map
	env     string // where config comes from, "" before the first read
	err     error
	cbs     []func(model.Map)
	watches map[string]<-chan zk.Event // outstanding watches by path
	arms    map[string]int             // watches set per path, for tests
	active  []string                   // paths whose watches the loop waits on

	stop context.CancelFunc // ends the goroutine
	done chan struct{}
}

// NewClient reads host's view of svc under root (as NewStore takes it) and
// keeps it current until Close. host "" means this machine's FQDN, as Jones
// clients default to. It returns model.ErrNotFound when svc has no root
// view.
func NewClient(ctx context.Context, conn *zkconn.Conn, root, svc, host string) (*Client, error) {
	return newClient(ctx, conn, cleanRoot(root), svc, host)
}

// newClient is NewClient with the root as the store keeps it.
func newClient(ctx context.Context, conn *zkconn.Conn, base, svc, host string) (*Client, error) {
	if err := checkService(svc); err != nil {
		return nil, err
	}
	if host == "" {
		host = FQDN()
	}
	c := &Client{
		conn:     conn,
		svc:      svc,
		host:     host,
		base:     base,
		nodemaps: base + jonesService(svc) + "/nodemaps",
		rootView: base + jonesView(svc, ""),
		watches:  map[string]<-chan zk.Event{},
		arms:     map[string]int{},
		done:     make(chan struct{}),
	}
	if _, err := c.refresh(ctx); err != nil {
		return nil, fmt.Errorf("config client for %s on %s: %w", svc, host, err)
	}
	loop, stop := context.WithCancel(context.Background())
	c.stop = stop
	go c.loop(loop)
	return c, nil
}

// Host returns the association key the client looks up.
func (c *Client) Host() string { return c.host }

// Get returns a copy of key's value in the current view.
func (c *Client) Get(key string) (model.Value, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.config.Get(key)
	return model.CloneValue(v), ok
}

// Config returns a copy of the current view.
func (c *Client) Config() model.Map {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.config.Clone()
}

// Env returns the environment the current view belongs to ("/" for the
// root).
func (c *Client) Env() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.env
}

// Err returns why the last refresh failed (ZooKeeper unreachable, the
// service deleted, a malformed znode), or nil. The client keeps serving the
// last view it read and retries.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// OnChange registers fn to be called with a copy of the view each time it
// changes, or the host moves to another environment. Calls come one at a
// time from the client's goroutine, so fn must not block for long, nor call
// Close.
func (c *Client) OnChange(fn func(model.Map)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cbs = append(c.cbs, fn)
}

// Close stops watching. It does not close the connection.
func (c *Client) Close() {
	c.stop()
	<-c.done
}

// loop refreshes when a watch fires, and after an error as zkconn's
// backoff says (or sooner, when a watch set before the error fires), until
// ctx ends.
func (c *Client) loop(ctx context.Context) {
	defer close(c.done)
	var retry <-chan time.Time
	attempt := 0
	for {
		c.mu.Lock()
		var chs [3]<-chan zk.Event // at most: nodemaps, target view, root view
		for i, p := range c.active {
			chs[i] = c.watches[p]
		}
		active := c.active
		c.mu.Unlock()
		fired := -1
		select {
		case <-ctx.Done():
			return
		case <-chs[0]:
			fired = 0
		case <-chs[1]:
			fired = 1
		case <-chs[2]:
			fired = 2
		case <-retry:
		}
		if fired >= 0 {
			c.mu.Lock()
			delete(c.watches, active[fired]) // a watch fires once
			c.mu.Unlock()
		}
		changed, err := c.refresh(ctx)
		if err != nil {
			retry = time.After(zkconn.BackoffDelay(attempt))
			attempt++
		} else {
			retry, attempt = nil, 0
		}
		if changed {
			c.notify()
		}
	}
}

func (c *Client) notify() {
	c.mu.Lock()
	cbs := c.cbs
	config := c.config
	c.mu.Unlock()
	for _, fn := range cbs {
		fn(config.Clone())
	}
}

// refresh re-reads the nodemap and the view it leads to, making sure each is
// watched, and reports whether the view or its environment changed.
func (c *Client) refresh(ctx context.Context) (changed bool, err error) {
	defer func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
	}()
	active := []string{c.nodemaps}
	target := c.rootView
	data, ok, err := c.read(ctx, c.nodemaps)
	if err != nil {
		return false, err
	}
	if ok {
		p, ok, err := lookupNodemap(data, c.host)
		if err != nil {
			return false, fmt.Errorf("%s: %w", c.nodemaps, err)
		}
		if ok && validPath(p) {
			target = c.base + p
		}
	}
	// A host whose view is missing reads the root's, as Jones clients do
	// for hosts without an association, and watches for its own to appear.
	var view string
	for _, p := range []string{target, c.rootView} {
		active = append(active, p)
		data, ok, err = c.read(ctx, p)
		if err != nil {
			return false, err
		}
		if ok {
			view = p
			break
		}
		if p == c.rootView {
			break
		}
	}
	c.mu.Lock()
	c.active = active
	c.mu.Unlock()
	c.prune()
	if view == "" {
		return false, fmt.Errorf("%s has no root view: %w", c.svc, serviceNotFound(c.svc))
	}
	conf, err := decodeObject(view, data)
	if err != nil {
		return false, err
	}
	env := envName(c.svc, strings.TrimPrefix(view, c.base))
	c.mu.Lock()
	defer c.mu.Unlock()
	changed = c.env != env || !model.EqualOrdered(conf, c.config)
	c.config, c.env = conf, env
	return changed, nil
}

// read returns p's data (ok false when p is missing) and leaves a watch on
// p outstanding: the one set earlier if it has not fired yet, else a new
// one. A data watch on an existing znode and an existence watch on a
// missing one both fire on p's next change.
func (c *Client) read(ctx context.Context, p string) (data []byte, ok bool, err error) {
	if c.pending(p) {
		data, _, err = c.conn.Get(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil, false, nil // the pending watch has fired meanwhile
		}
		return data, err == nil, err
	}
	data, _, ch, err := c.conn.GetW(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		var exists bool
		exists, _, ch, err = c.conn.ExistsW(ctx, p)
		if err == nil && exists { // created between the two calls
			data, _, err = c.conn.Get(ctx, p)
			ok = err == nil
		}
	} else {
		ok = err == nil
	}
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	c.watches[p] = ch
	c.arms[p]++
	c.mu.Unlock()
	return data, ok, nil
}

// pending reports whether p has a watch that has not fired yet.
func (c *Client) pending(p string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.watches[p]
	if !ok {
		return false
	}
	select {
	case <-ch:
		delete(c.watches, p)
		return false
	default:
		return true
	}
}

// prune forgets watches that fired on paths the client no longer waits on:
// the library has already dropped them.
func (c *Client) prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, ch := range c.watches {
		if isActive(c.active, p) {
			continue
		}
		select {
		case <-ch:
			delete(c.watches, p)
		default:
		}
	}
}

func isActive(active []string, p string) bool {
	for _, a := range active {
		if a == p {
			return true
		}
	}
	return false
}

// outstanding returns how many watches the client holds, and how many it
// has set on p; for tests.
func (c *Client) outstanding(p string) (held, armed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.watches), c.arms[p]
}

// Watch calls fn with the environment and view host sees of svc, first as
// they are and then after each change, until ctx is done (Watch then returns
// nil) or fn returns an error. Changes that come faster than fn handles them
// are coalesced: fn always gets the latest view. host "" means this
// machine's FQDN.
func (s *Store) Watch(ctx context.Context, svc, host string, fn func(env string, view model.Map) error) error {
	c, err := newClient(ctx, s.conn, s.root, svc, host)
	if err != nil {
		return err
	}
	defer c.Close()
	kick := make(chan struct{}, 1)
	c.OnChange(func(model.Map) {
		select {
		case kick <- struct{}{}:
		default:
		}
	})
	for {
		if err := fn(c.Env(), c.Config()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		}
	}
}
