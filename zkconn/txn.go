package zkconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

// Request limits. ZooKeeper refuses a request over jute.maxbuffer (1 MiB
// less one byte by default), a multi included, and drops the connection.
// It also keeps its last 500 committed requests in memory (the commit log
// followers sync from), in more than one form each: bulk writes go in small
// requests so that the log stays small however many large changes came
// before (with 768 kB requests, repeated 100,000-host imports ran a 1 GB
// server out of heap).
const (
	// MaxRequest is the most one request may carry, estimated: a
	// transaction that must be atomic and cannot be split.
	MaxRequest = 768 * 1024
	// BatchRequest is the size of the requests of bulk writes that can be
	// split (segments, a new tree, deletions).
	BatchRequest = 128 * 1024
	// MaxOps bounds the ops of one multi.
	MaxOps = 4000
	// MaxData is the most one znode should hold.
	MaxData = 1000 * 1000
)

// opOverhead is what a multi op adds beyond its path and data, estimated
// (header, flags, version); aclOverhead what each ACL entry of a create
// adds beyond its id.
const (
	opOverhead  = 32
	aclOverhead = 16
)

// Txn is a multi transaction being built. Paths are relative to the
// connection's chroot. The zero value is an empty transaction.
type Txn struct {
	ops  []any
	size int
}

// Create adds a create of a persistent znode with the connection's ACL.
func (t *Txn) Create(p string, data []byte) {
	if data == nil {
		data = []byte{}
	}
	t.ops = append(t.ops, &zk.CreateRequest{Path: p, Data: data})
	t.size += len(p) + len(data) + opOverhead + 4*aclOverhead
}

// Set adds a version-checked set (-1: any version).
func (t *Txn) Set(p string, data []byte, version int32) {
	t.ops = append(t.ops, &zk.SetDataRequest{Path: p, Data: data, Version: version})
	t.size += len(p) + len(data) + opOverhead
}

// Delete adds a version-checked delete (-1: any version).
func (t *Txn) Delete(p string, version int32) {
	t.ops = append(t.ops, &zk.DeleteRequest{Path: p, Version: version})
	t.size += len(p) + opOverhead
}

// Check adds a check that p is at version.
func (t *Txn) Check(p string, version int32) {
	t.ops = append(t.ops, &zk.CheckVersionRequest{Path: p, Version: version})
	t.size += len(p) + opOverhead
}

// Len returns the number of ops.
func (t *Txn) Len() int { return len(t.ops) }

// Size returns the request's estimated size in bytes.
func (t *Txn) Size() int { return t.size }

// Full reports whether adding an op carrying n more bytes of path and data
// would take the transaction over limit bytes or MaxOps ops.
func (t *Txn) Full(n, limit int) bool {
	return len(t.ops) > 0 && (t.size+n+opOverhead+4*aclOverhead > limit || len(t.ops) >= MaxOps)
}

// Append adds u's ops after t's.
func (t *Txn) Append(u *Txn) {
	t.ops = append(t.ops, u.ops...)
	t.size += u.size
}

// OpError is the failure of one op of a multi: which op, on what path.
type OpError struct {
	Index int    // position of the failing op in the transaction
	Op    string // "create", "set", "delete", "check"
	Path  string
	Err   error // a zk sentinel: zk.ErrBadVersion, zk.ErrNodeExists, zk.ErrNoNode...
}

func (e *OpError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err) }
func (e *OpError) Unwrap() error { return e.Err }

// Commit runs t as one multi transaction: every op applies or none does.
// When one op fails, the error is an *OpError naming it (and wraps the zk
// sentinel). A connection loss leaves the outcome unknown: see
// IsMaybeApplied. An empty transaction does nothing.
func (c *Conn) Commit(ctx context.Context, t *Txn) ([]zk.MultiResponse, error) {
	if len(t.ops) == 0 {
		return nil, nil
	}
	abs := make([]any, len(t.ops))
	for i, op := range t.ops {
		switch op := op.(type) {
		case *zk.CreateRequest:
			r := *op
			r.Path = c.abs(r.Path)
			if r.Acl == nil {
				r.Acl = c.acl
			}
			abs[i] = &r
		case *zk.SetDataRequest:
			r := *op
			r.Path = c.abs(r.Path)
			abs[i] = &r
		case *zk.DeleteRequest:
			r := *op
			r.Path = c.abs(r.Path)
			abs[i] = &r
		case *zk.CheckVersionRequest:
			r := *op
			r.Path = c.abs(r.Path)
			abs[i] = &r
		}
	}
	res, err := call(ctx, func() ([]zk.MultiResponse, error) { return c.zk.Multi(abs...) })
	if err == nil {
		return res, nil
	}
	for i, r := range res {
		if r.Error != nil && i < len(t.ops) && !errors.Is(r.Error, zk.ErrAPIError) {
			return res, &OpError{Index: i, Op: opName(t.ops[i]), Path: opPath(t.ops[i]), Err: r.Error}
		}
	}
	return res, err
}

func opName(op any) string {
	switch op.(type) {
	case *zk.CreateRequest:
		return "create"
	case *zk.SetDataRequest:
		return "set"
	case *zk.DeleteRequest:
		return "delete"
	default:
		return "check"
	}
}

func opPath(op any) string {
	switch op := op.(type) {
	case *zk.CreateRequest:
		return op.Path
	case *zk.SetDataRequest:
		return op.Path
	case *zk.DeleteRequest:
		return op.Path
	case *zk.CheckVersionRequest:
		return op.Path
	}
	return ""
}

// Op describes one op of a transaction.
type Op struct {
	Path    string
	Data    []byte // create and set
	Version int32  // set, delete, check
	Create  bool
	Delete  bool
	Check   bool
}

// Ops returns the transaction's ops.
func (t *Txn) Ops() []Op {
	out := make([]Op, len(t.ops))
	for i, op := range t.ops {
		switch op := op.(type) {
		case *zk.CreateRequest:
			out[i] = Op{Path: op.Path, Data: op.Data, Create: true}
		case *zk.SetDataRequest:
			out[i] = Op{Path: op.Path, Data: op.Data, Version: op.Version}
		case *zk.DeleteRequest:
			out[i] = Op{Path: op.Path, Version: op.Version, Delete: true}
		case *zk.CheckVersionRequest:
			out[i] = Op{Path: op.Path, Version: op.Version, Check: true}
		}
	}
	return out
}

// Split cuts the transaction into transactions of at most limit bytes
// (estimated) and MaxOps ops each, in order. Each part is atomic on its
// own; the whole is not.
func (t *Txn) Split(limit int) []*Txn {
	var out []*Txn
	cur := &Txn{}
	for _, op := range t.ops {
		one := &Txn{}
		one.add(op)
		if cur.Len() > 0 && (cur.size+one.size > limit || cur.Len() >= MaxOps) {
			out = append(out, cur)
			cur = &Txn{}
		}
		cur.ops = append(cur.ops, op)
		cur.size += one.size
	}
	if cur.Len() > 0 {
		out = append(out, cur)
	}
	return out
}

func (t *Txn) add(op any) {
	switch op := op.(type) {
	case *zk.CreateRequest:
		t.Create(op.Path, op.Data)
	case *zk.SetDataRequest:
		t.Set(op.Path, op.Data, op.Version)
	case *zk.DeleteRequest:
		t.Delete(op.Path, op.Version)
	case *zk.CheckVersionRequest:
		t.Check(op.Path, op.Version)
	}
}
