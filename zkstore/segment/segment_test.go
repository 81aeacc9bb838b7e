package segment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkstore/segment"
)

// store is a blob store in memory.
type store map[string][]byte

func (s store) fetch(_ context.Context, id string) ([]byte, error) {
	data, ok := s[id]
	if !ok {
		return nil, fmt.Errorf("%s: %w", id, segment.ErrGone)
	}
	return data, nil
}

func (s store) keep(w *segment.Writer) {
	for _, id := range w.Made() {
		s[id] = w.Data(id)
	}
}

// TestApply: any sequence of puts and deletes, applied segment by segment,
// leaves the table holding exactly the entries expected, in order, cut
// into segments of bounded size, and only the segments holding changed
// entries are written again.
func TestApply(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		blobs := store{}
		want := map[string]string{}
		x := &segment.Index{Tables: map[string][]segment.Ref{}}
		for step := 0; step < 30; step++ {
			w := segment.NewWriter(fmt.Sprintf("%x-%08x", step+1, seed))
			var edits []model.KV
			for i := 0; i < 1+rng.IntN(400); i++ {
				k := fmt.Sprintf("k%05d", rng.IntN(3000))
				if rng.IntN(4) == 0 {
					edits = append(edits, model.KV{Key: []byte(k)})
					delete(want, k)
					continue
				}
				v := strings.Repeat("v", rng.IntN(200))
				edits = append(edits, model.KV{Key: []byte(k), Value: []byte(v)})
				want[k] = v
			}
			tab := segment.NewTable(ctx, blobs.fetch, x, "t", nil)
			refs, replaced, err := tab.Apply(w, edits)
			if err != nil {
				t.Fatal(err)
			}
			if len(x.Tables["t"]) > 0 && len(w.Made()) > len(x.Tables["t"])+len(replaced)+2 {
				t.Errorf("seed %d step %d: %d segments written for %d replaced", seed, step, len(w.Made()), len(replaced))
			}
			blobs.keep(w)
			x.Tables["t"] = refs
			got := segment.NewTable(ctx, blobs.fetch, x, "t", nil)
			var keys []string
			if err := got.Scan(nil, nil, func(k, v []byte) bool {
				keys = append(keys, string(k))
				if want[string(k)] != string(v) {
					t.Fatalf("seed %d step %d: %s = %q, want %q", seed, step, k, v, want[string(k)])
				}
				return true
			}); err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(want) || !slices.IsSorted(keys) {
				t.Fatalf("seed %d step %d: %d keys (sorted %v), want %d", seed, step, len(keys), slices.IsSorted(keys), len(want))
			}
			for _, r := range refs {
				if r.Size > 2*segment.Target {
					t.Errorf("segment of %d bytes", r.Size)
				}
			}
			for k, v := range want {
				if got, ok, err := got.Get([]byte(k)); err != nil || !ok || string(got) != v {
					t.Fatalf("Get(%s) = %q, %v, %v", k, got, ok, err)
				}
			}
			if _, ok, _ := got.Get([]byte("nope")); ok {
				t.Fatal("Get of a missing key found it")
			}
		}
	}
}

func TestScanRange(t *testing.T) {
	blobs := store{}
	w := segment.NewWriter("1-00000000")
	var entries []model.KV
	for i := 0; i < 2000; i++ {
		entries = append(entries, model.KV{Key: []byte(fmt.Sprintf("g%02d\x00%04d", i/100, i)), Value: bytes.Repeat([]byte("x"), 100)})
	}
	x := &segment.Index{Tables: map[string][]segment.Ref{"t": w.Build(entries)}}
	blobs.keep(w)
	tab := segment.NewTable(context.Background(), blobs.fetch, x, "t", nil)
	n := 0
	tab.Scan([]byte("g07\x00"), []byte("g07\x01"), func(k, v []byte) bool {
		if !bytes.HasPrefix(k, []byte("g07\x00")) {
			t.Errorf("key %q outside the range", k)
		}
		n++
		return true
	})
	if n != 100 {
		t.Errorf("%d entries in range, want 100", n)
	}
}

func TestDecodeRefusesDamage(t *testing.T) {
	w := segment.NewWriter("1-00000000")
	ref := w.Add(nil, []model.KV{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}})
	data := w.Data(ref.ID)
	if _, err := segment.Decode(data, 3); err == nil {
		t.Error("a wrong entry count was not noticed")
	}
	if _, err := segment.Decode(data[:len(data)/2], 2); err == nil {
		t.Error("a truncated segment decoded")
	}
	if _, err := segment.Decode([]byte("not gzip"), 0); err == nil {
		t.Error("garbage decoded")
	}
	if _, err := segment.DecodeIndex(segment.Compress([]byte(`{"tables":{"t":[["","../x",1,1]]}}`))); err == nil {
		t.Error("an index naming a bad segment id decoded")
	}
	if _, err := segment.DecodeIndex(segment.Compress([]byte(`{"tables":{"t":[["","1-00000000.1",1,999999999]]}}`))); err == nil {
		t.Error("an index with an absurd size decoded")
	}
	tab := segment.NewTable(context.Background(), store{}.fetch, &segment.Index{Tables: map[string][]segment.Ref{"t": {ref}}}, "t", nil)
	if _, _, err := tab.Get([]byte("a")); !errors.Is(err, segment.ErrGone) {
		t.Errorf("a missing segment: %v, want ErrGone", err)
	}
}

// TestScanStreams: a scan over many segments gives every entry once, in
// order, reading ahead; it stops when fn says so; a segment that cannot be
// read ends it with that error, after the entries before it; and it keeps
// none of the segments it read.
func TestScanStreams(t *testing.T) {
	blobs := store{}
	w := segment.NewWriter("1-00000000")
	var entries []model.KV
	for i := range 20000 {
		entries = append(entries, model.KV{Key: fmt.Appendf(nil, "k%06d", i), Value: bytes.Repeat([]byte{'v'}, 200)})
	}
	refs := w.Build(entries)
	if len(refs) < 3*16 {
		t.Fatalf("%d segments: the test wants more than three read-aheads", len(refs))
	}
	blobs.keep(w)
	x := &segment.Index{Tables: map[string][]segment.Ref{"t": refs}}
	var fetched atomic.Int64
	counting := func(ctx context.Context, id string) ([]byte, error) { fetched.Add(1); return blobs.fetch(ctx, id) }
	tab := segment.NewTable(context.Background(), counting, x, "t", nil)
	var got []string
	if err := tab.Scan(nil, nil, func(k, _ []byte) bool { got = append(got, string(k)); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) || !slices.IsSorted(got) || got[0] != "k000000" {
		t.Fatalf("scan gave %d entries (sorted %v), want %d", len(got), slices.IsSorted(got), len(entries))
	}
	before := fetched.Load()
	if _, _, err := tab.Get([]byte("k010000")); err != nil || fetched.Load() != before+1 {
		t.Errorf("a Get after the scan fetched %d segments (err %v): the scan kept what it read", fetched.Load()-before, err)
	}
	n := 0
	tab.Scan(nil, nil, func(k, _ []byte) bool { n++; return n < 5 })
	if n != 5 {
		t.Errorf("scan stopped after %d entries, want 5", n)
	}
	delete(blobs, refs[len(refs)/2].ID)
	n = 0
	err := segment.NewTable(context.Background(), blobs.fetch, x, "t", nil).Scan(nil, nil, func(k, _ []byte) bool { n++; return true })
	if !errors.Is(err, segment.ErrGone) || n == 0 || n >= len(entries) {
		t.Errorf("scan over a missing segment: %d entries, %v; want some entries, then ErrGone", n, err)
	}
}
