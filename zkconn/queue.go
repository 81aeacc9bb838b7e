package zkconn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"
)

// A queue, ZooKeeper's recipe, for writers that keep losing races to one
// another: each takes a number (an ephemeral sequential znode in a
// directory) and waits until the writers numbered before it are gone. It
// only orders the writers that take part; it is not a lock, and what they
// write must still be version-checked. A writer waits for each one before
// it at most QueueWait, so a number left behind (by a session that lost
// the reply to its delete and lives on) delays the queue once, never
// blocks it.

// QueueWait is the longest a queued writer waits for one before it.
const QueueWait = 2 * time.Second

// Ticket is a writer's place in a queue.
type Ticket struct {
	c       *Conn
	dir     string
	name    string          // its znode's name in dir
	skipped map[string]bool // writers before it that it stopped waiting for
}

// Enqueue takes a number in the queue in dir (created if need be).
func (c *Conn) Enqueue(ctx context.Context, dir string) (*Ticket, error) {
	if err := c.EnsurePath(ctx, dir); err != nil {
		return nil, err
	}
	// The session and a random number make the name ours alone, so that a
	// number whose create lost its reply can be found and dropped.
	prefix := fmt.Sprintf("w-%x-%x-", c.SessionID(), rand.Uint64())
	made, err := c.CreateEphemeralSequential(ctx, path.Join(dir, prefix), nil)
	if err != nil {
		if IsMaybeApplied(err) {
			c.dropTickets(ctx, dir, prefix)
		}
		return nil, fmt.Errorf("take a number in %s: %w", dir, err)
	}
	return &Ticket{c: c, dir: dir, name: path.Base(made), skipped: map[string]bool{}}, nil
}

// dropTickets deletes the numbers in dir whose names start with prefix:
// only the writer that chose prefix holds them.
func (c *Conn) dropTickets(ctx context.Context, dir, prefix string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), QueueWait)
	defer cancel()
	kids, _, err := c.Children(ctx, dir)
	if err != nil {
		return
	}
	for _, k := range kids {
		if strings.HasPrefix(k, prefix) {
			c.Delete(ctx, path.Join(dir, k), -1)
		}
	}
}

// Wait returns once no writer queued before t is left (or t has waited
// QueueWait for each that is), or when ctx is done. held is false when
// t's own number is gone (its session expired): the writer then takes a
// new one.
func (t *Ticket) Wait(ctx context.Context) (held bool, err error) {
	for {
		kids, _, err := t.c.Children(ctx, t.dir)
		if err != nil {
			return true, fmt.Errorf("read %s: %w", t.dir, err)
		}
		if !slices.Contains(kids, t.name) {
			return false, nil
		}
		pred, ok := t.predecessor(kids)
		if !ok {
			return true, nil
		}
		exists, _, gone, err := t.c.ExistsW(ctx, path.Join(t.dir, pred))
		if err != nil {
			return true, fmt.Errorf("read %s: %w", path.Join(t.dir, pred), err)
		}
		if !exists {
			continue
		}
		timer := time.NewTimer(QueueWait)
		select {
		case <-gone:
		case <-timer.C:
			t.skipped[pred] = true
		case <-ctx.Done():
			timer.Stop()
			return true, ctx.Err()
		}
		timer.Stop()
	}
}

// predecessor returns the writer queued just before t that t still waits
// for. ZooKeeper's counter is the name's last ten digits. If t's own
// number is gone (its session expired), nothing is before it.
func (t *Ticket) predecessor(kids []string) (string, bool) {
	seq := func(name string) string { return name[max(len(name)-10, 0):] }
	mine := seq(t.name)
	if !slices.Contains(kids, t.name) {
		return "", false
	}
	var pred string
	for _, k := range kids {
		if s := seq(k); s < mine && !t.skipped[k] && (pred == "" || s > seq(pred)) {
			pred = k
		}
	}
	return pred, pred != ""
}

// Leave gives up t's place.
func (t *Ticket) Leave(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), QueueWait)
	defer cancel()
	t.c.Delete(ctx, path.Join(t.dir, t.name), -1)
}
