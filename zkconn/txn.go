package zkconn

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
)

// Request limits. ZooKeeper refuses a request over jute.maxbuffer, a multi
// included, and drops the connection rather than answering, so a request
// that would not fit is never sent (Commit refuses it). ZooKeeper also
// keeps its last 500 committed requests in memory (the commit log
// followers sync from), in more than one form each: bulk writes go in
// small requests so that the log stays small however many large changes
// came before (with 768 kB requests, repeated 100,000-host imports ran a
// 1 GB server out of heap).
const (
	// JuteMaxBuffer is ZooKeeper's default jute.maxbuffer: the most bytes
	// one request may take, as Txn.Size counts them.
	JuteMaxBuffer = 0xfffff
	// MaxRequestBytes is the most a request kook sends may take. It stays
	// 1 KiB below the server's limit so that a client with the default
	// jute.maxbuffer can read back the largest znode it writes (a reply
	// adds a header and a stat to the data) and the transaction log keeps
	// room for its own headers. See Txn.SetSmaller for the one exception.
	MaxRequestBytes = JuteMaxBuffer - 1024
	// MaxRequest is what a transaction that must be atomic and cannot be
	// split aims at, for the server's memory; MaxRequestBytes is the hard
	// limit.
	MaxRequest = 768 * 1024
	// BatchRequest is the size of the requests of bulk writes that can be
	// split (segments, a new tree, deletions, view rewrites).
	BatchRequest = 128 * 1024
	// MaxOps bounds the ops of one multi.
	MaxOps = 4000
	// MaxData is the most one znode should hold.
	MaxData = 1000 * 1000
)

// Sizes of a request as go-zookeeper encodes it and ZooKeeper counts it
// against jute.maxbuffer (the 4-byte frame length excluded): xid and
// opcode, then for a multi each op behind a header (type, done, err) and
// one closing header. Strings and byte arrays carry a 4-byte length;
// versions, flags and permissions are 4 bytes. Measured against a server
// (TestIntegrationTxnSize): a request of exactly JuteMaxBuffer bytes so
// counted is accepted, and one byte more drops the connection.
const (
	requestHeader = 8
	multiHeader   = 9
	intSize       = 4
)

// aclSize is the encoded size of an ACL list.
func aclSize(acl []zk.ACL) int {
	n := intSize
	for _, a := range acl {
		n += intSize + intSize + len(a.Scheme) + intSize + len(a.ID)
	}
	return n
}

// worldACLSize is the encoded size of zk.WorldACL(zk.PermAll), the ACL of a
// connection without auth, which the zero Txn assumes.
var worldACLSize = aclSize(zk.WorldACL(zk.PermAll))

// Txn is a multi transaction being built, which knows its exact size as
// ZooKeeper counts it. Paths are relative to the connection's chroot. Start
// one with Conn.NewTxn, which sizes it for the connection (its chroot
// prefixes every path, its ACL policy gives every create its ACL); the
// zero value is an empty transaction sized for a connection without chroot
// or auth.
type Txn struct {
	ops     []any
	body    int     // the ops as a multi encodes them, each behind its header
	prefix  int     // length of the chroot, which every path sent carries
	policy  *Policy // gives creates their ACL; nil: world, every permission
	smaller bool    // the first op is a set of no more data than its znode held
}

// NewTxn starts an empty transaction sized for c.
func (c *Conn) NewTxn() *Txn { return &Txn{prefix: len(c.chroot), policy: c.policy.Load()} }

// aclSize is the encoded size of the ACL a create of p carries.
func (t *Txn) aclSize(p string) int {
	if t.policy == nil {
		return worldACLSize
	}
	return aclSize(t.policy.For(p))
}

// maxACLSize bounds the encoded size of the ACL of any create.
func (t *Txn) maxACLSize() int {
	if t.policy == nil {
		return worldACLSize
	}
	return t.policy.maxACLSize()
}

// opSize is op's encoded size, its multi header included.
func (t *Txn) opSize(op any) int {
	path := func(p string) int {
		if p == "/" && t.prefix > 0 {
			return intSize + t.prefix // the chroot itself
		}
		return intSize + t.prefix + len(p)
	}
	switch op := op.(type) {
	case *zk.CreateRequest:
		acl := t.maxACLSize() // a create of unknown path (Full)
		if op.Path != "" {
			acl = t.aclSize(op.Path)
		}
		return multiHeader + path(op.Path) + intSize + len(op.Data) + acl + intSize
	case *zk.SetDataRequest:
		return multiHeader + path(op.Path) + intSize + len(op.Data) + intSize
	case *zk.DeleteRequest:
		return multiHeader + path(op.Path) + intSize
	case *zk.CheckVersionRequest:
		return multiHeader + path(op.Path) + intSize
	}
	panic(fmt.Sprintf("zkconn: unknown op %T", op))
}

func (t *Txn) add(op any) {
	t.ops = append(t.ops, op)
	t.body += t.opSize(op)
}

// Create adds a create of a persistent znode with the connection's ACL.
// Nil data is stored as empty, not null (see Conn.Create).
func (t *Txn) Create(p string, data []byte) {
	if data == nil {
		data = []byte{}
	}
	t.add(&zk.CreateRequest{Path: p, Data: data})
}

// CreateSequential adds a create of a persistent sequential znode: the
// server appends a counter to p, and the op's response names the znode.
func (t *Txn) CreateSequential(p string, data []byte) {
	if data == nil {
		data = []byte{}
	}
	t.add(&zk.CreateRequest{Path: p, Data: data, Flags: zk.FlagSequence})
}

// Set adds a version-checked set (-1: any version).
func (t *Txn) Set(p string, data []byte, version int32) {
	t.add(&zk.SetDataRequest{Path: p, Data: data, Version: version})
}

// SetSmaller is Set of data to a znode that holds held bytes. A
// transaction that is only such a set, with data no longer than held, may
// use the server's whole limit, JuteMaxBuffer, instead of MaxRequestBytes:
// ZooKeeper accepted a request carrying the larger data it replaces (maybe
// from a client without kook's margin), and a znode must stay shrinkable.
func (t *Txn) SetSmaller(p string, data []byte, version int32, held int) {
	if len(t.ops) == 0 {
		t.smaller = len(data) <= held
	}
	t.Set(p, data, version)
}

// Delete adds a version-checked delete (-1: any version).
func (t *Txn) Delete(p string, version int32) {
	t.add(&zk.DeleteRequest{Path: p, Version: version})
}

// Check adds a check that p is at version.
func (t *Txn) Check(p string, version int32) {
	t.add(&zk.CheckVersionRequest{Path: p, Version: version})
}

// Len returns the number of ops.
func (t *Txn) Len() int { return len(t.ops) }

// size is the size of a request of n ops whose encodings take body bytes:
// a lone set is sent as a plain setData (see Commit), anything else as a
// multi.
func size(n, body int, loneSet bool) int {
	switch {
	case n == 0:
		return 0
	case loneSet:
		return requestHeader + body - multiHeader
	}
	return requestHeader + body + multiHeader
}

// Size returns the request's exact size in bytes as ZooKeeper counts it
// against jute.maxbuffer; 0 for an empty transaction, which sends nothing.
func (t *Txn) Size() int { return size(len(t.ops), t.body, t.loneSet() != nil) }

// SizeWith returns the size t would have with u's ops appended.
func (t *Txn) SizeWith(u *Txn) int {
	n := len(t.ops) + len(u.ops)
	return size(n, t.body+u.body, n == 1 && (t.loneSet() != nil || u.loneSet() != nil))
}

// Limit returns the most bytes t may take when sent: MaxRequestBytes, or
// JuteMaxBuffer for a lone set that shrinks its znode (SetSmaller).
func (t *Txn) Limit() int {
	if t.smaller && t.loneSet() != nil {
		return JuteMaxBuffer
	}
	return MaxRequestBytes
}

// Fits reports whether t can be sent: its size is within its Limit.
func (t *Txn) Fits() bool { return t.Size() <= t.Limit() }

// Full reports whether adding a create carrying n more bytes of path and
// data (a create is the largest op for its bytes) would take the
// transaction over limit bytes or MaxOps ops. An empty transaction is
// never full.
func (t *Txn) Full(n, limit int) bool {
	if len(t.ops) == 0 {
		return false
	}
	create := t.opSize(&zk.CreateRequest{}) + n
	return size(len(t.ops)+1, t.body+create, false) > limit || len(t.ops) >= MaxOps
}

// Append adds u's ops after t's.
func (t *Txn) Append(u *Txn) {
	if len(t.ops) == 0 {
		t.smaller = u.smaller
	}
	t.ops = append(t.ops, u.ops...)
	t.body += u.body
}

// Clone returns a copy of t that can grow apart from it.
func (t *Txn) Clone() *Txn {
	c := *t
	c.ops = slices.Clone(t.ops)
	return &c
}

// empty returns an empty transaction sized as t is.
func (t *Txn) empty() *Txn { return &Txn{prefix: t.prefix, policy: t.policy} }

// Split cuts the transaction into transactions of at most limit bytes and
// MaxOps ops each, in order; an op larger than limit goes alone. Each part
// is atomic on its own; the whole is not.
func (t *Txn) Split(limit int) []*Txn {
	var out []*Txn
	cur := t.empty()
	for _, op := range t.ops {
		n := t.opSize(op)
		if len(cur.ops) > 0 && (size(len(cur.ops)+1, cur.body+n, false) > limit || len(cur.ops) >= MaxOps) {
			out = append(out, cur)
			cur = t.empty()
		}
		cur.ops = append(cur.ops, op)
		cur.body += n
	}
	if len(cur.ops) > 0 {
		out = append(out, cur)
	}
	return out
}

// loneSet returns t's op if it is a set and the only one.
func (t *Txn) loneSet() *zk.SetDataRequest {
	if len(t.ops) != 1 {
		return nil
	}
	op, _ := t.ops[0].(*zk.SetDataRequest)
	return op
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

// Commit runs t as one multi transaction: every op applies or none does. A
// lone set goes as a plain setData, which is smaller (Size counts it so).
// When one op fails, the error is an *OpError naming it (and wraps the zk
// sentinel). A transaction over its Limit is refused, unsent, with an
// error wrapping model.ErrTooLarge. A connection loss leaves the outcome
// unknown: see IsMaybeApplied and Applied. An empty transaction does
// nothing. Responses name created znodes relative to the chroot.
func (c *Conn) Commit(ctx context.Context, t *Txn) ([]zk.MultiResponse, error) {
	if len(t.ops) == 0 {
		return nil, nil
	}
	if err := c.beforeWrite(ctx); err != nil {
		return nil, err
	}
	policy := c.policy.Load()
	if n := c.sizeOf(t, policy); n > t.Limit() {
		return nil, fmt.Errorf("a transaction of %d operations takes %d bytes, over the %d of one request: %w",
			len(t.ops), n, t.Limit(), model.ErrTooLarge)
	}
	if op := t.loneSet(); op != nil {
		st, err := c.Set(ctx, op.Path, op.Data, op.Version)
		var pe *PermissionError
		if err != nil && !IsMaybeApplied(err) && !IsTransient(err) && !errors.As(err, &pe) {
			return nil, &OpError{Index: 0, Op: "set", Path: op.Path, Err: err}
		}
		if err != nil {
			return nil, err
		}
		return []zk.MultiResponse{{Stat: st}}, nil
	}
	abs := make([]any, len(t.ops))
	for i, op := range t.ops {
		switch op := op.(type) {
		case *zk.CreateRequest:
			r := *op
			r.Path = c.abs(r.Path)
			if r.Acl == nil {
				r.Acl = policy.For(op.Path)
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
	for i := range res {
		if res[i].String != "" {
			res[i].String = c.rel(res[i].String)
		}
	}
	if err == nil {
		return res, nil
	}
	for i, r := range res {
		if errors.Is(r.Error, zk.ErrNoAuth) && i < len(t.ops) {
			// Not an OpError, which callers take for a lost race to
			// retry: no retry gets the permission.
			return res, c.denied(r.Error, opName(t.ops[i]), opPath(t.ops[i]), "writer")
		}
		if r.Error != nil && i < len(t.ops) && !errors.Is(r.Error, zk.ErrAPIError) {
			return res, &OpError{Index: i, Op: opName(t.ops[i]), Path: opPath(t.ops[i]), Err: r.Error}
		}
	}
	return res, err
}

// sizeOf is t's size as sent on c with policy, whatever connection t was
// sized for.
func (c *Conn) sizeOf(t *Txn, policy *Policy) int {
	if t.prefix == len(c.chroot) && t.policy == policy {
		return t.Size()
	}
	u := &Txn{prefix: len(c.chroot), policy: policy}
	for _, op := range t.ops {
		u.add(op)
	}
	return u.Size()
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
	Path       string
	Data       []byte // create and set
	Version    int32  // set, delete, check
	Create     bool
	Sequential bool // a sequential create
	Delete     bool
	Check      bool
}

// Ops returns the transaction's ops.
func (t *Txn) Ops() []Op {
	out := make([]Op, len(t.ops))
	for i, op := range t.ops {
		switch op := op.(type) {
		case *zk.CreateRequest:
			out[i] = Op{Path: op.Path, Data: op.Data, Create: true, Sequential: op.Flags&zk.FlagSequence != 0}
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
