package jones

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// errRetry marks a read that saw the tree change under it (a child listed
// but gone by the time it was read); the change is planned again.
var errRetry = errors.New("tree changed while reading")

// isConflict reports whether err means another writer got in between this
// change's reads and its multi, so that planning it again may succeed.
func isConflict(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists) ||
		errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNotEmpty) || errors.Is(err, errRetry)
}

// again runs step until it succeeds or fails for good. A step that lost a
// race to another writer (isConflict), or whose write was not applied,
// runs again after zkconn.Backoff; one that lost the connection, once
// there is a session again. It gives up when ctx ends, with an error
// wrapping ctx's and, when it was losing races, model.ErrConflict.
func (s *Store) again(ctx context.Context, step func() error) error {
	var lost error // the last race lost
	for attempt := 0; ; attempt++ {
		err := step()
		switch {
		case err == nil || errors.Is(err, zkconn.ErrOutcomeUnknown):
			return err
		case isConflict(err) || errors.Is(err, zkconn.ErrNotApplied):
			lost = err
		case zkconn.IsTransient(err):
			if werr := s.conn.WaitSession(ctx); werr != nil {
				return fmt.Errorf("%w; %w", err, werr)
			}
		default:
			return err
		}
		if err := zkconn.Backoff(ctx, attempt); err != nil {
			if lost == nil {
				return err
			}
			return fmt.Errorf("other writers kept changing the service (%d attempts, last: %v): %w: %w",
				attempt+1, lost, model.ErrConflict, err)
		}
	}
}

// commit plans a change from fresh reads and runs it as one multi, planning
// again (see again) when another writer got in first. A nil or empty txn
// means there is nothing to write. Errors are wrapped with what; a change
// too large for one request wraps model.ErrTooLarge, with nothing written.
//
// A multi whose reply is lost may have been applied: commit reads back what
// it wrote (zkconn.Conn.Applied) and returns the responses as read if it
// was, plans again if it was not, and fails with an error for which
// zkconn.IsMaybeApplied holds if it cannot tell. The responses of
// sequential creates read back are empty.
func (s *Store) commit(ctx context.Context, what string, plan func() (*zkconn.Txn, error)) ([]zk.MultiResponse, error) {
	var res []zk.MultiResponse
	err := s.again(ctx, func() error {
		res = nil
		t, err := plan()
		if err != nil || t == nil || t.Len() == 0 {
			return err
		}
		if !t.Fits() {
			return fmt.Errorf("the change needs one request of %d operations, %d bytes, over the %d kook sends to ZooKeeper: %w",
				t.Len(), t.Size(), t.Limit(), model.ErrTooLarge)
		}
		if res, err = s.conn.Commit(ctx, t); !zkconn.IsMaybeApplied(err) {
			return err
		}
		noReply := err
		if res, err = s.conn.Applied(ctx, t); err != nil && !errors.Is(err, zkconn.ErrNotApplied) {
			return fmt.Errorf("no reply (%w), and reading back what it wrote: %w", noReply, err)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// retry runs what is safe to repeat (reads, an unconditional delete, a
// version-checked set) until no connection loss interrupts it or ctx ends.
func (s *Store) retry(ctx context.Context, write func() error) error {
	for {
		err := write()
		if err == nil || !zkconn.IsTransient(err) && !zkconn.IsMaybeApplied(err) || ctx.Err() != nil {
			return err
		}
		if err := s.conn.WaitSession(ctx); err != nil {
			return err
		}
	}
}
