package zkstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/record"
	"github.com/kook-project/kook/zkstore/segment"
)

// Big changes: a change whose nodes do not fit in one multi (an import of
// 100,000 hosts, removing a group of 70,000) is applied in batches, and
// readers must still see it all or not at all.
//
//  1. The writer takes <root>/inventory/lock, an ephemeral znode: while it
//     holds it nobody else applies a big change, and the lock goes away by
//     itself if the writer's session dies.
//  2. It sets head.applying (phase "prepare"), checking head's version:
//     from then on other writers wait, and readers of nodes wait too;
//     readers of views go on reading the generation head names.
//  3. It writes the change record (the new value of every node it changes,
//     so the change can be finished without it) and the new segments.
//  4. It sets head.applying phase "apply", then applies the node changes in
//     batches, each node version-checked.
//  5. One last set of head makes the new generation current and clears
//     applying; the lock is deleted.
//
// If the writer dies, the next reader or writer that finds head.applying
// with no lock takes the lock and either undoes step 3 (phase "prepare":
// no node was touched) or finishes step 4 from the change record (phase
// "apply"), then does step 5.

// lockJSON is the lock znode's content.
type lockJSON struct {
	ID string `json:"id"`
	By string `json:"by"`
}

// lockHeld reports whether the big-change lock exists, with a channel that
// fires when it or head changes.
func (s *Store) lockHeld(ctx context.Context) (bool, <-chan struct{}, error) {
	ok, _, lockCh, err := s.conn.ExistsW(ctx, s.lockPath())
	if err != nil {
		return false, nil, fmt.Errorf("read %s: %w", s.lockPath(), err)
	}
	_, _, headCh, err := s.conn.ExistsW(ctx, s.HeadPath())
	if err != nil {
		return false, nil, fmt.Errorf("read %s: %w", s.HeadPath(), err)
	}
	fired := make(chan struct{})
	go func() {
		select {
		case <-lockCh:
		case <-headCh:
		case <-ctx.Done():
		}
		close(fired)
	}()
	return ok, fired, nil
}

// lock takes the big-change lock for id, waiting while another holds it.
func (s *Store) lock(ctx context.Context, id string) error {
	if err := s.conn.EnsurePath(ctx, s.base()); err != nil {
		return err
	}
	data, _ := json.Marshal(lockJSON{ID: id, By: whoAmI()})
	for {
		_, err := s.conn.CreateEphemeral(ctx, s.lockPath(), data)
		if err == nil {
			return nil
		}
		if zkconn.IsTransient(err) {
			// The create may have been applied: the next try finds the
			// lock and sees whose it is.
			if err := s.conn.WaitSession(ctx); err != nil {
				return fmt.Errorf("take %s: %w", s.lockPath(), err)
			}
			continue
		}
		if !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("take %s: %w", s.lockPath(), err)
		}
		if cur, _, err := s.conn.Get(ctx, s.lockPath()); err == nil {
			var l lockJSON
			if json.Unmarshal(cur, &l) == nil && l.ID == id {
				return nil // ours, made by a try whose reply was lost
			}
		}
		held, changed, err := s.lockHeld(ctx)
		if err != nil {
			return err
		}
		if !held {
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			by := ""
			if data, _, err := s.conn.Get(context.WithoutCancel(ctx), s.lockPath()); err == nil {
				var l lockJSON
				if json.Unmarshal(data, &l) == nil {
					by = " (held by " + l.By + ")"
				}
			}
			return fmt.Errorf("waited for another big change to finish%s: %w", by, ctx.Err())
		}
	}
}

// unlock deletes the lock if it is still id's.
func (s *Store) unlock(ctx context.Context, id string) {
	data, st, err := s.conn.Get(ctx, s.lockPath())
	if err != nil {
		return
	}
	var l lockJSON
	if json.Unmarshal(data, &l) == nil && l.ID == id {
		s.conn.Delete(ctx, s.lockPath(), st.Version)
	}
}

func whoAmI() string {
	c := &model.Commit{}
	c.OSUser = os.Getenv("USER")
	c.Machine, _ = os.Hostname()
	return fmt.Sprintf("%s pid %d", c.Who(), os.Getpid())
}

// setHead sets head to h if it is at version, and returns its new stat. A
// lost reply is resolved by reading head back.
func (s *Store) setHead(ctx context.Context, h *head, version int32) (*zk.Stat, error) {
	data := h.marshal()
	for attempt := 0; ; attempt++ {
		st, err := s.conn.Set(ctx, s.HeadPath(), data, version)
		if err == nil {
			return st, nil
		}
		if !zkconn.IsMaybeApplied(err) && !zkconn.IsTransient(err) {
			return nil, err
		}
		if werr := s.conn.WaitSession(ctx); werr != nil {
			return nil, fmt.Errorf("set %s: %v; %w", s.HeadPath(), err, werr)
		}
		now, nst, rerr := s.conn.Get(ctx, s.HeadPath())
		if rerr != nil {
			continue
		}
		if string(now) == string(data) {
			return nst, nil // it was applied
		}
		if nst.Version != version {
			return nil, zk.ErrBadVersion
		}
	}
}

// commitBig applies a change whose nodes do not fit in one multi.
func (s *Store) commitBig(ctx context.Context, t *tx, p *commitPlan, res model.Result) (model.Result, error) {
	if err := s.makeDirs(ctx); err != nil {
		return res, err
	}
	if err := s.lock(ctx, p.writer); err != nil {
		return res, err
	}
	defer s.unlock(context.WithoutCancel(ctx), p.writer)
	var version int32 = -1
	if t.head != nil {
		version = t.stat.Version
	}
	prep, st, err := s.beginBig(ctx, t.head, version, p.writer, p.gen)
	if err != nil {
		return res, err
	}
	if err := s.finishBig(ctx, prep, st, p, t.idx); err != nil {
		return res, err
	}
	res.Generation, res.Written, res.Time = p.gen, true, p.commit.Time
	return res, nil
}

// beginBig is step 2: it marks head (at version; -1 when there is none
// yet) as applying generation gen. errRetry: head moved.
func (s *Store) beginBig(ctx context.Context, base *head, version int32, writer string, gen int64) (*head, *zk.Stat, error) {
	prep := &head{Format: format, HistoryStart: 1}
	if base != nil {
		c := *base
		prep = &c
	}
	prep.Applying = &applying{ID: writer, Generation: gen, By: whoAmI()}
	if version < 0 {
		if err := s.conn.Create(ctx, s.HeadPath(), prep.marshal()); err != nil {
			if errors.Is(err, zk.ErrNodeExists) {
				return nil, nil, errRetry
			}
			return nil, nil, fmt.Errorf("create %s: %w", s.HeadPath(), err)
		}
		_, st, err := s.conn.Exists(ctx, s.HeadPath())
		if err != nil {
			return nil, nil, err
		}
		return prep, st, nil
	}
	st, err := s.setHead(ctx, prep, version)
	if errors.Is(err, zk.ErrBadVersion) {
		return nil, nil, errRetry
	}
	if err != nil {
		return nil, nil, fmt.Errorf("start big change: %w", err)
	}
	return prep, st, nil
}

// finishBig runs steps 3 to 5 of plan p, head being prep at st.
func (s *Store) finishBig(ctx context.Context, prep *head, st *zk.Stat, p *commitPlan, baseIdx *segment.Index) error {
	// Step 3: the change record and the segments, invisible until head
	// names them.
	rec := s.conn.NewTxn()
	s.addHistory(rec, p.commit, p.writer, p.prevs, false)
	if err := s.writeTxnInBatches(ctx, rec); err != nil {
		s.abandon(context.WithoutCancel(ctx), prep, st, p)
		return fmt.Errorf("write change record: %w", err)
	}
	if err := s.writeSegments(ctx, p.segs); err != nil {
		s.abandon(context.WithoutCancel(ctx), prep, st, p)
		return err
	}
	// Step 4.
	apply := *prep
	apply.Applying = &applying{ID: p.writer, Generation: p.gen, Index: p.head.Index,
		Hosts: p.head.Hosts, Groups: p.head.Groups, By: prep.Applying.By}
	st2, err := s.setHead(ctx, &apply, st.Version)
	if err != nil {
		if !errors.Is(err, zk.ErrBadVersion) {
			s.abandon(context.WithoutCancel(ctx), prep, st, p)
		}
		return fmt.Errorf("begin applying generation %d: %w", p.gen, err)
	}
	if err := s.applyNodes(ctx, p.commit, p.versions); err != nil {
		return fmt.Errorf("generation %d is half applied and will be finished by the next kook command (or kook repair): %w", p.gen, err)
	}
	// Step 5.
	final := *p.head
	final.HistoryStart = max(prep.HistoryStart, 1)
	if _, err := s.setHead(ctx, &final, st2.Version); err != nil {
		return fmt.Errorf("generation %d is applied but not yet current; the next kook command (or kook repair) makes it so: %w", p.gen, err)
	}
	if baseIdx != nil {
		s.deleteSegments(ctx, baseIdx.Dropped)
	}
	return nil
}

// abandon undoes steps 2-3 of a big change that failed before touching a
// node: its record and segments go, head returns to what it was.
func (s *Store) abandon(ctx context.Context, prep *head, st *zk.Stat, p *commitPlan) {
	s.deleteHistory(ctx, p.gen)
	s.deleteSegments(ctx, p.segs.Made())
	if st == nil {
		return
	}
	back := *prep
	back.Applying = nil
	s.setHead(ctx, &back, st.Version)
}

// deleteHistory deletes generation gen's change record and its parts.
func (s *Store) deleteHistory(ctx context.Context, gen int64) {
	kids, _, err := s.conn.Children(ctx, s.historyDir())
	if err != nil {
		return
	}
	prefix := fmt.Sprintf("%012d", gen)
	var paths []string
	for _, k := range kids {
		if k == prefix || strings.HasPrefix(k, prefix+".") {
			paths = append(paths, s.historyDir()+"/"+k)
		}
	}
	s.deletePaths(ctx, paths)
}

// writeTxnInBatches commits the creates of txn in batches of BatchRequest.
func (s *Store) writeTxnInBatches(ctx context.Context, txn *zkconn.Txn) error {
	for _, b := range txn.Split(zkconn.BatchRequest) {
		if err := s.commitBatch(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// applyNodes makes every node of c what c says it becomes, in batches.
// With versions (znode path -> version read when the change was made, -1
// for a node that did not exist), each op is checked against it; without
// (finishing another writer's change), each batch reads its nodes first.
// A node changed meanwhile (by hand) is read again and set anyway, since
// the change touches it. It can be run again after a failure: nodes
// already as c leaves them are skipped.
func (s *Store) applyNodes(ctx context.Context, c *model.Commit, versions map[string]int32) error {
	type op struct {
		path  string
		after []byte // nil: delete
	}
	var ops []op
	for _, h := range c.Hosts {
		o := op{path: s.HostPath(h.Name())}
		if h.After != nil {
			o.after = record.Host(h.After)
		}
		ops = append(ops, o)
	}
	for _, g := range c.Groups {
		name := ""
		if g.After != nil {
			name = g.After.Name
		} else {
			name = g.Before.Name
		}
		o := op{path: s.GroupPath(name)}
		if g.After != nil {
			o.after = record.Group(g.After)
		}
		ops = append(ops, o)
	}
	if versions != nil {
		txn := s.conn.NewTxn()
		for _, o := range ops {
			v, known := versions[o.path]
			switch {
			case !known:
				txn.Set(o.path, o.after, -1) // cannot happen: the change read every node it writes
			case o.after == nil && v >= 0:
				txn.Delete(o.path, v)
			case o.after == nil:
			case v < 0:
				txn.Create(o.path, o.after)
			default:
				txn.Set(o.path, o.after, v)
			}
		}
		batches := txn.Split(zkconn.BatchRequest)
		return zkconn.Parallel(ctx, len(batches), 4, func(i int) error { return s.commitNodes(ctx, batches[i]) })
	}
	// Read the current version of each node, a batch at a time, and make
	// the batch's ops from it.
	const readBatch = 2000
	for start := 0; start < len(ops); start += readBatch {
		part := ops[start:min(start+readBatch, len(ops))]
		type cur struct {
			data    []byte
			version int32 // -1: absent
		}
		curs := make([]cur, len(part))
		if err := zkconn.Parallel(ctx, len(part), 64, func(i int) error {
			data, st, err := s.conn.Get(ctx, part[i].path)
			switch {
			case errors.Is(err, zk.ErrNoNode):
				curs[i] = cur{version: -1}
			case err != nil:
				return fmt.Errorf("read %s: %w", part[i].path, err)
			default:
				curs[i] = cur{data: data, version: st.Version}
			}
			return nil
		}); err != nil {
			return err
		}
		txn := s.conn.NewTxn()
		for i, o := range part {
			c := curs[i]
			switch {
			case o.after == nil && c.version < 0:
			case o.after == nil:
				txn.Delete(o.path, c.version)
			case c.version < 0:
				txn.Create(o.path, o.after)
			case string(c.data) != string(o.after):
				txn.Set(o.path, o.after, c.version)
			}
		}
		for _, b := range txn.Split(zkconn.BatchRequest) {
			if err := s.commitNodes(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// commitNodes commits one batch of node ops. After a lost reply, or when a
// node moved under it, the batch is redone op by op from fresh reads.
func (s *Store) commitNodes(ctx context.Context, b *zkconn.Txn) error {
	_, err := s.conn.Commit(ctx, b)
	if err == nil {
		return nil
	}
	var opErr *zkconn.OpError
	if !errors.As(err, &opErr) && !zkconn.IsMaybeApplied(err) && !zkconn.IsTransient(err) {
		return err
	}
	if err := s.conn.WaitSession(ctx); err != nil {
		return err
	}
	for _, op := range b.Ops() {
		if err := s.forceOp(ctx, op); err != nil {
			return err
		}
	}
	return nil
}

// forceOp makes one node what op leaves it, whatever its version.
func (s *Store) forceOp(ctx context.Context, op zkconn.Op) error {
	for attempt := 0; ; attempt++ {
		data, st, err := s.conn.Get(ctx, op.Path)
		exists := err == nil
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			if zkconn.IsTransient(err) && s.conn.WaitSession(ctx) == nil {
				continue
			}
			return err
		}
		switch {
		case op.Delete && !exists, !op.Delete && exists && string(data) == string(op.Data):
			return nil
		case op.Delete:
			err = s.conn.Delete(ctx, op.Path, st.Version)
		case exists:
			_, err = s.conn.Set(ctx, op.Path, op.Data, st.Version)
		default:
			err = s.conn.Create(ctx, op.Path, op.Data)
		}
		if err == nil {
			return nil
		}
		if attempt > 20 {
			return fmt.Errorf("write %s: %w", op.Path, err)
		}
		if zkconn.IsTransient(err) {
			if werr := s.conn.WaitSession(ctx); werr != nil {
				return werr
			}
		}
	}
}

// takeOver finishes or undoes the big change h.Applying names, whose
// writer is gone (its lock vanished with its session).
func (s *Store) takeOver(ctx context.Context, h *head) error {
	id := newWriterID(h.Applying.Generation)
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	err := s.lock(lctx, id)
	cancel()
	if errors.Is(err, zk.ErrNoAuth) {
		// A reader cannot finish it, and must not spin trying.
		return &zkconn.PermissionError{Action: fmt.Sprintf("finishing the big change %s left half done by %s (kook repair)", h.Applying.ID, h.Applying.By),
			Role: "writer", Identity: s.conn.Identity()}
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return nil // someone else holds it: the caller waits again
	}
	defer s.unlock(context.WithoutCancel(ctx), id)
	return s.recoverLocked(ctx)
}

// recoverLocked finishes or undoes the big change head names, if any, the
// caller holding the lock.
func (s *Store) recoverLocked(ctx context.Context) error {
	h, st, err := s.readHead(ctx)
	if errors.Is(err, model.ErrNotFound) || errors.Is(err, errOldFormat) {
		return nil // nothing in progress
	}
	if err != nil || h.Applying == nil {
		return err
	}
	a := h.Applying
	if a.Index == "" {
		// Phase prepare: no node touched. Undo.
		s.deleteHistory(ctx, a.Generation)
		s.deleteWriterSegments(ctx, a.ID)
		back := *h
		back.Applying = nil
		_, err := s.setHead(ctx, &back, st.Version)
		if errors.Is(err, zk.ErrBadVersion) {
			return nil
		}
		return err
	}
	// Phase apply: finish it from its change record.
	c, _, err := s.readCommit(ctx, a.Generation, true)
	if err != nil {
		return fmt.Errorf("finish big change %s by %s: %w", a.ID, a.By, err)
	}
	if err := s.applyNodes(ctx, c, nil); err != nil {
		return fmt.Errorf("finish big change %s by %s: %w", a.ID, a.By, err)
	}
	final := &head{Format: format, Generation: a.Generation, Index: a.Index, Hosts: a.Hosts, Groups: a.Groups,
		Writer: a.ID, Time: c.Time.UnixMilli(), HistoryStart: max(h.HistoryStart, 1)}
	_, err = s.setHead(ctx, final, st.Version)
	if errors.Is(err, zk.ErrBadVersion) {
		return nil
	}
	return err
}

// deleteWriterSegments deletes every segment written by writer id. It
// lists every segment: only an abandoned big change needs it.
func (s *Store) deleteWriterSegments(ctx context.Context, id string) {
	kids, _, err := s.conn.Children(ctx, s.segmentsDir())
	if err != nil {
		return
	}
	var ids []string
	for _, k := range kids {
		if strings.HasPrefix(k, id+".") {
			ids = append(ids, k)
		}
	}
	slices.Sort(ids)
	s.deleteSegments(ctx, ids)
}
