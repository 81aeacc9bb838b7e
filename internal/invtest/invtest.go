package invtest

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

// Precedence is, built by hand, this INI source with group_vars/ and
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
func Precedence(t testing.TB) *model.Inventory {
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

// Big builds hosts x groups: groups form a forest 4 deep, every host
// in 3 leaf groups, hosts sharing group sets in runs, every group with a few
// vars and every tenth a group_vars file.
func Big(hosts, groups int) *model.Inventory {
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

// TypedValues are vars of every type kook must keep exactly.
func TypedValues() model.Map {
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	return model.Map{
		{Key: "int", Value: int64(1500)},
		{Key: "float", Value: 1500.0},
		{Key: "small_float", Value: 1.5e-7},
		{Key: "inf", Value: math.Inf(1)},
		{Key: "string_octal", Value: "010"},
		{Key: "string_number", Value: "8080"},
		{Key: "bool", Value: true},
		{Key: "null", Value: nil},
		{Key: "bigint", Value: big1},
		{Key: "negative", Value: int64(-9223372036854775808)},
		{Key: "unicode", Value: "naïve ☃ \u0000 \"quoted\"\n"},
		{Key: "list", Value: []model.Value{int64(1), "two", 3.0, nil, []model.Value{}}},
		{Key: "map", Value: model.Map{{Key: "z", Value: int64(1)}, {Key: "a", Value: model.Map{{Key: "nested", Value: false}}}}},
		{Key: "empty_map", Value: model.Map{}},
		{Key: "vault", Value: model.Vault("$ANSIBLE_VAULT;1.1;AES256\n6162\n")},
	}
}

// OddNames are host names Ansible accepts that a naive znode mapping breaks.
func OddNames() []string {
	return []string{
		"db primary", "a/b", "..", ".", "...x", "host:2222", "ünïcödé-☃", "[::1]", "%41", "-", "_",
		"x" + strings.Repeat("é", 127), // 255 bytes
	}
}

// MustEqual fails t with the first difference between two inventories.
func MustEqual(t testing.TB, got, want *model.Inventory) {
	t.Helper()
	if model.EqualInventories(got, want) {
		return
	}
	if len(got.Hosts) != len(want.Hosts) || len(got.Groups) != len(want.Groups) {
		t.Fatalf("got %d hosts, %d groups; want %d hosts, %d groups", len(got.Hosts), len(got.Groups), len(want.Hosts), len(want.Groups))
	}
	for i := range want.Hosts {
		g, w := got.Hosts[i], want.Hosts[i]
		if g.Name != w.Name {
			t.Fatalf("host %d: got %q, want %q", i, g.Name, w.Name)
		}
		if !model.EqualOrdered(g.Vars, w.Vars) || !model.EqualOrdered(g.FileVars, w.FileVars) {
			t.Fatalf("host %q vars: got %v / %v, want %v / %v", w.Name, g.Vars, g.FileVars, w.Vars, w.FileVars)
		}
	}
	for i := range want.Groups {
		g, w := got.Groups[i], want.Groups[i]
		if g.Name != w.Name {
			t.Fatalf("group %d: got %q, want %q", i, g.Name, w.Name)
		}
	}
	t.Fatalf("inventories differ (membership, priority, vars or provenance)")
}
