package zkstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/record"
	"github.com/kook-project/kook/zkstore/segment"
)

// How a change is committed:
//
//  1. Read head (waiting while a big change is being applied), then the
//     index it names. Run the caller's function on a tx, which reads the
//     nodes it is asked for and keeps its writes in memory.
//  2. Render what the change does to the view tables (only the segments
//     holding the entries it changes are read and rewritten), a new index,
//     a new head (generation + 1) and the change record.
//  3. One multi sets head checking its version, creates, sets (checking
//     each znode version read) or deletes the changed nodes, creates the
//     new segments and the change record. It applies whole or not at all:
//     readers see the generation before or after, never a mix.
//  4. Another writer that got in first, or a node edited by hand meanwhile,
//     makes the multi fail: the attempt starts over from 1, re-reading.
//     Nothing is ever clobbered.
//  5. A lost reply means the change may have been applied: reconnect and
//     read the change record of the generation it made. If it is ours, the
//     change is stored; if not, start over. Nothing that may be live is
//     ever deleted.
//  6. The same multi deletes the segments that only the generation two
//     back used (foldGC).
//
// A change whose segments do not fit in the multi writes them first, in
// batches (they are invisible until head names them). A change whose nodes
// do not fit in one multi is applied as a big change (big.go).

// errRetry means the attempt lost a race and should start over.
var errRetry = errors.New("lost a race with another writer")

// Update implements model.Store.
func (s *Store) Update(ctx context.Context, opts model.UpdateOptions, fn func(model.Tx) error) (model.Result, error) {
	if s.opts.Renderer == nil && !opts.DryRun {
		return model.Result{}, errNoRenderer
	}
	var queued *zkconn.Ticket // see queue.go
	noQueue := opts.DryRun
	defer func() {
		if queued != nil {
			queued.Leave(ctx)
		}
	}()
	for attempt := 0; ; attempt++ {
		t, err := s.begin(ctx)
		if err != nil {
			return model.Result{}, err
		}
		res, err := s.attempt(ctx, t, opts, fn)
		if !errors.Is(err, errRetry) {
			return res, err
		}
		if queued == nil && attempt+1 >= queueAfter && !noQueue {
			// Without a number (no create permission, say), back off as before.
			queued, err = s.conn.Enqueue(ctx, s.queueDir())
			noQueue = err != nil
		}
		if queued != nil {
			var held bool
			if held, err = queued.Wait(ctx); !held {
				queued = nil // its session expired: the next loss takes a new number
				err = zkconn.Backoff(ctx, attempt)
			}
		} else {
			err = zkconn.Backoff(ctx, attempt)
		}
		if err != nil {
			return res, fmt.Errorf("update inventory at %s: gave up after %d attempts, other writers kept getting in first: %w", s.root, attempt+1, err)
		}
	}
}

// begin starts an attempt: head, once no big change is being applied, and
// its index.
func (s *Store) begin(ctx context.Context) (*tx, error) {
	for {
		h, st, err := s.stableHead(ctx)
		if errors.Is(err, model.ErrNotFound) {
			t := s.newTx(ctx, nil, nil, nil)
			return t, t.seed()
		}
		if err != nil {
			return nil, err
		}
		if h.Generation == 0 {
			// A head left by a first import that never finished: nothing
			// is stored yet.
			t := s.newTx(ctx, h, st, &segment.Index{Tables: map[string][]segment.Ref{}})
			return t, t.seed()
		}
		idx, err := s.readIndex(ctx, h.Index)
		var gone *goneError
		if errors.As(err, &gone) {
			if moved, merr := s.headMoved(ctx, st); merr != nil || moved {
				continue
			}
			return nil, fmt.Errorf("generation %d: its %s: the views are damaged (kook repair rebuilds them)", h.Generation, gone)
		}
		if err != nil {
			return nil, err
		}
		return s.newTx(ctx, h, st, idx), nil
	}
}

// headMoved reports whether head is no longer at the version st says.
func (s *Store) headMoved(ctx context.Context, st *zk.Stat) (bool, error) {
	_, now, err := s.conn.Exists(ctx, s.HeadPath())
	if err != nil {
		return false, err
	}
	return now == nil || now.Version != st.Version, nil
}

// seed gives an empty store its 'all' and 'ungrouped' groups, created by
// the first change.
func (t *tx) seed() error {
	n := model.NewNodes(t.gen << 32)
	for _, name := range []string{"all", "ungrouped"} {
		st := t.group(name)
		if st.err != nil {
			return st.err
		}
		if st.after == nil {
			st.after = n.Groups[name]
		}
	}
	t.keys = 3 // NewNodes used three keys
	return nil
}

// checkAt fails with ErrMoved when opts.At asks for another generation
// than the current one.
func checkAt(opts model.UpdateOptions, current int64) error {
	if opts.At != 0 && opts.At != current {
		return fmt.Errorf("the change was asked for on top of generation %d, the inventory is at %d: %w", opts.At, current, model.ErrMoved)
	}
	return nil
}

// attempt runs fn once and commits what it did.
func (s *Store) attempt(ctx context.Context, t *tx, opts model.UpdateOptions, fn func(model.Tx) error) (model.Result, error) {
	res := model.Result{Generation: t.gen - 1}
	if err := checkAt(opts, t.gen-1); err != nil {
		return res, err
	}
	if err := fn(t); err != nil {
		return res, s.staleOr(ctx, t, err)
	}
	if t.err != nil {
		return res, t.err
	}
	hosts, groups := t.changes()
	if (t.head == nil || t.head.Generation == 0) && len(hosts) == 0 && onlySeeds(groups) {
		return res, nil // creating 'all' and 'ungrouped' alone is no change
	}
	shown := groups
	if t.head == nil || t.head.Generation == 0 {
		// 'all' and 'ungrouped' come with the first change: not news.
		shown = slices.DeleteFunc(slices.Clone(groups), func(g model.GroupChange) bool {
			return g.Before == nil && (g.After.Name == "all" || g.After.Name == "ungrouped")
		})
	}
	res.Changes = model.NodeDiff(hosts, shown)
	if len(hosts) == 0 && len(groups) == 0 {
		return res, nil
	}
	if err := t.validate(hosts, groups); err != nil {
		return res, err
	}
	if opts.DryRun {
		return res, nil
	}
	edits, err := t.renderer().Update(t, hosts, groups)
	if err != nil {
		return res, s.staleOr(ctx, t, fmt.Errorf("render views: %w", err))
	}
	c := &model.Commit{Generation: t.gen, Time: time.Now(), User: opts.User, Tool: opts.Tool, Reason: opts.Reason,
		Hosts: hosts, Groups: groups}
	if c.Tool == "" {
		c.Tool = s.opts.Tool
	}
	s.who(c)
	p, err := s.plan(ctx, t, c, edits)
	if err != nil {
		return res, s.staleOr(ctx, t, err)
	}
	if p.big {
		return s.commitBig(ctx, t, p, res)
	}
	if err := s.commit(ctx, t, p); err != nil {
		return res, err
	}
	res.Generation, res.Written, res.Time = t.gen, true, c.Time
	return res, nil
}

// staleOr returns errRetry when err is a segment the attempt read that a
// newer generation replaced (head moved), else err.
func (s *Store) staleOr(ctx context.Context, t *tx, err error) error {
	var gone *goneError
	if !errors.As(err, &gone) || t.stat == nil {
		return err
	}
	if moved, merr := s.headMoved(ctx, t.stat); merr == nil && moved {
		return errRetry
	}
	return fmt.Errorf("generation %d: %w: the views are damaged (kook repair rebuilds them)", t.gen-1, err)
}

func onlySeeds(groups []model.GroupChange) bool {
	for _, g := range groups {
		if g.Before != nil || g.After == nil || (g.After.Name != "all" && g.After.Name != "ungrouped") {
			return false
		}
	}
	return true
}

// commitPlan is everything one attempt writes.
type commitPlan struct {
	gen    int64
	writer string
	head   *head
	segs   *segment.Writer
	nodes  *zkconn.Txn // the node ops
	commit *model.Commit
	big    bool // the nodes do not fit in one multi
	// versions are the znode versions the change read of the nodes it
	// writes (-1: absent), for a big change's batches.
	versions map[string]int32
	// prevs are the mzxids the change read of the nodes it writes (see
	// prevKey), for the change record.
	prevs map[string]int64
}

// plan renders the new segments, index, head and node ops of a change.
func (s *Store) plan(ctx context.Context, t *tx, c *model.Commit, edits model.TableEdits) (*commitPlan, error) {
	p := &commitPlan{gen: t.gen, writer: newWriterID(t.gen), commit: c, nodes: s.conn.NewTxn(), prevs: map[string]int64{}}
	p.segs = segment.NewWriter(p.writer)
	idx := &segment.Index{Tables: map[string][]segment.Ref{}}
	if t.idx != nil {
		idx = t.idx.Clone()
	}
	var dropped []string
	for _, name := range slices.Sorted(maps.Keys(edits)) {
		refs, replaced, err := t.table(name).Apply(p.segs, edits[name])
		if err != nil {
			return nil, fmt.Errorf("rewrite view table %s: %w", name, err)
		}
		idx.Tables[name] = refs
		dropped = append(dropped, replaced...)
	}
	if t.head != nil && t.head.Index != "" {
		dropped = append(dropped, t.head.Index)
	}
	idx.Dropped = dropped
	h := &head{Format: format, Generation: t.gen, Writer: p.writer, Time: c.Time.UnixMilli(), HistoryStart: 1}
	if t.head != nil {
		h.Hosts, h.Groups, h.HistoryStart = t.head.Hosts, t.head.Groups, t.head.HistoryStart
	}
	for _, hc := range c.Hosts {
		if z := t.host(hc.Name()).mzxid; z != 0 {
			p.prevs[record.PrevKey(false, hc.Name())] = z
		}
		switch {
		case hc.Before == nil:
			h.Hosts++
			p.nodes.Create(s.HostPath(hc.After.Name), record.Host(hc.After))
		case hc.After == nil:
			h.Hosts--
			p.nodes.Delete(s.HostPath(hc.Before.Name), t.host(hc.Before.Name).version)
		default:
			p.nodes.Set(s.HostPath(hc.After.Name), record.Host(hc.After), t.host(hc.After.Name).version)
		}
	}
	for _, gc := range c.Groups {
		if z := t.group(gc.Name()).mzxid; z != 0 {
			p.prevs[record.PrevKey(true, gc.Name())] = z
		}
		switch {
		case gc.Before == nil:
			h.Groups++
			p.nodes.Create(s.GroupPath(gc.After.Name), record.Group(gc.After))
		case gc.After == nil:
			h.Groups--
			p.nodes.Delete(s.GroupPath(gc.Before.Name), t.group(gc.Before.Name).version)
		default:
			p.nodes.Set(s.GroupPath(gc.After.Name), record.Group(gc.After), t.group(gc.After.Name).version)
		}
	}
	h.Index = p.segs.AddIndex(idx)
	p.head = h
	p.big = p.nodes.Size() > zkconn.MaxRequest/2
	if p.big {
		p.versions = map[string]int32{}
		for _, hc := range c.Hosts {
			name := hc.Name()
			p.versions[s.HostPath(name)] = t.host(name).version
		}
		for _, gc := range c.Groups {
			name := gc.Name()
			p.versions[s.GroupPath(name)] = t.group(name).version
		}
	}
	return p, nil
}

// commit writes a plan whose nodes fit in one multi.
func (s *Store) commit(ctx context.Context, t *tx, p *commitPlan) error {
	if t.head == nil {
		if err := s.makeDirs(ctx); err != nil {
			return err
		}
	}
	prunes := s.conn.NewTxn()
	p.head.HistoryStart = s.prune(ctx, prunes, p.head.HistoryStart, p.gen)
	txn := s.conn.NewTxn()
	if t.head == nil {
		txn.Create(s.HeadPath(), p.head.marshal())
	} else {
		txn.Set(s.HeadPath(), p.head.marshal(), t.stat.Version)
	}
	txn.Append(prunes)
	txn.Append(p.nodes)
	s.addHistory(txn, p.commit, p.writer, p.prevs, s.opts.MinimalHistory)
	gc := s.foldGC(t, txn)
	prewritten := txn.Size()+p.segs.Bytes() > zkconn.MaxRequest
	if prewritten {
		if err := s.writeSegments(ctx, p.segs); err != nil {
			s.deleteSegments(context.WithoutCancel(ctx), p.segs.Made())
			return err
		}
	} else {
		for _, id := range p.segs.Made() {
			txn.Create(s.segmentPath(id), p.segs.Data(id))
		}
	}
	_, err := s.conn.Commit(ctx, txn)
	if err == nil {
		if !gc {
			s.afterCommit(ctx, t)
		}
		return nil
	}
	var opErr *zkconn.OpError
	if errors.As(err, &opErr) {
		// The multi failed as a whole: nothing of it is stored. Head moved
		// (another writer), or a node was not at the version read (edited
		// by hand, or by a writer that raced ours): read again. Or one of
		// the old segments it deletes was gone already: the next attempt
		// on this base deletes them after its commit instead.
		if gc && opErr.Op == "delete" && errors.Is(opErr.Err, zk.ErrNoNode) && strings.HasPrefix(opErr.Path, s.segmentsDir()+"/") {
			s.unfoldable.Store(&t.head.Index)
		}
		if prewritten {
			s.deleteSegments(context.WithoutCancel(ctx), p.segs.Made())
		}
		return errRetry
	}
	if !zkconn.IsMaybeApplied(err) && !zkconn.IsTransient(err) {
		if prewritten {
			s.deleteSegments(context.WithoutCancel(ctx), p.segs.Made())
		}
		return fmt.Errorf("write generation %d: %w", p.gen, err)
	}
	applied, rerr := s.resolve(ctx, p.gen, p.writer)
	switch {
	case rerr != nil:
		return fmt.Errorf("generation %d may or may not have been stored: the reply was lost (%v) and checking failed: %w; kook log shows what is stored", p.gen, err, rerr)
	case applied:
		if !gc {
			s.afterCommit(ctx, t)
		}
		return nil
	}
	if prewritten {
		s.deleteSegments(context.WithoutCancel(ctx), p.segs.Made())
	}
	return errRetry
}

// resolve finds out whether generation gen was stored by the writer id,
// after a reply was lost: it waits for the session to come back and reads
// the generation's change record, which the same multi creates.
func (s *Store) resolve(ctx context.Context, gen int64, writer string) (bool, error) {
	for attempt := 0; ; attempt++ {
		if err := s.conn.WaitSession(ctx); err != nil {
			return false, err
		}
		_, who, err := s.readCommit(ctx, gen, false)
		switch {
		case err == nil:
			return who == writer, nil
		case errors.Is(err, model.ErrNotFound):
			return false, nil
		case zkconn.IsTransient(err):
			if err := zkconn.Backoff(ctx, attempt); err != nil {
				return false, err
			}
		default:
			return false, err
		}
	}
}

// foldGC adds to txn the deletion of what only the generation two back
// used, the base index's dropped segments (a few for a small change), and
// reports whether it did. Deleting them in the change's own multi saves
// each change a second fsync'd transaction. A big list, or one a commit
// found partly gone already, is left to afterCommit, which deletes what
// is there.
func (s *Store) foldGC(t *tx, txn *zkconn.Txn) bool {
	const maxFolded = 32
	if t.idx == nil || len(t.idx.Dropped) == 0 || len(t.idx.Dropped) > maxFolded {
		return false
	}
	if u := s.unfoldable.Load(); u != nil && *u == t.head.Index {
		return false
	}
	for _, id := range t.idx.Dropped {
		txn.Delete(s.segmentPath(id), -1)
	}
	return true
}

// afterCommit deletes what only the generation two back used: the base
// index's dropped segments. Failures are left for kook repair.
func (s *Store) afterCommit(ctx context.Context, t *tx) {
	if t.idx == nil || len(t.idx.Dropped) == 0 {
		return
	}
	s.deleteSegments(ctx, t.idx.Dropped)
}

// makeDirs creates the store's directories, with the connection's ACL.
func (s *Store) makeDirs(ctx context.Context) error {
	for _, dir := range []string{s.hostsDir(), s.groupsDir(), s.segmentsDir(), s.historyDir()} {
		if err := s.conn.EnsurePath(ctx, dir); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	return nil
}

// writeSegments creates a plan's segments in batches, several at a time.
func (s *Store) writeSegments(ctx context.Context, w *segment.Writer) error {
	var batches []*zkconn.Txn
	cur := s.conn.NewTxn()
	for _, id := range w.Made() {
		p, data := s.segmentPath(id), w.Data(id)
		if cur.Full(len(p)+len(data), zkconn.BatchRequest) {
			batches = append(batches, cur)
			cur = s.conn.NewTxn()
		}
		cur.Create(p, data)
	}
	if cur.Len() > 0 {
		batches = append(batches, cur)
	}
	return zkconn.Parallel(ctx, len(batches), 4, func(i int) error {
		return s.commitBatch(ctx, batches[i])
	})
}

// commitBatch commits one batch of creates of znodes no reader knows of.
// After a lost reply it retries; creates already applied fail with
// ErrNodeExists and are taken as done.
func (s *Store) commitBatch(ctx context.Context, txn *zkconn.Txn) error {
	for attempt := 0; ; attempt++ {
		_, err := s.conn.Commit(ctx, txn)
		if err == nil || (attempt > 0 && errors.Is(err, zk.ErrNodeExists)) {
			return nil
		}
		if !zkconn.IsTransient(err) && !errors.Is(err, zk.ErrConnectionClosed) {
			return fmt.Errorf("write segments: %w", err)
		}
		if err := s.conn.WaitSession(ctx); err != nil {
			return fmt.Errorf("write segments: %w", err)
		}
	}
}

// deleteSegments deletes segments in batches, ignoring those already gone.
func (s *Store) deleteSegments(ctx context.Context, ids []string) {
	paths := make([]string, len(ids))
	for i, id := range ids {
		paths[i] = s.segmentPath(id)
	}
	s.deletePaths(ctx, paths)
}

// deletePaths deletes leaf znodes in multi batches; a batch that fails (a
// znode already gone) falls back to one delete per znode.
func (s *Store) deletePaths(ctx context.Context, paths []string) {
	const batch = 500
	n := (len(paths) + batch - 1) / batch
	zkconn.Parallel(ctx, n, 4, func(i int) error {
		part := paths[i*batch : min((i+1)*batch, len(paths))]
		txn := s.conn.NewTxn()
		for _, p := range part {
			txn.Delete(p, -1)
		}
		if _, err := s.conn.Commit(ctx, txn); err != nil {
			for _, p := range part {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.conn.Delete(ctx, p, -1)
			}
		}
		return nil
	})
}
