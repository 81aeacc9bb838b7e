package zkstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/segment"
)

// History: every change writes <root>/inventory/history/<generation> (12
// digits) in the same transaction as the change, holding who, when, why,
// the tool, and every node it changed before and after, as records:
//
//	{"generation":7,"time":"2026-12-06T03:10:32.123Z","writer":"7-1f2e3d4c",
//	 "os_user":"alice","machine":"ops1","zk_identity":"digest:alice","tool":"kook",
//	 "reason":"bump port","hosts":[{"name":"web1","prev":30064771329,"before":{...},"after":{...}}],
//	 "groups":[...],"parts":0}
//
// A change too large for one znode continues in <generation>.1, .2, ...
// ("parts" says how many), each {"hosts":[...],"groups":[...]}. The record
// is gzip'd when it is large (it then starts with the gzip magic bytes).
//
// "prev" is the zxid of the transaction that last wrote the node before
// this change (its znode's mzxid as the change read it; absent for a node
// the change creates). It links each node's changes into a chain that
// history_read.go follows from the node's current mzxid back, one record
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

func hostRecordJSON(h *model.HostNode) []byte {
	if h == nil {
		return []byte("null")
	}
	return encodeHost(h)
}

func groupRecordJSON(g *model.GroupNode) []byte {
	if g == nil {
		return []byte("null")
	}
	return encodeGroup(g)
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
	raw, err := maybeGunzip(data)
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

// who fills a commit's user fields from the process and the session.
func (s *Store) who(c *model.Commit) {
	if u, err := user.Current(); err == nil {
		c.OSUser = u.Username
	} else if name := os.Getenv("USER"); name != "" {
		c.OSUser = name
	}
	c.Machine, _ = os.Hostname()
	c.Identity = s.conn.Identity()
}

// historyZnodes encodes a commit as its record and continuation parts.
// prevs holds each node's mzxid before the change (see prevKey); minimal
// leaves the nodes out.
func historyZnodes(c *model.Commit, writer string, prevs map[string]int64, minimal bool) (record []byte, parts [][]byte) {
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
		add(nodeChange{name: name, prev: prevs[PrevKey(false, name)], before: hostRecordJSON(hc.Before), after: hostRecordJSON(hc.After)}, false)
	}
	for _, gc := range c.Groups {
		name := gc.Name()
		add(nodeChange{name: name, prev: prevs[PrevKey(true, name)], before: groupRecordJSON(gc.Before), after: groupRecordJSON(gc.After)}, true)
	}
	ps = append(ps, cur)
	h.Parts = len(ps) - 1
	record = maybeGzip(appendRecord(nil, h, ps[0].hosts, ps[0].groups))
	for _, p := range ps[1:] {
		parts = append(parts, maybeGzip(appendRecord(nil, nil, p.hosts, p.groups)))
	}
	return record, parts
}

// maybeGzip compresses a record over 16 kB: small ones stay readable in
// zkCli.sh.
func maybeGzip(data []byte) []byte {
	if len(data) <= 16<<10 {
		return data
	}
	return segment.GzipFast(data)
}

func maybeGunzip(data []byte) ([]byte, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return segment.Gunzip(data, 64<<20)
	}
	return data, nil
}

// addHistory adds the creation of c's record to txn.
func (s *Store) addHistory(txn *zkconn.Txn, c *model.Commit, writer string, prevs map[string]int64, minimal bool) {
	record, parts := historyZnodes(c, writer, prevs, minimal)
	txn.Create(s.HistoryPath(c.Generation, 0), record)
	for i, p := range parts {
		txn.Create(s.HistoryPath(c.Generation, i+1), p)
	}
}

// History returns the first generation whose change record is kept and
// the current generation (0, 0 when nothing is stored).
func (s *Store) History(ctx context.Context) (start, last int64, err error) {
	h, _, err := s.readHead(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return max(h.HistoryStart, 1), h.Generation, nil
}

// WatchHistory is History with a watch on head: ch fires once head next
// changes, or is created when nothing is stored yet.
func (s *Store) WatchHistory(ctx context.Context) (start, last int64, ch <-chan zk.Event, err error) {
	for {
		data, _, ch, err := s.conn.GetW(ctx, s.HeadPath())
		if errors.Is(err, zk.ErrNoNode) {
			var ok bool
			if ok, _, ch, err = s.conn.ExistsW(ctx, s.HeadPath()); err == nil && ok {
				continue // made meanwhile
			}
			return 0, 0, ch, err
		}
		if err != nil {
			return 0, 0, nil, err
		}
		h, err := parseHead(data)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", s.HeadPath(), err)
		}
		return max(h.HistoryStart, 1), h.Generation, ch, nil
	}
}

// ErrPruned is returned for a generation whose change record retention
// has removed.
var ErrPruned = errors.New("history pruned")

// Commit returns generation gen's change record: ErrNotFound if it was
// never written, wrapping ErrPruned if retention removed it.
func (s *Store) Commit(ctx context.Context, gen int64) (*model.Commit, error) {
	c, _, err := s.readCommit(ctx, gen, true)
	return c, err
}

// Record is one change record as read: the commit, the id of the writer
// that made it (see resolve), and each node's mzxid before the change,
// keyed by PrevKey: what lets a reader follow one node's chain of changes
// (package history).
type Record struct {
	Commit *model.Commit
	Writer string
	Prevs  map[string]int64
}

// readCommit reads generation gen's record and, with full, its parts; it
// returns the writer id too.
func (s *Store) readCommit(ctx context.Context, gen int64, full bool) (*model.Commit, string, error) {
	r, err := s.ReadRecord(ctx, gen, full)
	if err != nil {
		return nil, "", err
	}
	return r.Commit, r.Writer, nil
}

// ReadRecord reads generation gen's record and, with full, its parts (a
// big change's nodes): ErrNotFound if it was never written, wrapping
// ErrPruned if retention removed it.
func (s *Store) ReadRecord(ctx context.Context, gen int64, full bool) (*Record, error) {
	data, _, err := s.conn.Get(ctx, s.HistoryPath(gen, 0))
	if errors.Is(err, zk.ErrNoNode) {
		h, _, herr := s.readHead(ctx)
		if herr == nil && gen >= 1 && gen < h.HistoryStart {
			return nil, fmt.Errorf("generation %d: %w (history starts at generation %d)", gen, ErrPruned, h.HistoryStart)
		}
		return nil, fmt.Errorf("change record of generation %d: %w", gen, model.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read change record of generation %d: %w", gen, err)
	}
	j, hosts, groups, err := decodeRecord(data)
	if err != nil {
		return nil, fmt.Errorf("change record %s: %w", s.HistoryPath(gen, 0), err)
	}
	if full && j.Parts > 0 {
		type part struct{ hosts, groups []nodeChange }
		ps := make([]part, j.Parts)
		err := zkconn.Parallel(ctx, j.Parts, 8, func(i int) error {
			p := s.HistoryPath(gen, i+1)
			data, _, err := s.conn.Get(ctx, p)
			if err != nil {
				return fmt.Errorf("read change record %s: %w", p, err)
			}
			if _, ps[i].hosts, ps[i].groups, err = decodeRecord(data); err != nil {
				return fmt.Errorf("change record %s: %w", p, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			hosts = append(hosts, p.hosts...)
			groups = append(groups, p.groups...)
		}
	}
	c := &model.Commit{Generation: j.Generation, Time: j.Time, User: j.User, OSUser: j.OSUser,
		Machine: j.Machine, Identity: j.Identity, Tool: j.Tool, Reason: j.Reason, Minimal: j.Minimal}
	r := &Record{Commit: c, Writer: j.Writer, Prevs: map[string]int64{}}
	for _, nc := range hosts {
		var hc model.HostChange
		if nc.beforeM != nil {
			hc.Before, err = decodeHostMap(nc.name, nc.beforeM)
		}
		if err == nil && nc.afterM != nil {
			hc.After, err = decodeHostMap(nc.name, nc.afterM)
		}
		if err != nil {
			return nil, fmt.Errorf("change record of generation %d: host %q: %w", gen, nc.name, err)
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
			return nil, fmt.Errorf("change record of generation %d: group %q: %w", gen, nc.name, err)
		}
		c.Groups = append(c.Groups, gc)
		r.Prevs[PrevKey(true, nc.name)] = nc.prev
	}
	return r, nil
}

// prune adds to txn the removal of the oldest change records beyond
// retention (a few per change, so that its cost stays small) and returns
// the new first generation kept. While fewer than HistoryKeep records are
// kept it reads nothing; past that, one stat of the oldest record (its
// creation time), and each record it removes (for its parts).
func (s *Store) prune(ctx context.Context, txn *zkconn.Txn, start, gen int64) int64 {
	if start < 1 {
		start = 1
	}
	const perChange = 4
	for i := 0; i < perChange && gen-start >= int64(s.opts.HistoryKeep); i++ {
		ok, st, err := s.conn.Exists(ctx, s.HistoryPath(start, 0))
		if err != nil {
			break
		}
		if !ok {
			start++
			continue
		}
		if s.opts.HistoryDays > 0 && time.Since(time.UnixMilli(st.Ctime)) < time.Duration(s.opts.HistoryDays)*24*time.Hour {
			break
		}
		parts := 0
		if data, _, err := s.conn.Get(ctx, s.HistoryPath(start, 0)); err != nil {
			break
		} else if j, _, _, err := decodeRecord(data); err == nil {
			parts = j.Parts
		}
		for p := parts; p >= 0; p-- {
			txn.Delete(s.HistoryPath(start, p), -1)
		}
		start++
	}
	return start
}

// HostJSON returns a host's record as a change record holds it (the host
// znode's JSON), "null" for nil: for showing changes.
func HostJSON(h *model.HostNode) []byte { return hostRecordJSON(h) }

// GroupJSON is HostJSON for a group.
func GroupJSON(g *model.GroupNode) []byte { return groupRecordJSON(g) }
