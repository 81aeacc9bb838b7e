package zkstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"path"
	"runtime"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
)

// write stores next as the generation after old.
//
//  1. The views of next (the model blob first) are written as new immutable
//     chunk znodes, invisible until head names them.
//  2. If the entity changes fit in one multi, one multi sets head (checking
//     the version read) and creates, sets (checking each znode version read)
//     and deletes the changed host and group znodes in the current tree.
//  3. Otherwise a new tree with every entity is written in batches, and one
//     multi switches head to it. Readers see the old tree or the new one.
//
// On a lost race it cleans up what it wrote and returns ErrConflict; Update
// retries. Afterwards it deletes blobs and trees that no head names.
func (s *Store) write(ctx context.Context, old *snapshot, next *model.Inventory) (int64, error) {
	gen := old.head.Generation + 1
	id := newID(gen)
	snap := emptySnapshot()
	snap.inv = next
	snap.hostSeq = assignSeqs(hostNames(next), old.hostSeq)
	snap.groupSeq = assignSeqs(groupNames(next), old.groupSeq)

	ops, err := s.entityOps(old, snap)
	if err != nil {
		return old.head.Generation, err
	}
	inPlace := old.headVersion >= 0 && ops.size <= maxMulti && len(ops.list) <= maxMultiOps
	tree := old.head.Tree
	if inPlace {
		snap.hostZV, snap.groupZV = ops.hostZV, ops.groupZV
	} else {
		tree = "t" + id // every znode of a new tree has version 0
	}

	if old.headVersion < 0 {
		for _, dir := range []string{"trees", "blobs"} {
			if err := s.conn.EnsurePath(path.Join(s.base(), dir)); err != nil {
				return 0, fmt.Errorf("create %s: %w", s.root, err)
			}
		}
	}
	views, buckets := s.render(snap)
	snap.head = head{Generation: gen, Tree: tree, Blob: id, Views: map[string]int64{}, HostBuckets: buckets}
	// Rendering took a while: if another writer got in meanwhile, lose now,
	// before writing any blob.
	if _, st, err := s.conn.Get(s.headPath()); err == nil && st.Version != old.headVersion {
		return old.head.Generation, fmt.Errorf("head moved while rendering: %w", model.ErrConflict)
	}
	if err := s.writeBlobs(id, views, snap.head.Views); err != nil {
		s.deleteBlob(id)
		return old.head.Generation, err
	}
	if err := ctx.Err(); err != nil {
		s.deleteBlob(id)
		return old.head.Generation, err
	}

	headData := snap.head.marshal()
	var headOp any = &zk.SetDataRequest{Path: s.headPath(), Data: headData, Version: old.headVersion}
	if old.headVersion < 0 {
		headOp = &zk.CreateRequest{Path: s.headPath(), Data: headData}
	}
	if inPlace {
		res, err := s.conn.Multi(append([]any{headOp}, ops.list...)...)
		if err != nil {
			s.deleteBlob(id)
			if len(res) > 0 && res[0].Error == nil {
				// head was current but an entity znode was not as the
				// snapshot says: someone wrote it behind kook's back.
				// Rebuild the snapshot from the entities, then retry.
				s.forget(old)
				if _, rerr := s.Rebuild(ctx); rerr != nil {
					return old.head.Generation, fmt.Errorf("entity znodes changed outside kook; rebuild: %w", rerr)
				}
				return old.head.Generation, fmt.Errorf("entity znodes changed outside kook (snapshot rebuilt): %w", model.ErrConflict)
			}
			return old.head.Generation, conflictOr(err, "write generation %d", gen)
		}
	} else {
		if err := s.writeTree(tree, snap); err != nil {
			s.deleteTree(tree)
			s.deleteBlob(id)
			return old.head.Generation, err
		}
		if _, err := s.conn.Multi(headOp); err != nil {
			s.deleteTree(tree)
			s.deleteBlob(id)
			return old.head.Generation, conflictOr(err, "switch to generation %d", gen)
		}
	}
	snap.headVersion = old.headVersion + 1
	s.mu.Lock()
	s.cached = snap
	s.mu.Unlock()
	s.collect(snap.head)
	return gen, nil
}

// conflictOr maps a lost race to ErrConflict and wraps anything else.
func conflictOr(err error, format string, args ...any) error {
	if errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf(format+": %w", append(args, model.ErrConflict)...)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// entityChanges are the multi ops that turn old's entities into next's in
// place, with their estimated request size and the znode versions each
// entity will have afterwards.
type entityChanges struct {
	list            []any
	size            int
	hostZV, groupZV map[string]int32
}

func (s *Store) entityOps(old, next *snapshot) (*entityChanges, error) {
	c := &entityChanges{hostZV: map[string]int32{}, groupZV: map[string]int32{}}
	tree := old.head.Tree
	add := func(op any, p string, data []byte) {
		c.list = append(c.list, op)
		c.size += len(p) + len(data) + opOverhead
	}
	var buf, oldBuf []byte
	for _, h := range next.inv.Hosts {
		buf = appendHostRecord(buf[:0], h, next.hostSeq[h.Name], false)
		if len(buf) > maxRecord {
			return nil, fmt.Errorf("host %q: its record is %d bytes, over the %d-byte znode limit: %w", h.Name, len(buf), maxRecord, model.ErrTooLarge)
		}
		p := s.hostPath(tree, h.Name)
		oh := old.inv.Host(h.Name)
		if oh == nil {
			add(&zk.CreateRequest{Path: p, Data: bytes.Clone(buf)}, p, buf)
			c.hostZV[h.Name] = 0
			continue
		}
		zv := old.hostZV[h.Name]
		oldBuf = appendHostRecord(oldBuf[:0], oh, old.hostSeq[h.Name], false)
		if bytes.Equal(buf, oldBuf) {
			c.hostZV[h.Name] = zv
			continue
		}
		add(&zk.SetDataRequest{Path: p, Data: bytes.Clone(buf), Version: zv}, p, buf)
		c.hostZV[h.Name] = zv + 1
	}
	for _, h := range old.inv.Hosts {
		if next.inv.Host(h.Name) == nil {
			p := s.hostPath(tree, h.Name)
			add(&zk.DeleteRequest{Path: p, Version: old.hostZV[h.Name]}, p, nil)
		}
	}
	for _, g := range next.inv.Groups {
		rec, parts := groupZnodes(g, next.groupSeq[g.Name])
		if len(rec) > maxRecord {
			return nil, fmt.Errorf("group %q: its record is %d bytes, over the %d-byte znode limit: %w", g.Name, len(rec), maxRecord, model.ErrTooLarge)
		}
		p := s.groupPath(tree, g.Name)
		og := old.inv.Group(g.Name)
		var oldRec []byte
		var oldParts [][]byte
		if og != nil {
			oldRec, oldParts = groupZnodes(og, old.groupSeq[g.Name])
		}
		partsChanged := s.partOps(add, tree, g.Name, oldParts, parts)
		switch {
		case og == nil:
			add(&zk.CreateRequest{Path: p, Data: rec}, p, rec)
			c.groupZV[g.Name] = 0
		case !partsChanged && bytes.Equal(rec, oldRec):
			c.groupZV[g.Name] = old.groupZV[g.Name]
		default:
			// Set even when only parts changed: the record's version
			// check guards the whole group.
			zv := old.groupZV[g.Name]
			add(&zk.SetDataRequest{Path: p, Data: rec, Version: zv}, p, rec)
			c.groupZV[g.Name] = zv + 1
		}
	}
	for _, g := range old.inv.Groups {
		if next.inv.Group(g.Name) == nil {
			p := s.groupPath(tree, g.Name)
			add(&zk.DeleteRequest{Path: p, Version: old.groupZV[g.Name]}, p, nil)
			_, oldParts := groupZnodes(g, old.groupSeq[g.Name])
			s.partOps(add, tree, g.Name, oldParts, nil)
		}
	}
	return c, nil
}

// partOps adds the ops that turn a group's member-list parts from old into
// next, and reports whether there were any.
func (s *Store) partOps(add func(op any, p string, data []byte), tree, group string, old, next [][]byte) bool {
	changed := false
	for i := 0; i < max(len(old), len(next)); i++ {
		p := s.memberPath(tree, group, i)
		switch {
		case i >= len(old):
			add(&zk.CreateRequest{Path: p, Data: next[i]}, p, next[i])
		case i >= len(next):
			add(&zk.DeleteRequest{Path: p, Version: -1}, p, nil)
		case !bytes.Equal(old[i], next[i]):
			add(&zk.SetDataRequest{Path: p, Data: next[i], Version: -1}, p, next[i])
		default:
			continue
		}
		changed = true
	}
	return changed
}

// Gzip levels. The views readers print are read far more often than
// written, and a harder-compressed view is both fewer bytes to fetch and
// faster to decompress; the model blob, read only by writers, is
// compressed fast.
const (
	viewLevel  = gzip.DefaultCompression
	modelLevel = gzip.BestSpeed
)

// render produces every view of snap, gzip'd, and the number of host
// buckets. The model blob records the znode versions snap.hostZV/groupZV, so
// they must be final.
func (s *Store) render(snap *snapshot) (map[string][]byte, int64) {
	// The model blob does not depend on the views: build it alongside.
	var blob []byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		blob = encodeModelBlob(snap.inv, snap.hostSeq, snap.groupSeq, snap.hostZV, snap.groupZV)
	}()
	list, buckets := renderViews(snap.inv)
	gz := gzipViews(append([][]byte{list}, buckets...))
	<-done
	out := map[string][]byte{"model": blob, "list": gz[0]}
	for i, b := range gz[1:] {
		out[fmt.Sprintf("host.%d", i)] = b
	}
	return out, int64(len(buckets))
}

// gzipPiece is the most of a view one gzip member holds. A gzip stream may
// be several members one after another, read as one: a large view (the
// --list of 100,000 hosts is 25 MB) is compressed in pieces on every
// processor instead of on one.
const gzipPiece = 4 << 20

// gzipViews compresses each view, in parallel pieces.
func gzipViews(views [][]byte) [][]byte {
	type piece struct {
		view int
		data []byte
	}
	var pieces []piece
	for i, v := range views {
		for off := 0; off < len(v) || off == 0; off += gzipPiece {
			pieces = append(pieces, piece{i, v[off:min(off+gzipPiece, len(v))]})
		}
	}
	gz := make([][]byte, len(pieces))
	parallel(len(pieces), runtime.GOMAXPROCS(0), func(i int) error {
		gz[i] = gzipBytes(pieces[i].data, viewLevel)
		return nil
	})
	out := make([][]byte, len(views))
	for i, p := range pieces {
		if out[p.view] == nil {
			out[p.view] = gz[i]
		} else {
			out[p.view] = append(out[p.view], gz[i]...)
		}
	}
	return out
}

// hostsPerBucket sizes the host buckets: --host reads one bucket, and every
// write rewrites them all, so a bucket holds about this many hosts.
const hostsPerBucket = 1024

// renderViews renders what kook-inventory --list prints, and every host's
// --host output into buckets of lines `"name"<TAB>{vars}`. JSON holds no raw
// tab or newline, so a reader finds a host's line without parsing JSON.
func renderViews(inv *model.Inventory) (list []byte, buckets [][]byte) {
	n := 1
	for n*hostsPerBucket < len(inv.Hosts) {
		n *= 2
	}
	buckets = make([][]byte, n)
	list = script.Render(inv, func(name string, vars []byte) {
		i := bucketOf(name, int64(n))
		buckets[i] = model.AppendString(buckets[i], name)
		buckets[i] = append(buckets[i], '\t')
		buckets[i] = append(buckets[i], vars...) // ends with a newline
	})
	return list, buckets
}

func bucketOf(name string, n int64) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int64(h.Sum32()) % n
}

// writeBlobs creates the chunk znodes of every view, concurrently, and
// records each view's chunk count in counts.
func (s *Store) writeBlobs(id string, views map[string][]byte, counts map[string]int64) error {
	type chunk struct {
		path string
		data []byte
	}
	var chunks []chunk
	for name, data := range views {
		n := int64(0)
		for off := 0; off < len(data) || n == 0; off += maxChunk {
			end := min(off+maxChunk, len(data))
			chunks = append(chunks, chunk{s.chunkPath(id, name, n), data[off:end]})
			n++
		}
		counts[name] = n
	}
	return parallel(len(chunks), 8, func(i int) error {
		if err := s.conn.Create(chunks[i].path, chunks[i].data); err != nil {
			return fmt.Errorf("write %s: %w", chunks[i].path, err)
		}
		return nil
	})
}

// writeTree creates tree with every entity of snap, in multis that stay
// under the request limit, several in flight.
func (s *Store) writeTree(tree string, snap *snapshot) error {
	tp := s.treePath(tree)
	for _, p := range []string{tp, tp + "/hosts", tp + "/groups", tp + "/members"} {
		if err := s.conn.Create(p, nil); err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	var batches [][]any
	var batch []any
	size := 0
	add := func(p string, data []byte) {
		if len(batch) > 0 && (size+len(p)+len(data)+opOverhead > maxBatch || len(batch) >= maxMultiOps) {
			batches = append(batches, batch)
			batch, size = nil, 0
		}
		batch = append(batch, &zk.CreateRequest{Path: p, Data: data})
		size += len(p) + len(data) + opOverhead
	}
	for _, h := range snap.inv.Hosts {
		add(s.hostPath(tree, h.Name), appendHostRecord(nil, h, snap.hostSeq[h.Name], false))
	}
	for _, g := range snap.inv.Groups {
		rec, parts := groupZnodes(g, snap.groupSeq[g.Name])
		add(s.groupPath(tree, g.Name), rec)
		for i, part := range parts {
			add(s.memberPath(tree, g.Name, i), part)
		}
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	return parallel(len(batches), 4, func(i int) error {
		if _, err := s.conn.Multi(batches[i]...); err != nil {
			return fmt.Errorf("write tree %s: %w", tree, err)
		}
		return nil
	})
}

// collect deletes blobs older than the previous generation and trees other
// than the current one that no writer can still be filling (their
// generation is not newer than cur's). Readers that lose a blob or tree
// mid-read start over. Failures are ignored: the next write tries again.
func (s *Store) collect(cur head) {
	blobs, _, err := s.conn.Children(path.Join(s.base(), "blobs"))
	if err == nil {
		var stale []string
		for _, b := range blobs {
			if g, ok := idGeneration(b); ok && g < cur.Generation-1 {
				stale = append(stale, path.Join(s.base(), "blobs", b))
			}
		}
		s.deleteMany(stale)
	}
	trees, _, err := s.conn.Children(path.Join(s.base(), "trees"))
	if err == nil {
		for _, t := range trees {
			if g, ok := idGeneration(strings.TrimPrefix(t, "t")); ok && t != cur.Tree && g <= cur.Generation {
				s.deleteTree(t)
			}
		}
	}
}

// idGeneration reads the generation from an id ("000000000012-ab12cd34...").
func idGeneration(id string) (int64, bool) {
	var g int64
	i := 0
	for ; i < len(id) && id[i] >= '0' && id[i] <= '9'; i++ {
		g = g*10 + int64(id[i]-'0')
	}
	return g, i == 12 && i < len(id) && id[i] == '-'
}

func (s *Store) deleteBlob(id string) {
	blobs, _, err := s.conn.Children(path.Join(s.base(), "blobs"))
	if err != nil {
		return
	}
	var mine []string
	for _, b := range blobs {
		if strings.HasPrefix(b, id+".") {
			mine = append(mine, path.Join(s.base(), "blobs", b))
		}
	}
	s.deleteMany(mine)
}

// deleteTree removes a tree: its entities in multi batches, then itself.
func (s *Store) deleteTree(tree string) {
	tp := s.treePath(tree)
	for _, kind := range []string{"hosts", "groups", "members"} {
		kids, _, err := s.conn.Children(tp + "/" + kind)
		if err != nil {
			continue
		}
		paths := make([]string, len(kids))
		for i, k := range kids {
			paths[i] = tp + "/" + kind + "/" + k
		}
		s.deleteMany(paths)
	}
	s.deleteMany([]string{tp + "/hosts", tp + "/groups", tp + "/members"})
	s.deleteMany([]string{tp})
}

// deleteMany deletes leaf znodes in multi batches, a few in flight. A batch
// that fails (a znode already gone) falls back to one delete per znode.
func (s *Store) deleteMany(paths []string) {
	const batch = 1000
	n := (len(paths) + batch - 1) / batch
	parallel(n, 4, func(i int) error {
		part := paths[i*batch : min((i+1)*batch, len(paths))]
		ops := make([]any, len(part))
		for j, p := range part {
			ops[j] = &zk.DeleteRequest{Path: p, Version: -1}
		}
		if _, err := s.conn.Multi(ops...); err != nil {
			for _, p := range part {
				s.conn.Delete(p, -1)
			}
		}
		return nil
	})
}

// parallel runs fn(0..n-1) with at most width in flight and returns the
// first error.
func parallel(n, width int, fn func(i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, width)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return firstErr
}

func hostNames(inv *model.Inventory) []string {
	names := make([]string, len(inv.Hosts))
	for i, h := range inv.Hosts {
		names[i] = h.Name
	}
	return names
}

func groupNames(inv *model.Inventory) []string {
	names := make([]string, len(inv.Groups))
	for i, g := range inv.Groups {
		names[i] = g.Name
	}
	return names
}
