package model_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// dump is Ansible's parse of an INI source.
func dump(t *testing.T, ini string) *model.Inventory {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(p, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	return ansibletest.Dump(t, p)
}

// Each edit, applied to Ansible's parse of before, must give Ansible's parse
// of after: the source edited by hand. Expected inventories are produced by
// ansible-inventory itself (ansibletest.Dump), never written out here.
func TestEditMatchesEditedSource(t *testing.T) {
	vars := model.Map{{Key: "x", Value: int64(1)}, {Key: "s", Value: "a b"}}
	tests := []struct {
		name          string
		before, after string
		edit          func(*model.Inventory) error
	}{
		{"CreateHostInGroup", "[web]\nw1\n", "[web]\nw1\nn1 x=1 's=a b'\n",
			func(inv *model.Inventory) error { return inv.CreateHost("n1", []string{"web"}, vars) }},
		{"CreateHostUngrouped", "[web]\nw1\n", "[web]\nw1\n[ungrouped]\nn1\n",
			func(inv *model.Inventory) error { return inv.CreateHost("n1", nil, nil) }},
		{"DeleteHost", "[web]\nw1\nw2\n[db]\nw1\n", "[web]\nw2\n[db]\n",
			func(inv *model.Inventory) error { return inv.DeleteHost("w1") }},
		{"CreateGroupUnderAll", "[web]\nw1\n", "[web]\nw1\n[db]\n",
			func(inv *model.Inventory) error { return inv.CreateGroup("db", nil, nil) }},
		{"CreateGroupUnderParent", "[web]\nw1\n", "[web]\nw1\n[web:children]\nsub\n[sub]\n[sub:vars]\nansible_group_priority=3\nx=1\n",
			func(inv *model.Inventory) error {
				return inv.CreateGroup("sub", []string{"web"}, model.Map{{Key: "ansible_group_priority", Value: int64(3)}, {Key: "x", Value: int64(1)}})
			}},
		{"DeleteGroupForced", "[web]\nw1\nw2\n[db]\nw2\n[sub]\ns1\n[web:children]\nsub\n", "w1\n[db]\nw2\n[sub]\ns1\n",
			func(inv *model.Inventory) error { _, err := inv.DeleteGroup("web", true); return err }},
		{"AddMember", "[web]\nw1\n[db]\nd1\n", "[web]\nw1\n[db]\nd1\nw1\n",
			func(inv *model.Inventory) error { return inv.AddMember("db", "w1") }},
		{"AddMemberLeavesUngrouped", "u1\n[web]\nw1\n", "u1\n[web]\nw1\nu1\n",
			func(inv *model.Inventory) error { return inv.AddMember("web", "u1") }},
		{"RemoveMemberToUngrouped", "[web]\nw1\nw2\n", "w1\n[web]\nw2\n",
			func(inv *model.Inventory) error { return inv.RemoveMember("web", "w1") }},
		{"Attach", "[web]\n[prod]\n", "[web]\n[prod]\n[prod:children]\nweb\n",
			func(inv *model.Inventory) error { return inv.Attach("prod", "web") }},
		{"Detach", "[web]\n[prod]\n[prod:children]\nweb\n", "[web]\n[prod]\n[all:children]\nprod\nweb\n",
			func(inv *model.Inventory) error { return inv.Detach("prod", "web") }},
		{"SetPriorityVar", "[web]\nw1\n", "[web]\nw1\n[web:vars]\nansible_group_priority=5\n",
			func(inv *model.Inventory) error {
				return inv.SetGroupVars("web", model.LevelAuto, model.Map{{Key: "ansible_group_priority", Value: int64(5)}})
			}},
		{"UnsetPriorityVar", "[web]\nw1\n[web:vars]\nansible_group_priority=5\nx=1\n", "[web]\nw1\n[web:vars]\nx=1\n",
			func(inv *model.Inventory) error {
				return inv.UnsetGroupVars("web", model.LevelAuto, []string{"ansible_group_priority"})
			}},
		{"SetHostVarKeepsPosition", "[web]\nw1 a=1 b=2\n", "[web]\nw1 a=\"x\" b=2\n",
			func(inv *model.Inventory) error {
				return inv.SetHostVars("w1", model.LevelAuto, model.Map{{Key: "a", Value: "x"}})
			}},
		{"UnsetHostVar", "[web]\nw1 a=1 b=2\n", "[web]\nw1 b=2\n",
			func(inv *model.Inventory) error { return inv.UnsetHostVars("w1", model.LevelAuto, []string{"a"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := dump(t, tt.before)
			if err := tt.edit(got); err != nil {
				t.Fatal(err)
			}
			if err := got.Validate(); err != nil {
				t.Fatal(err)
			}
			want := dump(t, tt.after)
			if !model.EqualInventories(got, want) {
				t.Errorf("got:\n%s\nwant (Ansible's parse of the edited source):\n%s", describeInv(got), describeInv(want))
			}
		})
	}
}

func describeInv(inv *model.Inventory) string {
	var b strings.Builder
	for _, h := range inv.Hosts {
		b.WriteString("host " + h.Name + " " + string(model.MarshalJSON(h.Vars)) + "\n")
	}
	for _, g := range inv.Groups {
		b.WriteString("group " + g.Name + " hosts=" + strings.Join(g.Hosts, ",") + " children=" + strings.Join(g.Children, ",") +
			" vars=" + string(model.MarshalJSON(g.Vars)) + "\n")
	}
	return b.String()
}

func TestEditErrors(t *testing.T) {
	base := func() *model.Inventory {
		inv := model.New()
		inv.AddHost("w1")
		inv.AddGroup("web").Hosts = []string{"w1"}
		inv.AddGroup("prod").Children = []string{"web"}
		inv.Reconcile()
		return inv
	}
	tests := []struct {
		name      string
		edit      func(*model.Inventory) error
		wantErrIs error
		wantMsg   string
	}{
		{"CreateHostExists", func(inv *model.Inventory) error { return inv.CreateHost("w1", nil, nil) }, model.ErrExists, `host "w1"`},
		{"CreateHostUnknownGroup", func(inv *model.Inventory) error { return inv.CreateHost("n", []string{"nope"}, nil) }, model.ErrNotFound, `group "nope"`},
		{"DeleteHostUnknown", func(inv *model.Inventory) error { return inv.DeleteHost("nope") }, model.ErrNotFound, `host "nope"`},
		{"CreateGroupExists", func(inv *model.Inventory) error { return inv.CreateGroup("web", nil, nil) }, model.ErrExists, `group "web"`},
		{"DeleteGroupNotEmpty", func(inv *model.Inventory) error { _, err := inv.DeleteGroup("prod", false); return err }, model.ErrNotEmpty, "1 child group (web)"},
		{"DeleteGroupHosts", func(inv *model.Inventory) error { _, err := inv.DeleteGroup("web", false); return err }, model.ErrNotEmpty, "1 host (w1)"},
		{"DeleteAll", func(inv *model.Inventory) error { _, err := inv.DeleteGroup("all", true); return err }, nil, "built in"},
		{"Cycle", func(inv *model.Inventory) error { return inv.Attach("web", "prod") }, model.ErrCycle, "recursive"},
		{"SelfChild", func(inv *model.Inventory) error { return inv.Attach("web", "web") }, model.ErrCycle, "recursive"},
		{"AllAsChild", func(inv *model.Inventory) error { return inv.Attach("web", "all") }, model.ErrCycle, "recursive"},
		{"DetachNotChild", func(inv *model.Inventory) error { return inv.Detach("web", "prod") }, model.ErrNotFound, "not a child"},
		{"DetachLastParent", func(inv *model.Inventory) error { return inv.Detach("all", "prod") }, nil, "no other parent"},
		{"RemoveNonMember", func(inv *model.Inventory) error { return inv.RemoveMember("prod", "w1") }, model.ErrNotFound, "not a member"},
		{"UnsetMissing", func(inv *model.Inventory) error { return inv.UnsetHostVars("w1", model.LevelAuto, []string{"x"}) }, model.ErrNotFound, `no var "x"`},
		{"BadPriority", func(inv *model.Inventory) error {
			return inv.SetGroupVars("web", model.LevelInventory, model.Map{{Key: "ansible_group_priority", Value: "high"}})
		}, nil, "must be an integer"},
		{"BadValueType", func(inv *model.Inventory) error {
			return inv.SetHostVars("w1", model.LevelAuto, model.Map{{Key: "x", Value: 3}})
		}, nil, "unsupported value type int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.edit(base())
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
				t.Errorf("error %v is not %v", err, tt.wantErrIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestVarLevels(t *testing.T) {
	inv := model.New()
	h := inv.AddHost("h")
	h.Vars = model.Map{{Key: "a", Value: int64(1)}, {Key: "b", Value: int64(1)}}
	h.FileVars = model.Map{{Key: "b", Value: int64(2)}}
	h.VarSources = map[string]string{"a": "hosts:1", "b": "hosts:1"}
	h.FileVarSources = map[string]string{"b": "host_vars/h.yml:1"}
	inv.Reconcile()

	// Auto writes where the winning value lives and drops its provenance.
	if err := inv.SetHostVars("h", model.LevelAuto, model.Map{{Key: "a", Value: int64(10)}, {Key: "b", Value: int64(20)}, {Key: "c", Value: true}}); err != nil {
		t.Fatal(err)
	}
	if got, want := string(model.MarshalJSON(h.Vars)), `{"a":10,"b":1,"c":true}`; got != want {
		t.Errorf("Vars = %s, want %s", got, want)
	}
	if got, want := string(model.MarshalJSON(h.FileVars)), `{"b":20}`; got != want {
		t.Errorf("FileVars = %s, want %s", got, want)
	}
	if _, ok := h.VarSources["a"]; ok {
		t.Error("provenance of a replaced value kept")
	}
	if _, ok := h.FileVarSources["b"]; ok {
		t.Error("provenance of a replaced file value kept")
	}
	// Setting the current value keeps the provenance: nothing changed.
	before := inv.Clone()
	if err := inv.SetHostVars("h", model.LevelAuto, model.Map{{Key: "b", Value: int64(20)}}); err != nil {
		t.Fatal(err)
	}
	h.FileVarSources = map[string]string{"b": "host_vars/h.yml:1"}
	before.Host("h").FileVarSources = map[string]string{"b": "host_vars/h.yml:1"}
	if err := inv.SetHostVars("h", model.LevelAuto, model.Map{{Key: "b", Value: int64(20)}}); err != nil {
		t.Fatal(err)
	}
	if !model.EqualInventories(before, inv) {
		t.Error("setting a var to its value changed the inventory")
	}
	// Unset at one level leaves the other; auto removes both.
	if err := inv.UnsetHostVars("h", model.LevelFile, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	if !h.Vars.Has("b") || h.FileVars.Has("b") {
		t.Errorf("unset at file level: Vars %v FileVars %v", h.Vars, h.FileVars)
	}
	if err := inv.UnsetHostVars("h", model.LevelFile, []string{"b"}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("unset of a var missing at that level: %v", err)
	}
	// ansible_group_priority in a group_vars/ file is an ordinary var.
	if err := inv.SetGroupVars("all", model.LevelFile, model.Map{{Key: "ansible_group_priority", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	if g := inv.Group("all"); g.Priority != 1 || !g.FileVars.Has("ansible_group_priority") {
		t.Errorf("file-level ansible_group_priority: priority %d, file vars %v", g.Priority, g.FileVars)
	}
}

func TestEditStore(t *testing.T) {
	ctx := context.Background()
	s := &model.MemStore{}
	if _, err := model.Edit(ctx, s, false, func(inv *model.Inventory) error { return inv.CreateHost("a", nil, nil) }); err != nil {
		t.Fatal(err)
	}
	_, gen, _ := s.Load(ctx)

	dry, err := model.Edit(ctx, s, true, func(inv *model.Inventory) error { return inv.CreateHost("b", nil, nil) })
	if err != nil || dry.Written || len(dry.Changes) == 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if got, want := dry.Changes[0].String(), "+ host b"; got != want {
		t.Errorf("first change %q, want %q", got, want)
	}
	_, err = model.Edit(ctx, s, false, func(inv *model.Inventory) error { return inv.CreateHost("a", nil, nil) })
	if !errors.Is(err, model.ErrExists) {
		t.Fatalf("failing edit: %v", err)
	}
	inv, gen2, _ := s.Load(ctx)
	if gen2 != gen || inv.Host("b") != nil {
		t.Fatalf("dry run or failed edit wrote: generation %d -> %d", gen, gen2)
	}
	res, err := model.Edit(ctx, s, false, func(inv *model.Inventory) error { return inv.AddMember("ungrouped", "a") })
	if err != nil || res.Written || res.Generation != gen {
		t.Fatalf("no-op edit: %+v, %v", res, err)
	}
}
