package zkconn

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"sync"

	"github.com/go-zookeeper/zk"
)

// ACLDiff is a znode whose ACL is not the one a policy gives it.
type ACLDiff struct {
	Path string
	ACL  []zk.ACL // what it has
	Want []zk.ACL // what the policy gives it
}

// Weaker reports whether the znode's ACL lets someone do more than the
// policy allows (rather than only less).
func (d ACLDiff) Weaker() bool { return len(Extra(d.ACL, d.Want)) > 0 }

// walkParallel is how many znodes a walk reads at once.
const walkParallel = 16

// walk visits root and every znode below it, parents before children,
// reading each one's ACL and calling visit with it (and its ACL version);
// a znode deleted meanwhile is skipped. visit may change the ACL before
// the children are listed. Errors stop the walk.
func (c *Conn) walk(ctx context.Context, root string, visit func(p string, acl []zk.ACL, aversion int32) error) error {
	level := []string{root}
	for len(level) > 0 {
		var mu sync.Mutex
		var next []string
		errs := make([]error, len(level))
		sem := make(chan struct{}, walkParallel)
		var wg sync.WaitGroup
		for i, p := range level {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				acl, st, err := c.GetACL(ctx, p)
				if errors.Is(err, zk.ErrNoNode) {
					return
				}
				if err != nil {
					errs[i] = err
					return
				}
				if err := visit(p, acl, st.Aversion); err != nil {
					errs[i] = err
					return
				}
				if st.NumChildren == 0 {
					return
				}
				kids, _, err := c.Children(ctx, p)
				if errors.Is(err, zk.ErrNoNode) {
					return
				}
				if err != nil {
					errs[i] = err
					return
				}
				mu.Lock()
				for _, k := range kids {
					next = append(next, path.Join(p, k))
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		sort.Strings(next)
		level = next
	}
	return nil
}

// WalkACL calls fn with the ACL of root and of every znode below it,
// parents before children (a znode deleted meanwhile is skipped), one call
// at a time. An error from fn stops the walk.
func (c *Conn) WalkACL(ctx context.Context, root string, fn func(path string, acl []zk.ACL) error) error {
	var mu sync.Mutex
	return c.walk(ctx, root, func(p string, acl []zk.ACL, _ int32) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(p, acl)
	})
}

// DiffACL compares the ACL of root and of every znode below it with what
// p gives each, and returns those that differ, in walk order (parents
// first), with the number of znodes read. It reads every znode's ACL:
// about one round trip per 16 znodes.
func (c *Conn) DiffACL(ctx context.Context, root string, p *Policy) ([]ACLDiff, int, error) {
	var diffs []ACLDiff
	n := 0
	err := c.WalkACL(ctx, root, func(path string, acl []zk.ACL) error {
		want := p.For(path)
		n++
		if !SameACL(acl, want) {
			diffs = append(diffs, ACLDiff{Path: path, ACL: acl, Want: want})
		}
		return nil
	})
	sortDiffs(diffs)
	return diffs, n, err
}

// ApplyACL gives root and every znode below it the ACL p gives it, parents
// first, and calls changed for each znode it changed. A znode already
// right is left alone, so a second run changes nothing. It needs the
// ADMIN permission on every znode whose ACL it changes, and READ to list
// below it.
func (c *Conn) ApplyACL(ctx context.Context, root string, p *Policy, changed func(ACLDiff)) (int, error) {
	var mu sync.Mutex
	n := 0
	err := c.walk(ctx, root, func(path string, acl []zk.ACL, aversion int32) error {
		want := p.For(path)
		for !SameACL(acl, want) {
			_, err := c.SetACL(ctx, path, want, aversion)
			if err == nil {
				mu.Lock()
				n++
				changed(ACLDiff{Path: path, ACL: acl, Want: want})
				mu.Unlock()
				return nil
			}
			if !errors.Is(err, zk.ErrBadVersion) {
				return err
			}
			// Someone changed it meanwhile: look again.
			var st *zk.Stat
			if acl, st, err = c.GetACL(ctx, path); err != nil {
				return err
			}
			aversion = st.Aversion
		}
		return nil
	})
	return n, err
}

func sortDiffs(d []ACLDiff) {
	sort.SliceStable(d, func(i, j int) bool { return d[i].Path < d[j].Path })
}

// topLevels is how deep below its Check path a policy's check looks, and
// how many znodes it reads at most: the first write of every process pays
// for it.
const (
	topLevels = 2
	topMax    = 64
)

// beforeWrite runs the policy's Check once per connection, before its
// first write. An error from the policy's Mismatch fails that write and
// every later one.
func (c *Conn) beforeWrite(ctx context.Context) error {
	p := c.policy.Load()
	if p.Check == "" || p.Weaker == nil && p.Mismatch == nil {
		return nil
	}
	c.checked.Do(func() {
		if p.Mismatch != nil {
			acl, _, err := c.GetACL(ctx, p.Check)
			if want := p.For(p.Check); err == nil && !SameACL(acl, want) {
				c.checkErr = p.Mismatch(c, ACLDiff{Path: p.Check, ACL: acl, Want: want})
			}
		}
		if p.Weaker != nil {
			if weak, err := c.weakTop(ctx, p); err == nil && len(weak) > 0 {
				p.Weaker(weak)
			}
		}
	})
	return c.checkErr
}

// weakTop returns the znodes among p.Check and the topLevels below it
// whose ACL grants more than p gives them.
func (c *Conn) weakTop(ctx context.Context, p *Policy) ([]ACLDiff, error) {
	var weak []ACLDiff
	level := []string{p.Check}
	read := 0
	for depth := 0; depth <= topLevels && len(level) > 0 && read < topMax; depth++ {
		level = level[:min(len(level), topMax-read)]
		read += len(level)
		acls := make([][]zk.ACL, len(level))
		kids := make([][]string, len(level))
		var wg sync.WaitGroup
		for i, zp := range level {
			wg.Go(func() {
				acls[i], _, _ = c.GetACL(ctx, zp)
				if depth < topLevels {
					kids[i], _, _ = c.Children(ctx, zp)
				}
			})
		}
		wg.Wait()
		var next []string
		for i, zp := range level {
			if want := p.For(zp); acls[i] != nil && len(Extra(acls[i], want)) > 0 {
				weak = append(weak, ACLDiff{Path: zp, ACL: acls[i], Want: want})
			}
			for _, k := range kids[i] {
				next = append(next, path.Join(zp, k))
			}
		}
		sort.Strings(next)
		level = next
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check ACLs: %w", err)
	}
	return weak, nil
}
