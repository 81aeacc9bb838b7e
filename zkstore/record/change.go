package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkstore/segment"
)

// Change records: every change writes <root>/inventory/history/<generation>
// (12 digits) in the same transaction as the change, holding who, when, why,
// the tool, and every node it changed before and after, as records:
//
//	{"generation":7,"time":"2026-12-06T03:10:32.123Z","writer":"7-1f2e3d4c",
//	 "os_user":"alice","machine":"ops1","zk_identity":"digest:alice","tool":"kook",
//	 "reason":"bump port","hosts":[{"name":"web1","prev":30064771329,"before":{...},"after":{...}}],
//	 "groups":[...],"parts":0}
//
// A change too large for one znode continues in <generation>.1, .2, ...
// ("parts" says how many), each {"hosts":[...],"groups":[...]}. The record
// is compressed when it is large (it then starts with zstd's magic bytes;
// an earlier kook's gzip'd ones read too).
//
// "prev" is the zxid of the transaction that last wrote the node before
// this change (its znode's mzxid as the change read it; absent for a node
// the change creates). It links each node's changes into a chain that
// package history follows from the node's current mzxid back, one record
// per change, instead of reading every record: the record of the change
// that wrote zxid z is the last one created at or before z.
//
// With Options.MinimalHistory, a change that fits in one multi writes a
// record without its nodes ("minimal":true): who, when, why and the
// writer id, which resolve needs. Big changes always record their nodes,
// since finishing them after a crash needs them.

// historyPart is the most of a change record one znode holds.
const historyPart = 256 << 10

// header is a record's fields other than its nodes. The nodes are written
// with model's codec (values json cannot hold, such as Infinity, stay as
// kook stores them), so a record is assembled by hand and read with
// model.UnmarshalStored.
type header struct {
	Generation int64     `json:"generation"`
	Time       time.Time `json:"time"`
	Writer     string    `json:"writer"`
	User       string    `json:"user,omitempty"`
	OSUser     string    `json:"os_user,omitempty"`
	Machine    string    `json:"machine,omitempty"`
	Identity   string    `json:"zk_identity,omitempty"`
	Tool       string    `json:"tool,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Parts      int       `json:"parts,omitempty"`
	Minimal    bool      `json:"minimal,omitempty"`
}

// nodeChange is one node's change in a record: encoded for writing
// (before, after are znode JSON, nil for none), or decoded when read.
type nodeChange struct {
	name          string
	prev          int64
	before, after []byte
	// Decoded.
	beforeM, afterM model.Map
}

// PrevKey names a node in a record's map of previous mzxids.
func PrevKey(group bool, name string) string {
	if group {
		return "g/" + name
	}
	return "h/" + name
}

// HostJSON is a host's record as a change record holds it, "null" for
// nil: for showing changes.
func HostJSON(h *model.HostNode) []byte {
	if h == nil {
		return []byte("null")
	}
	return Host(h)
}

// GroupJSON is HostJSON for a group.
func GroupJSON(g *model.GroupNode) []byte {
	if g == nil {
		return []byte("null")
	}
	return Group(g)
}

// appendRecord writes a record or part: the header's fields (none for a
// part), then the nodes.
func appendRecord(buf []byte, h *header, hosts, groups []nodeChange) []byte {
	if h != nil {
		hb, _ := json.Marshal(h)
		buf = append(buf, hb[:len(hb)-1]...) // without its '}'
	} else {
		buf = append(buf, '{')
	}
	for i, list := range [][]nodeChange{hosts, groups} {
		if len(list) == 0 {
			continue
		}
		if buf[len(buf)-1] != '{' {
			buf = append(buf, ',')
		}
		buf = append(buf, [2]string{`"hosts":[`, `"groups":[`}[i]...)
		for j, nc := range list {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"name":`...)
			buf = model.AppendString(buf, nc.name)
			if nc.prev != 0 {
				buf = append(buf, `,"prev":`...)
				buf = strconv.AppendInt(buf, nc.prev, 10)
			}
			buf = append(append(buf, `,"before":`...), nc.before...)
			buf = append(append(buf, `,"after":`...), nc.after...)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	return append(buf, '}')
}

// decodeRecord reads a record or part.
func decodeRecord(data []byte) (*header, []nodeChange, []nodeChange, error) {
	raw, err := maybeDecompress(data)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := model.UnmarshalStored(raw)
	if err != nil {
		return nil, nil, nil, err
	}
	m, ok := v.(model.Map)
	if !ok {
		return nil, nil, nil, errors.New("not a JSON object")
	}
	h := &header{}
	var hosts, groups []nodeChange
	for _, e := range m {
		var err error
		switch e.Key {
		case "generation":
			h.Generation, err = asInt(e.Value)
		case "time":
			var t string
			if t, err = asString(e.Value); err == nil {
				h.Time, err = time.Parse(time.RFC3339Nano, t)
			}
		case "writer":
			h.Writer, err = asString(e.Value)
		case "user":
			h.User, err = asString(e.Value)
		case "os_user":
			h.OSUser, err = asString(e.Value)
		case "machine":
			h.Machine, err = asString(e.Value)
		case "zk_identity":
			h.Identity, err = asString(e.Value)
		case "tool":
			h.Tool, err = asString(e.Value)
		case "reason":
			h.Reason, err = asString(e.Value)
		case "minimal":
			h.Minimal, _ = e.Value.(bool)
		case "parts":
			var n int64
			n, err = asInt(e.Value)
			if err == nil && (n < 0 || n > 1<<16) {
				err = fmt.Errorf("%d is out of range", n)
			}
			h.Parts = int(n)
		case "hosts":
			hosts, err = decodeChanges(e.Value)
		case "groups":
			groups, err = decodeChanges(e.Value)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("field %q: %w", e.Key, err)
		}
	}
	return h, hosts, groups, nil
}

func decodeChanges(v model.Value) ([]nodeChange, error) {
	list, ok := v.([]model.Value)
	if !ok {
		return nil, fmt.Errorf("want a list, got %s", typeName(v))
	}
	out := make([]nodeChange, len(list))
	for i, x := range list {
		m, err := asMap(x)
		if err != nil {
			return nil, err
		}
		nc := &out[i]
		for _, e := range m {
			switch e.Key {
			case "name":
				nc.name, err = asString(e.Value)
			case "prev":
				nc.prev, err = asInt(e.Value)
			case "before", "after":
				var node model.Map
				if e.Value != nil {
					node, err = asMap(e.Value)
				}
				if e.Key == "before" {
					nc.beforeM = node
				} else {
					nc.afterM = node
				}
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Change is a change record as read: the commit (who, when, why, and the
// nodes, before and after), the id of the writer that made it, the number
// of continuation parts, and each node's mzxid before the change, keyed
// by PrevKey: what lets a reader follow one node's chain of changes.
type Change struct {
	Commit *model.Commit
	Writer string
	Parts  int
	Prevs  map[string]int64
}

// DecodeChange decodes a change record, or one of its continuation parts
// (whose Commit holds nodes only); AddPart adds a part's nodes.
func DecodeChange(data []byte) (*Change, error) {
	j, hosts, groups, err := decodeRecord(data)
	if err != nil {
		return nil, err
	}
	c := &model.Commit{Generation: j.Generation, Time: j.Time, User: j.User, OSUser: j.OSUser,
		Machine: j.Machine, Identity: j.Identity, Tool: j.Tool, Reason: j.Reason, Minimal: j.Minimal}
	r := &Change{Commit: c, Writer: j.Writer, Parts: j.Parts, Prevs: map[string]int64{}}
	for _, nc := range hosts {
		var hc model.HostChange
		if nc.beforeM != nil {
			hc.Before, err = decodeHostMap(nc.name, nc.beforeM)
		}
		if err == nil && nc.afterM != nil {
			hc.After, err = decodeHostMap(nc.name, nc.afterM)
		}
		if err != nil {
			return nil, fmt.Errorf("host %q: %w", nc.name, err)
		}
		c.Hosts = append(c.Hosts, hc)
		r.Prevs[PrevKey(false, nc.name)] = nc.prev
	}
	for _, nc := range groups {
		var gc model.GroupChange
		if nc.beforeM != nil {
			gc.Before, err = decodeGroupMap(nc.name, nc.beforeM)
		}
		if err == nil && nc.afterM != nil {
			gc.After, err = decodeGroupMap(nc.name, nc.afterM)
		}
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", nc.name, err)
		}
		c.Groups = append(c.Groups, gc)
		r.Prevs[PrevKey(true, nc.name)] = nc.prev
	}
	return r, nil
}

// AddPart adds the nodes of a continuation part to c.
func (c *Change) AddPart(part *Change) {
	c.Commit.Hosts = append(c.Commit.Hosts, part.Commit.Hosts...)
	c.Commit.Groups = append(c.Commit.Groups, part.Commit.Groups...)
	maps.Copy(c.Prevs, part.Prevs)
}

// EncodeChange encodes a commit as its change record and continuation
// parts, written by writer (the id of the attempt that made the change).
// prevs holds each node's mzxid before the change (see PrevKey); minimal
// leaves the nodes out.
func EncodeChange(c *model.Commit, writer string, prevs map[string]int64, minimal bool) (record []byte, parts [][]byte) {
	h := &header{Generation: c.Generation, Time: c.Time.UTC(), Writer: writer, User: c.User,
		OSUser: c.OSUser, Machine: c.Machine, Identity: c.Identity, Tool: c.Tool, Reason: c.Reason}
	if minimal {
		h.Minimal = true
		return appendRecord(nil, h, nil, nil), nil
	}
	// Fill the record, then parts, each up to historyPart bytes.
	type part struct{ hosts, groups []nodeChange }
	var ps []part
	cur, size := part{}, 0
	add := func(nc nodeChange, isGroup bool) {
		n := len(nc.name) + len(nc.before) + len(nc.after) + 60
		if size+n > historyPart && (len(cur.hosts)+len(cur.groups)) > 0 {
			ps = append(ps, cur)
			cur, size = part{}, 0
		}
		if isGroup {
			cur.groups = append(cur.groups, nc)
		} else {
			cur.hosts = append(cur.hosts, nc)
		}
		size += n
	}
	for _, hc := range c.Hosts {
		name := hc.Name()
		add(nodeChange{name: name, prev: prevs[PrevKey(false, name)], before: HostJSON(hc.Before), after: HostJSON(hc.After)}, false)
	}
	for _, gc := range c.Groups {
		name := gc.Name()
		add(nodeChange{name: name, prev: prevs[PrevKey(true, name)], before: GroupJSON(gc.Before), after: GroupJSON(gc.After)}, true)
	}
	ps = append(ps, cur)
	h.Parts = len(ps) - 1
	record = maybeCompress(appendRecord(nil, h, ps[0].hosts, ps[0].groups))
	for _, p := range ps[1:] {
		parts = append(parts, maybeCompress(appendRecord(nil, nil, p.hosts, p.groups)))
	}
	return record, parts
}

// maybeCompress compresses a record over 16 kB: small ones stay readable
// in zkCli.sh.
func maybeCompress(data []byte) []byte {
	if len(data) <= 16<<10 {
		return data
	}
	return segment.Compress(data)
}

func maybeDecompress(data []byte) ([]byte, error) {
	if segment.IsCompressed(data) {
		return segment.Decompress(data, 64<<20)
	}
	return data, nil
}
