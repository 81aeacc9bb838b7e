package zkstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/record"
	"github.com/kook-project/kook/zkstore/segment"
)

// Snapshot is one generation as a reader sees it: its views, and its nodes
// checked to be as that generation left them. A Snapshot is safe for
// concurrent use.
type Snapshot struct {
	s    *Store
	ctx  context.Context
	head *head
	stat *zk.Stat
	idx  *segment.Index

	idxOnce sync.Once
	idxErr  error

	mu     sync.Mutex
	tables map[string]*segment.Table
	// nodes is true when the snapshot may read nodes: no big change was
	// being applied when it was taken.
	nodes bool
	// mzxids are the mzxids of the nodes loadNodes read (see prevKey).
	mzxids map[string]int64
}

// errStale means a snapshot no longer matches what is stored: a newer
// generation was written while it was read. Read starts again.
var errStale = errors.New("a newer generation was written while reading")

// Read calls fn with a snapshot of the current generation, and again with a
// fresh one if a newer generation replaced what fn was reading (a segment
// gone, a node newer than the snapshot). With nodes, the snapshot waits
// while a big change is applied to the nodes. ErrNotFound: nothing stored.
func (s *Store) Read(ctx context.Context, nodes bool, fn func(*Snapshot) error) error {
	for attempt := 0; ; attempt++ {
		sn, err := s.snapshot(ctx, nodes)
		if err != nil {
			return err
		}
		err = fn(sn)
		var gone *goneError
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errStale):
		case errors.As(err, &gone):
			if moved, merr := s.headMoved(ctx, sn.stat); merr == nil && !moved {
				return fmt.Errorf("generation %d: %s: the views are damaged (kook repair rebuilds them)", sn.head.Generation, gone)
			}
		case zkconn.IsTransient(err):
			if werr := s.conn.WaitSession(ctx); werr != nil {
				return err
			}
		default:
			return err
		}
		if err := zkconn.Backoff(ctx, min(attempt, 4)); err != nil {
			return fmt.Errorf("read inventory at %s: %w", s.root, err)
		}
	}
}

func (s *Store) snapshot(ctx context.Context, nodes bool) (*Snapshot, error) {
	var h *head
	var st *zk.Stat
	var err error
	if nodes {
		h, st, err = s.stableHead(ctx)
	} else {
		h, st, err = s.readHead(ctx)
	}
	if err != nil {
		return nil, err
	}
	if h.Generation == 0 {
		return nil, fmt.Errorf("no inventory stored at %s yet: %w", s.root, model.ErrNotFound)
	}
	return &Snapshot{s: s, ctx: ctx, head: h, stat: st, tables: map[string]*segment.Table{}, nodes: nodes}, nil
}

// index reads the snapshot's index once, when a table is first needed:
// a reader of nodes alone (kook-inventory --host) never reads it.
func (sn *Snapshot) index() (*segment.Index, error) {
	sn.idxOnce.Do(func() {
		sn.idx, sn.idxErr = sn.s.readIndex(sn.ctx, sn.head.Index)
		var gone *goneError
		if errors.As(sn.idxErr, &gone) {
			if moved, merr := sn.s.headMoved(sn.ctx, sn.stat); merr == nil && !moved {
				sn.idxErr = fmt.Errorf("generation %d: %s: the views are damaged (kook repair rebuilds them)", sn.head.Generation, gone)
			} else {
				sn.idxErr = errStale
			}
		}
	})
	return sn.idx, sn.idxErr
}

// Generation is the snapshot's generation.
func (sn *Snapshot) Generation() int64 { return sn.head.Generation }

// Counts returns how many hosts and groups the generation holds.
func (sn *Snapshot) Counts() (hosts, groups int64) { return sn.head.Hosts, sn.head.Groups }

// Time is when the generation was written (the writer's clock).
func (sn *Snapshot) Time() time.Time { return time.UnixMilli(sn.head.Time) }

// HistoryStart is the oldest generation whose change record is kept.
func (sn *Snapshot) HistoryStart() int64 { return sn.head.HistoryStart }

// Table returns one view table of the generation. If the index cannot be
// read, the table's reads fail with why.
func (sn *Snapshot) Table(name string) model.TableReader { return sn.table(name) }

func (sn *Snapshot) table(name string) *segment.Table {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if t, ok := sn.tables[name]; ok {
		return t
	}
	idx, err := sn.index()
	t := segment.NewTable(sn.ctx, sn.s.fetchSegment, idx, name, err)
	sn.tables[name] = t
	return t
}

// TableFunc returns Table as a function, as model.Renderer takes it.
func (sn *Snapshot) TableFunc() func(string) model.TableReader { return sn.Table }

// Prefetch reads every segment of the named tables at once, so that
// scanning them afterwards costs no round trip.
func (sn *Snapshot) Prefetch(names ...string) error {
	type seg struct {
		t *segment.Table
		i int
	}
	var all []seg
	for _, n := range names {
		t := sn.table(n)
		if err := t.Err(); err != nil {
			return err
		}
		for i := range t.Refs() {
			all = append(all, seg{t, i})
		}
	}
	return zkconn.Parallel(sn.ctx, len(all), 32, func(i int) error {
		_, err := all[i].t.Segment(all[i].i)
		return err
	})
}

// Host returns the named host as the generation holds it; ErrNotFound if
// it holds none. A node written after the snapshot was taken is errStale,
// which Read handles, unless it was edited by hand (head did not move):
// the hand edit is then what is stored.
func (sn *Snapshot) Host(name string) (*model.HostNode, error) {
	data, st, err := sn.readNode(sn.s.HostPath(name))
	if err != nil {
		if errors.Is(err, zk.ErrNoNode) {
			return nil, fmt.Errorf("host %q: %w", name, model.ErrNotFound)
		}
		return nil, err
	}
	h, err := record.DecodeHost(name, data)
	if err != nil {
		return nil, fmt.Errorf("host record %s: %w", sn.s.HostPath(name), err)
	}
	_ = st
	return h, nil
}

// Group returns the named group as the generation holds it.
func (sn *Snapshot) Group(name string) (*model.GroupNode, error) {
	data, _, err := sn.readNode(sn.s.GroupPath(name))
	if err != nil {
		if errors.Is(err, zk.ErrNoNode) {
			return nil, fmt.Errorf("group %q: %w", name, model.ErrNotFound)
		}
		return nil, err
	}
	g, err := record.DecodeGroup(name, data)
	if err != nil {
		return nil, fmt.Errorf("group record %s: %w", sn.s.GroupPath(name), err)
	}
	return g, nil
}

// readNode reads a node znode and checks it is not newer than the
// snapshot. A node missing now may have been deleted by a newer
// generation: that is errStale too when head moved.
func (sn *Snapshot) readNode(p string) ([]byte, *zk.Stat, error) {
	if !sn.nodes {
		return nil, nil, errors.New("zkstore: snapshot taken without nodes")
	}
	data, st, err := sn.s.conn.Get(sn.ctx, p)
	if err != nil {
		if errors.Is(err, zk.ErrNoNode) {
			if moved, merr := sn.s.headMoved(sn.ctx, sn.stat); merr == nil && moved {
				return nil, nil, errStale
			}
		}
		return nil, nil, err
	}
	if sn.stat != nil && st.Mzxid > sn.stat.Mzxid {
		if moved, merr := sn.s.headMoved(sn.ctx, sn.stat); merr != nil {
			return nil, nil, merr
		} else if moved {
			return nil, nil, errStale
		}
	}
	return data, st, nil
}

// Hosts returns the named hosts, reading them at once; nil for those that
// do not exist.
func (sn *Snapshot) Hosts(names []string) ([]*model.HostNode, error) {
	out := make([]*model.HostNode, len(names))
	err := zkconn.Parallel(sn.ctx, len(names), 64, func(i int) error {
		h, err := sn.Host(names[i])
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		out[i] = h
		return err
	})
	return out, err
}

// stableHead returns head once no big change is being applied to the
// nodes, taking over a big change whose writer is gone.
func (s *Store) stableHead(ctx context.Context) (*head, *zk.Stat, error) {
	for {
		h, st, err := s.readHead(ctx)
		if err != nil || h.Applying == nil {
			return h, st, err
		}
		held, changed, err := s.lockHeld(ctx)
		if err != nil {
			return nil, nil, err
		}
		if !held {
			if err := s.takeOver(ctx, h); err != nil {
				return nil, nil, err
			}
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("waited for the big change %s (by %s) to finish being applied: %w", h.Applying.ID, h.Applying.By, ctx.Err())
		}
	}
}

// Lineage returns a host and every group above it ('all' included), read
// a level at a time: what a host's vars depend on, and no more.
func (sn *Snapshot) Lineage(host string) (*model.HostNode, map[string]*model.GroupNode, error) {
	h, err := sn.Host(host)
	if err != nil {
		return nil, nil, err
	}
	groups := map[string]*model.GroupNode{}
	next := []string{"all"}
	for _, e := range h.Groups {
		next = append(next, e.Name)
	}
	for len(next) > 0 {
		var level []string
		for _, name := range next {
			if _, ok := groups[name]; !ok && !slices.Contains(level, name) {
				level = append(level, name)
			}
		}
		got := make([]*model.GroupNode, len(level))
		if err := zkconn.Parallel(sn.ctx, len(level), 16, func(i int) error {
			var err error
			got[i], err = sn.Group(level[i])
			return err
		}); err != nil {
			return nil, nil, err
		}
		next = next[:0]
		for _, g := range got {
			groups[g.Name] = g
			for _, p := range g.Parents {
				next = append(next, p.Name)
			}
		}
	}
	return h, groups, nil
}
