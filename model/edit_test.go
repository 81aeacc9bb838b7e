package model_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

// base is all, ungrouped, prod > web > w1, in memory.
func base(t *testing.T) *model.Nodes {
	t.Helper()
	n := model.NewNodes(1 << 32)
	for _, op := range []model.Op{
		model.CreateGroup{Name: "prod"},
		model.CreateGroup{Name: "web", Parents: []string{"prod"}},
		model.CreateHost{Name: "w1", Groups: []string{"web"}},
	} {
		if err := op.Apply(n); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// metaInventory holds a group named "_meta", which Ansible accepts and the
// script protocol cannot list.
func metaInventory() *model.Inventory {
	inv := model.New()
	inv.AddGroup("_meta")
	inv.Reconcile()
	return inv
}

func TestOpErrors(t *testing.T) {
	tests := []struct {
		name      string
		op        model.Op
		wantErrIs error
		wantMsg   string
	}{
		{"CreateHostExists", model.CreateHost{Name: "w1"}, model.ErrExists, `host "w1"`},
		{"CreateHostUnknownGroup", model.CreateHost{Name: "n", Groups: []string{"nope"}}, model.ErrNotFound, `group "nope"`},
		{"CreateHostBadName", model.CreateHost{Name: "a\x00b"}, nil, "NUL"},
		{"CreateHostLongName", model.CreateHost{Name: strings.Repeat("h", model.MaxNameBytes+1)}, nil, "over kook's limit"},
		{"CreateGroupMeta", model.CreateGroup{Name: "_meta"}, nil, `"_meta" is reserved`},
		{"MergeGroupMeta", model.Merge{Src: metaInventory()}, nil, `"_meta" is reserved`},
		{"DeleteHostUnknown", model.DeleteHost{Name: "nope"}, model.ErrNotFound, `host "nope"`},
		{"CreateGroupExists", model.CreateGroup{Name: "web"}, model.ErrExists, `group "web"`},
		{"DeleteGroupNotEmpty", model.DeleteGroup{Name: "prod"}, model.ErrNotEmpty, "1 child group (web)"},
		{"DeleteGroupHosts", model.DeleteGroup{Name: "web"}, model.ErrNotEmpty, "1 host (w1)"},
		{"DeleteAll", model.DeleteGroup{Name: "all", Force: true}, nil, "built in"},
		{"Cycle", model.Attach{Parent: "web", Child: "prod"}, model.ErrCycle, "recursive"},
		{"SelfChild", model.Attach{Parent: "web", Child: "web"}, model.ErrCycle, "recursive"},
		{"AllAsChild", model.Attach{Parent: "web", Child: "all"}, model.ErrCycle, "recursive"},
		{"DetachNotChild", model.Detach{Parent: "web", Child: "prod"}, model.ErrNotFound, "not a child"},
		{"DetachLastParent", model.Detach{Parent: "all", Child: "prod"}, nil, "no other parent"},
		{"RemoveNonMember", model.RemoveMember{Group: "prod", Host: "w1"}, model.ErrNotFound, "not a member"},
		{"UnsetMissing", model.UnsetHostVars{Host: "w1", Keys: []string{"x"}}, model.ErrNotFound, `no var "x"`},
		{"BadPriority", model.SetGroupVars{Group: "web", Level: model.LevelInventory,
			Vars: model.Map{{Key: "ansible_group_priority", Value: "high"}}}, nil, "must be an integer"},
		{"BadValueType", model.SetHostVars{Host: "w1", Vars: model.Map{{Key: "x", Value: 3}}}, nil, "unsupported value type int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := base(t)
			before := n.Clone()
			err := tt.op.Apply(n)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
				t.Errorf("error %v is not %v", err, tt.wantErrIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("error %q names a command-line flag", err)
			}
			if !sameNodes(before, n) {
				t.Error("a failed op changed the inventory")
			}
		})
	}
}

func sameNodes(a, b *model.Nodes) bool {
	if len(a.Hosts) != len(b.Hosts) || len(a.Groups) != len(b.Groups) {
		return false
	}
	for k, h := range a.Hosts {
		if !model.EqualHostNodes(h, b.Hosts[k]) {
			return false
		}
	}
	for k, g := range a.Groups {
		if !model.EqualGroupNodes(g, b.Groups[k]) {
			return false
		}
	}
	return true
}

func TestOpsReconcile(t *testing.T) {
	n := base(t)
	apply := func(ops ...model.Op) {
		t.Helper()
		if err := model.Apply(ops...)(n); err != nil {
			t.Fatal(err)
		}
		if err := n.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	apply(model.CreateHost{Name: "u"})
	if got := n.Hosts["u"].GroupNames(); !slices.Equal(got, []string{"ungrouped"}) {
		t.Errorf("a host in no group is in %v, want [ungrouped]", got)
	}
	apply(model.AddMember{Group: "web", Host: "u"})
	if got := n.Hosts["u"].GroupNames(); !slices.Equal(got, []string{"web"}) {
		t.Errorf("after joining web: %v, want [web]", got)
	}
	apply(model.AddMember{Group: "ungrouped", Host: "u"})
	if got := n.Hosts["u"].GroupNames(); !slices.Equal(got, []string{"web"}) {
		t.Errorf("adding a grouped host to ungrouped: %v, want it left out as Ansible does", got)
	}
	var d model.Detached
	apply(model.DeleteGroup{Name: "web", Force: true, Detached: &d})
	if !slices.Equal(d.Ungrouped, []string{"w1", "u"}) && !slices.Equal(d.Ungrouped, []string{"u", "w1"}) {
		t.Errorf("detached %+v, want w1 and u ungrouped", d)
	}
	apply(model.CreateGroup{Name: "a"}, model.CreateGroup{Name: "b"}, model.Attach{Parent: "a", Child: "b"})
	if got := n.Groups["b"].ParentNames(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("b's parents after attach: %v, want [a] (it leaves 'all')", got)
	}
	apply(model.Detach{Parent: "a", Child: "b"})
	if got := n.Groups["b"].ParentNames(); !slices.Equal(got, []string{"all"}) {
		t.Errorf("b's parents after detach: %v, want [all]", got)
	}
}

func TestVarLevels(t *testing.T) {
	n := base(t)
	h := n.Hosts["w1"]
	h.Vars = model.Map{{Key: "a", Value: int64(1)}, {Key: "b", Value: int64(1)}}
	h.FileVars = model.Map{{Key: "b", Value: int64(2)}}
	h.VarSources = map[string]string{"a": "hosts:1", "b": "hosts:1"}
	h.FileVarSources = map[string]string{"b": "host_vars/w1.yml:1"}
	set := func(op model.Op) {
		t.Helper()
		if err := op.Apply(n); err != nil {
			t.Fatal(err)
		}
		h = n.Hosts["w1"]
	}
	// Auto writes where the winning value lives and drops its provenance.
	set(model.SetHostVars{Host: "w1", Vars: model.Map{{Key: "a", Value: int64(10)}, {Key: "b", Value: int64(20)}, {Key: "c", Value: true}}})
	if got, want := string(model.MarshalJSON(h.Vars)), `{"a":10,"b":1,"c":true}`; got != want {
		t.Errorf("Vars = %s, want %s", got, want)
	}
	if got, want := string(model.MarshalJSON(h.FileVars)), `{"b":20}`; got != want {
		t.Errorf("FileVars = %s, want %s", got, want)
	}
	if _, ok := h.VarSources["a"]; ok {
		t.Error("provenance of a replaced value kept")
	}
	// Setting the current value changes nothing, not even provenance.
	h.FileVarSources = map[string]string{"b": "host_vars/w1.yml:1"}
	before := n.Clone()
	set(model.SetHostVars{Host: "w1", Vars: model.Map{{Key: "b", Value: int64(20)}}})
	if !sameNodes(before, n) {
		t.Error("setting a var to its value changed the host")
	}
	// Unset at one level leaves the other.
	set(model.UnsetHostVars{Host: "w1", Level: model.LevelFile, Keys: []string{"b"}})
	if !h.Vars.Has("b") || h.FileVars.Has("b") {
		t.Errorf("unset at file level: Vars %v FileVars %v", h.Vars, h.FileVars)
	}
	if err := (model.UnsetHostVars{Host: "w1", Level: model.LevelFile, Keys: []string{"b"}}).Apply(n); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unset of a var missing at that level: %v", err)
	}
	// ansible_group_priority in a group_vars/ file is an ordinary var.
	set(model.SetGroupVars{Group: "all", Level: model.LevelFile, Vars: model.Map{{Key: "ansible_group_priority", Value: "x"}}})
	if g := n.Groups["all"]; g.Priority != 1 || !g.FileVars.Has("ansible_group_priority") {
		t.Errorf("file-level ansible_group_priority: priority %d, file vars %v", g.Priority, g.FileVars)
	}
}

func TestMergeAddsAndRemovesNothing(t *testing.T) {
	n := base(t)
	n.Hosts["w1"].Vars = model.Map{{Key: "a", Value: int64(1)}, {Key: "b", Value: int64(2)}}
	src := model.New()
	src.AddHost("w1").Vars = model.Map{{Key: "b", Value: int64(3)}}
	src.AddHost("new")
	src.AddGroup("db").Hosts = []string{"w1", "new"}
	src.Reconcile()
	if err := (model.Merge{Src: src}).Apply(n); err != nil {
		t.Fatal(err)
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := model.MarshalJSON(n.Hosts["w1"].Vars); string(got) != `{"a":1,"b":3}` {
		t.Errorf("merged vars %s", got)
	}
	if got, _ := n.Members("db"); !slices.Equal(got, []string{"w1", "new"}) {
		t.Errorf("db hosts %v", got)
	}
	if got := n.Hosts["w1"].GroupNames(); !slices.Contains(got, "web") {
		t.Errorf("w1 left web: %v", got)
	}
	if got, _ := n.Members("ungrouped"); len(got) != 0 {
		t.Errorf("ungrouped holds %v", got)
	}
}

// TestFileVarRanks: Merge ranks the file vars it sets after every source
// stored, in its sources' order, and merging them again changes nothing;
// an edit keeps the source of a var it changes, unsetting drops it, and a
// change of source alone is a change.
func TestFileVarRanks(t *testing.T) {
	n := base(t)
	src := model.New()
	web := src.AddGroup("web")
	web.FileVars = model.Map{{Key: "x", Value: int64(1)}, {Key: "y", Value: int64(2)}}
	web.FileVarRanks = map[string]int{"x": 1}
	src.Reconcile()
	if err := (model.Merge{Src: src}).Apply(n); err != nil {
		t.Fatal(err)
	}
	got := n.Groups["web"].FileVarRanks
	if len(got) != 2 || got["y"] <= 0 || got["x"] <= got["y"] {
		t.Fatalf("after Merge: ranks %v, want y's above 0 and x's above y's", got)
	}
	xr := got["x"]
	again := n.Clone()
	if err := (model.Merge{Src: src}).Apply(again); err != nil {
		t.Fatal(err)
	}
	if !model.EqualGroupNodes(again.Groups["web"], n.Groups["web"]) {
		t.Errorf("merging the same source again changed web: ranks %v", again.Groups["web"].FileVarRanks)
	}
	before := n.Groups["web"].Clone()
	if err := (model.SetGroupVars{Group: "web", Level: model.LevelFile, Vars: model.Map{{Key: "x", Value: int64(3)}}}).Apply(n); err != nil {
		t.Fatal(err)
	}
	if got := n.Groups["web"].FileVarRanks["x"]; got != xr {
		t.Errorf("after set: rank of x %d, want %d (kept)", got, xr)
	}
	if err := (model.UnsetGroupVars{Group: "web", Level: model.LevelFile, Keys: []string{"x"}}).Apply(n); err != nil {
		t.Fatal(err)
	}
	if got := n.Groups["web"].FileVarRanks; len(got) != 1 || got["y"] == 0 {
		t.Errorf("after unset: ranks %v, want y's alone", got)
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	moved := before.Clone()
	moved.FileVarRanks = map[string]int{"x": xr + 1, "y": before.FileVarRanks["y"]}
	if model.EqualGroupNodes(before, moved) {
		t.Error("EqualGroupNodes ignores the source rank")
	}
	changes := model.NodeDiff(nil, []model.GroupChange{{Before: before, After: moved}})
	if len(changes) != 1 || !strings.Contains(changes[0].String(), fmt.Sprintf("x: source %d -> %d", xr, xr+1)) {
		t.Errorf("changes = %v", changes)
	}
	moved.FileVarRanks = map[string]int{"nope": 1}
	n.PutGroup(moved)
	if err := n.Validate(); err == nil || !strings.Contains(err.Error(), `rank for "nope"`) {
		t.Errorf("Validate = %v, want the stray rank named", err)
	}
}
