package zkstore

import (
	"bytes"
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

// Problem is one thing Check found wrong with what is stored.
type Problem struct {
	Znode  string // the znode concerned, "" for the store as a whole
	What   string // for people
	Repair string // what Repair does about it, "" if it cannot
}

func (p Problem) String() string {
	if p.Znode == "" {
		return p.What
	}
	return p.Znode + ": " + p.What
}

// orphanAge is how old an unreferenced segment must be before it is taken
// for an orphan: a big change writes its segments seconds before head
// names them.
const orphanAge = 10 * time.Minute

// Check verifies what is stored: head, the index and every segment it
// names (present, decodable, sizes as the index says), that the views are
// what the nodes render, nodes edited by hand since the last change, nodes
// that break the inventory's rules, a big change left half applied, and
// orphan segments. It reads everything: its cost is the inventory's, on
// purpose. It returns the problems found, none when all is well.
func (s *Store) Check(ctx context.Context) ([]Problem, error) {
	var out []Problem
	add := func(znode, what, repair string) { out = append(out, Problem{znode, what, repair}) }
	data, hst, err := s.conn.Get(ctx, s.HeadPath())
	if errors.Is(err, zk.ErrNoNode) {
		if names, _ := s.childNames(ctx, s.hostsDir()); len(names) > 0 {
			add(s.HeadPath(), fmt.Sprintf("missing, but %d host nodes exist", len(names)), "rebuild head and views from the nodes")
		}
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.HeadPath(), err)
	}
	h, err := parseHead(data)
	if errors.Is(err, errOldFormat) {
		add(s.HeadPath(), "written by an older kook (format 1)", "migrate to format 2")
		return out, nil
	}
	if err != nil {
		add(s.HeadPath(), err.Error(), "rebuild head and views from the nodes")
		return out, nil
	}
	if h.Applying != nil {
		held, _, err := s.lockHeld(ctx)
		if err != nil {
			return nil, err
		}
		if !held {
			add(s.HeadPath(), fmt.Sprintf("big change %s (by %s) was left half done", h.Applying.ID, h.Applying.By), "finish or undo it")
		} else {
			add(s.HeadPath(), fmt.Sprintf("big change %s (by %s) is being applied; check again when it is done", h.Applying.ID, h.Applying.By), "")
		}
		return out, nil
	}
	idx, err := s.readIndex(ctx, h.Index)
	if err != nil {
		add(s.segmentPath(h.Index), err.Error(), "rebuild the views from the nodes")
		return out, nil
	}
	stored := map[string][]model.KV{}
	broken := false
	for _, name := range slices.Sorted(maps.Keys(idx.Tables)) {
		t := s.newTableReader(ctx, idx, name)
		for i, ref := range t.Refs() {
			entries, err := t.Segment(i)
			if err != nil {
				add(s.segmentPath(ref.ID), fmt.Sprintf("table %s: %v", name, err), "rebuild the views from the nodes")
				broken = true
				continue
			}
			if len(entries) > 0 && bytes.Compare(entries[0].Key, ref.Sep) < 0 {
				add(s.segmentPath(ref.ID), fmt.Sprintf("table %s: holds a key below its separator", name), "rebuild the views from the nodes")
				broken = true
			}
			stored[name] = append(stored[name], entries...)
		}
	}
	n, nodeProblems, err := s.checkNodes(ctx, hst)
	if err != nil {
		return nil, err
	}
	out = append(out, nodeProblems...)
	if n != nil && !broken && s.opts.Renderer != nil {
		if err := n.Validate(); err == nil {
			want, err := s.opts.Renderer.Tables(n)
			if err != nil {
				return nil, fmt.Errorf("render views: %w", err)
			}
			for _, name := range slices.Sorted(maps.Keys(want)) {
				if d := diffTable(stored[name], want[name]); d != "" {
					add("", fmt.Sprintf("view table %s is not what the nodes render: %s", name, d), "rebuild the views from the nodes")
				}
			}
			if int64(len(n.Hosts)) != h.Hosts || int64(len(n.Groups)) != h.Groups {
				add(s.HeadPath(), fmt.Sprintf("counts %d hosts, %d groups; the nodes are %d and %d", h.Hosts, h.Groups, len(n.Hosts), len(n.Groups)), "rebuild the views from the nodes")
			}
		}
	}
	orphans, err := s.orphans(ctx, h, idx)
	if err != nil {
		return nil, err
	}
	for _, id := range orphans {
		add(s.segmentPath(id), "orphan segment (no generation uses it)", "delete it")
	}
	return out, nil
}

// checkNodes reads every node, reporting the ones that do not decode,
// that were written after head (edited by hand: not yet in the views), or
// that break the inventory's rules. It returns the nodes that decode.
func (s *Store) checkNodes(ctx context.Context, hst *zk.Stat) (*model.Nodes, []Problem, error) {
	var out []Problem
	n := &model.Nodes{Hosts: map[string]*model.HostNode{}, Groups: map[string]*model.GroupNode{}}
	for _, kind := range []string{"host", "group"} {
		dir := s.hostsDir()
		if kind == "group" {
			dir = s.groupsDir()
		}
		names, err := s.childNames(ctx, dir)
		if err != nil {
			out = append(out, Problem{dir, err.Error(), ""})
			continue
		}
		type got struct {
			data []byte
			st   *zk.Stat
			err  error
		}
		res := make([]got, len(names))
		zkconn.Parallel(ctx, len(names), 64, func(i int) error {
			res[i].data, res[i].st, res[i].err = s.conn.Get(ctx, dir+"/"+EncodeName(names[i]))
			return nil
		})
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for i, name := range names {
			p := dir + "/" + EncodeName(name)
			r := res[i]
			if r.err != nil {
				if !errors.Is(r.err, zk.ErrNoNode) {
					return nil, nil, fmt.Errorf("read %s: %w", p, r.err)
				}
				continue
			}
			if r.st.Mzxid > hst.Mzxid {
				out = append(out, Problem{p, "changed after the current generation was written (edited by hand?): not yet in the views", "rebuild the views from the nodes"})
			}
			if kind == "host" {
				h, err := record.DecodeHost(name, r.data)
				if err != nil {
					out = append(out, Problem{p, err.Error(), ""})
					continue
				}
				if len(h.Extra) > 0 {
					out = append(out, Problem{p, fmt.Sprintf("has fields kook does not know (%s), kept as they are", strings.Join(h.Extra.Keys(), ", ")), ""})
				}
				n.Hosts[name] = h
			} else {
				g, err := record.DecodeGroup(name, r.data)
				if err != nil {
					out = append(out, Problem{p, err.Error(), ""})
					continue
				}
				if len(g.Extra) > 0 {
					out = append(out, Problem{p, fmt.Sprintf("has fields kook does not know (%s), kept as they are", strings.Join(g.Extra.Keys(), ", ")), ""})
				}
				n.Groups[name] = g
			}
		}
	}
	for _, fix := range nodeFixes(n) {
		out = append(out, Problem{fix.znode(s), fix.what, fix.repair})
	}
	if err := n.Validate(); err != nil && len(nodeFixes(n)) == 0 {
		out = append(out, Problem{"", "the nodes do not form a valid inventory: " + err.Error(), ""})
	}
	return n, out, nil
}

// nodeFix is one rule a node breaks that Repair can mend.
type nodeFix struct {
	host, group string
	what        string
	repair      string
	apply       func(n *model.Nodes)
}

func (f nodeFix) znode(s *Store) string {
	if f.host != "" {
		return s.HostPath(f.host)
	}
	return s.GroupPath(f.group)
}

// nodeFixes finds edges to groups that do not exist, hosts in no group and
// groups below none, and says how to mend each.
func nodeFixes(n *model.Nodes) []nodeFix {
	var out []nodeFix
	var maxKey int64
	for _, h := range n.Hosts {
		for _, e := range h.Groups {
			maxKey = max(maxKey, e.Key)
		}
	}
	for _, g := range n.Groups {
		maxKey = max(maxKey, g.Seq)
		for _, e := range g.Parents {
			maxKey = max(maxKey, e.Key)
		}
	}
	if n.Groups["all"] == nil || n.Groups["ungrouped"] == nil {
		out = append(out, nodeFix{group: "all", what: "'all' or 'ungrouped' is missing", repair: "create it",
			apply: func(n *model.Nodes) {
				seed := model.NewNodes(maxKey)
				for _, name := range []string{"all", "ungrouped"} {
					if n.Groups[name] == nil {
						n.Groups[name] = seed.Groups[name]
					}
				}
			}})
	}
	for _, name := range slices.Sorted(maps.Keys(n.Hosts)) {
		h := n.Hosts[name]
		for _, e := range h.Groups {
			if n.Groups[e.Name] == nil {
				out = append(out, nodeFix{host: name, what: fmt.Sprintf("member of group %q, which does not exist", e.Name),
					repair: "drop the membership", apply: func(n *model.Nodes) {
						h := n.Hosts[name]
						h.Groups = slices.DeleteFunc(h.Groups, func(x model.Edge) bool { return x.Name == e.Name })
					}})
			}
		}
		if !slices.ContainsFunc(h.Groups, func(e model.Edge) bool { return n.Groups[e.Name] != nil }) {
			out = append(out, nodeFix{host: name, what: "belongs to no group", repair: "put it in 'ungrouped'",
				apply: func(n *model.Nodes) {
					h := n.Hosts[name]
					h.Groups = append(h.Groups, model.Edge{Name: "ungrouped", Key: maxKey + model.KeyStep})
				}})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(n.Groups)) {
		g := n.Groups[name]
		for _, e := range g.Parents {
			if n.Groups[e.Name] == nil {
				out = append(out, nodeFix{group: name, what: fmt.Sprintf("child of group %q, which does not exist", e.Name),
					repair: "drop the link", apply: func(n *model.Nodes) {
						g := n.Groups[name]
						g.Parents = slices.DeleteFunc(g.Parents, func(x model.Edge) bool { return x.Name == e.Name })
					}})
			}
		}
		if name != "all" && !slices.ContainsFunc(g.Parents, func(e model.Edge) bool { return n.Groups[e.Name] != nil }) {
			out = append(out, nodeFix{group: name, what: "has no parent group", repair: "put it below 'all'",
				apply: func(n *model.Nodes) {
					g := n.Groups[name]
					g.Parents = append(g.Parents, model.Edge{Name: "all", Key: maxKey + model.KeyStep})
				}})
		}
	}
	return out
}

// diffTable describes the first differences between two sorted tables.
func diffTable(got, want []model.KV) string {
	var diffs []string
	i, j := 0, 0
	for (i < len(got) || j < len(want)) && len(diffs) < 3 {
		switch {
		case j == len(want) || i < len(got) && bytes.Compare(got[i].Key, want[j].Key) < 0:
			diffs = append(diffs, fmt.Sprintf("extra entry %q", printable(got[i].Key)))
			i++
		case i == len(got) || bytes.Compare(want[j].Key, got[i].Key) < 0:
			diffs = append(diffs, fmt.Sprintf("missing entry %q", printable(want[j].Key)))
			j++
		default:
			if !bytes.Equal(got[i].Value, want[j].Value) {
				diffs = append(diffs, fmt.Sprintf("entry %q differs", printable(got[i].Key)))
			}
			i++
			j++
		}
	}
	return strings.Join(diffs, "; ")
}

// printable shows a table key for people: its printable bytes.
func printable(key []byte) string {
	var b strings.Builder
	for _, c := range key {
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// orphans lists the segments no generation a reader may use refers to:
// not the current index, what it names, nor what the generation before
// used (its dropped list), nor a big change's in flight, and older than
// orphanAge.
func (s *Store) orphans(ctx context.Context, h *head, idx *segment.Index) ([]string, error) {
	kids, _, err := s.conn.Children(ctx, s.segmentsDir())
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.segmentsDir(), err)
	}
	live := map[string]bool{h.Index: true}
	for _, id := range idx.IDs() {
		live[id] = true
	}
	for _, id := range idx.Dropped {
		live[id] = true
	}
	var out []string
	for _, k := range kids {
		if live[k] {
			continue
		}
		if g, ok := idGeneration(k); ok && g > h.Generation {
			continue // a change in flight
		}
		_, st, err := s.conn.Exists(ctx, s.segmentPath(k))
		if err != nil || st == nil || time.Since(time.UnixMilli(st.Ctime)) < orphanAge {
			continue
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// Repair mends what Check finds and can mend, and says what it did: it
// finishes or undoes a big change left half done, migrates a format 1
// store, mends nodes that break the inventory's rules (edges to missing
// groups, hosts in no group, groups below none), rebuilds head and the
// views from the nodes when they are missing, damaged or stale (a new
// generation, with a change record), and deletes orphan segments.
func (s *Store) Repair(ctx context.Context, opts model.UpdateOptions) ([]string, error) {
	var did []string
	if s.opts.Renderer == nil {
		return nil, errNoRenderer
	}
	if err := s.makeDirs(ctx); err != nil {
		return nil, err
	}
	lockID := newWriterID(0)
	if err := s.lock(ctx, lockID); err != nil {
		return nil, err
	}
	h, _, err := s.readHeadRaw(ctx)
	if err == nil && h != nil && h.Applying != nil {
		if err := s.recoverLocked(ctx); err != nil {
			s.unlock(context.WithoutCancel(ctx), lockID)
			return did, err
		}
		did = append(did, fmt.Sprintf("finished or undid big change %s (by %s)", h.Applying.ID, h.Applying.By))
	}
	if h != nil && h.Format < format {
		if err := s.migrate(ctx); err != nil {
			s.unlock(context.WithoutCancel(ctx), lockID)
			return did, err
		}
		did = append(did, "migrated the store from format 1")
	}
	s.unlock(context.WithoutCancel(ctx), lockID)
	problems, err := s.Check(ctx)
	if err != nil {
		return did, err
	}
	rebuild := false
	var orphans []string
	for _, p := range problems {
		switch {
		case strings.HasPrefix(p.Repair, "rebuild"), strings.HasPrefix(p.Repair, "drop"), strings.HasPrefix(p.Repair, "put"), strings.HasPrefix(p.Repair, "create"):
			rebuild = true
		case p.Repair == "delete it":
			orphans = append(orphans, strings.TrimPrefix(p.Znode, s.segmentsDir()+"/"))
		}
	}
	if rebuild {
		res, fixed, err := s.rebuild(ctx, opts)
		did = append(did, fixed...)
		if err != nil {
			return did, err
		}
		did = append(did, fmt.Sprintf("rebuilt head and views from the nodes (generation %d)", res.Generation))
	}
	if len(orphans) > 0 {
		s.deleteSegments(ctx, orphans)
		did = append(did, fmt.Sprintf("deleted %d orphan segments", len(orphans)))
	}
	return did, nil
}

// rebuild mends the nodes and writes the views anew.
func (s *Store) rebuild(ctx context.Context, opts model.UpdateOptions) (model.Result, []string, error) {
	var fixed []string
	if h, _, err := s.readHead(ctx); err == nil && h.Applying == nil {
		res, err := s.Replace(ctx, opts, func(base *model.Nodes) (*model.Nodes, error) {
			for _, f := range nodeFixes(base) {
				f.apply(base)
				fixed = append(fixed, f.znode(s)+": "+f.what+": "+f.repair)
			}
			return base, nil
		})
		if err != nil || res.Written {
			return res, fixed, err
		}
		// The nodes are fine: write the views anew all the same.
		res, err = s.RebuildViews(ctx, opts)
		return res, fixed, err
	}
	// Head is missing or broken: mend the nodes where they are, then make
	// a head.
	sn := &Snapshot{s: s, ctx: ctx, head: &head{}, nodes: true, tables: map[string]*segment.Table{}}
	n, err := sn.LoadNodes()
	if err != nil {
		return model.Result{}, nil, err
	}
	for _, f := range nodeFixes(n) {
		f.apply(n)
		fixed = append(fixed, f.znode(s)+": "+f.what+": "+f.repair)
		if f.host != "" {
			if _, err := s.conn.Set(ctx, s.HostPath(f.host), record.Host(n.Hosts[f.host]), -1); err != nil {
				return model.Result{}, fixed, err
			}
		} else if g := n.Groups[f.group]; g != nil {
			data := record.Group(g)
			_, err := s.conn.Set(ctx, s.GroupPath(f.group), data, -1)
			if errors.Is(err, zk.ErrNoNode) {
				err = s.conn.Create(ctx, s.GroupPath(f.group), data)
			}
			if err != nil {
				return model.Result{}, fixed, err
			}
		}
	}
	res, err := s.RebuildViews(ctx, opts)
	return res, fixed, err
}

// readHeadRaw reads head without judging its format; nil when absent or
// unreadable.
func (s *Store) readHeadRaw(ctx context.Context) (*head, *zk.Stat, error) {
	data, st, err := s.conn.Get(ctx, s.HeadPath())
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	h, err := parseHead(data)
	if err != nil && !errors.Is(err, errOldFormat) {
		return nil, st, nil
	}
	return h, st, nil
}

// RebuildViews writes the views of the current nodes as a new generation
// whose change touches no node. With head broken or missing it writes a
// new head. It reads every node, on purpose.
func (s *Store) RebuildViews(ctx context.Context, opts model.UpdateOptions) (model.Result, error) {
	lockID := newWriterID(0)
	if err := s.lock(ctx, lockID); err != nil {
		return model.Result{}, err
	}
	defer s.unlock(context.WithoutCancel(ctx), lockID)
	h, st, _ := s.readHeadRaw(ctx)
	gen, version := int64(1), int32(-1)
	if h != nil && h.Format == format {
		gen, version = h.Generation+1, st.Version
	} else if st != nil {
		version = st.Version
	}
	sn := &Snapshot{s: s, ctx: ctx, head: &head{Generation: gen - 1}, nodes: true, tables: map[string]*segment.Table{}}
	n, err := sn.LoadNodes()
	if err != nil {
		return model.Result{}, err
	}
	if err := n.Validate(); err != nil {
		return model.Result{}, fmt.Errorf("the nodes do not form a valid inventory, so no views can be made: %w", err)
	}
	tables, err := s.opts.Renderer.Tables(n)
	if err != nil {
		return model.Result{}, fmt.Errorf("render views: %w", err)
	}
	writer := newWriterID(gen)
	w := segment.NewWriter(writer)
	idx := &segment.Index{Tables: map[string][]segment.Ref{}}
	for _, name := range slices.Sorted(maps.Keys(tables)) {
		idx.Tables[name] = w.Build(tables[name])
	}
	if h != nil && h.Format == format {
		if old, err := s.readIndex(ctx, h.Index); err == nil {
			idx.Dropped = append(old.IDs(), h.Index)
		}
	}
	c := &model.Commit{Generation: gen, Time: time.Now(), Tool: opts.Tool, Reason: opts.Reason, User: opts.User}
	if c.Tool == "" {
		c.Tool = s.opts.Tool
	}
	if c.Reason == "" {
		c.Reason = "repair: views rebuilt from the nodes"
	}
	s.who(c)
	nh := &head{Format: format, Generation: gen, Writer: writer, Time: c.Time.UnixMilli(),
		Hosts: int64(len(n.Hosts)), Groups: int64(len(n.Groups)), HistoryStart: 1}
	if h != nil && h.Format == format && h.HistoryStart > 0 {
		nh.HistoryStart = h.HistoryStart
	}
	nh.Index = w.AddIndex(idx)
	if err := s.writeSegments(ctx, w); err != nil {
		s.deleteSegments(context.WithoutCancel(ctx), w.Made())
		return model.Result{}, err
	}
	txn := s.conn.NewTxn()
	if version < 0 {
		txn.Create(s.HeadPath(), nh.marshal())
	} else {
		txn.Set(s.HeadPath(), nh.marshal(), version)
	}
	s.conn.Delete(ctx, s.HistoryPath(gen, 0), -1) // a record left by a head that was lost
	s.addHistory(txn, c, writer, nil, false)
	if _, err := s.conn.Commit(ctx, txn); err != nil {
		if zkconn.IsMaybeApplied(err) || zkconn.IsTransient(err) {
			// The reply was lost: the generation may be stored. Find out;
			// never delete what may be live.
			applied, rerr := s.resolve(ctx, gen, writer)
			if rerr == nil && applied {
				return model.Result{Generation: gen, Written: true, Time: c.Time}, nil
			}
			if rerr != nil {
				return model.Result{}, fmt.Errorf("generation %d may or may not have been stored: the reply was lost (%v) and checking failed: %w", gen, err, rerr)
			}
		}
		s.deleteSegments(context.WithoutCancel(ctx), w.Made())
		return model.Result{}, fmt.Errorf("write generation %d: %w", gen, err)
	}
	return model.Result{Generation: gen, Written: true, Time: c.Time}, nil
}
