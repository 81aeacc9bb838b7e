package zkconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

// Errors of Applied.
var (
	// ErrNotApplied: the transaction was not applied; planning it again
	// from fresh reads is safe.
	ErrNotApplied = errors.New("zkconn: the transaction was not applied")
	// ErrOutcomeUnknown: the znodes the transaction writes have changed
	// since in ways that neither confirm nor rule out that it was applied.
	ErrOutcomeUnknown = errors.New("zkconn: the transaction may or may not have been applied")
)

// outcome is what one op's znode says about whether its transaction was
// applied.
type outcome int

const (
	silent outcome = iota // the op leaves nothing to read back
	before                // the znode is as it was before the transaction
	after                 // the znode is as the transaction left it
	moved                 // neither: another writer changed it since
)

// Applied finds out whether t, whose Commit failed with an error for which
// IsMaybeApplied holds (its reply was lost), was applied. It waits for a
// session and reads back the znodes t writes. A multi applies all its ops
// or none, so:
//   - if one znode is as it was before t (a version-checked set still at
//     its version, a create missing, a delete present), t was not applied:
//     the error wraps ErrNotApplied;
//   - if every znode t writes is as t leaves it (a set at its version + 1,
//     or any version for an unchecked set, with t's data; a create with
//     t's data at version 0; a delete gone) and there is one to read, t was
//     applied: Applied returns responses as Commit would have, stats as
//     read now, except that a sequential create's names no znode (String
//     is "");
//   - otherwise the error wraps ErrOutcomeUnknown.
//
// Checks and sequential creates leave nothing to read. "As t leaves it"
// can also be another writer's identical write; version checks make that
// rare. Reads that lose the connection are retried until ctx ends.
func (c *Conn) Applied(ctx context.Context, t *Txn) ([]zk.MultiResponse, error) {
	for {
		if err := c.WaitSession(ctx); err != nil {
			return nil, err
		}
		res, err := c.readBack(ctx, t)
		if !IsTransient(err) {
			return res, err
		}
	}
}

func (c *Conn) readBack(ctx context.Context, t *Txn) ([]zk.MultiResponse, error) {
	res := make([]zk.MultiResponse, len(t.ops))
	var changed error
	read := false
	for i, op := range t.ops {
		o, err := c.outcome(ctx, op, &res[i])
		if err != nil {
			return nil, err
		}
		what := opName(op) + " " + opPath(op)
		switch o {
		case before:
			return nil, fmt.Errorf("%s: the znode is as it was before: %w", what, ErrNotApplied)
		case moved:
			if changed == nil {
				changed = fmt.Errorf("%s: the znode has changed since: %w", what, ErrOutcomeUnknown)
			}
		case after:
			read = true
		}
	}
	switch {
	case changed != nil:
		return nil, changed
	case !read:
		return nil, fmt.Errorf("no op of the transaction can be read back: %w", ErrOutcomeUnknown)
	}
	return res, nil
}

// outcome reads op's znode and fills in op's response if it was applied.
func (c *Conn) outcome(ctx context.Context, op any, res *zk.MultiResponse) (outcome, error) {
	switch op := op.(type) {
	case *zk.SetDataRequest:
		data, st, err := c.Get(ctx, op.Path)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			return moved, nil
		case err != nil:
			return 0, err
		case (op.Version < 0 || st.Version == op.Version+1) && bytes.Equal(data, op.Data):
			res.Stat = st
			return after, nil
		case st.Version == op.Version:
			return before, nil
		}
		return moved, nil
	case *zk.CreateRequest:
		if op.Flags&zk.FlagSequence != 0 {
			return silent, nil
		}
		data, st, err := c.Get(ctx, op.Path)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			return before, nil
		case err != nil:
			return 0, err
		case st.Version == 0 && bytes.Equal(data, op.Data):
			res.String, res.Stat = op.Path, st
			return after, nil
		}
		return moved, nil
	case *zk.DeleteRequest:
		ok, st, err := c.Exists(ctx, op.Path)
		switch {
		case err != nil:
			return 0, err
		case !ok:
			return after, nil
		case op.Version < 0 || st.Version == op.Version:
			return before, nil
		}
		return moved, nil
	}
	return silent, nil
}
