package zkstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
)

// LoadEntities reads the inventory from the per-entity znodes, the source of
// truth, bypassing the materialized views: the slow path, one request per
// host and group, many in flight. It is consistent: if the generation moves
// while it reads, it reads again.
func (s *Store) LoadEntities(ctx context.Context) (*model.Inventory, int64, error) {
	snap, err := s.loadEntities(ctx)
	if err != nil {
		return nil, 0, err
	}
	return snap.inv, snap.head.Generation, nil
}

func (s *Store) loadEntities(ctx context.Context) (*snapshot, error) {
	readers, done := s.readers(ctx)
	defer done()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		h, ver, err := s.readHead()
		if err != nil {
			return nil, err
		}
		snap := emptySnapshot()
		snap.head, snap.headVersion = h, ver
		hosts, err := s.readRecords(ctx, readers, h.Tree, "hosts")
		if err == nil {
			var groups []zvRecord
			groups, err = s.readRecords(ctx, readers, h.Tree, "groups")
			if err == nil {
				err = s.readMembers(ctx, h.Tree, groups)
			}
			if err == nil {
				snap.inv = &model.Inventory{}
				for _, r := range hosts {
					snap.inv.Hosts = append(snap.inv.Hosts, r.host)
					snap.hostSeq[r.name], snap.hostZV[r.name] = r.seq, r.zv
				}
				for _, r := range groups {
					snap.inv.Groups = append(snap.inv.Groups, r.grp)
					snap.groupSeq[r.name], snap.groupZV[r.name] = r.seq, r.zv
				}
			}
		}
		if err != nil && !errors.Is(err, errStale) {
			return nil, err
		}
		h2, ver2, herr := s.readHead()
		if herr != nil {
			return nil, herr
		}
		if err == nil && ver2 == ver && h2.Generation == h.Generation {
			return snap, nil
		}
		backoff(attempt)
	}
	return nil, fmt.Errorf("read inventory entities at %s: it kept changing: %w", s.root, model.ErrConflict)
}

type zvRecord struct {
	record
	zv int32
}

// readers returns the sessions the slow path reads through: the store's
// own and, when Open dialled it, up to three more. One session serves about
// 15-20k reads a second whatever the concurrency, four about 30k. done
// closes the extra ones.
func (s *Store) readers(ctx context.Context) (conns []*Conn, done func()) {
	conns = []*Conn{s.conn}
	if s.cfg == nil {
		return conns, func() {}
	}
	extra := make([]*Conn, 3)
	var wg sync.WaitGroup
	for i := range extra {
		wg.Add(1)
		go func() {
			defer wg.Done()
			extra[i], _ = Dial(ctx, *s.cfg) // without it, fewer sessions read
		}()
	}
	wg.Wait()
	for _, c := range extra {
		if c != nil {
			conns = append(conns, c)
		}
	}
	return conns, func() {
		for _, c := range conns[1:] {
			c.Close()
		}
	}
}

// readRecords reads every record of one kind in a tree, sorted by seq,
// spreading the reads over conns.
func (s *Store) readRecords(ctx context.Context, conns []*Conn, tree, kind string) ([]zvRecord, error) {
	dir := s.treePath(tree) + "/" + kind
	names, _, err := s.conn.Children(dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, errStale
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	recs := make([]zvRecord, len(names))
	err = parallel(len(names), 32*len(conns), func(i int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := dir + "/" + names[i]
		data, st, err := conns[i%len(conns)].Get(p)
		if errors.Is(err, zk.ErrNoNode) {
			return errStale
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		name, err := DecodeName(names[i])
		if err != nil {
			return err
		}
		r, err := parseRecord(data, kind == "groups")
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		r.name = name
		if r.host != nil {
			r.host.Name = name
		} else {
			r.grp.Name = name
		}
		recs[i] = zvRecord{r, st.Version}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].seq != recs[j].seq {
			return recs[i].seq < recs[j].seq
		}
		return recs[i].name < recs[j].name
	})
	return recs, nil
}

// Rebuild rewrites the materialized views from the per-entity znodes, for
// when those were edited by hand (zkCli.sh). It is one version-checked
// change like any other and returns the new generation.
func (s *Store) Rebuild(ctx context.Context) (int64, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		snap, err := s.loadEntities(ctx)
		if err != nil {
			return 0, err
		}
		if err := snap.inv.Validate(); err != nil {
			return 0, fmt.Errorf("entities at %s: %w", s.root, err)
		}
		gen := snap.head.Generation + 1
		id := newID(gen)
		views, buckets := s.render(snap)
		next := head{Generation: gen, Tree: snap.head.Tree, Blob: id, Views: map[string]int64{}, HostBuckets: buckets}
		if err := s.writeBlobs(id, views, next.Views); err != nil {
			s.deleteBlob(id)
			return 0, err
		}
		_, err = s.conn.Multi(&zk.SetDataRequest{Path: s.headPath(), Data: next.marshal(), Version: snap.headVersion})
		if err != nil {
			s.deleteBlob(id)
			if err = conflictOr(err, "rebuild generation %d", gen); errors.Is(err, model.ErrConflict) {
				backoff(attempt)
				continue
			}
			return 0, err
		}
		snap.head, snap.headVersion = next, snap.headVersion+1
		s.mu.Lock()
		s.cached = snap
		s.mu.Unlock()
		s.collect(next)
		return gen, nil
	}
	return 0, fmt.Errorf("rebuild at %s: %w", s.root, model.ErrConflict)
}

// readMembers fills in the member lists that groups keep in parts.
func (s *Store) readMembers(ctx context.Context, tree string, groups []zvRecord) error {
	type part struct {
		group *model.Group
		i     int
		path  string
		hosts []string
	}
	var parts []part
	for _, r := range groups {
		for i := 0; i < int(r.hostParts); i++ {
			parts = append(parts, part{group: r.grp, i: i, path: s.memberPath(tree, r.name, i)})
		}
	}
	err := parallel(len(parts), 16, func(i int) error {
		data, _, err := s.conn.Get(parts[i].path)
		if errors.Is(err, zk.ErrNoNode) {
			return errStale
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", parts[i].path, err)
		}
		v, err := model.UnmarshalJSON(data)
		if err == nil {
			parts[i].hosts, err = asStrings(v)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", parts[i].path, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range parts { // in group order, then part order
		p.group.Hosts = append(p.group.Hosts, p.hosts...)
	}
	return nil
}
