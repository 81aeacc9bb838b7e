package zkstore

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strconv"

	"github.com/kook-project/kook/model"
)

// head is the payload of <root>/inventory/head, the one znode every write
// replaces (version-checked) and every reader starts from.
type head struct {
	Generation int64            // bumped by every change
	Tree       string           // trees/<Tree> holds the per-entity znodes
	Blob       string           // blobs/<Blob>.<view>.<i> hold the materialized views
	Views      map[string]int64 // view name -> number of chunks
	// HostBuckets is how many "host.<i>" views split the hosts' --host
	// output; a host is in bucket fnv32a(name) % HostBuckets.
	HostBuckets int64
}

func (h head) marshal() []byte {
	buf := []byte(`{"generation":`)
	buf = strconv.AppendInt(buf, h.Generation, 10)
	buf = append(buf, `,"tree":`...)
	buf = model.AppendString(buf, h.Tree)
	buf = append(buf, `,"blob":`...)
	buf = model.AppendString(buf, h.Blob)
	views := make(model.Map, 0, len(h.Views))
	for k, v := range h.Views {
		views = append(views, model.Entry{Key: k, Value: v})
	}
	buf = append(buf, `,"views":`...)
	buf = model.AppendJSON(buf, views, true)
	buf = append(buf, `,"host_buckets":`...)
	buf = strconv.AppendInt(buf, h.HostBuckets, 10)
	return append(buf, '}')
}

func parseHead(data []byte) (head, error) {
	var h head
	v, err := model.UnmarshalStored(data)
	if err != nil {
		return h, fmt.Errorf("head: %w", err)
	}
	m, ok := v.(model.Map)
	if !ok {
		return h, fmt.Errorf("head: not a JSON object")
	}
	h.Views = map[string]int64{}
	for _, e := range m {
		switch e.Key {
		case "generation":
			h.Generation, err = asInt(e.Value)
		case "tree":
			h.Tree, err = asString(e.Value)
		case "blob":
			h.Blob, err = asString(e.Value)
		case "host_buckets":
			h.HostBuckets, err = asInt(e.Value)
		case "views":
			var vm model.Map
			vm, err = asMap(e.Value)
			for _, ve := range vm {
				n, ierr := asInt(ve.Value)
				if ierr != nil {
					err = ierr
				}
				h.Views[ve.Key] = n
			}
		}
		if err != nil {
			return h, fmt.Errorf("head: %s: %w", e.Key, err)
		}
	}
	return h, nil
}

// snapshot is one generation of the inventory as a writer or reader holds it,
// with what the store needs to write the next generation: each entity's
// order key (seq), znode version, and encoded record.
type snapshot struct {
	head        head
	headVersion int32 // -1: no head znode yet
	inv         *model.Inventory
	hostSeq     map[string]int64
	groupSeq    map[string]int64
	hostZV      map[string]int32
	groupZV     map[string]int32
}

func emptySnapshot() *snapshot {
	return &snapshot{headVersion: -1, inv: model.New(),
		hostSeq: map[string]int64{}, groupSeq: map[string]int64{},
		hostZV: map[string]int32{}, groupZV: map[string]int32{}}
}

// encodeModelBlob returns, gzip'd, the whole inventory, in order, with
// each entity's seq and znode version:
//
//	{"hosts":[{"name":...,"seq":...,"zv":0,...record...}],"groups":[...]}
func encodeModelBlob(inv *model.Inventory, hostSeq, groupSeq map[string]int64, hostZV, groupZV map[string]int32) []byte {
	// The blob is tens of megabytes at 100,000 hosts: it is compressed as
	// it is encoded, a record at a time, never held whole.
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, modelLevel)
	buf := make([]byte, 0, 64<<10)
	flush := func(force bool) {
		if force || len(buf) >= 60<<10 {
			zw.Write(buf)
			buf = buf[:0]
		}
	}
	buf = append(buf, `{"hosts":[`...)
	for i, h := range inv.Hosts {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendHostRecord(buf, h, hostSeq[h.Name], true)
		buf = appendZV(buf, hostZV[h.Name])
		flush(false)
	}
	buf = append(buf, `],"groups":[`...)
	for i, g := range inv.Groups {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendGroupRecord(buf, g, groupSeq[g.Name], true)
		buf = appendZV(buf, groupZV[g.Name])
		flush(false)
	}
	buf = append(buf, `]}`...)
	flush(true)
	zw.Close()
	return out.Bytes()
}

// appendZV inserts "zv":N before the record's closing brace.
func appendZV(buf []byte, zv int32) []byte {
	buf = buf[:len(buf)-1]
	buf = append(buf, `,"zv":`...)
	buf = strconv.AppendInt(buf, int64(zv), 10)
	return append(buf, '}')
}

func decodeModelBlob(data []byte, s *snapshot) error {
	v, err := model.UnmarshalStored(data)
	if err != nil {
		return err
	}
	m, ok := v.(model.Map)
	if !ok {
		return fmt.Errorf("model blob is not a JSON object")
	}
	inv := &model.Inventory{}
	for _, e := range m {
		list, ok := e.Value.([]model.Value)
		if !ok {
			return fmt.Errorf("model blob: %s is not a list", e.Key)
		}
		isGroup := e.Key == "groups"
		for _, item := range list {
			rm, ok := item.(model.Map)
			if !ok {
				return fmt.Errorf("model blob: %s entry is not an object", e.Key)
			}
			r, err := recordFromMap(rm, isGroup)
			if err != nil {
				return fmt.Errorf("model blob: %w", err)
			}
			zvv, _ := rm.Get("zv")
			zv, _ := zvv.(int64)
			if isGroup {
				inv.Groups = append(inv.Groups, r.grp)
				s.groupSeq[r.name], s.groupZV[r.name] = r.seq, int32(zv)
			} else {
				inv.Hosts = append(inv.Hosts, r.host)
				s.hostSeq[r.name], s.hostZV[r.name] = r.seq, int32(zv)
			}
		}
	}
	s.inv = inv
	return nil
}

// assignSeqs gives each name in order a seq that keeps the order, reusing
// old seqs where they still fit so that an append or a removal rewrites only
// the entities it touches. New names go into the gap between kept
// neighbours, or after the last one with room for later inserts.
func assignSeqs(names []string, old map[string]int64) map[string]int64 {
	const step = 1 << 20
	keep := make([]bool, len(names))
	last := int64(0)
	for i, n := range names {
		if s, ok := old[n]; ok && s > last {
			keep[i], last = true, s
		}
	}
	out := make(map[string]int64, len(names))
	lo := int64(0)
	for i := 0; i < len(names); {
		if keep[i] {
			lo = old[names[i]]
			out[names[i]] = lo
			i++
			continue
		}
		// A run of names needing seqs: find the next kept one.
		j := i
		for j < len(names) && !keep[j] {
			j++
		}
		for j < len(names) && old[names[j]]-lo <= int64(j-i) {
			// No room before names[j]: renumber it too.
			keep[j] = false
			for j < len(names) && !keep[j] {
				j++
			}
		}
		if j == len(names) {
			for k := i; k < j; k++ {
				lo += step
				out[names[k]] = lo
			}
		} else {
			gap := (old[names[j]] - lo) / int64(j-i+1)
			for k := i; k < j; k++ {
				lo += gap
				out[names[k]] = lo
			}
		}
		i = j
	}
	return out
}
