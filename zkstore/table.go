package zkstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
)

// View tables are kept in segments: immutable znodes under
// <root>/inventory/segments, each holding a run of a table's entries in key
// order, gzip'd. An index (itself a segment) lists each table's segments in
// order with the least key each may hold; head names the index. A change
// writes new segments for the runs it alters, a new index, and sets head:
// its cost follows the entries it changes, not the table's size.
//
// Segment:  gzip( 0x01, then per entry: uvarint len(key), key, uvarint len(value), value )
// Index:    gzip( {"tables":{"<name>":[["<hex separator>","<segment id>",entries,bytes],...]},
//                  "dropped":["<segment id>",...]} )
//
// "dropped" lists what the generation before this one used and this one
// does not: readers of that generation may still be reading it, so it is
// deleted only by the change after this one.

// segmentTarget is the size a segment is filled to, before compression.
// A one-host change rewrites about one segment per table it touches, so
// this bounds what such a change writes (about a fifth of it, compressed);
// a reader of a whole table reads size/segmentTarget segments.
const segmentTarget = 48 << 10

const segmentVersion = 1

// segRef is one segment of a table, as the index lists it.
type segRef struct {
	Sep  []byte // every key in the segment is >= Sep, and < the next segment's Sep
	ID   string
	N    int // entries
	Size int // bytes before compression
}

func (r segRef) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{hex.EncodeToString(r.Sep), r.ID, r.N, r.Size})
}

func (r *segRef) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || len(raw) != 4 {
		return fmt.Errorf("segment reference %s: want [separator, id, entries, bytes]", data)
	}
	var sep string
	if err := json.Unmarshal(raw[0], &sep); err != nil {
		return err
	}
	var err error
	if r.Sep, err = hex.DecodeString(sep); err != nil {
		return fmt.Errorf("separator %q: %w", sep, err)
	}
	if err := json.Unmarshal(raw[1], &r.ID); err != nil {
		return err
	}
	if err := json.Unmarshal(raw[2], &r.N); err != nil {
		return err
	}
	return json.Unmarshal(raw[3], &r.Size)
}

// index is the table of contents of one generation's views.
type index struct {
	Tables  map[string][]segRef `json:"tables"`
	Dropped []string            `json:"dropped,omitempty"`
}

func (x *index) clone() *index {
	c := &index{Tables: make(map[string][]segRef, len(x.Tables))}
	for k, v := range x.Tables {
		c.Tables[k] = slices.Clone(v)
	}
	return c
}

// segmentIDs returns every segment the index names, itself not included.
func (x *index) segmentIDs() []string {
	var ids []string
	for _, refs := range x.Tables {
		for _, r := range refs {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func encodeIndex(x *index) []byte {
	data, _ := json.Marshal(x)
	return gzipBytes(data)
}

func decodeIndex(data []byte) (*index, error) {
	raw, err := gunzip(data, maxSegmentRaw)
	if err != nil {
		return nil, err
	}
	var x index
	if err := json.Unmarshal(raw, &x); err != nil {
		return nil, err
	}
	for name, refs := range x.Tables {
		if len(refs) > maxSegments {
			return nil, fmt.Errorf("table %q: %d segments, more than kook ever writes", name, len(refs))
		}
		for i, r := range refs {
			switch {
			case !idPattern.MatchString(r.ID):
				return nil, fmt.Errorf("table %q: segment %q is not a segment id", name, r.ID)
			case r.N < 0 || r.Size < 0 || r.Size > maxSegmentRaw:
				return nil, fmt.Errorf("table %q: segment %s: %d entries, %d bytes are out of range", name, r.ID, r.N, r.Size)
			case i > 0 && bytes.Compare(refs[i-1].Sep, r.Sep) >= 0:
				return nil, fmt.Errorf("table %q: segments out of order at %s", name, r.ID)
			}
		}
	}
	for _, id := range x.Dropped {
		if !idPattern.MatchString(id) {
			return nil, fmt.Errorf("dropped segment %q is not a segment id", id)
		}
	}
	return &x, nil
}

func encodeSegment(entries []model.KV) []byte {
	raw := appendEntries([]byte{segmentVersion}, entries)
	return gzipBytes(raw)
}

func appendEntries(buf []byte, entries []model.KV) []byte {
	for _, e := range entries {
		buf = binary.AppendUvarint(buf, uint64(len(e.Key)))
		buf = append(buf, e.Key...)
		buf = binary.AppendUvarint(buf, uint64(len(e.Value)))
		buf = append(buf, e.Value...)
	}
	return buf
}

// decodeSegment decodes a segment; want is the entry count the index
// gives for it, checked.
func decodeSegment(data []byte, want int) ([]model.KV, error) {
	raw, err := gunzip(data, maxSegmentRaw)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 || raw[0] != segmentVersion {
		return nil, errors.New("not a kook segment")
	}
	raw = raw[1:]
	entries := make([]model.KV, 0, min(want, len(raw)/2))
	for len(raw) > 0 {
		var e model.KV
		for _, field := range []*[]byte{&e.Key, &e.Value} {
			n, k := binary.Uvarint(raw)
			if k <= 0 || n > uint64(len(raw)-k) {
				return nil, errors.New("segment is truncated")
			}
			*field = raw[k : k+int(n) : k+int(n)]
			raw = raw[k+int(n):]
		}
		if l := len(entries); l > 0 && bytes.Compare(entries[l-1].Key, e.Key) >= 0 {
			return nil, errors.New("segment entries out of order")
		}
		entries = append(entries, e)
	}
	if len(entries) != want {
		return nil, fmt.Errorf("segment holds %d entries, its index says %d", len(entries), want)
	}
	return entries, nil
}

func entriesSize(entries []model.KV) int {
	n := 0
	for _, e := range entries {
		n += len(e.Key) + len(e.Value) + 4
	}
	return n
}

// Segments are read far more often than written: they are compressed
// hard. Change records are written once and seldom read: fast.
var (
	gzipPool = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
		return w
	}}
	gzipFastPool = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		return w
	}}
)

func gzipBytes(raw []byte) []byte { return gzipWith(&gzipPool, raw) }

func gzipFast(raw []byte) []byte { return gzipWith(&gzipFastPool, raw) }

func gzipWith(pool *sync.Pool, raw []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(raw)/4 + 64)
	zw := pool.Get().(*gzip.Writer)
	zw.Reset(&out)
	zw.Write(raw)
	zw.Close()
	pool.Put(zw)
	return out.Bytes()
}

// gunzip decompresses data, refusing more than limit bytes.
func gunzip(data []byte, limit int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not gzip'd: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	if len(raw) > limit {
		return nil, fmt.Errorf("more than %d bytes when decompressed", limit)
	}
	return raw, nil
}

// chunk cuts sorted entries into runs of about segmentTarget bytes.
func chunk(entries []model.KV) [][]model.KV {
	var out [][]model.KV
	start, size := 0, 0
	for i, e := range entries {
		n := len(e.Key) + len(e.Value) + 4
		if i > start && size+n > segmentTarget {
			out = append(out, entries[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(entries) {
		out = append(out, entries[start:])
	}
	return out
}

// separator returns the shortest key s with prev < s <= next.
func separator(prev, next []byte) []byte {
	for i := 0; i < len(next); i++ {
		if s := next[:i+1]; bytes.Compare(prev, s) < 0 {
			return slices.Clone(s)
		}
	}
	return slices.Clone(next)
}

// segmentWriter names and collects the segments one change writes.
type segmentWriter struct {
	id    string // the change's writer id
	n     int
	made  []string // ids, in order made
	datas map[string][]byte
}

func newSegmentWriter(id string) *segmentWriter {
	return &segmentWriter{id: id, datas: map[string][]byte{}}
}

// add encodes entries as a new segment and returns its reference; sep is
// its separator.
func (w *segmentWriter) add(sep []byte, entries []model.KV) segRef {
	w.n++
	id := w.id + "." + strconv.FormatInt(int64(w.n), 36)
	w.made = append(w.made, id)
	w.datas[id] = encodeSegment(entries)
	return segRef{Sep: sep, ID: id, N: len(entries), Size: entriesSize(entries)}
}

// addIndex encodes x as a new segment and returns its id.
func (w *segmentWriter) addIndex(x *index) string {
	w.n++
	id := w.id + "." + strconv.FormatInt(int64(w.n), 36)
	w.made = append(w.made, id)
	w.datas[id] = encodeIndex(x)
	return id
}

func (w *segmentWriter) bytes() int {
	n := 0
	for _, d := range w.datas {
		n += len(d)
	}
	return n
}

// build returns the references of a whole table made of sorted entries.
func (w *segmentWriter) build(entries []model.KV) []segRef {
	var refs []segRef
	var prevLast []byte
	for i, run := range chunk(entries) {
		var sep []byte
		if i > 0 {
			sep = separator(prevLast, run[0].Key)
		}
		refs = append(refs, w.add(sep, run))
		prevLast = run[len(run)-1].Key
	}
	return refs
}

// tableReader reads one table of one generation, fetching and decoding
// each segment once.
type tableReader struct {
	s    *Store
	ctx  context.Context
	name string
	refs []segRef

	mu    sync.Mutex
	cache map[string][]model.KV
	err   error // the index could not be read: every read fails with it
}

var _ model.TableReader = (*tableReader)(nil)

func (s *Store) newTableReader(ctx context.Context, x *index, name string) *tableReader {
	var refs []segRef
	if x != nil {
		refs = x.Tables[name]
	}
	return &tableReader{s: s, ctx: ctx, name: name, refs: refs, cache: map[string][]model.KV{}}
}

// find returns the segment that holds key if any does: the last whose
// separator is <= key.
func (t *tableReader) find(key []byte) int {
	i, _ := slices.BinarySearchFunc(t.refs, key, func(r segRef, k []byte) int {
		if bytes.Compare(r.Sep, k) <= 0 {
			return -1
		}
		return 1
	})
	return i - 1
}

func (t *tableReader) segment(i int) ([]model.KV, error) {
	ref := t.refs[i]
	if t.err != nil {
		return nil, t.err
	}
	t.mu.Lock()
	e, ok := t.cache[ref.ID]
	t.mu.Unlock()
	if ok {
		return e, nil
	}
	e, err := t.s.readSegment(t.ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.name, err)
	}
	t.mu.Lock()
	t.cache[ref.ID] = e
	t.mu.Unlock()
	return e, nil
}

// prefetch reads segments from..to-1 in parallel.
func (t *tableReader) prefetch(from, to int) error {
	return parallel(t.ctx, to-from, 16, func(i int) error {
		_, err := t.segment(from + i)
		return err
	})
}

// Get implements model.TableReader.
func (t *tableReader) Get(key []byte) ([]byte, bool, error) {
	if t.err != nil {
		return nil, false, t.err
	}
	i := t.find(key)
	if i < 0 {
		return nil, false, nil
	}
	entries, err := t.segment(i)
	if err != nil {
		return nil, false, err
	}
	j, ok := slices.BinarySearchFunc(entries, key, func(e model.KV, k []byte) int { return bytes.Compare(e.Key, k) })
	if !ok {
		return nil, false, nil
	}
	return entries[j].Value, true, nil
}

// Scan implements model.TableReader.
func (t *tableReader) Scan(from, to []byte, fn func(key, value []byte) bool) error {
	if t.err != nil {
		return t.err
	}
	start := max(t.find(from), 0)
	end := len(t.refs)
	if to != nil {
		end = t.find(to) + 1
	}
	if end-start > 1 {
		if err := t.prefetch(start, end); err != nil {
			return err
		}
	}
	for i := start; i < end; i++ {
		entries, err := t.segment(i)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if from != nil && bytes.Compare(e.Key, from) < 0 {
				continue
			}
			if to != nil && bytes.Compare(e.Key, to) >= 0 {
				return nil
			}
			if !fn(e.Key, e.Value) {
				return nil
			}
		}
	}
	return nil
}

// apply returns the table's references after edits (puts, and deletes
// where Value is nil), writing the segments that change with w, and the
// ids of the segments it replaced.
func (t *tableReader) apply(w *segmentWriter, edits []model.KV) ([]segRef, []string, error) {
	if len(edits) == 0 {
		return t.refs, nil, nil
	}
	// The last edit of a key wins.
	slices.SortStableFunc(edits, func(a, b model.KV) int { return bytes.Compare(a.Key, b.Key) })
	dedup := edits[:0]
	for _, e := range edits {
		if n := len(dedup); n > 0 && bytes.Equal(dedup[n-1].Key, e.Key) {
			dedup[n-1] = e
			continue
		}
		dedup = append(dedup, e)
	}
	edits = dedup
	if len(t.refs) == 0 {
		var puts []model.KV
		for _, e := range edits {
			if e.Value != nil {
				puts = append(puts, e)
			}
		}
		return w.build(puts), nil, nil
	}
	// Which segments the edits fall in, and the edits of each.
	bySeg := map[int][]model.KV{}
	var affected []int
	for _, e := range edits {
		i := max(t.find(e.Key), 0)
		if _, ok := bySeg[i]; !ok {
			affected = append(affected, i)
		}
		bySeg[i] = append(bySeg[i], e)
	}
	// A segment left small is merged with the one after it, so that
	// deletions do not leave a table of many tiny segments.
	for k := 0; k < len(affected); k++ {
		i := affected[k]
		if i+1 >= len(t.refs) || k+1 < len(affected) && affected[k+1] == i+1 {
			continue
		}
		if t.refs[i].Size+t.refs[i+1].Size <= segmentTarget {
			affected = slices.Insert(affected, k+1, i+1) // its edits: none
		}
	}
	if err := parallel(t.ctx, len(affected), 16, func(k int) error {
		_, err := t.segment(affected[k])
		return err
	}); err != nil {
		return nil, nil, err
	}
	var out []segRef
	var replaced []string
	next := 0
	for k := 0; k < len(affected); k++ {
		i := affected[k]
		out = append(out, t.refs[next:i]...)
		// A run of consecutive affected segments is rewritten together.
		j := i
		for k+1 < len(affected) && affected[k+1] == j+1 {
			k++
			j++
		}
		var merged []model.KV
		for x := i; x <= j; x++ {
			entries, _ := t.segment(x)
			merged = mergeEdits(merged, entries, bySeg[x])
			replaced = append(replaced, t.refs[x].ID)
		}
		next = j + 1
		var prevLast []byte
		for c, run := range chunk(merged) {
			sep := t.refs[i].Sep
			if c > 0 {
				sep = separator(prevLast, run[0].Key)
			}
			out = append(out, w.add(sep, run))
			prevLast = run[len(run)-1].Key
		}
	}
	out = append(out, t.refs[next:]...)
	if len(out) > 0 {
		out[0].Sep = nil // the first segment takes every key below the rest
	}
	return out, replaced, nil
}

// mergeEdits appends to dst the sorted entries with sorted edits applied.
func mergeEdits(dst, entries, edits []model.KV) []model.KV {
	i, j := 0, 0
	for i < len(entries) || j < len(edits) {
		switch {
		case j == len(edits) || i < len(entries) && bytes.Compare(entries[i].Key, edits[j].Key) < 0:
			dst = append(dst, entries[i])
			i++
		case i == len(entries) || bytes.Compare(edits[j].Key, entries[i].Key) < 0:
			if edits[j].Value != nil {
				dst = append(dst, edits[j])
			}
			j++
		default: // same key
			if edits[j].Value != nil {
				dst = append(dst, edits[j])
			}
			i++
			j++
		}
	}
	return dst
}

// readSegment fetches and decodes one segment. A missing segment is
// errGone: a newer generation replaced it, or it was lost.
func (s *Store) readSegment(ctx context.Context, ref segRef) ([]model.KV, error) {
	data, _, err := s.conn.Get(ctx, s.segmentPath(ref.ID))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, &goneError{what: "segment " + ref.ID}
	}
	if err != nil {
		return nil, fmt.Errorf("read segment %s: %w", ref.ID, err)
	}
	entries, err := decodeSegment(data, ref.N)
	if err != nil {
		return nil, fmt.Errorf("segment %s: %w", s.segmentPath(ref.ID), err)
	}
	return entries, nil
}

// goneError is a segment or index a reader was told of but did not find:
// a newer generation replaced it (the reader starts again), or it was lost
// (repair must rebuild the views).
type goneError struct{ what string }

func (e *goneError) Error() string { return e.what + " does not exist" }

// parallel runs fn(0..n-1), at most width at a time, and returns the first
// error. It stops starting new calls once ctx is done or a call failed.
func parallel(ctx context.Context, n, width int, fn func(i int) error) error {
	if n == 1 {
		return fn(0)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, width)
	for i := 0; i < n; i++ {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
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
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
