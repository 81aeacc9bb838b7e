package script_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/invtest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
)

// The expected outputs below were worked out by hand from the rules in
// emit.go ('all' goes early when its children list creates the groups due
// next, as in all three cases); the parity suite (internal/parity, fixtures precedence/ and
// order/) checks that Ansible reads these same inventories from kook's script
// output exactly as from their INI sources.
func TestList(t *testing.T) {
	lateHost := func(t testing.TB) *model.Inventory {
		// [a] h1 / [b] h2 / [a] h3: first-seen order h1 h2 h3, but replaying
		// a then b would create h1 h3 h2, so h1 h2 go first under ungrouped.
		inv := model.New()
		inv.AddGroup("a")
		inv.AddGroup("b")
		for _, m := range [][2]string{{"a", "h1"}, {"b", "h2"}, {"a", "h3"}} {
			inv.AddHost(m[1])
			if err := inv.AddHostToGroup(m[0], m[1]); err != nil {
				t.Fatal(err)
			}
		}
		inv.Reconcile()
		return inv
	}
	empty := func(t testing.TB) *model.Inventory {
		inv := model.New()
		inv.AddGroup("e")
		inv.Reconcile()
		return inv
	}
	tests := []struct {
		name string
		inv  func(testing.TB) *model.Inventory
		want string
	}{
		{"PinsAndPriority", invtest.Precedence, `{"ungrouped":{"hosts":[]},` +
			`"top":{"vars":{"a":"top_inv","d":"top_inv","c":"top_file","g":"top_file"},"children":["mid"]},` +
			`"mid":{"hosts":["h1","h3"],"vars":{"a":"mid_inv","e":"mid_inv","f":"mid_inv","x":"mid_inv","g":"mid_file"}},` +
			`"all":{"vars":{"a":"all_inv","b":"all_file","c":"all_inv","dct":{"a":1,"b":2},"f":"all_file"},"children":["ungrouped","top","early","late","beta"]},` +
			`"early":{"hosts":["h1","h2"],"vars":{"z":"early_inv","x":"early_inv","k":"early_file","ansible_group_priority":5}},` +
			`"late":{"hosts":["h1","h2"],"vars":{"z":"late_inv","y":"late_inv","k":"late_file"}},` +
			`"beta":{"hosts":["h1"],"vars":{"y":"beta_inv"}},` +
			`"_meta":{"hostvars":{` +
			`"h1":{"h":"host_inv","i":"host_file","g":"host_inv","dct":{"c":3},"f":"all_file","ansible_group_priority":99},` +
			`"h3":{"f":"all_file"},` +
			`"h2":{"ansible_group_priority":99}}}}` + "\n"},
		{"HostOrderThroughUngrouped", lateHost, `{"ungrouped":{"hosts":["h1","h2"]},"all":{"children":["ungrouped","a","b"]},` +
			`"a":{"hosts":["h1","h3"]},"b":{"hosts":["h2"]},"_meta":{"hostvars":{}}}` + "\n"},
		{"EmptyGroup", empty, `{"ungrouped":{"hosts":[]},"all":{"children":["ungrouped","e"]},"e":{"hosts":[]},"_meta":{"hostvars":{}}}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := tt.inv(t)
			got := script.List(inv)
			// The groups come in an order that matters (Ansible creates
			// them in it); _meta.hostvars is a dict Ansible looks hosts up
			// in, in no order that matters.
			gotGroups, gotMeta, _ := strings.Cut(string(got), `"_meta":`)
			wantGroups, wantMeta, _ := strings.Cut(tt.want, `"_meta":`)
			if gotGroups != wantGroups {
				t.Errorf("List groups =\n%s\nwant\n%s", gotGroups, wantGroups)
			}
			gm, err1 := model.UnmarshalJSON([]byte(strings.TrimSuffix(strings.TrimSpace(gotMeta), "}")))
			wm, err2 := model.UnmarshalJSON([]byte(strings.TrimSuffix(strings.TrimSpace(wantMeta), "}")))
			if err1 != nil || err2 != nil || !model.Equal(gm, wm) {
				t.Errorf("List _meta = %s, want %s (%v, %v)", gotMeta, wantMeta, err1, err2)
			}
			if again := script.List(inv); !bytes.Equal(again, got) {
				t.Error("List is not deterministic")
			}
			if _, err := model.UnmarshalJSON(got); err != nil {
				t.Errorf("List output is not JSON: %v", err)
			}
		})
	}
}

// BenchmarkList renders 100,000 hosts in 2,000 groups, every host with a var
// and many group sets needing pins (group_vars files on every tenth group).
func BenchmarkList(b *testing.B) {
	inv := invtest.Big(100000, 2000)
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(script.List(inv))
	}
	b.ReportMetric(float64(n)/1e6, "MB")
}

func ExampleList() {
	inv := model.New()
	web := inv.AddGroup("web")
	web.Vars = model.Map{{Key: "http_port", Value: int64(80)}}
	web.FileVars = model.Map{{Key: "http_port", Value: int64(8080)}}
	inv.AddHost("web1")
	_ = inv.AddHostToGroup("web", "web1")
	inv.Reconcile()
	fmt.Print(string(script.List(inv)))
	// Output:
	// {"ungrouped":{"hosts":[]},"all":{"children":["ungrouped","web"]},"web":{"hosts":["web1"],"vars":{"http_port":8080}},"_meta":{"hostvars":{}}}
}
