package precedence_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kook-project/kook/internal/invtest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// depthInventory: r is reached through p and through p -> q, so its depth is
// 3; aaa's priority 100 cannot lift it above deeper groups, and r's negative
// priority cannot sink it:
//
//	[p:children] q r   [q:children] r   [r] h   [r:vars] v=r ansible_group_priority=-3
//	[q:vars] v=q w=q   [p:vars] w=p u=p   [aaa] h   [aaa:vars] u=aaa ansible_group_priority=100
func depthInventory(t testing.TB) *model.Inventory {
	t.Helper()
	inv := model.New()
	for _, g := range []string{"p", "q", "r", "aaa"} {
		inv.AddGroup(g)
	}
	inv.AddHost("h")
	for _, e := range [][2]string{{"p", "q"}, {"p", "r"}, {"q", "r"}} {
		if err := inv.AddChild(e[0], e[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []string{"r", "aaa"} {
		if err := inv.AddHostToGroup(g, "h"); err != nil {
			t.Fatal(err)
		}
	}
	inv.Reconcile()
	inv.Group("r").Vars = model.Map{{Key: "v", Value: "r"}}
	inv.Group("r").Priority = -3
	inv.Group("q").Vars = model.Map{{Key: "v", Value: "q"}, {Key: "w", Value: "q"}}
	inv.Group("p").Vars = model.Map{{Key: "w", Value: "p"}, {Key: "u", Value: "p"}}
	inv.Group("aaa").Vars = model.Map{{Key: "u", Value: "aaa"}}
	inv.Group("aaa").Priority = 100
	return inv
}

// Expected values: ansible-inventory -i hosts --list (values), and key order
// from VariableManager.get_vars(host=..., include_hostvars=False,
// stage='all') with INTERNAL_VARS removed, printed by python3 (ansible-core
// 2.14).
func TestHostVars(t *testing.T) {
	dct := func(kv ...any) model.Map {
		var m model.Map
		for i := 0; i < len(kv); i += 2 {
			m.Set(kv[i].(string), kv[i+1])
		}
		return m
	}
	tests := []struct {
		name string
		inv  func(testing.TB) *model.Inventory
		host string
		want model.Map
	}{
		{"AllLevels", invtest.Precedence, "h1", dct(
			"a", "mid_inv", "b", "all_file", "c", "top_file", "dct", dct("c", int64(3)),
			"y", "late_inv", "z", "early_inv", "d", "top_inv", "x", "mid_inv", "e", "mid_inv",
			"f", "all_file", "k", "early_file", "g", "host_inv", "ansible_group_priority", int64(99),
			"h", "host_inv", "i", "host_file")},
		{"PriorityOverName", invtest.Precedence, "h2", dct(
			"a", "all_inv", "b", "all_file", "c", "all_inv", "dct", dct("a", int64(1), "b", int64(2)),
			"z", "early_inv", "y", "late_inv", "x", "early_inv", "f", "all_file", "k", "early_file",
			"ansible_group_priority", int64(99))},
		{"GroupFileOverGroupInventory", invtest.Precedence, "h3", dct(
			"a", "mid_inv", "b", "all_file", "c", "top_file", "dct", dct("a", int64(1), "b", int64(2)),
			"d", "top_inv", "e", "mid_inv", "f", "all_file", "x", "mid_inv", "g", "mid_file")},
		{"LongestPathDepth", depthInventory, "h", dct("w", "q", "u", "aaa", "v", "r")},
		{"ErrNoHost", invtest.Precedence, "nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := precedence.HostVars(tt.inv(t), tt.host)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("HostVars = %v, want nil", got)
				}
				return
			}
			if !model.EqualOrdered(got, tt.want) {
				t.Errorf("HostVars =\n%s\nwant\n%s", model.MarshalJSON(got), model.MarshalJSON(tt.want))
			}
		})
	}
}

// Expected order: sorted(h.get_groups(), key=(depth, priority, name)) as
// printed by python3 with ansible-core 2.14, 'all' dropped.
func TestMergerGroups(t *testing.T) {
	tests := []struct {
		name string
		inv  func(testing.TB) *model.Inventory
		host string
		want []string
	}{
		{"DepthThenPriorityThenName", invtest.Precedence, "h1", []string{"beta", "late", "top", "early", "mid"}},
		{"Priority", invtest.Precedence, "h2", []string{"late", "early"}},
		{"Ancestors", invtest.Precedence, "h3", []string{"top", "mid"}},
		{"LongestPath", depthInventory, "h", []string{"p", "aaa", "q", "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := precedence.NewMerger(tt.inv(t)).Groups(tt.host); !slices.Equal(got, tt.want) {
				t.Errorf("Groups = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLayers(t *testing.T) {
	got := precedence.Layers(invtest.Precedence(t), "h1")
	// Levels and entities follow VariableManager.get_vars: all, groups, then
	// group_vars/all, group_vars/<group> in the same group order, then host.
	// Level-1 and level-3 groups come in the order of TestMergerGroups.
	want := []string{
		"1 all", "1 beta", "1 late", "1 top", "1 early", "1 mid",
		"2 all", "3 late", "3 top", "3 early", "3 mid", "4 h1", "5 h1",
	}
	var names []string
	for _, l := range got {
		names = append(names, fmt.Sprintf("%d %s", l.Level, l.Entity))
	}
	if !slices.Equal(names, want) {
		t.Errorf("Layers = %q, want %q", names, want)
	}
	if src := got[11].Sources["h"]; src != "hosts:15" {
		t.Errorf("host layer source of h = %q, want hosts:15", src)
	}
	if precedence.Layers(invtest.Precedence(t), "nope") != nil {
		t.Error("Layers of an unknown host is not nil")
	}
}

func TestStripInternal(t *testing.T) {
	in := model.Map{{Key: "inventory_hostname", Value: "x"}, {Key: "a", Value: int64(1)}, {Key: "group_names", Value: []model.Value{}}}
	got := precedence.StripInternal(in)
	if want := (model.Map{{Key: "a", Value: int64(1)}}); !model.EqualOrdered(got, want) {
		t.Errorf("StripInternal = %v, want %v", got, want)
	}
	if len(in) != 3 {
		t.Error("StripInternal modified its argument")
	}
}

func BenchmarkMergerAllHosts(b *testing.B) {
	inv := invtest.Big(100000, 2000)
	b.ResetTimer()
	for b.Loop() {
		m := precedence.NewMerger(inv)
		for _, h := range inv.Hosts {
			if m.HostVars(h.Name) == nil {
				b.Fatal("no vars")
			}
		}
	}
}

// TestFileVarRanks: Ansible applies group_vars/ one inventory source at a
// time, every group of the host in order for each, so a file var from a
// later source (rank 1) beats one of a deeper group from an earlier source
// (testdata/dirs/multisrc in package inventory, checked against Ansible).
func TestFileVarRanks(t *testing.T) {
	inv := model.New()
	inv.AddGroup("top")
	inv.AddGroup("deep")
	inv.AddHost("h1")
	if err := inv.AddChild("top", "deep"); err != nil {
		t.Fatal(err)
	}
	if err := inv.AddHostToGroup("deep", "h1"); err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	deep, top := inv.Group("deep"), inv.Group("top")
	deep.FileVars = model.Map{{Key: "x", Value: "a/deep"}, {Key: "y", Value: "b/deep"}}
	deep.FileVarRanks = map[string]int{"y": 1}
	top.FileVars = model.Map{{Key: "x", Value: "b/top"}, {Key: "y", Value: "b/top"}}
	top.FileVarRanks = map[string]int{"x": 1, "y": 1}
	got := precedence.HostVars(inv, "h1")
	if x, _ := got.Get("x"); x != "b/top" {
		t.Errorf("x = %v, want b/top (a later source beats a deeper group)", x)
	}
	if y, _ := got.Get("y"); y != "b/deep" {
		t.Errorf("y = %v, want b/deep (within one source, the deeper group wins)", y)
	}
	var layers []string
	for _, l := range precedence.Layers(inv, "h1") {
		layers = append(layers, fmt.Sprintf("%d:%s:%d:%s", l.Level, l.Entity, l.Rank, model.MarshalJSON(l.Vars)))
	}
	want := []string{`3:deep:0:{"x":"a/deep"}`, `3:top:1:{"x":"b/top","y":"b/top"}`, `3:deep:1:{"y":"b/deep"}`}
	if !slices.Equal(layers, want) {
		t.Errorf("Layers = %q, want %q", layers, want)
	}
}
