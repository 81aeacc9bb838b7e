package script_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kook-project/kook/internal/invtest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
)

// memSource is a model.ViewSource in memory: nodes after a change, tables
// before it.
type memSource struct {
	after  *model.Nodes
	tables map[string][]model.KV
}

func (m memSource) Host(name string) (*model.HostNode, error)   { return m.after.Host(name) }
func (m memSource) Group(name string) (*model.GroupNode, error) { return m.after.Group(name) }
func (m memSource) Table(name string) model.TableReader         { return script.MemTables(m.tables)(name) }
func (m memSource) Hosts(names []string) ([]*model.HostNode, error) {
	out := make([]*model.HostNode, len(names))
	for i, n := range names {
		out[i] = m.after.Hosts[n]
	}
	return out, nil
}

func diffNodes(a, b *model.Nodes) ([]model.HostChange, []model.GroupChange) {
	var hosts []model.HostChange
	var groups []model.GroupChange
	for name, h := range b.Hosts {
		if !model.EqualHostNodes(a.Hosts[name], h) {
			hosts = append(hosts, model.HostChange{Before: a.Hosts[name], After: h})
		}
	}
	for name, h := range a.Hosts {
		if b.Hosts[name] == nil {
			hosts = append(hosts, model.HostChange{Before: h})
		}
	}
	for name, g := range b.Groups {
		if !model.EqualGroupNodes(a.Groups[name], g) {
			groups = append(groups, model.GroupChange{Before: a.Groups[name], After: g})
		}
	}
	for name, g := range a.Groups {
		if b.Groups[name] == nil {
			groups = append(groups, model.GroupChange{Before: g})
		}
	}
	return hosts, groups
}

// applyEdits applies table edits as the store does.
func applyEdits(tables map[string][]model.KV, edits model.TableEdits) map[string][]model.KV {
	out := map[string][]model.KV{}
	for name, t := range tables {
		out[name] = slices.Clone(t)
	}
	for name, list := range edits {
		m := map[string][]byte{}
		for _, e := range out[name] {
			m[string(e.Key)] = e.Value
		}
		for _, e := range list {
			if e.Value == nil {
				delete(m, string(e.Key))
			} else {
				m[string(e.Key)] = e.Value
			}
		}
		var t []model.KV
		for k, v := range m {
			t = append(t, model.KV{Key: []byte(k), Value: v})
		}
		slices.SortFunc(t, func(a, b model.KV) int { return bytes.Compare(a.Key, b.Key) })
		out[name] = t
	}
	return out
}

// TestUpdateMatchesTables: after any sequence of edits, what Update
// renders from the tables before and the changed nodes equals what Tables
// renders from all the nodes after. This is what lets a one-host change
// cost one host while --list stays exactly what a full render prints.
func TestUpdateMatchesTables(t *testing.T) {
	base := script.Nodes(invtest.Precedence(t), &model.Nodes{KeyBase: 1 << 32})
	r := script.Renderer{}
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := base.Clone()
		n.KeyBase = 2 << 32
		tables, err := r.Tables(n)
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 6; step++ {
			after := n.Clone()
			after.KeyBase = int64(3+step) << 32
			var ops []model.Op
			for k := 0; k < 1+rng.IntN(3); k++ {
				op := randomOp(rng, after)
				if err := op.Apply(after); err == nil {
					ops = append(ops, op)
				}
			}
			hosts, groups := diffNodes(n, after)
			edits, err := r.Update(memSource{after, tables}, hosts, groups)
			want, werr := r.Tables(after)
			if (err == nil) != (werr == nil) {
				t.Fatalf("seed %d step %d %v: Update: %v; Tables: %v", seed, step, ops, err, werr)
			}
			if err != nil {
				// What the protocol cannot express (a host named like a
				// group that needs vars of its own): every writer
				// refuses it, and the change is not made.
				continue
			}
			got := applyEdits(tables, edits)
			for _, name := range []string{script.TableGroups, script.TableMembers, script.TableHostvars} {
				if d := tableDiff(got[name], want[name]); d != "" {
					t.Fatalf("seed %d step %d after %v: table %s: %s", seed, step, ops, name, d)
				}
			}
			n, tables = after, got
		}
	}
}

func tableDiff(got, want []model.KV) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Key, want[i].Key) || !bytes.Equal(got[i].Value, want[i].Value) {
			return fmt.Sprintf("entry %d: %q=%s, want %q=%s", i, got[i].Key, got[i].Value, want[i].Key, want[i].Value)
		}
	}
	return ""
}

func pick[V any](rng *rand.Rand, m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return "none"
	}
	return keys[rng.IntN(len(keys))]
}

// randomOp returns an edit of n's hosts and groups, often one that fails
// (which the caller drops).
func randomOp(rng *rand.Rand, n *model.Nodes) model.Op {
	host, group, other := pick(rng, n.Hosts), pick(rng, n.Groups), pick(rng, n.Groups)
	level := model.VarLevel(rng.IntN(3))
	val := model.Map{{Key: []string{"a", "f", "g", "x", "z", "new", "ansible_group_priority"}[rng.IntN(7)], Value: int64(rng.IntN(5))}}
	switch rng.IntN(12) {
	case 0:
		return model.CreateHost{Name: fmt.Sprintf("n%d", rng.IntN(1000)), Groups: []string{group}, Vars: val}
	case 1:
		return model.DeleteHost{Name: host}
	case 2:
		return model.AddMember{Group: group, Host: host}
	case 3:
		return model.RemoveMember{Group: group, Host: host}
	case 4:
		return model.Attach{Parent: group, Child: other}
	case 5:
		return model.Detach{Parent: group, Child: other}
	case 6:
		return model.SetHostVars{Host: host, Level: level, Vars: val}
	case 7:
		return model.SetGroupVars{Group: group, Level: level, Vars: val}
	case 8:
		return model.SetPriority{Group: group, Priority: rng.IntN(4)}
	case 9:
		return model.CreateGroup{Name: fmt.Sprintf("g%d", rng.IntN(1000)), Parents: []string{group}, Vars: val}
	case 10:
		return model.DeleteGroup{Name: group, Force: true}
	default:
		// A host named like a group, and a group named like a host.
		if rng.IntN(2) == 0 {
			return model.CreateHost{Name: group, Groups: []string{other}}
		}
		return model.CreateGroup{Name: host}
	}
}
