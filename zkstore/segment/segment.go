// Package segment keeps sorted tables of key/value entries as segments:
// immutable blobs (znodes under <root>/inventory/segments, for zkstore),
// each holding a run of a table's entries in key order, compressed. An index
// (itself a segment) lists each table's segments in order with the least
// key each may hold. A change writes new segments for the runs it alters
// and a new index: its cost follows the entries it changes, not the
// table's size. The package knows nothing of ZooKeeper: readers are given
// a function that fetches a segment's blob.
//
// Segment:  zstd( 0x01, then per entry: uvarint len(key), key, uvarint len(value), value )
// Index:    zstd( {"tables":{"<name>":[["<hex separator>","<segment id>",entries,bytes],...]},
//
//	"dropped":["<segment id>",...]} )
//
// "dropped" lists what the generation before this one used and this one
// does not: readers of that generation may still be reading it, so it is
// deleted only by the change after this one.
//
// Blobs are compressed with zstd (codec.go): kook-inventory --list
// decompresses every segment, and zstd does it 2.2-3× as fast as gzip, in
// a third fewer bytes (BenchmarkDecompress, a 48 kB hostvars segment).
// Blobs gzip'd by an earlier kook still read.
package segment

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// Target is the size a segment is filled to, before compression.
// A one-host change rewrites about one segment per table it touches, so
// this bounds what such a change writes (about a fifth of it, compressed);
// a reader of a whole table reads size/Target segments.
const Target = 48 << 10

const version = 1

// Bounds on what is read, checked before use: an index or segment that
// breaks them was not written by kook.
const (
	maxSegments   = 1 << 20 // per table
	maxSegmentRaw = 8 << 20 // a segment or index, decompressed
)

// idPattern is what a segment id looks like: the writer's generation in
// hex, a random part, and a number: "2a-1f2e3d4c.17".
var idPattern = regexp.MustCompile(`^[0-9a-f]{1,16}-[0-9a-f]{8}(\.[0-9a-z]{1,8})?$`)

// ValidID reports whether id is a segment or writer id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Ref is one segment of a table, as the index lists it.
type Ref struct {
	Sep  []byte // every key in the segment is >= Sep, and < the next segment's Sep
	ID   string
	N    int // entries
	Size int // bytes before compression
}

func (r Ref) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{hex.EncodeToString(r.Sep), r.ID, r.N, r.Size})
}

func (r *Ref) UnmarshalJSON(data []byte) error {
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
type Index struct {
	Tables  map[string][]Ref `json:"tables"`
	Dropped []string         `json:"dropped,omitempty"`
}

func (x *Index) Clone() *Index {
	c := &Index{Tables: make(map[string][]Ref, len(x.Tables))}
	for k, v := range x.Tables {
		c.Tables[k] = slices.Clone(v)
	}
	return c
}

// segmentIDs returns every segment the index names, itself not included.
func (x *Index) IDs() []string {
	var ids []string
	for _, refs := range x.Tables {
		for _, r := range refs {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// EncodeIndex returns an index's znode data: JSON, compressed.
func EncodeIndex(x *Index) []byte {
	data, _ := json.Marshal(x)
	return Compress(data)
}

// DecodeIndex reads an index's znode data, refusing one that would
// decompress past the segment size limit.
func DecodeIndex(data []byte) (*Index, error) {
	raw, err := Decompress(data, maxSegmentRaw)
	if err != nil {
		return nil, err
	}
	var x Index
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

func Encode(entries []model.KV) []byte {
	raw := appendEntries([]byte{version}, entries)
	return Compress(raw)
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
func Decode(data []byte, want int) ([]model.KV, error) {
	raw, err := Decompress(data, maxSegmentRaw)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 || raw[0] != version {
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

// chunk cuts sorted entries into runs of about Target bytes.
func chunk(entries []model.KV) [][]model.KV {
	var out [][]model.KV
	start, size := 0, 0
	for i, e := range entries {
		n := len(e.Key) + len(e.Value) + 4
		if i > start && size+n > Target {
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

// Writer names and collects the segments one change writes.
type Writer struct {
	id    string // the change's writer id
	n     int
	made  []string // ids, in order made
	datas map[string][]byte
}

func NewWriter(id string) *Writer {
	return &Writer{id: id, datas: map[string][]byte{}}
}

// add encodes entries as a new segment and returns its reference; sep is
// its separator.
func (w *Writer) Add(sep []byte, entries []model.KV) Ref {
	w.n++
	id := w.id + "." + strconv.FormatInt(int64(w.n), 36)
	w.made = append(w.made, id)
	w.datas[id] = Encode(entries)
	return Ref{Sep: sep, ID: id, N: len(entries), Size: entriesSize(entries)}
}

// addIndex encodes x as a new segment and returns its id.
func (w *Writer) AddIndex(x *Index) string {
	w.n++
	id := w.id + "." + strconv.FormatInt(int64(w.n), 36)
	w.made = append(w.made, id)
	w.datas[id] = EncodeIndex(x)
	return id
}

// Made returns the ids of the segments written, in order.
func (w *Writer) Made() []string { return w.made }

// Data returns the blob of segment id, as written.
func (w *Writer) Data(id string) []byte { return w.datas[id] }

// Bytes returns the total size of the blobs written.
func (w *Writer) Bytes() int {
	n := 0
	for _, d := range w.datas {
		n += len(d)
	}
	return n
}

// build returns the references of a whole table made of sorted entries.
func (w *Writer) Build(entries []model.KV) []Ref {
	var refs []Ref
	var prevLast []byte
	for i, run := range chunk(entries) {
		var sep []byte
		if i > 0 {
			sep = separator(prevLast, run[0].Key)
		}
		refs = append(refs, w.Add(sep, run))
		prevLast = run[len(run)-1].Key
	}
	return refs
}

// Fetch reads one segment's blob; a missing one is an error wrapping
// ErrGone.
type Fetch func(ctx context.Context, id string) ([]byte, error)

// ErrGone means a segment is not where its index says: a newer
// generation replaced it (a reader starts again), or it was lost.
var ErrGone = errors.New("does not exist")

// Table reads one table of one generation, fetching and decoding each
// segment once. A Table is safe for concurrent use.
type Table struct {
	fetch Fetch
	ctx   context.Context
	name  string
	refs  []Ref

	mu    sync.Mutex
	cache map[string][]model.KV
	err   error // the index could not be read: every read fails with it
}

// NewTable returns the reader of table name as x lists it (an empty table
// when x is nil). err, if not nil, is the error every read returns: the
// index could not be read.
func NewTable(ctx context.Context, fetch Fetch, x *Index, name string, err error) *Table {
	var refs []Ref
	if x != nil {
		refs = x.Tables[name]
	}
	return &Table{fetch: fetch, ctx: ctx, name: name, refs: refs, cache: map[string][]model.KV{}, err: err}
}

// Refs returns the table's segments.
func (t *Table) Refs() []Ref { return t.refs }

// Err returns the error every read returns, nil when the table is readable.
func (t *Table) Err() error { return t.err }

var _ model.TableReader = (*Table)(nil)

// find returns the segment that holds key if any does: the last whose
// separator is <= key.
func (t *Table) find(key []byte) int {
	i, _ := slices.BinarySearchFunc(t.refs, key, func(r Ref, k []byte) int {
		if bytes.Compare(r.Sep, k) <= 0 {
			return -1
		}
		return 1
	})
	return i - 1
}

// Segment returns segment i's entries, read once and then kept.
func (t *Table) Segment(i int) ([]model.KV, error) { return t.segment(i, true) }

// segment returns segment i's entries from the cache, or reads them,
// keeping them with keep.
func (t *Table) segment(i int, keep bool) ([]model.KV, error) {
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
	data, err := t.fetch(t.ctx, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("table %s: segment %s: %w", t.name, ref.ID, err)
	}
	e, err = Decode(data, ref.N)
	if err != nil {
		return nil, fmt.Errorf("table %s: segment %s: %w", t.name, ref.ID, err)
	}
	if keep {
		t.mu.Lock()
		t.cache[ref.ID] = e
		t.mu.Unlock()
	}
	return e, nil
}

// Get implements model.TableReader.
func (t *Table) Get(key []byte) ([]byte, bool, error) {
	if t.err != nil {
		return nil, false, t.err
	}
	i := t.find(key)
	if i < 0 {
		return nil, false, nil
	}
	entries, err := t.Segment(i)
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
func (t *Table) Scan(from, to []byte, fn func(key, value []byte) bool) error {
	if t.err != nil {
		return t.err
	}
	start := max(t.find(from), 0)
	end := len(t.refs)
	if to != nil {
		end = t.find(to) + 1
	}
	if end-start > 1 {
		return t.stream(start, end, func(entries []model.KV) bool { return scanEntries(entries, from, to, fn) })
	}
	for i := start; i < end; i++ {
		entries, err := t.Segment(i)
		if err != nil {
			return err
		}
		if !scanEntries(entries, from, to, fn) {
			return nil
		}
	}
	return nil
}

// scanEntries calls fn with the entries in [from, to) until it returns
// false; it returns false once the scan is over.
func scanEntries(entries []model.KV, from, to []byte, fn func(key, value []byte) bool) bool {
	for _, e := range entries {
		if from != nil && bytes.Compare(e.Key, from) < 0 {
			continue
		}
		if to != nil && bytes.Compare(e.Key, to) >= 0 {
			return false
		}
		if !fn(e.Key, e.Value) {
			return false
		}
	}
	return true
}

// readAhead is how many segments a scan reads ahead of the one it is at.
const readAhead = 16

// stream calls fn with segments start..end-1 in order until it returns
// false, reading up to readAhead of them ahead in parallel (the round
// trips overlap) and keeping none it did not hold: a scan of a whole table
// (kook-inventory --list) holds a window of segments, never the table.
func (t *Table) stream(start, end int, fn func([]model.KV) bool) error {
	type result struct {
		entries []model.KV
		err     error
	}
	ctx, cancel := context.WithCancel(t.ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // no read outlives the scan
	slots := make([]chan result, end-start)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	window := make(chan struct{}, readAhead)
	wg.Go(func() {
		for i := start; i < end; i++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				if ctx.Err() != nil {
					return
				}
				e, err := t.segment(i, false)
				slots[i-start] <- result{e, err}
			})
		}
	})
	for i := start; i < end; i++ {
		var r result
		select {
		case r = <-slots[i-start]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-window
		if r.err != nil {
			return r.err
		}
		if !fn(r.entries) {
			return nil
		}
	}
	return nil
}

// apply returns the table's references after edits (puts, and deletes
// where Value is nil), writing the segments that change with w, and the
// ids of the segments it replaced.
func (t *Table) Apply(w *Writer, edits []model.KV) ([]Ref, []string, error) {
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
		return w.Build(puts), nil, nil
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
		if t.refs[i].Size+t.refs[i+1].Size <= Target {
			affected = slices.Insert(affected, k+1, i+1) // its edits: none
		}
	}
	if err := zkconn.Parallel(t.ctx, len(affected), 16, func(k int) error {
		_, err := t.Segment(affected[k])
		return err
	}); err != nil {
		return nil, nil, err
	}
	var out []Ref
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
			entries, _ := t.Segment(x)
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
			out = append(out, w.Add(sep, run))
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
