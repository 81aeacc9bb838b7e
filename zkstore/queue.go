package zkstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kook-project/kook/zkconn"
)

// The writer queue: fairness for writers that keep losing races.
//
// Every writer checks head's version in its multi, so when many write at
// once one wins each round and the others start over. A loser backs off
// for a random time that doubles with each loss (zkconn.Backoff), so a
// writer that lost a few times waits longest while newcomers get in: with
// 20 processes adding hosts to 100,000, one edit waited 6 s in a round
// that took 6.5 s in all. So a writer that has lost queueAfter races takes
// a number in a queue (an ephemeral sequential znode under
// <root>/inventory/queue) and, once the writers queued before it are gone,
// tries again at once instead of backing off. A writer that has not lost
// does not queue: an edit without contention costs nothing more.
//
// The queue only orders attempts. Every attempt is still version-checked,
// so a writer that does not queue (an older kook, a hand edit) is never
// clobbered; it only gets in first. A queued writer waits for each writer
// before it at most queueWait, so a number left behind (by a session that
// lost the reply to its delete and lives on) delays the queue once, never
// blocks it.

const (
	queueAfter = 2
	queueWait  = 2 * time.Second
)

// ticket is a writer's place in the queue.
type ticket struct {
	s       *Store
	name    string          // its znode's name in queueDir
	skipped map[string]bool // writers before it that it stopped waiting for
}

func (s *Store) queueDir() string { return path.Join(s.base(), "queue") }

// enqueue takes a number in the queue.
func (s *Store) enqueue(ctx context.Context) (*ticket, error) {
	if err := s.conn.EnsurePath(ctx, s.queueDir()); err != nil {
		return nil, err
	}
	// The session and a random number make the name ours alone, so that a
	// number whose create lost its reply can be found and dropped.
	prefix := fmt.Sprintf("w-%x-%x-", s.conn.SessionID(), rand.Uint64())
	made, err := s.conn.CreateEphemeralSequential(ctx, path.Join(s.queueDir(), prefix), nil)
	if err != nil {
		if zkconn.IsMaybeApplied(err) {
			s.dropTickets(ctx, prefix)
		}
		return nil, fmt.Errorf("take a number in %s: %w", s.queueDir(), err)
	}
	return &ticket{s: s, name: path.Base(made), skipped: map[string]bool{}}, nil
}

// dropTickets deletes the numbers whose names start with prefix: only the
// writer that chose prefix holds them.
func (s *Store) dropTickets(ctx context.Context, prefix string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queueWait)
	defer cancel()
	kids, _, err := s.conn.Children(ctx, s.queueDir())
	if err != nil {
		return
	}
	for _, k := range kids {
		if strings.HasPrefix(k, prefix) {
			s.conn.Delete(ctx, path.Join(s.queueDir(), k), -1)
		}
	}
}

// wait returns once no writer queued before t is left (or t has waited
// queueWait for each that is), or when ctx is done. held is false when
// t's own number is gone (its session expired): the writer then takes a
// new one.
func (t *ticket) wait(ctx context.Context) (held bool, err error) {
	dir := t.s.queueDir()
	for {
		kids, _, err := t.s.conn.Children(ctx, dir)
		if err != nil {
			return true, fmt.Errorf("read %s: %w", dir, err)
		}
		if !slices.Contains(kids, t.name) {
			return false, nil
		}
		pred, ok := t.predecessor(kids)
		if !ok {
			return true, nil
		}
		exists, _, gone, err := t.s.conn.ExistsW(ctx, path.Join(dir, pred))
		if err != nil {
			return true, fmt.Errorf("read %s: %w", path.Join(dir, pred), err)
		}
		if !exists {
			continue
		}
		timer := time.NewTimer(queueWait)
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
func (t *ticket) predecessor(kids []string) (string, bool) {
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

// leave gives up t's place.
func (t *ticket) leave(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queueWait)
	defer cancel()
	t.s.conn.Delete(ctx, path.Join(t.s.queueDir(), t.name), -1)
}
