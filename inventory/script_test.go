package inventory

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

// TestParseScriptMatchesLoad: ParseScript of what with_meta.sh prints builds
// what Load builds by running it, which TestIntegration_LoadMatchesAnsible compares with
// Ansible's script plugin.
func TestParseScriptMatchesLoad(t *testing.T) {
	const script = "testdata/dirs/scripts/with_meta.sh"
	out, err := exec.Command(script, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	inv := model.New()
	if err := ParseScript(inv, script, out); err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	want, err := Load(script)
	if err != nil {
		t.Fatal(err)
	}
	if !model.EqualInventories(inv, want) {
		t.Errorf("ParseScript and Load differ:\n%s\n%s", model.MarshalJSON(inventoryView(inv, true)), model.MarshalJSON(inventoryView(want, true)))
	}
}

func TestParseScript(t *testing.T) {
	// Expected results follow plugins/inventory/script.py; each shape also
	// appears in testdata/dirs/scripts/with_meta.sh, checked against Ansible.
	src := `{
  "web": {"hosts": ["w1", "w2"], "vars": {"port": 80, "ansible_group_priority": "3"}, "children": ["db"]},
  "db": ["d1"],
  "solo": {"x": 1},
  "_meta": {"hostvars": {"w1": {"v": {"__ansible_vault": "cipher"}, "u": {"__ansible_unsafe": "{{ x }}"}}, "ghost": {"g": 1}}}
}`
	inv := model.New()
	if err := ParseScript(inv, "out.json", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if got, want := groupNames(inv), []string{"all", "ungrouped", "web", "db", "solo"}; !slices.Equal(got, want) {
		t.Errorf("groups = %q, want %q", got, want)
	}
	if got, want := hostNames(inv), []string{"w1", "w2", "d1", "solo"}; !slices.Equal(got, want) {
		t.Errorf("hosts = %q, want %q (ghost, only in _meta, is dropped)", got, want)
	}
	web := inv.Group("web")
	if web.Priority != 3 || web.Vars.Has("ansible_group_priority") {
		t.Errorf("web priority %d, vars %s: want priority 3 and no such var", web.Priority, model.MarshalJSON(web.Vars))
	}
	if got := inv.Group("solo").Vars; !model.EqualOrdered(got, model.Map{{Key: "x", Value: int64(1)}}) {
		t.Errorf("solo vars = %s, want {\"x\":1} (on the group, since set_variable finds the group first)", model.MarshalJSON(got))
	}
	w1 := inv.Host("w1").Vars
	if v, _ := w1.Get("v"); v != model.Vault("cipher") {
		t.Errorf("w1 v = %#v, want a Vault", v)
	}
	if u, _ := w1.Get("u"); !model.Equal(u, model.Map{{Key: "__ansible_unsafe", Value: "{{ x }}"}}) {
		t.Errorf("w1 u = %#v, want the unsafe form", u)
	}
	if got := inv.Host("w1").VarSources["v"]; got != "out.json:5" {
		t.Errorf("w1 v source = %q, want out.json:5", got)
	}
}

func TestParseScriptErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "web:\n  hosts: [a]\n", "out.json:1: failed to parse inventory script results: Expecting value"},
		{"not an object", "[1]", "out.json: failed to parse inventory script results: needs to be a JSON object, not list"},
		{"hosts not a list", `{"web": {"hosts": "a"}}`, `out.json:1: group "web" has bad data for the host list`},
		{"vars not an object", `{"web": {"vars": [1]}}`, `out.json:1: group "web" has bad data for variables`},
		{"host not a string", "{\n\"web\": [1]}", `out.json:2: group "web": invalid host name 1`},
		{"hostvars not a mapping", `{"web": ["a"], "_meta": {"hostvars": {"a": 1}}}`, `out.json:1: invalid data for host "a": expected a dictionary, got int`},
		{"hostvars a list", `{"web": ["a"], "_meta": {"hostvars": []}}`, `out.json: improperly formatted host information for a`},
		{"empty group name", `{"": {"hosts": []}}`, `out.json:1: invalid empty group name`},
		{"cycle", `{"a": {"children": ["b"]}, "b": {"children": ["a"]}}`, `out.json:1: adding group "a" as child to "b" creates a recursive dependency loop`},
		// Ansible creates the group; kook could not list it back.
		{"meta group", `{"a": {"children": ["_meta"]}}`, `out.json:1: group "_meta": "_meta" is reserved`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseScript(model.New(), "out.json", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestRunScriptHostCalls: without _meta, Load asks the script for each
// host with --host, as Ansible does (checked against Ansible on
// testdata/dirs/scripts/no_meta.sh).
func TestRunScriptHostCalls(t *testing.T) {
	inv, err := Load("testdata/dirs/scripts/no_meta.sh")
	if err != nil {
		t.Fatal(err)
	}
	// w2's answer is YAML: yes is true and 010 is 8.
	want := model.Map{{Key: "b", Value: true}, {Key: "c", Value: int64(8)}}
	if got := inv.Host("w2").Vars; !model.EqualOrdered(got, want) {
		t.Errorf("w2 vars = %s, want %s", model.MarshalJSON(got), model.MarshalJSON(want))
	}
}

// TestRunScriptNotExecutable: a file starting with #! that cannot run is
// left to the other plugins, as the script plugin's failure is.
func TestRunScriptNotExecutable(t *testing.T) {
	st, err := os.Stat("testdata/dirs/scripts/shebang.yml")
	if err != nil || st.Mode()&0o111 != 0 {
		t.Fatalf("fixture must exist and not be executable: %v", err)
	}
	inv, err := Load("testdata/dirs/scripts/shebang.yml")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Host("from_shebang_file") == nil {
		t.Error("host from the YAML plugin missing")
	}
}
