package jones

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/model"
)

// MaxRequestBytes bounds the size of one request kook sends. ZooKeeper's
// jute.maxbuffer (0xfffff bytes by default) applies to a whole request, multi
// included, and a server that receives a larger one drops the connection
// rather than answering, so a request that would not fit is never sent.
// kook stays 1 KiB below the server's limit so that a client with the
// default jute.maxbuffer can read back the largest znode it writes (a reply
// adds a header and a stat to the data) and the transaction log keeps room
// for its own headers.
const MaxRequestBytes = juteMaxBuffer - 1024

// juteMaxBuffer is ZooKeeper's default jute.maxbuffer. A write that only
// shrinks a znode may use all of it: the larger data it replaces was
// accepted, maybe from a client without kook's margin, and the znode must
// stay shrinkable.
const juteMaxBuffer = 0xfffff

// Sizes of a request as go-zookeeper encodes it and ZooKeeper counts it
// (the 4-byte length prefix excluded): xid and opcode, then for a multi
// each op behind a 9-byte header (type, done, err) and a closing header.
// Strings and byte arrays carry a 4-byte length, versions and flags are 4
// bytes. Measured against a server: a single setData is accepted with up to
// 0xfffff - 20 - len(path) bytes of data, and not one more.
const (
	requestHeader = 8
	multiHeader   = 9
)

// maxAttempts bounds how often a change is re-read and retried after losing
// a race with another writer.
const maxAttempts = 40

// errRetry marks a read that saw the tree change under it (a child listed
// but gone by the time it was read); the change is planned again.
var errRetry = errors.New("tree changed while reading")

// txn is one planned multi, with its exact encoded size.
type txn struct {
	ops    []any
	size   int // of the request as a multi
	single int // of the request if its one op were sent alone
	prefix int // length of the chroot, which every path sent carries
	acl    int // encoded size of the ACL creates carry
	limit  int // the largest request it may become
}

// newTxn starts an empty multi for this store's connection.
func (s *Store) newTxn() *txn {
	acl := 4
	for _, a := range s.conn.ACL() {
		acl += 4 + 4 + len(a.Scheme) + 4 + len(a.ID)
	}
	return &txn{size: requestHeader + multiHeader, prefix: len(s.conn.Chroot()), acl: acl, limit: MaxRequestBytes}
}

// add appends op, whose own encoding takes n bytes, and returns its index.
func (t *txn) add(op any, n int) int {
	t.ops = append(t.ops, op)
	t.size += multiHeader + n
	t.single = requestHeader + n
	return len(t.ops) - 1
}

func (t *txn) clone() *txn {
	c := *t
	c.ops = slices.Clone(t.ops)
	return &c
}

// pathSize is the encoded size of p as sent, chroot included.
func (t *txn) pathSize(p string) int { return 4 + t.prefix + len(p) }

func (t *txn) check(p string, version int32) {
	t.add(&zk.CheckVersionRequest{Path: p, Version: version}, t.checkSize(p))
}

func (t *txn) checkSize(p string) int { return t.pathSize(p) + 4 }

// set returns the op's index, whose response carries the new version.
func (t *txn) set(p string, data []byte, version int32) int {
	return t.add(&zk.SetDataRequest{Path: p, Data: data, Version: version}, t.pathSize(p)+4+len(data)+4)
}

func (t *txn) create(p string, data []byte) {
	t.add(&zk.CreateRequest{Path: p, Data: data}, t.createSize(p, data))
}

func (t *txn) createSize(p string, data []byte) int {
	return t.pathSize(p) + 4 + len(data) + t.acl + 4
}

// createSeq creates a sequential znode; its response names it.
func (t *txn) createSeq(p string, data []byte) int {
	return t.add(&zk.CreateRequest{Path: p, Data: data, Flags: zk.FlagSequence}, t.createSize(p, data))
}

func (t *txn) remove(p string, version int32) {
	t.add(&zk.DeleteRequest{Path: p, Version: version}, t.pathSize(p)+4)
}

// fits reports whether t can be sent: as a multi or, with one setData op,
// as a plain setData, which is how commit sends it.
func (t *txn) fits() bool {
	if t.plainSet() != nil {
		return t.single <= t.limit
	}
	return t.size <= t.limit
}

func (t *txn) plainSet() *zk.SetDataRequest {
	if len(t.ops) != 1 {
		return nil
	}
	op, _ := t.ops[0].(*zk.SetDataRequest)
	return op
}

// isConflict reports whether err means another writer got in between this
// change's reads and its multi, so that planning it again may succeed.
func isConflict(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists) ||
		errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNotEmpty) || errors.Is(err, errRetry)
}

// send runs t: a lone setData as a plain request, which is a little smaller
// (a nodemap that only shrinks can always be written back), anything else
// as one multi.
func (s *Store) send(t *txn) ([]zk.MultiResponse, error) {
	if op := t.plainSet(); op != nil {
		st, err := s.conn.Set(op.Path, op.Data, op.Version)
		if err != nil {
			return nil, err
		}
		return []zk.MultiResponse{{Stat: st}}, nil
	}
	return s.conn.Multi(t.ops...)
}

func tooLarge(what string, t *txn) error {
	n := t.size
	if t.plainSet() != nil {
		n = t.single
	}
	return fmt.Errorf("%s: the change needs one request of %d operations, %d bytes, over the %d kook sends to ZooKeeper: %w",
		what, len(t.ops), n, t.limit, model.ErrTooLarge)
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
			if !t.fits() {
				return nil, tooLarge(what, t)
			}
			var res []zk.MultiResponse
			if res, err = s.send(t); err == nil {
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
