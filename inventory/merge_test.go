package inventory_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

// precedenceInventory is, built by hand, this INI source with group_vars/ and
// host_vars/ beside it (internal/parity/testdata/precedence holds the same
// files, so the parity suite checks the model below against Ansible too):
//
//	[all:vars]             a=all_inv b=all_inv c=all_inv dct={'a': 1, 'b': 2}
//	[top:children] mid     [top:vars]   a=top_inv d=top_inv c=top_inv
//	[mid]  h1 h=host_inv i=host_inv g=host_inv / h3
//	[mid:vars]             a=mid_inv e=mid_inv f=mid_inv x=mid_inv
//	[early] h1 h2          [early:vars] ansible_group_priority=5 z=early_inv x=early_inv
//	[late]  h1 h2          [late:vars]  z=late_inv y=late_inv
//	[beta]  h1             [beta:vars]  y=beta_inv
//	group_vars/all.yml     b: all_file, f: all_file
//	group_vars/top.yml     g: top_file, c: top_file
//	group_vars/mid.yml     g: mid_file
//	group_vars/early.yml   ansible_group_priority: 99, k: early_file
//	group_vars/late.yml    k: late_file
//	host_vars/h1.yml       i: host_file, dct: {c: 3}
func precedenceInventory(t testing.TB) *model.Inventory {
	t.Helper()
	inv := model.New()
	for _, g := range []string{"top", "mid", "early", "late", "beta"} {
		inv.AddGroup(g)
	}
	for _, h := range []string{"h1", "h3", "h2"} {
		inv.AddHost(h)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(inv.AddChild("top", "mid"))
	for _, m := range [][2]string{{"mid", "h1"}, {"mid", "h3"}, {"early", "h1"}, {"early", "h2"}, {"late", "h1"}, {"late", "h2"}, {"beta", "h1"}} {
		must(inv.AddHostToGroup(m[0], m[1]))
	}
	inv.Reconcile()
	s := func(kv ...string) model.Map {
		var m model.Map
		for i := 0; i < len(kv); i += 2 {
			m.Set(kv[i], kv[i+1])
		}
		return m
	}
	all := inv.Group("all")
	all.Vars = s("a", "all_inv", "b", "all_inv", "c", "all_inv")
	all.Vars.Set("dct", model.Map{{Key: "a", Value: int64(1)}, {Key: "b", Value: int64(2)}})
	all.FileVars = s("b", "all_file", "f", "all_file")
	inv.Group("top").Vars = s("a", "top_inv", "d", "top_inv", "c", "top_inv")
	inv.Group("top").FileVars = s("g", "top_file", "c", "top_file")
	inv.Group("mid").Vars = s("a", "mid_inv", "e", "mid_inv", "f", "mid_inv", "x", "mid_inv")
	inv.Group("mid").FileVars = s("g", "mid_file")
	inv.Group("early").Priority = 5
	inv.Group("early").Vars = s("z", "early_inv", "x", "early_inv")
	inv.Group("early").FileVars = model.Map{{Key: "ansible_group_priority", Value: int64(99)}, {Key: "k", Value: "early_file"}}
	inv.Group("late").Vars = s("z", "late_inv", "y", "late_inv")
	inv.Group("late").FileVars = s("k", "late_file")
	inv.Group("beta").Vars = s("y", "beta_inv")
	h1 := inv.Host("h1")
	h1.Vars = s("h", "host_inv", "i", "host_inv", "g", "host_inv")
	h1.FileVars = s("i", "host_file")
	h1.FileVars.Set("dct", model.Map{{Key: "c", Value: int64(3)}})
	h1.VarSources = map[string]string{"h": "hosts:15"}
	return inv
}

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
		{"AllLevels", precedenceInventory, "h1", dct(
			"a", "mid_inv", "b", "all_file", "c", "top_file", "dct", dct("c", int64(3)),
			"y", "late_inv", "z", "early_inv", "d", "top_inv", "x", "mid_inv", "e", "mid_inv",
			"f", "all_file", "k", "early_file", "g", "host_inv", "ansible_group_priority", int64(99),
			"h", "host_inv", "i", "host_file")},
		{"PriorityOverName", precedenceInventory, "h2", dct(
			"a", "all_inv", "b", "all_file", "c", "all_inv", "dct", dct("a", int64(1), "b", int64(2)),
			"z", "early_inv", "y", "late_inv", "x", "early_inv", "f", "all_file", "k", "early_file",
			"ansible_group_priority", int64(99))},
		{"GroupFileOverGroupInventory", precedenceInventory, "h3", dct(
			"a", "mid_inv", "b", "all_file", "c", "top_file", "dct", dct("a", int64(1), "b", int64(2)),
			"d", "top_inv", "e", "mid_inv", "f", "all_file", "x", "mid_inv", "g", "mid_file")},
		{"LongestPathDepth", depthInventory, "h", dct("w", "q", "u", "aaa", "v", "r")},
		{"ErrNoHost", precedenceInventory, "nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inventory.HostVars(tt.inv(t), tt.host)
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
		{"DepthThenPriorityThenName", precedenceInventory, "h1", []string{"beta", "late", "top", "early", "mid"}},
		{"Priority", precedenceInventory, "h2", []string{"late", "early"}},
		{"Ancestors", precedenceInventory, "h3", []string{"top", "mid"}},
		{"LongestPath", depthInventory, "h", []string{"p", "aaa", "q", "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inventory.NewMerger(tt.inv(t)).Groups(tt.host); !slices.Equal(got, tt.want) {
				t.Errorf("Groups = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLayers(t *testing.T) {
	got := inventory.Layers(precedenceInventory(t), "h1")
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
	if inventory.Layers(precedenceInventory(t), "nope") != nil {
		t.Error("Layers of an unknown host is not nil")
	}
}

func TestStripInternal(t *testing.T) {
	in := model.Map{{Key: "inventory_hostname", Value: "x"}, {Key: "a", Value: int64(1)}, {Key: "group_names", Value: []model.Value{}}}
	got := inventory.StripInternal(in)
	if want := (model.Map{{Key: "a", Value: int64(1)}}); !model.EqualOrdered(got, want) {
		t.Errorf("StripInternal = %v, want %v", got, want)
	}
	if len(in) != 3 {
		t.Error("StripInternal modified its argument")
	}
}

// bigInventory builds hosts x groups: groups form a forest 4 deep, every host
// in 3 leaf groups, hosts sharing group sets in runs, every group with a few
// vars and every tenth a group_vars file.
func bigInventory(hosts, groups int) *model.Inventory {
	inv := model.New()
	for i := 0; i < groups; i++ {
		g := inv.AddGroup(fmt.Sprintf("g%04d", i))
		g.Priority = i % 3
		g.Vars = model.Map{{Key: "v", Value: int64(i)}, {Key: fmt.Sprintf("v%d", i%50), Value: "x"}}
		if i%10 == 0 {
			g.FileVars = model.Map{{Key: "f", Value: int64(i)}, {Key: "v", Value: "file"}}
		}
		if i >= 4 {
			_ = inv.AddChild(fmt.Sprintf("g%04d", i/4-1), g.Name)
		}
	}
	leaves := groups - groups/4
	for i := 0; i < hosts; i++ {
		h := inv.AddHost(fmt.Sprintf("host%06d", i))
		h.Vars = model.Map{{Key: "ansible_host", Value: fmt.Sprintf("10.0.%d.%d", i/256%256, i%256)}}
		k := i / 8
		for j := 0; j < 3; j++ {
			g := groups/4 + (k*7+j*13)%leaves
			_ = inv.AddHostToGroup(fmt.Sprintf("g%04d", g), h.Name)
		}
	}
	inv.Reconcile()
	return inv
}

func BenchmarkMergerAllHosts(b *testing.B) {
	inv := bigInventory(100000, 2000)
	b.ResetTimer()
	for b.Loop() {
		m := inventory.NewMerger(inv)
		for _, h := range inv.Hosts {
			if m.HostVars(h.Name) == nil {
				b.Fatal("no vars")
			}
		}
	}
}
