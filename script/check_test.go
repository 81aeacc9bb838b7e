package script_test

import (
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
)

// TestCheck: a host named like a group can have no vars of its own through
// the script protocol (Ansible gives whatever _meta.hostvars holds for the
// name to the group), and "_meta" cannot be a group. Every writer refuses
// such an inventory, naming the host or group; nothing is dropped silently.
func TestCheck(t *testing.T) {
	// [localhost] localhost, with its vars where Ansible puts them.
	base := func(t *testing.T) *model.Inventory {
		inv := model.New()
		g := inv.AddGroup("localhost")
		g.Vars = model.Map{{Key: "ansible_connection", Value: "local"}}
		inv.AddHost("localhost")
		if err := inv.AddHostToGroup("localhost", "localhost"); err != nil {
			t.Fatal(err)
		}
		inv.Reconcile()
		return inv
	}
	tests := []struct {
		name    string
		edit    func(inv *model.Inventory)
		wantErr string // "" when kook serves it
	}{
		{"VarsOnTheGroup", func(inv *model.Inventory) {}, ""},
		{"OwnVars", func(inv *model.Inventory) {
			inv.Host("localhost").Vars = model.Map{{Key: "ansible_port", Value: int64(2222)}}
		}, `host "localhost" is also a group`},
		{"HostVarsFile", func(inv *model.Inventory) {
			inv.Host("localhost").FileVars = model.Map{{Key: "ansible_user", Value: "root"}}
		}, `(ansible_user)`},
		{"NeedsAPin", func(inv *model.Inventory) {
			// group_vars/all beats [localhost:vars]: the host would need
			// the value pinned in its own entry.
			inv.Group("localhost").Vars.Set("x", "inventory")
			inv.Group("all").FileVars = model.Map{{Key: "x", Value: "group_vars/all"}}
		}, `(x)`},
		{"NoPinNeeded", func(inv *model.Inventory) {
			inv.Group("all").FileVars = model.Map{{Key: "y", Value: "group_vars/all"}}
		}, ""},
		{"MetaGroup", func(inv *model.Inventory) {
			inv.AddGroup("_meta")
			inv.Group("all").Children = append(inv.Group("all").Children, "_meta")
		}, `"_meta" is reserved`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := base(t)
			tt.edit(inv)
			err := script.Check(inv)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Check = %v, want an error containing %q", err, tt.wantErr)
			case tt.wantErr != "":
				return
			}
			list := string(script.List(inv))
			if !strings.Contains(list, `"localhost":{"hosts":["localhost"],"vars":{"ansible_connection":"local"`) ||
				!strings.HasSuffix(list, `"_meta":{"hostvars":{}}}`+"\n") {
				t.Errorf("List = %s", list)
			}
		})
	}
}

// TestUpdateRefusesHostNamedLikeGroup: a change that makes a group of the
// name of a host with vars fails, as Tables does.
func TestUpdateRefusesHostNamedLikeGroup(t *testing.T) {
	inv := model.New()
	inv.AddHost("db").Vars = model.Map{{Key: "tier", Value: "back"}}
	inv.Reconcile()
	n := script.Nodes(inv, &model.Nodes{KeyBase: 1 << 32})
	r := script.Renderer{}
	tables, err := r.Tables(n)
	if err != nil {
		t.Fatal(err)
	}
	after := n.Clone()
	after.KeyBase = 2 << 32
	if err := (model.CreateGroup{Name: "db"}).Apply(after); err != nil {
		t.Fatal(err)
	}
	hosts, groups := diffNodes(n, after)
	_, err = r.Update(memSource{after, tables}, hosts, groups)
	if err == nil || !strings.Contains(err.Error(), `host "db" is also a group`) || !strings.Contains(err.Error(), "(tier)") {
		t.Fatalf("Update = %v, want the host named", err)
	}
	if _, err := r.Tables(after); err == nil {
		t.Fatal("Tables accepts what Update refuses")
	}
}
