package model_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

func TestAddChildRejectsCycles(t *testing.T) {
	inv := model.New()
	for _, g := range []string{"a", "b", "c"} {
		inv.AddGroup(g)
	}
	if err := inv.AddChild("a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := inv.AddChild("b", "c"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ parent, child string }{{"c", "a"}, {"a", "a"}, {"c", "b"}} {
		err := inv.AddChild(tt.parent, tt.child)
		if !errors.Is(err, model.ErrCycle) || !strings.Contains(err.Error(), "recursive dependency loop") {
			t.Errorf("AddChild(%s, %s): %v, want ErrCycle", tt.parent, tt.child, err)
		}
	}
	if err := inv.AddChild("a", "c"); err != nil { // a diamond is fine
		t.Errorf("AddChild(a, c): %v", err)
	}
	inv.Group("c").Children = append(inv.Group("c").Children, "a") // forced in by hand
	if err := inv.Validate(); !errors.Is(err, model.ErrCycle) {
		t.Errorf("Validate of a cyclic inventory: %v", err)
	}
}

// Depth is the longest path from all, as Ansible's Group.depth: a group
// under both all and a child of all takes the deeper one.
func TestDepths(t *testing.T) {
	inv := model.New()
	for _, g := range []string{"top", "mid", "leaf"} {
		inv.AddGroup(g)
	}
	inv.AddChild("top", "mid")
	inv.AddChild("mid", "leaf")
	inv.AddChild("top", "leaf")
	inv.Reconcile()
	d, err := inv.Depths()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"all": 0, "ungrouped": 1, "top": 1, "mid": 2, "leaf": 3}
	for g, w := range want {
		if d[g] != w {
			t.Errorf("depth of %s = %d, want %d", g, d[g], w)
		}
	}
}

// Reconcile follows InventoryData.reconcile_inventory: orphan groups go
// under all in creation order, hosts with no other group go to ungrouped,
// hosts with another group leave it.
func TestReconcile(t *testing.T) {
	inv := model.New()
	for _, h := range []string{"lone", "grouped", "both", "direct"} {
		inv.AddHost(h)
	}
	inv.AddGroup("z").Hosts = []string{"grouped", "both"}
	inv.AddGroup("a")
	inv.Group("ungrouped").Hosts = []string{"both"}
	inv.Group("all").Hosts = []string{"direct"}
	inv.Reconcile()
	if got := strings.Join(inv.Group("all").Children, ","); got != "ungrouped,z,a" {
		t.Errorf("all's children: %s", got)
	}
	if got := strings.Join(inv.Group("ungrouped").Hosts, ","); got != "lone,direct" {
		t.Errorf("ungrouped's hosts: %s", got)
	}
}

func TestDiffAndSummary(t *testing.T) {
	a := model.New()
	a.AddHost("keep").Vars.Set("x", int64(1))
	a.AddHost("gone")
	a.Reconcile()
	b := a.Clone()
	b.RemoveHost("gone")
	b.Host("keep").Vars.Set("x", 1.0) // int -> float is a change
	b.AddHost("new")
	b.Reconcile()
	changes := model.Diff(a, b)
	var lines []string
	for _, c := range changes {
		lines = append(lines, c.String())
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{"+ host new", "- host gone", "~ host keep: var x: 1 -> 1.0"} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
	if s := model.Summary(changes); !strings.Contains(s, "+1 host") || !strings.Contains(s, "-1 host") {
		t.Errorf("summary %q", s)
	}
	if model.Summary(model.Diff(a, a.Clone())) != "no changes" {
		t.Error("diff of equal inventories is not empty")
	}
}

// TestIndexFollowsTheSlices: the name index never answers with an element
// that no longer bears the name, whatever a caller does to the exported
// slices; appended elements are found, and Reindex finds renamed ones.
func TestIndexFollowsTheSlices(t *testing.T) {
	inv := model.New()
	inv.AddHost("a")
	inv.AddHost("b")
	if inv.Host("a") == nil {
		t.Fatal("a not found")
	}
	inv.Hosts[0].Name = "renamed"
	if inv.Host("a") != nil || inv.Host("renamed") == nil {
		t.Error("a renamed host is found by its old name, or not by its new one")
	}
	inv.Hosts[1] = &model.Host{Name: "b"}
	if h := inv.Host("b"); h != inv.Hosts[1] {
		t.Error("a host replaced by another of its name is found as the old one")
	}
	inv.Hosts[1] = &model.Host{Name: "replaced"}
	inv.Reindex()
	if inv.Host("b") != nil || inv.Host("replaced") == nil {
		t.Error("after Reindex, a replaced host is found by its old name, or not by its new one")
	}
	inv.Hosts = inv.Hosts[:1]
	if inv.Host("replaced") != nil {
		t.Error("a host cut from the slice is still found")
	}
	inv.Groups = append(inv.Groups, model.NewGroup("web"))
	if inv.Group("web") == nil {
		t.Error("a group appended to the slice is not found")
	}
}
