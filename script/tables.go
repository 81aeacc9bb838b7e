package script

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/kook-project/kook/model"
)

// The views kook-inventory reads are three tables, each sorted by key (see
// model.Renderer); together they are exactly what --list prints.
//
//	groups    group name                         -> rank TAB vars TAB children TAB meta
//	members   group name, 0, key (8 bytes)        -> host name (a JSON string)
//	hostvars  fnv-1a(name) (4 bytes), host name   -> the host's _meta.hostvars object
//
// groups: one entry per group, rank (a decimal number) placing it in the
// order --list lists the groups, with the JSON of its "vars" and
// "children" ("" when it has none) and, for writers, meta: a JSON object
// holding the group's Seq and the vars that can make Ansible's result
// differ from the emitted group vars (those set in group_vars/ files, and
// ansible_group_priority). The ranks are worked out from the groups' Seq
// (the order Ansible must create them in) and children (emit_order.go).
// members: each group's hosts in order, the key of each membership edge
// after the group's name. hostvars: only hosts whose entry is not empty,
// grouped by a hash of the name so that a change to one host rewrites one
// small segment.
const (
	TableGroups   = "groups"
	TableMembers  = "members"
	TableHostvars = "hostvars"
)

func groupKey(name string) []byte { return []byte(name) }

// membersPrefix is the least key of group's members entries; names hold
// no NUL byte, so no other group's entries start with it.
func membersPrefix(group string) []byte { return append([]byte(group), 0) }

func memberKey(group string, key int64) []byte {
	return binary.BigEndian.AppendUint64(membersPrefix(group), uint64(key))
}

func hostvarsKey(name string) []byte {
	h := fnv.New32a()
	h.Write([]byte(name))
	return append(h.Sum(nil), name...)
}

// groupEntry is a decoded groups-table entry.
type groupEntry struct {
	Name     string
	Rank     int64
	Vars     []byte   // JSON object, nil when none
	Children []string // in order
	Seq      int64
	FileKeys []string // vars that may need pinning (meta "fv")
}

type groupMeta struct {
	Seq int64    `json:"seq"`
	FV  []string `json:"fv,omitempty"`
}

func encodeGroupEntry(rank int64, vars []byte, children []string, seq int64, fileKeys []string) []byte {
	buf := strconv.AppendInt(nil, rank, 10)
	buf = append(buf, '\t')
	buf = append(buf, vars...)
	buf = append(buf, '\t')
	if len(children) > 0 {
		buf = appendStrings(buf, children)
	}
	buf = append(buf, '\t')
	meta, _ := json.Marshal(groupMeta{Seq: seq, FV: fileKeys})
	return append(buf, meta...)
}

// splitGroupEntry returns the fields of a groups-table value, undecoded.
func splitGroupEntry(v []byte) (rank int64, vars, children, meta []byte, err error) {
	parts := bytes.SplitN(v, []byte{'\t'}, 4)
	if len(parts) != 4 {
		return 0, nil, nil, nil, errors.New("want 4 tab-separated fields")
	}
	rank, err = strconv.ParseInt(string(parts[0]), 10, 64)
	if err != nil {
		return 0, nil, nil, nil, fmt.Errorf("rank: %w", err)
	}
	return rank, parts[1], parts[2], parts[3], nil
}

func decodeGroupEntry(k, v []byte) (*groupEntry, error) {
	rank, vars, children, meta, err := splitGroupEntry(v)
	if err != nil {
		return nil, fmt.Errorf("groups entry %q: %w", k, err)
	}
	e := &groupEntry{Name: string(k), Rank: rank}
	if len(vars) > 0 {
		e.Vars = vars
	}
	if len(children) > 0 {
		if err := json.Unmarshal(children, &e.Children); err != nil {
			return nil, fmt.Errorf("groups entry %q: children: %w", k, err)
		}
	}
	var m groupMeta
	if err := json.Unmarshal(meta, &m); err != nil {
		return nil, fmt.Errorf("groups entry %q: meta: %w", k, err)
	}
	e.Seq, e.FileKeys = m.Seq, m.FV
	return e, nil
}

// decodeName decodes a members-table value.
func decodeName(v []byte) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("members entry: %w", err)
	}
	return s, nil
}

// Members implements model.Renderer: g's hosts as the members table lists
// them, with their keys.
func (Renderer) Members(tables func(string) model.TableReader, g *model.GroupNode) ([]model.Edge, error) {
	return members(tables(TableMembers), g.Name)
}

func members(t model.TableReader, group string) ([]model.Edge, error) {
	var out []model.Edge
	var ferr error
	prefix := membersPrefix(group)
	err := t.Scan(prefix, nextKey(prefix), func(k, v []byte) bool {
		name, err := decodeName(v)
		if err != nil || len(k) != len(prefix)+8 {
			ferr = fmt.Errorf("members entry %q: bad key or value: %v", k, err)
			return false
		}
		out = append(out, model.Edge{Name: name, Key: int64(binary.BigEndian.Uint64(k[len(prefix):]))})
		return true
	})
	if err == nil {
		err = ferr
	}
	return out, err
}

// Children implements model.Renderer: g's child groups as the groups
// table lists them.
func (Renderer) Children(tables func(string) model.TableReader, g *model.GroupNode) ([]string, error) {
	e, err := groupEntryOf(tables(TableGroups), g.Name)
	if err != nil || e == nil {
		return nil, err
	}
	return e.Children, nil
}

// groupEntryOf returns group's groups-table entry, nil if there is none.
func groupEntryOf(t model.TableReader, group string) (*groupEntry, error) {
	v, ok, err := t.Get(groupKey(group))
	if err != nil || !ok {
		return nil, err
	}
	return decodeGroupEntry(groupKey(group), v)
}

// rankedGroups returns every groups-table entry, in rank order: the order
// --list lists them.
func rankedGroups(t model.TableReader) ([]rawGroup, error) {
	var out []rawGroup
	var ferr error
	err := t.Scan(nil, nil, func(k, v []byte) bool {
		rank, vars, children, _, err := splitGroupEntry(v)
		if err != nil {
			ferr = fmt.Errorf("view table %s: entry %q: %w", TableGroups, k, err)
			return false
		}
		out = append(out, rawGroup{name: k, rank: rank, vars: vars, children: children})
		return true
	})
	if err == nil {
		err = ferr
	}
	slices.SortFunc(out, func(a, b rawGroup) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return bytes.Compare(a.name, b.name)
	})
	return out, err
}

// rawGroup is a groups-table entry with its JSON fields undecoded.
type rawGroup struct {
	name           []byte
	rank           int64
	vars, children []byte
}

// MemTables serves tables held in memory (each sorted by key) as
// model.TableReaders: for rendering --list without a store.
func MemTables(tables map[string][]model.KV) func(string) model.TableReader {
	return func(name string) model.TableReader { return memTable(tables[name]) }
}

type memTable []model.KV

func (t memTable) find(key []byte) (int, bool) {
	return slices.BinarySearchFunc(t, key, func(e model.KV, k []byte) int { return bytes.Compare(e.Key, k) })
}

func (t memTable) Get(key []byte) ([]byte, bool, error) {
	i, ok := t.find(key)
	if !ok {
		return nil, false, nil
	}
	return t[i].Value, true, nil
}

func (t memTable) Scan(from, to []byte, fn func(key, value []byte) bool) error {
	i := 0
	if from != nil {
		i, _ = t.find(from)
	}
	for ; i < len(t); i++ {
		if to != nil && bytes.Compare(t[i].Key, to) >= 0 {
			return nil
		}
		if !fn(t[i].Key, t[i].Value) {
			return nil
		}
	}
	return nil
}
