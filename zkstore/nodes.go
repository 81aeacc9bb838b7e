package zkstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/record"
	"github.com/kook-project/kook/zkstore/segment"
)

// LoadNodes reads every node of the generation sn holds. It costs the
// whole inventory, on purpose: export, check and imports need all of it.
func (sn *Snapshot) LoadNodes() (*model.Nodes, error) {
	n, _, err := sn.loadNodes()
	return n, err
}

// loadNodes is LoadNodes, with the version of every node's znode.
func (sn *Snapshot) loadNodes() (*model.Nodes, map[string]int32, error) {
	n := &model.Nodes{Hosts: map[string]*model.HostNode{}, Groups: map[string]*model.GroupNode{}, KeyBase: sn.head.Generation << 32}
	versions := map[string]int32{}
	sn.mzxids = map[string]int64{}
	var mu sync.Mutex
	hosts, err := sn.s.childNames(sn.ctx, sn.s.hostsDir())
	if err != nil {
		return nil, nil, err
	}
	groups, err := sn.s.childNames(sn.ctx, sn.s.groupsDir())
	if err != nil {
		return nil, nil, err
	}
	hs := make([]*model.HostNode, len(hosts))
	if err := zkconn.Parallel(sn.ctx, len(hosts), 64, func(i int) error {
		data, st, err := sn.readNode(sn.s.HostPath(hosts[i]))
		if err != nil {
			return err
		}
		if hs[i], err = record.DecodeHost(hosts[i], data); err != nil {
			return fmt.Errorf("host record %s: %w", sn.s.HostPath(hosts[i]), err)
		}
		mu.Lock()
		versions[sn.s.HostPath(hosts[i])] = st.Version
		sn.mzxids[record.PrevKey(false, hosts[i])] = st.Mzxid
		mu.Unlock()
		return nil
	}); err != nil {
		return nil, nil, err
	}
	gs := make([]*model.GroupNode, len(groups))
	if err := zkconn.Parallel(sn.ctx, len(groups), 64, func(i int) error {
		data, st, err := sn.readNode(sn.s.GroupPath(groups[i]))
		if err != nil {
			return err
		}
		if gs[i], err = record.DecodeGroup(groups[i], data); err != nil {
			return fmt.Errorf("group record %s: %w", sn.s.GroupPath(groups[i]), err)
		}
		mu.Lock()
		versions[sn.s.GroupPath(groups[i])] = st.Version
		sn.mzxids[record.PrevKey(true, groups[i])] = st.Mzxid
		mu.Unlock()
		return nil
	}); err != nil {
		return nil, nil, err
	}
	for _, h := range hs {
		n.Hosts[h.Name] = h
	}
	for _, g := range gs {
		n.Groups[g.Name] = g
	}
	return n, versions, nil
}

// childNames lists the decoded names of a node directory.
func (s *Store) childNames(ctx context.Context, dir string) ([]string, error) {
	kids, _, err := s.conn.Children(ctx, dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	names := make([]string, len(kids))
	for i, k := range kids {
		if names[i], err = DecodeName(k); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Replace makes the stored inventory exactly what build returns, as one
// change however large: build gets every stored node (an empty inventory
// when nothing is stored) and returns the nodes to store, with keys after
// the base's KeyBase. Nodes equal to stored ones are not written. It holds
// the big-change lock while it reads, so no other change can come between
// what build saw and what is stored.
func (s *Store) Replace(ctx context.Context, opts model.UpdateOptions, build func(base *model.Nodes) (*model.Nodes, error)) (model.Result, error) {
	if opts.DryRun {
		return s.replaceDry(ctx, opts, build)
	}
	if s.opts.Renderer == nil {
		return model.Result{}, errNoRenderer
	}
	if err := s.makeDirs(ctx); err != nil {
		return model.Result{}, err
	}
	lockID := newWriterID(0)
	if err := s.lock(ctx, lockID); err != nil {
		return model.Result{}, err
	}
	defer s.unlock(context.WithoutCancel(ctx), lockID)
	if err := s.recoverLocked(ctx); err != nil {
		return model.Result{}, err
	}
	// Edits of a few nodes do not take the lock: one may move head between
	// the read and the switch to applying, and then the replace reads
	// head again.
	var (
		h, prep   *head
		pst       *zk.Stat
		gen       int64
		writer    string
		oldFormat bool
	)
	for attempt := 0; ; attempt++ {
		var (
			st      *zk.Stat
			err     error
			version = int32(-1)
		)
		h, st, err = s.readHead(ctx)
		oldFormat = false
		switch {
		case errors.Is(err, errOldFormat):
			// A store written by kook before format 2: replacing all of it
			// needs nothing of it. Its generations go on.
			raw, rst, rerr := s.readHeadRaw(ctx)
			if rerr != nil || raw == nil {
				return model.Result{}, err
			}
			h, version, oldFormat = &head{Format: format, Generation: raw.Generation, HistoryStart: 1}, rst.Version, true
		case errors.Is(err, model.ErrNotFound):
			h = nil
		case err != nil:
			return model.Result{}, err
		default:
			version = st.Version
		}
		gen = 1
		if h != nil {
			gen = h.Generation + 1
		}
		if err := checkAt(opts, gen-1); err != nil {
			return model.Result{}, err
		}
		writer = newWriterID(gen)
		prep, pst, err = s.beginBig(ctx, h, version, writer, gen)
		if err == nil {
			break
		}
		if !errors.Is(err, errRetry) {
			return model.Result{}, err
		}
		if err := zkconn.Backoff(ctx, attempt); err != nil {
			return model.Result{}, fmt.Errorf("replace inventory at %s: other writers kept moving head: %w", s.root, err)
		}
	}
	undo := func() {
		back := *prep
		back.Applying = nil
		s.setHead(context.WithoutCancel(ctx), &back, pst.Version)
	}
	planHead := h
	if oldFormat {
		planHead = nil // nothing of the old store is read
	}
	res, p, baseIdx, err := s.planReplace(ctx, planHead, gen, writer, build, opts)
	if err != nil || p == nil {
		undo()
		return res, err
	}
	if err := s.finishBig(ctx, prep, pst, p, baseIdx); err != nil {
		return res, err
	}
	if oldFormat {
		for _, dir := range []string{"trees", "blobs"} {
			s.conn.DeleteAll(ctx, path.Join(s.base(), dir))
		}
	}
	res.Generation, res.Written, res.Time = gen, true, p.commit.Time
	return res, nil
}

// planReplace reads the base, builds the target and plans the change; a
// nil plan means nothing changes.
func (s *Store) planReplace(ctx context.Context, h *head, gen int64, writer string,
	build func(*model.Nodes) (*model.Nodes, error), opts model.UpdateOptions) (model.Result, *commitPlan, *segment.Index, error) {
	res := model.Result{Generation: gen - 1}
	base := model.NewNodes(0)
	var baseIdx *segment.Index
	versions := map[string]int32{}
	var prevs map[string]int64
	if h != nil && h.Generation > 0 {
		// The lock and head.applying keep the nodes still: read them all.
		sn := &Snapshot{s: s, ctx: ctx, head: h, nodes: true, tables: map[string]*segment.Table{}}
		var err error
		if base, versions, err = sn.loadNodes(); err != nil {
			return res, nil, nil, err
		}
		prevs = sn.mzxids
		// A damaged index only means its segments are left for repair's
		// orphan sweep.
		baseIdx, _ = s.readIndex(ctx, h.Index)
	}
	base.KeyBase = gen << 32
	target, err := build(base.Clone())
	if err != nil {
		return res, nil, nil, err
	}
	if err := target.Validate(); err != nil {
		return res, nil, nil, err
	}
	hosts, groups := diffNodes(base, target)
	if h == nil || h.Generation == 0 {
		// Nothing was stored: 'all' and 'ungrouped' are created too.
		hosts, groups = diffNodes(&model.Nodes{}, target)
	}
	res.Changes = model.NodeDiff(hosts, groups)
	if len(hosts) == 0 && len(groups) == 0 {
		return res, nil, nil, nil
	}
	tables, err := s.opts.Renderer.Tables(target)
	if err != nil {
		return res, nil, nil, fmt.Errorf("render views: %w", err)
	}
	c := &model.Commit{Generation: gen, Time: time.Now(), User: opts.User, Tool: opts.Tool, Reason: opts.Reason,
		Hosts: hosts, Groups: groups}
	if c.Tool == "" {
		c.Tool = s.opts.Tool
	}
	s.who(c)
	p := &commitPlan{gen: gen, writer: writer, commit: c, nodes: s.conn.NewTxn(), big: true, versions: versions, prevs: prevs}
	for _, hc := range hosts {
		if hc.Before == nil {
			versions[s.HostPath(hc.After.Name)] = -1
		}
	}
	for _, gc := range groups {
		if gc.Before == nil {
			versions[s.GroupPath(gc.After.Name)] = -1
		}
	}
	p.segs = segment.NewWriter(writer)
	idx := &segment.Index{Tables: map[string][]segment.Ref{}}
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		idx.Tables[name] = p.segs.Build(tables[name])
	}
	if baseIdx != nil {
		idx.Dropped = baseIdx.IDs()
	}
	if h != nil && h.Index != "" {
		idx.Dropped = append(idx.Dropped, h.Index)
	}
	p.head = &head{Format: format, Generation: gen, Writer: writer, Time: c.Time.UnixMilli(),
		Hosts: int64(len(target.Hosts)), Groups: int64(len(target.Groups))}
	p.head.Index = p.segs.AddIndex(idx)
	return res, p, baseIdx, nil
}

func (s *Store) replaceDry(ctx context.Context, opts model.UpdateOptions, build func(*model.Nodes) (*model.Nodes, error)) (model.Result, error) {
	var res model.Result
	base := model.NewNodes(0)
	err := s.Read(ctx, true, func(sn *Snapshot) error {
		var err error
		base, err = sn.LoadNodes()
		res.Generation = sn.Generation()
		return err
	})
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return res, err
	}
	if err := checkAt(opts, res.Generation); err != nil {
		return res, err
	}
	base.KeyBase = (res.Generation + 1) << 32
	target, err := build(base.Clone())
	if err != nil {
		return res, err
	}
	if err := target.Validate(); err != nil {
		return res, err
	}
	res.Changes = model.NodeDiff(diffNodes(base, target))
	return res, nil
}

// diffNodes returns the nodes that differ between a and b, by name.
func diffNodes(a, b *model.Nodes) ([]model.HostChange, []model.GroupChange) {
	var hosts []model.HostChange
	for _, name := range slices.Sorted(maps.Keys(b.Hosts)) {
		if old := a.Hosts[name]; !model.EqualHostNodes(old, b.Hosts[name]) {
			hosts = append(hosts, model.HostChange{Before: old, After: b.Hosts[name]})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.Hosts)) {
		if b.Hosts[name] == nil {
			hosts = append(hosts, model.HostChange{Before: a.Hosts[name]})
		}
	}
	var groups []model.GroupChange
	for _, name := range slices.Sorted(maps.Keys(b.Groups)) {
		if old := a.Groups[name]; !model.EqualGroupNodes(old, b.Groups[name]) {
			groups = append(groups, model.GroupChange{Before: old, After: b.Groups[name]})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.Groups)) {
		if b.Groups[name] == nil {
			groups = append(groups, model.GroupChange{Before: a.Groups[name]})
		}
	}
	return hosts, groups
}
