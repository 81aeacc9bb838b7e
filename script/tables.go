package script

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/kook-project/kook/model"
)

// The views kook-inventory reads are three tables, each sorted by key (see
// model.Renderer); together they are exactly what --list prints.
//
//	groups    seq (8 bytes, big-endian)        -> name TAB vars TAB children TAB meta
//	members   seq, key (8 bytes each)          -> host name (a JSON string)
//	hostvars  fnv-1a(name) (4 bytes), name     -> the host's _meta.hostvars object
//
// groups: one entry per group in the order --list lists them (the group's
// Seq), with the JSON of its "vars" and "children" ("" when it has none)
// and, for writers, meta: a JSON object {"fv": [...]} naming the vars that
// can make Ansible's result differ from the emitted group vars (those set
// in group_vars/ files, and ansible_group_priority). members: each group's
// hosts in order, the key of each membership edge after the group's seq.
// hostvars: only hosts whose entry is not empty, grouped by a hash of the
// name so that a change to one host rewrites one small segment.
const (
	TableGroups   = "groups"
	TableMembers  = "members"
	TableHostvars = "hostvars"
)

func seqKey(seq int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(seq)) }

func memberKey(seq, key int64) []byte {
	return binary.BigEndian.AppendUint64(seqKey(seq), uint64(key))
}

func hostvarsKey(name string) []byte {
	h := fnv.New32a()
	h.Write([]byte(name))
	return append(h.Sum(nil), name...)
}

// groupEntry is a decoded groups-table value.
type groupEntry struct {
	Name     string
	Vars     []byte   // JSON object, nil when none
	Children []string // in order
	FileKeys []string // vars that may need pinning (meta "fv")
	children []byte   // the JSON of Children, as stored
}

type groupMeta struct {
	FV []string `json:"fv,omitempty"`
}

func encodeGroupEntry(name string, vars []byte, children []string, fileKeys []string) []byte {
	buf := model.AppendString(nil, name)
	buf = append(buf, '\t')
	buf = append(buf, vars...)
	buf = append(buf, '\t')
	if len(children) > 0 {
		buf = appendStrings(buf, children)
	}
	buf = append(buf, '\t')
	if len(fileKeys) > 0 {
		meta, _ := json.Marshal(groupMeta{FV: fileKeys})
		buf = append(buf, meta...)
	}
	return buf
}

func decodeGroupEntry(v []byte) (*groupEntry, error) {
	parts := bytes.SplitN(v, []byte{'\t'}, 4)
	if len(parts) != 4 {
		return nil, errors.New("groups entry: want 4 tab-separated fields")
	}
	e := &groupEntry{children: parts[2]}
	if err := json.Unmarshal(parts[0], &e.Name); err != nil {
		return nil, fmt.Errorf("groups entry: name: %w", err)
	}
	if len(parts[1]) > 0 {
		e.Vars = parts[1]
	}
	if len(parts[2]) > 0 {
		if err := json.Unmarshal(parts[2], &e.Children); err != nil {
			return nil, fmt.Errorf("groups entry %q: children: %w", e.Name, err)
		}
	}
	if len(parts[3]) > 0 {
		var m groupMeta
		if err := json.Unmarshal(parts[3], &m); err != nil {
			return nil, fmt.Errorf("groups entry %q: meta: %w", e.Name, err)
		}
		e.FileKeys = m.FV
	}
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
	return members(tables(TableMembers), g.Seq)
}

func members(t model.TableReader, seq int64) ([]model.Edge, error) {
	var out []model.Edge
	var ferr error
	err := t.Scan(seqKey(seq), seqKey(seq+1), func(k, v []byte) bool {
		name, err := decodeName(v)
		if err != nil || len(k) != 16 {
			ferr = fmt.Errorf("members entry %x: bad key or value: %v", k, err)
			return false
		}
		out = append(out, model.Edge{Name: name, Key: int64(binary.BigEndian.Uint64(k[8:]))})
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
	e, err := groupAt(tables(TableGroups), g.Seq)
	if err != nil || e == nil {
		return nil, err
	}
	return e.Children, nil
}

// groupAt returns the groups-table entry at seq, nil if there is none.
func groupAt(t model.TableReader, seq int64) (*groupEntry, error) {
	v, ok, err := t.Get(seqKey(seq))
	if err != nil || !ok {
		return nil, err
	}
	return decodeGroupEntry(v)
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
