package zkconn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"
)

// This file holds Conn's operations on znodes: each takes a context, works
// on chroot-relative paths, and turns ZooKeeper's NoAuth into a
// PermissionError naming the role it needs.

// call runs fn and returns its result, or ctx's error as soon as ctx is
// done: go-zookeeper's calls block until a reply or a connection loss and
// take no context. The call goes on in the background; a write abandoned
// so may still be applied.
func call[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	if ctx.Done() == nil {
		return fn()
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

type getResult struct {
	data []byte
	stat *zk.Stat
}

// Get returns a znode's data and stat.
func (c *Conn) Get(ctx context.Context, p string) ([]byte, *zk.Stat, error) {
	r, err := call(ctx, func() (getResult, error) {
		data, st, err := c.zk.Get(c.abs(p))
		return getResult{data, st}, err
	})
	return r.data, r.stat, c.denied(err, "read", p, "reader")
}

type watchResult struct {
	data []byte
	kids []string
	ok   bool
	stat *zk.Stat
	ch   <-chan zk.Event
}

// GetW is Get with a watch.
func (c *Conn) GetW(ctx context.Context, p string) ([]byte, *zk.Stat, <-chan zk.Event, error) {
	r, err := call(ctx, func() (watchResult, error) {
		data, st, ch, err := c.zk.GetW(c.abs(p))
		return watchResult{data: data, stat: st, ch: ch}, err
	})
	return r.data, r.stat, c.relEvents(r.ch), c.denied(err, "read", p, "reader")
}

// Children lists a znode's children.
func (c *Conn) Children(ctx context.Context, p string) ([]string, *zk.Stat, error) {
	r, err := call(ctx, func() (watchResult, error) {
		kids, st, err := c.zk.Children(c.abs(p))
		return watchResult{kids: kids, stat: st}, err
	})
	return r.kids, r.stat, c.denied(err, "list", p, "reader")
}

// ChildrenW is Children with a watch.
func (c *Conn) ChildrenW(ctx context.Context, p string) ([]string, *zk.Stat, <-chan zk.Event, error) {
	r, err := call(ctx, func() (watchResult, error) {
		kids, st, ch, err := c.zk.ChildrenW(c.abs(p))
		return watchResult{kids: kids, stat: st, ch: ch}, err
	})
	return r.kids, r.stat, c.relEvents(r.ch), c.denied(err, "list", p, "reader")
}

// Exists reports whether a znode exists.
func (c *Conn) Exists(ctx context.Context, p string) (bool, *zk.Stat, error) {
	r, err := call(ctx, func() (watchResult, error) {
		ok, st, err := c.zk.Exists(c.abs(p))
		return watchResult{ok: ok, stat: st}, err
	})
	return r.ok, r.stat, err
}

// ExistsW is Exists with a watch.
func (c *Conn) ExistsW(ctx context.Context, p string) (bool, *zk.Stat, <-chan zk.Event, error) {
	r, err := call(ctx, func() (watchResult, error) {
		ok, st, ch, err := c.zk.ExistsW(c.abs(p))
		return watchResult{ok: ok, stat: st, ch: ch}, err
	})
	return r.ok, r.stat, c.relEvents(r.ch), err
}

// Create creates a persistent znode with the ACL the connection's policy
// gives p. Nil data is stored as empty, not null: Jones's Python client
// (kazoo) reads a null znode as None.
func (c *Conn) Create(ctx context.Context, p string, data []byte) error {
	_, err := c.createFlags(ctx, p, data, 0)
	return err
}

// CreateEphemeral creates an ephemeral znode, which ZooKeeper deletes
// when the session ends, and returns its path.
func (c *Conn) CreateEphemeral(ctx context.Context, p string, data []byte) (string, error) {
	return c.createFlags(ctx, p, data, zk.FlagEphemeral)
}

// CreateEphemeralSequential creates an ephemeral znode named prefix
// followed by a counter ZooKeeper assigns, and returns its path. After a
// lost reply the znode may exist: prefix should hold something unique to
// the caller, so that it can find it (see zkstore's writer queue).
func (c *Conn) CreateEphemeralSequential(ctx context.Context, prefix string, data []byte) (string, error) {
	return c.createFlags(ctx, prefix, data, zk.FlagEphemeral|zk.FlagSequence)
}

// createFlags creates p with ZooKeeper's create flags and the ACL the
// policy gives p, and returns the path created.
func (c *Conn) createFlags(ctx context.Context, p string, data []byte, flags int32) (string, error) {
	if data == nil {
		data = []byte{}
	}
	if err := c.beforeWrite(ctx); err != nil {
		return "", err
	}
	acl := c.policy.Load().For(p)
	made, err := call(ctx, func() (string, error) { return c.zk.Create(c.abs(p), data, flags, acl) })
	return c.rel(made), c.denied(err, "create", p, "writer")
}

// Set writes a znode's data if its version matches (-1: any).
func (c *Conn) Set(ctx context.Context, p string, data []byte, version int32) (*zk.Stat, error) {
	if err := c.beforeWrite(ctx); err != nil {
		return nil, err
	}
	st, err := call(ctx, func() (*zk.Stat, error) { return c.zk.Set(c.abs(p), data, version) })
	return st, c.denied(err, "set", p, "writer")
}

// Delete removes a znode if its version matches (-1: any).
func (c *Conn) Delete(ctx context.Context, p string, version int32) error {
	if err := c.beforeWrite(ctx); err != nil {
		return err
	}
	_, err := call(ctx, func() (struct{}, error) { return struct{}{}, c.zk.Delete(c.abs(p), version) })
	return c.denied(err, "delete", p, "writer")
}

// GetACL returns a znode's ACL and stat.
func (c *Conn) GetACL(ctx context.Context, p string) ([]zk.ACL, *zk.Stat, error) {
	type res struct {
		acl  []zk.ACL
		stat *zk.Stat
	}
	r, err := call(ctx, func() (res, error) {
		acl, st, err := c.zk.GetACL(c.abs(p))
		return res{acl, st}, err
	})
	return r.acl, r.stat, c.denied(err, "read the ACL of", p, "reader")
}

// SetACL replaces a znode's ACL if its ACL version matches (-1: any).
func (c *Conn) SetACL(ctx context.Context, p string, acl []zk.ACL, version int32) (*zk.Stat, error) {
	st, err := call(ctx, func() (*zk.Stat, error) { return c.zk.SetACL(c.abs(p), acl, version) })
	return st, c.denied(err, "set the ACL of", p, "admin")
}

// EnsurePath creates p and its missing ancestors (the chroot included) with
// empty data and the ACL the connection's policy gives each. Existing
// znodes are left alone.
func (c *Conn) EnsurePath(ctx context.Context, p string) error {
	if err := c.beforeWrite(ctx); err != nil {
		return err
	}
	policy := c.policy.Load()
	c.mu.Lock()
	rootMade := c.rootMade
	c.mu.Unlock()
	full := c.abs(p)
	start := 0
	if rootMade {
		start = len(c.chroot)
	}
	for i := start + 1; i <= len(full); i++ {
		if i < len(full) && full[i] != '/' {
			continue
		}
		for attempt := 0; ; attempt++ {
			acl := policy.ACL
			if i >= len(c.chroot) {
				acl = policy.For(c.rel(full[:i]))
			}
			_, err := call(ctx, func() (string, error) { return c.zk.Create(full[:i], []byte{}, 0, acl) })
			if errors.Is(err, zk.ErrNoAuth) {
				// An ancestor that exists under a parent that refuses us
				// creates (a chroot an administrator made) is no error.
				var ok bool
				ok, err = call(ctx, func() (bool, error) { ok, _, err := c.zk.Exists(full[:i]); return ok, err })
				if err == nil && !ok {
					err = zk.ErrNoAuth
				}
			}
			if err == nil || errors.Is(err, zk.ErrNodeExists) {
				break
			}
			// A lost reply or a lost connection: the create may have
			// been applied; try again, an existing znode is success.
			if !IsTransient(err) {
				if errors.Is(err, zk.ErrNoAuth) {
					return c.denied(err, "create", c.rel(full[:i]), "writer")
				}
				return fmt.Errorf("create %s: %w", full[:i], err)
			}
			if err := c.WaitSession(ctx); err != nil {
				return fmt.Errorf("create %s: %w", full[:i], err)
			}
		}
	}
	c.mu.Lock()
	c.rootMade = true
	c.mu.Unlock()
	return nil
}

// DeleteAll deletes p and everything below it. A missing p is not an error.
func (c *Conn) DeleteAll(ctx context.Context, p string) error {
	kids, _, err := c.Children(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := c.DeleteAll(ctx, strings.TrimSuffix(p, "/")+"/"+k); err != nil {
			return err
		}
	}
	err = c.Delete(ctx, p, -1)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return err
}

// relEvents rewrites watch event paths to be chroot-relative.
func (c *Conn) relEvents(ch <-chan zk.Event) <-chan zk.Event {
	if ch == nil || c.chroot == "" {
		return ch
	}
	out := make(chan zk.Event, 1)
	go func() {
		for ev := range ch {
			ev.Path = c.rel(ev.Path)
			out <- ev
		}
		close(out)
	}()
	return out
}
