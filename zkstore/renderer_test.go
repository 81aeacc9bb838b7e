package zkstore_test

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/kook-project/kook/model"
)

// testRenderer is a small renderer for the store's own tests, so that they
// exercise the store without Ansible's formats: table "vars" holds each
// host's vars as JSON, "members" each (group, key) -> host, "children"
// each (parent, key) -> child.
type testRenderer struct{}

func edgeKey(group string, key int64) []byte {
	b := append([]byte(group), 0)
	return binary.BigEndian.AppendUint64(b, uint64(key))
}

func (testRenderer) Tables(n *model.Nodes) (map[string][]model.KV, error) {
	out := map[string][]model.KV{}
	for _, h := range n.Hosts {
		out["vars"] = append(out["vars"], model.KV{Key: []byte(h.Name), Value: model.MarshalJSON(h.Vars)})
		for _, e := range h.Groups {
			out["members"] = append(out["members"], model.KV{Key: edgeKey(e.Name, e.Key), Value: []byte(h.Name)})
		}
	}
	for _, g := range n.Groups {
		for _, e := range g.Parents {
			out["children"] = append(out["children"], model.KV{Key: edgeKey(e.Name, e.Key), Value: []byte(g.Name)})
		}
	}
	for _, t := range out {
		slices.SortFunc(t, func(a, b model.KV) int { return bytes.Compare(a.Key, b.Key) })
	}
	return out, nil
}

func (testRenderer) Update(src model.ViewSource, hosts []model.HostChange, groups []model.GroupChange) (model.TableEdits, error) {
	edits := model.TableEdits{}
	for _, c := range hosts {
		name := ""
		if c.After != nil {
			name = c.After.Name
			edits["vars"] = append(edits["vars"], model.KV{Key: []byte(name), Value: model.MarshalJSON(c.After.Vars)})
		} else {
			name = c.Before.Name
			edits["vars"] = append(edits["vars"], model.KV{Key: []byte(name)})
		}
		edits["members"] = append(edits["members"], edgeEdits(name, c.Before.Edges(), c.After.Edges())...)
	}
	for _, c := range groups {
		var before, after []model.Edge
		name := ""
		if c.Before != nil {
			before, name = c.Before.Parents, c.Before.Name
		}
		if c.After != nil {
			after, name = c.After.Parents, c.After.Name
		}
		edits["children"] = append(edits["children"], edgeEdits(name, before, after)...)
	}
	return edits, nil
}

// edgeEdits deletes the edges that go and puts those that come.
func edgeEdits(name string, before, after []model.Edge) []model.KV {
	var out []model.KV
	for _, e := range before {
		if !slices.Contains(after, e) {
			out = append(out, model.KV{Key: edgeKey(e.Name, e.Key)})
		}
	}
	for _, e := range after {
		if !slices.Contains(before, e) {
			out = append(out, model.KV{Key: edgeKey(e.Name, e.Key), Value: []byte(name)})
		}
	}
	return out
}

func scanEdges(t model.TableReader, group string) ([]model.Edge, error) {
	from := append([]byte(group), 0)
	to := append([]byte(group), 1)
	var out []model.Edge
	err := t.Scan(from, to, func(k, v []byte) bool {
		out = append(out, model.Edge{Name: string(v), Key: int64(binary.BigEndian.Uint64(k[len(k)-8:]))})
		return true
	})
	return out, err
}

func (testRenderer) Members(tables func(string) model.TableReader, g *model.GroupNode) ([]model.Edge, error) {
	return scanEdges(tables("members"), g.Name)
}

func (testRenderer) Children(tables func(string) model.TableReader, g *model.GroupNode) ([]string, error) {
	edges, err := scanEdges(tables("children"), g.Name)
	names := make([]string, len(edges))
	for i, e := range edges {
		names[i] = e.Name
	}
	return names, err
}
