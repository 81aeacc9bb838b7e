package script_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
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

// Each edit, applied to the nodes of Ansible's parse of before, must give,
// as Ansible reads it back through the script protocol, Ansible's parse of
// after: the source edited by hand. Expected inventories are produced by
// ansible-inventory itself (ansibletest.Dump), never written out here.
func TestIntegration_EditMatchesEditedSource(t *testing.T) {
	vars := model.Map{{Key: "x", Value: int64(1)}, {Key: "s", Value: "a b"}}
	tests := []struct {
		name          string
		before, after string
		op            model.Op
	}{
		{"CreateHostInGroup", "[web]\nw1\n", "[web]\nw1\nn1 x=1 's=a b'\n",
			model.CreateHost{Name: "n1", Groups: []string{"web"}, Vars: vars}},
		// A host in no group goes with the others in no group: before the
		// first section.
		{"CreateHostUngrouped", "[web]\nw1\n", "n1\n[web]\nw1\n", model.CreateHost{Name: "n1"}},
		{"DeleteHost", "[web]\nw1\nw2\n[db]\nw1\n", "[web]\nw2\n[db]\n", model.DeleteHost{Name: "w1"}},
		{"CreateGroupUnderAll", "[web]\nw1\n", "[web]\nw1\n[db]\n", model.CreateGroup{Name: "db"}},
		{"CreateGroupUnderParent", "[web]\nw1\n", "[web]\nw1\n[web:children]\nsub\n[sub]\n[sub:vars]\nansible_group_priority=3\nx=1\n",
			model.CreateGroup{Name: "sub", Parents: []string{"web"}, Vars: model.Map{{Key: "ansible_group_priority", Value: int64(3)}, {Key: "x", Value: int64(1)}}}},
		{"DeleteGroupForced", "[web]\nw1\nw2\n[db]\nw2\n[sub]\ns1\n[web:children]\nsub\n", "w1\n[db]\nw2\n[sub]\ns1\n",
			model.DeleteGroup{Name: "web", Force: true}},
		{"AddMember", "[web]\nw1\n[db]\nd1\n", "[web]\nw1\n[db]\nd1\nw1\n", model.AddMember{Group: "db", Host: "w1"}},
		// A host leaves 'ungrouped' when it joins a group: as if its line
		// moved into the group's section.
		{"AddMemberLeavesUngrouped", "u1\n[web]\nw1\n", "[web]\nw1\nu1\n", model.AddMember{Group: "web", Host: "u1"}},
		{"RemoveMemberToUngrouped", "[web]\nw1\nw2\n", "w1\n[web]\nw2\n", model.RemoveMember{Group: "web", Host: "w1"}},
		{"Attach", "[web]\n[prod]\n", "[web]\n[prod]\n[prod:children]\nweb\n", model.Attach{Parent: "prod", Child: "web"}},
		{"Detach", "[web]\n[prod]\n[prod:children]\nweb\n", "[web]\n[prod]\n[all:children]\nprod\nweb\n", model.Detach{Parent: "prod", Child: "web"}},
		{"SetPriorityVar", "[web]\nw1\n", "[web]\nw1\n[web:vars]\nansible_group_priority=5\n",
			model.SetGroupVars{Group: "web", Vars: model.Map{{Key: "ansible_group_priority", Value: int64(5)}}}},
		{"UnsetPriorityVar", "[web]\nw1\n[web:vars]\nansible_group_priority=5\nx=1\n", "[web]\nw1\n[web:vars]\nx=1\n",
			model.UnsetGroupVars{Group: "web", Keys: []string{"ansible_group_priority"}}},
		{"SetHostVarKeepsPosition", "[web]\nw1 a=1 b=2\n", "[web]\nw1 a=\"x\" b=2\n",
			model.SetHostVars{Host: "w1", Vars: model.Map{{Key: "a", Value: "x"}}}},
		{"UnsetHostVar", "[web]\nw1 a=1 b=2\n", "[web]\nw1 b=2\n", model.UnsetHostVars{Host: "w1", Keys: []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := script.Nodes(dump(t, tt.before), &model.Nodes{KeyBase: 1 << 32})
			n.KeyBase = 2 << 32
			if err := tt.op.Apply(n); err != nil {
				t.Fatal(err)
			}
			if err := n.Validate(); err != nil {
				t.Fatal(err)
			}
			// What Ansible reads from kook-inventory.
			got, err := script.ReadInventory(mustTables(t, n))
			if err != nil {
				t.Fatal(err)
			}
			want := ansibleView(dump(t, tt.after))
			if !sameAnsibleView(got, want) {
				t.Errorf("got:\n%s\nwant (Ansible's parse of the edited source):\n%s", describeInv(got), describeInv(want))
			}
		})
	}
}

func mustTables(t *testing.T, n *model.Nodes) func(string) model.TableReader {
	t.Helper()
	tables, err := script.Renderer{}.Tables(n)
	if err != nil {
		t.Fatal(err)
	}
	return script.MemTables(tables)
}

// ansibleView is inv as Ansible reads it back from kook-inventory: what
// ReadInventory returns for inv's script output.
func ansibleView(inv *model.Inventory) *model.Inventory {
	n := script.Nodes(inv, &model.Nodes{KeyBase: 1 << 32})
	tables, _ := script.Renderer{}.Tables(n)
	out, _ := script.ReadInventory(script.MemTables(tables))
	return out
}

// sameAnsibleView compares order, membership and effective vars.
func sameAnsibleView(a, b *model.Inventory) bool {
	return describeInv(a) == describeInv(b)
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
