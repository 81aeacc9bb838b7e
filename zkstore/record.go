package zkstore

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/kook-project/kook/model"
)

// Records are the JSON payloads of host and group znodes. They are the
// source of truth; the snapshot blob holds the same records in one list.
//
//	host:  {"seq":1048576,"vars":{...},"file_vars":{...},"source":"hosts.ini:3",
//	        "var_sources":{"hosts.ini:3":["a","b"]},"file_var_sources":{...}}
//	group: {"seq":1048576,"priority":1,"hosts":["web1"],"children":["web_eu"],
//	        "vars":{...},"file_vars":{...},"source":...,"var_sources":...,"file_var_sources":...}
//
// seq orders hosts (and, separately, groups) as Ansible does; znode children
// are unordered. Empty fields are omitted. Values use model's JSON codec, so
// 1500.0 stays a float and dict key order is kept.

func appendHostRecord(buf []byte, h *model.Host, seq int64, name bool) []byte {
	buf = append(buf, '{')
	if name {
		buf = append(buf, `"name":`...)
		buf = model.AppendString(buf, h.Name)
		buf = append(buf, ',')
	}
	buf = append(buf, `"seq":`...)
	buf = strconv.AppendInt(buf, seq, 10)
	buf = appendVars(buf, "vars", h.Vars)
	buf = appendVars(buf, "file_vars", h.FileVars)
	buf = appendSources(buf, h.Source, h.VarSources, h.FileVarSources)
	return append(buf, '}')
}

func appendGroupRecord(buf []byte, g *model.Group, seq int64, name bool) []byte {
	return appendGroupRecordParts(buf, g, seq, name, -1)
}

// maxPart bounds one piece of a group's member list kept outside its record.
const maxPart = 512 * 1024

// groupZnodes returns a group's record and, when its member list is too long
// to sit in the record (a group of 70,000 hosts lists 1.9 MB of names), the
// member list split into parts for members/<group>~<i>, each a JSON list.
// The record then says "host_parts": N instead of listing "hosts".
func groupZnodes(g *model.Group, seq int64) (record []byte, parts [][]byte) {
	size := 0
	for _, h := range g.Hosts {
		size += len(h) + 3
	}
	if size <= maxPart {
		return appendGroupRecord(nil, g, seq, false), nil
	}
	var part []byte
	for _, h := range g.Hosts {
		if len(part) > 0 && len(part)+len(h)+8 > maxPart {
			parts = append(parts, append(part, ']'))
			part = nil
		}
		if len(part) == 0 {
			part = append(part, '[')
		} else {
			part = append(part, ',')
		}
		part = model.AppendString(part, h)
	}
	parts = append(parts, append(part, ']'))
	return appendGroupRecordParts(nil, g, seq, false, len(parts)), parts
}

// appendGroupRecordParts writes the record with the member list inline
// (parts < 0) or as a count of parts.
func appendGroupRecordParts(buf []byte, g *model.Group, seq int64, name bool, parts int) []byte {
	buf = append(buf, '{')
	if name {
		buf = append(buf, `"name":`...)
		buf = model.AppendString(buf, g.Name)
		buf = append(buf, ',')
	}
	buf = append(buf, `"seq":`...)
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, `,"priority":`...)
	buf = strconv.AppendInt(buf, int64(g.Priority), 10)
	if parts < 0 {
		buf = appendStrings(buf, "hosts", g.Hosts)
	} else {
		buf = append(buf, `,"host_parts":`...)
		buf = strconv.AppendInt(buf, int64(parts), 10)
	}
	buf = appendStrings(buf, "children", g.Children)
	buf = appendVars(buf, "vars", g.Vars)
	buf = appendVars(buf, "file_vars", g.FileVars)
	buf = appendSources(buf, g.Source, g.VarSources, g.FileVarSources)
	return append(buf, '}')
}

func appendVars(buf []byte, key string, m model.Map) []byte {
	if len(m) == 0 {
		return buf
	}
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	buf = append(buf, '"', ':')
	return model.AppendStored(buf, m)
}

func appendStrings(buf []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return buf
	}
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	buf = append(buf, `":[`...)
	for i, s := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = model.AppendString(buf, s)
	}
	return append(buf, ']')
}

func appendSources(buf []byte, source string, vars, fileVars map[string]string) []byte {
	if source != "" {
		buf = append(buf, `,"source":`...)
		buf = model.AppendString(buf, source)
	}
	buf = appendStringMap(buf, "var_sources", vars)
	return appendStringMap(buf, "file_var_sources", fileVars)
}

// appendStringMap writes a var -> source map inverted, source -> sorted var
// names, sources sorted: a host's vars mostly come from one line, whose
// name would otherwise be repeated for every var, doubling the record.
func appendStringMap(buf []byte, key string, m map[string]string) []byte {
	if len(m) == 0 {
		return buf
	}
	bySource := make(map[string][]string, 1)
	for name, src := range m {
		bySource[src] = append(bySource[src], name)
	}
	sources := make([]string, 0, len(bySource))
	for src := range bySource {
		sources = append(sources, src)
	}
	slices.Sort(sources)
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	buf = append(buf, '"', ':', '{')
	for i, src := range sources {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = model.AppendString(buf, src)
		buf = append(buf, ':', '[')
		names := bySource[src]
		slices.Sort(names)
		for j, name := range names {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = model.AppendString(buf, name)
		}
		buf = append(buf, ']')
	}
	return append(buf, '}')
}

// record is a decoded host or group record.
type record struct {
	name      string
	seq       int64
	hostParts int64 // member list kept in this many parts outside the record
	host      *model.Host
	grp       *model.Group
}

func parseRecord(data []byte, isGroup bool) (record, error) {
	v, err := model.UnmarshalStored(data)
	if err != nil {
		return record{}, err
	}
	m, ok := v.(model.Map)
	if !ok {
		return record{}, fmt.Errorf("record is not a JSON object")
	}
	return recordFromMap(m, isGroup)
}

func recordFromMap(m model.Map, isGroup bool) (record, error) {
	var r record
	var src string
	var vars, fileVars model.Map
	var varSrc, fileVarSrc map[string]string
	var hosts, children []string
	priority := int64(model.DefaultPriority)
	for _, e := range m {
		var err error
		switch e.Key {
		case "name":
			r.name, err = asString(e.Value)
		case "seq":
			r.seq, err = asInt(e.Value)
		case "priority":
			priority, err = asInt(e.Value)
		case "host_parts":
			r.hostParts, err = asInt(e.Value)
		case "hosts":
			hosts, err = asStrings(e.Value)
		case "children":
			children, err = asStrings(e.Value)
		case "vars":
			vars, err = asMap(e.Value)
		case "file_vars":
			fileVars, err = asMap(e.Value)
		case "source":
			src, err = asString(e.Value)
		case "var_sources":
			varSrc, err = asStringMap(e.Value)
		case "file_var_sources":
			fileVarSrc, err = asStringMap(e.Value)
		}
		if err != nil {
			return r, fmt.Errorf("field %q: %w", e.Key, err)
		}
	}
	if isGroup {
		r.grp = &model.Group{Name: r.name, Hosts: hosts, Children: children, Vars: vars, FileVars: fileVars,
			Priority: int(priority), Source: src, VarSources: varSrc, FileVarSources: fileVarSrc}
	} else {
		r.host = &model.Host{Name: r.name, Vars: vars, FileVars: fileVars,
			Source: src, VarSources: varSrc, FileVarSources: fileVarSrc}
	}
	return r, nil
}

func asString(v model.Value) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %T", v)
	}
	return s, nil
}

func asInt(v model.Value) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("want an integer, got %T", v)
	}
	return n, nil
}

func asMap(v model.Value) (model.Map, error) {
	m, ok := v.(model.Map)
	if !ok {
		return nil, fmt.Errorf("want an object, got %T", v)
	}
	return m, nil
}

func asStrings(v model.Value) ([]string, error) {
	list, ok := v.([]model.Value)
	if !ok {
		return nil, fmt.Errorf("want a list, got %T", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("item %d: want a string, got %T", i, x)
		}
		out[i] = s
	}
	return out, nil
}

// asStringMap reads a var -> source map written by appendStringMap, or as
// kook wrote it before, {"var": "source"}.
func asStringMap(v model.Value) (map[string]string, error) {
	m, err := asMap(v)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for _, e := range m {
		switch x := e.Value.(type) {
		case string:
			out[e.Key] = x
		case []model.Value:
			for _, name := range x {
				s, ok := name.(string)
				if !ok {
					return nil, fmt.Errorf("%q: want var names, got a %T", e.Key, name)
				}
				out[s] = e.Key
			}
		default:
			return nil, fmt.Errorf("%q: want a list of var names, got %T", e.Key, e.Value)
		}
	}
	return out, nil
}
