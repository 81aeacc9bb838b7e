package script_test

import (
	"slices"
	"testing"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
	"github.com/kook-project/kook/script"
)

// ungroupedChildren is inventory/testdata/ini/ungrouped-children-vars.ini:
//
//	h1 / lone / [ungrouped:vars] u=1 / [ungrouped:children] web / [web] h1 h2
//
// Reconciling takes h1 out of 'ungrouped' while web, one of its groups, is
// below 'ungrouped': Ansible then drops 'ungrouped' from h1's groups.
func ungroupedChildren(t testing.TB) *model.Inventory {
	t.Helper()
	inv := model.New()
	for _, h := range []string{"h1", "lone"} {
		inv.AddHost(h)
		if err := inv.AddHostToGroup("ungrouped", h); err != nil {
			t.Fatal(err)
		}
	}
	inv.Group("ungrouped").Vars = model.Map{{Key: "u", Value: int64(1)}}
	inv.AddGroup("web")
	if err := inv.AddChild("ungrouped", "web"); err != nil {
		t.Fatal(err)
	}
	inv.AddHost("h2")
	for _, h := range []string{"h1", "h2"} {
		if err := inv.AddHostToGroup("web", h); err != nil {
			t.Fatal(err)
		}
	}
	inv.Reconcile()
	return inv
}

// TestUngroupedChildren: the host that left 'ungrouped' is listed under it
// again in the script output (a Slot), so that Ansible drops 'ungrouped'
// from its groups as it did reading the source; the other host below
// 'ungrouped' is not, and keeps its vars. Checked against Ansible by the
// parity suite on the INI fixture.
func TestUngroupedChildren(t *testing.T) {
	inv := ungroupedChildren(t)
	if !inv.Host("h1").LeftUngrouped || inv.Host("h2").LeftUngrouped || inv.Host("lone").LeftUngrouped {
		t.Fatalf("LeftUngrouped: h1 %v, h2 %v, lone %v; want only h1",
			inv.Host("h1").LeftUngrouped, inv.Host("h2").LeftUngrouped, inv.Host("lone").LeftUngrouped)
	}
	vars := func(inv *model.Inventory) map[string]string {
		out := map[string]string{}
		m := precedence.NewMerger(inv)
		for _, h := range inv.Hosts {
			out[h.Name] = string(model.MarshalJSON(m.HostVars(h.Name))) + " " + string(model.MarshalJSON(toValues(m.Groups(h.Name))))
		}
		return out
	}
	want := map[string]string{"h1": `{} ["web"]`, "lone": `{"u":1} ["ungrouped"]`, "h2": `{"u":1} ["ungrouped","web"]`}
	if got := vars(inv); !mapsEqual(got, want) {
		t.Errorf("vars, groups = %v, want %v", got, want)
	}
	const wantList = `{"ungrouped":{"hosts":["h1","lone"],"vars":{"u":1},"children":["web"]},"all":{"children":["ungrouped"]},` +
		`"web":{"hosts":["h1","h2"]},"_meta":{"hostvars":{}}}` + "\n"
	if got := string(script.List(inv)); got != wantList {
		t.Errorf("List =\n%s\nwant\n%s", got, wantList)
	}
	// Through nodes and back, as kook stores it and reads it.
	n := script.Nodes(inv, &model.Nodes{KeyBase: 1 << 32})
	if n.Hosts["h1"].Slot == 0 || n.Hosts["h2"].Slot != 0 {
		t.Errorf("slots: h1 %d, h2 %d; want h1's only", n.Hosts["h1"].Slot, n.Hosts["h2"].Slot)
	}
	back := script.Inventory(n)
	if got := vars(back); !mapsEqual(got, want) {
		t.Errorf("from nodes: vars, groups = %v, want %v", got, want)
	}
	one := model.InventoryOf([]*model.HostNode{n.Hosts["h1"]}, n.Groups)
	if !one.Host("h1").LeftUngrouped {
		t.Error("InventoryOf: h1 did not leave ungrouped")
	}
}

// TestUngroupedChildrenOrder: a host below 'ungrouped' is never listed
// under it to rebuild the host order, since Ansible would drop
// the vars of 'ungrouped' for it; the order is given up instead (see
// internal/parity HostOrderExceptions).
func TestUngroupedChildrenOrder(t *testing.T) {
	// [a] h1 / [b] h2 / [a] h3 / [ungrouped:children] a / [ungrouped:vars] u=1
	inv := model.New()
	inv.AddGroup("a")
	inv.AddGroup("b")
	for _, m := range [][2]string{{"a", "h1"}, {"b", "h2"}, {"a", "h3"}} {
		inv.AddHost(m[1])
		if err := inv.AddHostToGroup(m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := inv.AddChild("ungrouped", "a"); err != nil {
		t.Fatal(err)
	}
	inv.Group("ungrouped").Vars = model.Map{{Key: "u", Value: int64(1)}}
	inv.Reconcile()
	n := script.Nodes(inv, &model.Nodes{KeyBase: 1 << 32})
	for _, h := range []string{"h1", "h3"} {
		if n.Hosts[h].Slot != 0 {
			t.Errorf("%s has a slot in 'ungrouped': Ansible would drop u for it", h)
		}
	}
	back := script.Inventory(n)
	m := precedence.NewMerger(back)
	for _, h := range []string{"h1", "h3"} {
		if v, _ := m.HostVars(h).Get("u"); v != int64(1) {
			t.Errorf("%s: u = %v, want 1", h, v)
		}
	}
	var order []string
	for _, h := range back.Hosts {
		order = append(order, h.Name)
	}
	if want := []string{"h2", "h1", "h3"}; !slices.Equal(order, want) {
		t.Errorf("host order = %q, want %q (h1 h2 h3 cannot be rebuilt)", order, want)
	}
}

func toValues(s []string) []model.Value {
	out := make([]model.Value, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
