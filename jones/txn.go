package jones

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/model"
)

// MaxTxnBytes bounds the estimated size of one transaction. ZooKeeper's
// jute.maxbuffer (1 MiB by default) applies to a whole multi request, and
// a server that receives a larger one drops the connection rather than
// answering, so a change that would not fit is refused before it is sent.
const MaxTxnBytes = 960 << 10

// opOverhead over-estimates the bytes one multi op adds besides its path
// and data: op header, length prefixes, version, flags and one ACL.
const opOverhead = 96

// maxAttempts bounds how often a change is re-read and retried after losing
// a race with another writer.
const maxAttempts = 40

// errRetry marks a read that saw the tree change under it (a child listed
// but gone by the time it was read); the change is planned again.
var errRetry = errors.New("tree changed while reading")

// txn is one planned multi.
type txn struct {
	ops  []any
	size int
}

func (t *txn) add(op any, p string, data []byte) int {
	t.ops = append(t.ops, op)
	t.size += opOverhead + len(p) + len(data)
	return len(t.ops) - 1
}

func (t *txn) check(p string, version int32) {
	t.add(&zk.CheckVersionRequest{Path: p, Version: version}, p, nil)
}

// set returns the op's index, whose response carries the new version.
func (t *txn) set(p string, data []byte, version int32) int {
	return t.add(&zk.SetDataRequest{Path: p, Data: data, Version: version}, p, data)
}

func (t *txn) create(p string, data []byte) {
	t.add(&zk.CreateRequest{Path: p, Data: data}, p, data)
}

func (t *txn) remove(p string, version int32) {
	t.add(&zk.DeleteRequest{Path: p, Version: version}, p, nil)
}

// isConflict reports whether err means another writer got in between this
// change's reads and its multi, so that planning it again may succeed.
func isConflict(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists) ||
		errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNotEmpty) || errors.Is(err, errRetry)
}

// commit plans a change from fresh reads and runs it as one multi, planning
// again when another writer got in first. A nil or empty txn means there is
// nothing to write. Errors are wrapped with what; after maxAttempts lost
// races the error wraps model.ErrConflict, and a change too large for one
// multi wraps model.ErrTooLarge without anything written.
func (s *Store) commit(ctx context.Context, what string, plan func() (*txn, error)) ([]zk.MultiResponse, error) {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		t, err := plan()
		if err == nil && (t == nil || len(t.ops) == 0) {
			return nil, nil
		}
		if err == nil {
			if t.size > MaxTxnBytes {
				return nil, fmt.Errorf("%s: the change needs one transaction of %d operations, about %d KiB, over the %d KiB ZooKeeper accepts: %w",
					what, len(t.ops), t.size>>10, MaxTxnBytes>>10, model.ErrTooLarge)
			}
			var res []zk.MultiResponse
			if res, err = s.conn.Multi(t.ops...); err == nil {
				return res, nil
			}
		}
		if !isConflict(err) {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if attempt == maxAttempts {
			return nil, fmt.Errorf("%s: other writers kept changing the service (%d attempts, last: %v): %w",
				what, attempt, err, model.ErrConflict)
		}
		// Jitter keeps writers that collided from colliding again in step.
		d := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(d):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}
