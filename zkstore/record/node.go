package record

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/kook-project/kook/model"
)

// Node records are the JSON payloads of host and group znodes, the source
// of truth. Empty fields are omitted; values use model's JSON codec, so 1500.0
// stays a float and dict key order is kept. Fields kook does not know are
// kept in Extra and written back after the known ones.
//
//	host:  {"groups":{"web":4294967552},"vars":{...},"file_vars":{...},
//	        "source":"hosts.ini:3","var_sources":{"hosts.ini:3":["a","b"]},...}
//	group: {"seq":4294967296,"parents":{"all":4294967808},"priority":1,
//	        "vars":{...},"file_vars":{...},"source":...,"var_sources":...}
//
// "groups" and "parents" map a group's name to the key that orders this
// host among the group's hosts, or this group among its parent's children.

// MaxNode is the most one node record may hold: a znode's limit less room
// for the rest of the request.
const MaxNode = 1000 * 1000

// Host encodes a host's record.
func Host(h *model.HostNode) []byte {
	buf := []byte{'{'}
	buf = appendEdges(buf, "groups", h.Groups)
	if h.Slot != 0 {
		buf = appendField(buf, "slot")
		buf = strconv.AppendInt(buf, h.Slot, 10)
	}
	buf = appendVars(buf, "vars", h.Vars)
	buf = appendVars(buf, "file_vars", h.FileVars)
	buf = appendSources(buf, h.Source, h.VarSources, h.FileVarSources)
	buf = appendExtra(buf, h.Extra)
	return append(buf, '}')
}

// Group encodes a group's record.
func Group(g *model.GroupNode) []byte {
	buf := []byte{'{'}
	buf = appendField(buf, "seq")
	buf = strconv.AppendInt(buf, g.Seq, 10)
	buf = appendEdges(buf, "parents", g.Parents)
	if g.ListLast {
		buf = append(appendField(buf, "list_last"), "true"...)
	}
	buf = appendField(buf, "priority")
	buf = strconv.AppendInt(buf, int64(g.Priority), 10)
	buf = appendVars(buf, "vars", g.Vars)
	buf = appendVars(buf, "file_vars", g.FileVars)
	buf = appendRanks(buf, g.FileVarRanks)
	buf = appendSources(buf, g.Source, g.VarSources, g.FileVarSources)
	buf = appendExtra(buf, g.Extra)
	return append(buf, '}')
}

// appendRanks writes a group's model.Group.FileVarRanks, sorted by var,
// as "file_var_ranks":{"var":2}. The field is optional: records without
// it (an inventory of one source, or written before kook kept ranks) read
// as rank 0 for every var, and a kook that does not know it keeps it as
// an unknown field.
func appendRanks(buf []byte, ranks map[string]int) []byte {
	if len(ranks) == 0 {
		return buf
	}
	buf = append(appendField(buf, "file_var_ranks"), '{')
	for i, k := range slices.Sorted(maps.Keys(ranks)) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(model.AppendString(buf, k), ':')
		buf = strconv.AppendInt(buf, int64(ranks[k]), 10)
	}
	return append(buf, '}')
}

// appendField writes `"key":`, after a comma unless the object just began.
func appendField(buf []byte, key string) []byte {
	if buf[len(buf)-1] != '{' {
		buf = append(buf, ',')
	}
	buf = model.AppendString(buf, key)
	return append(buf, ':')
}

func appendEdges(buf []byte, key string, edges []model.Edge) []byte {
	if len(edges) == 0 {
		return buf
	}
	buf = appendField(buf, key)
	buf = append(buf, '{')
	for i, e := range edges {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = model.AppendString(buf, e.Name)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, e.Key, 10)
	}
	return append(buf, '}')
}

func appendVars(buf []byte, key string, m model.Map) []byte {
	if len(m) == 0 {
		return buf
	}
	return model.AppendStored(appendField(buf, key), m)
}

func appendExtra(buf []byte, m model.Map) []byte {
	for _, e := range m {
		buf = model.AppendStored(appendField(buf, e.Key), e.Value)
	}
	return buf
}

func appendSources(buf []byte, source string, vars, fileVars map[string]string) []byte {
	if source != "" {
		buf = model.AppendString(appendField(buf, "source"), source)
	}
	buf = appendSourceMap(buf, "var_sources", vars)
	return appendSourceMap(buf, "file_var_sources", fileVars)
}

// appendSourceMap writes a var -> source map inverted, source -> sorted var
// names, sources sorted: a host's vars mostly come from one line, whose
// name would otherwise be repeated for every var, doubling the record.
func appendSourceMap(buf []byte, key string, m map[string]string) []byte {
	if len(m) == 0 {
		return buf
	}
	bySource := make(map[string][]string, 1)
	for name, src := range m {
		bySource[src] = append(bySource[src], name)
	}
	buf = appendField(buf, key)
	buf = append(buf, '{')
	for i, src := range slices.Sorted(maps.Keys(bySource)) {
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

// DecodeHost decodes the record of host name.
func DecodeHost(name string, data []byte) (*model.HostNode, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	return decodeHostMap(name, m)
}

// decodeHostMap decodes the record of host name, parsed.
func decodeHostMap(name string, m model.Map) (*model.HostNode, error) {
	var err error
	h := &model.HostNode{Host: model.Host{Name: name}}
	for _, e := range m {
		switch e.Key {
		case "groups":
			h.Groups, err = asEdges(e.Value)
		case "slot":
			h.Slot, err = asInt(e.Value)
		case "vars":
			h.Vars, err = asMap(e.Value)
		case "file_vars":
			h.FileVars, err = asMap(e.Value)
		case "source":
			h.Source, err = asString(e.Value)
		case "var_sources":
			h.VarSources, err = asSourceMap(e.Value)
		case "file_var_sources":
			h.FileVarSources, err = asSourceMap(e.Value)
		default:
			h.Extra = append(h.Extra, e)
		}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", e.Key, err)
		}
	}
	return h, nil
}

// DecodeGroup decodes the record of group name.
func DecodeGroup(name string, data []byte) (*model.GroupNode, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	return decodeGroupMap(name, m)
}

// decodeGroupMap decodes the record of group name, parsed.
func decodeGroupMap(name string, m model.Map) (*model.GroupNode, error) {
	var err error
	g := &model.GroupNode{Group: *model.NewGroup(name)}
	for _, e := range m {
		switch e.Key {
		case "seq":
			g.Seq, err = asInt(e.Value)
		case "parents":
			g.Parents, err = asEdges(e.Value)
		case "list_last":
			var ok bool
			if g.ListLast, ok = e.Value.(bool); !ok {
				err = fmt.Errorf("want a boolean, got %s", typeName(e.Value))
			}
		case "priority":
			var p int64
			p, err = asInt(e.Value)
			if err == nil && int64(int(p)) != p {
				err = fmt.Errorf("%d is out of range", p)
			}
			g.Priority = int(p)
		case "vars":
			g.Vars, err = asMap(e.Value)
		case "file_vars":
			g.FileVars, err = asMap(e.Value)
		case "source":
			g.Source, err = asString(e.Value)
		case "var_sources":
			g.VarSources, err = asSourceMap(e.Value)
		case "file_var_sources":
			g.FileVarSources, err = asSourceMap(e.Value)
		case "file_var_ranks":
			g.FileVarRanks, err = asRanks(e.Value)
		default:
			g.Extra = append(g.Extra, e)
		}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", e.Key, err)
		}
	}
	return g, nil
}

func decodeObject(data []byte) (model.Map, error) {
	if len(data) > MaxNode {
		return nil, fmt.Errorf("%d bytes, over the %d-byte record limit", len(data), MaxNode)
	}
	v, err := model.UnmarshalStored(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(model.Map)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}

func asString(v model.Value) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", typeName(v))
	}
	return s, nil
}

func asInt(v model.Value) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("want an integer, got %s", typeName(v))
	}
	return n, nil
}

func asMap(v model.Value) (model.Map, error) {
	m, ok := v.(model.Map)
	if !ok {
		return nil, fmt.Errorf("want an object, got %s", typeName(v))
	}
	return m, nil
}

func asEdges(v model.Value) ([]model.Edge, error) {
	m, err := asMap(v)
	if err != nil {
		return nil, err
	}
	out := make([]model.Edge, len(m))
	for i, e := range m {
		k, err := asInt(e.Value)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", e.Key, err)
		}
		if err := model.ValidateName(e.Key); err != nil {
			return nil, fmt.Errorf("%q: %w", e.Key, err)
		}
		out[i] = model.Edge{Name: e.Key, Key: k}
	}
	return out, nil
}

// asRanks reads what appendRanks wrote.
func asRanks(v model.Value) (map[string]int, error) {
	m, err := asMap(v)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(m))
	for _, e := range m {
		n, err := asInt(e.Value)
		if err != nil || n < 1 || int64(int(n)) != n {
			return nil, fmt.Errorf("%q: want a positive integer, got %s", e.Key, model.MarshalJSON(e.Value))
		}
		out[e.Key] = int(n)
	}
	return out, nil
}

// asSourceMap reads a var -> source map written by appendSourceMap, or as
// kook wrote it before, {"var": "source"}.
func asSourceMap(v model.Value) (map[string]string, error) {
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
					return nil, fmt.Errorf("%q: want var names, got %s", e.Key, typeName(name))
				}
				out[s] = e.Key
			}
		default:
			return nil, fmt.Errorf("%q: want a list of var names, got %s", e.Key, typeName(e.Value))
		}
	}
	return out, nil
}

func typeName(v model.Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case string, model.Vault:
		return "a string"
	case []model.Value:
		return "a list"
	case model.Map:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
