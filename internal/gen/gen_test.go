package gen_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/gen"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

// Every expectation about the generated inventory is checked on Ansible's
// own parse of it (ansibletest.Dump, ansible-inventory --list), not on the
// generator's data.
func TestIntegration_GenerateAnsible(t *testing.T) {
	tests := []struct {
		name string
		opts gen.Options
		want int // group depth below all
	}{
		{name: "Depth2", opts: gen.Options{Hosts: 1000, Groups: 50, Seed: 1, Depth: 2}, want: 2},
		{name: "Depth3", opts: gen.Options{Hosts: 1000, Groups: 50, Seed: 2, Depth: 3}, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "inv")
			if err := gen.Generate(dir, tt.opts); err != nil {
				t.Fatal(err)
			}
			inv := ansibletest.Dump(t, dir)
			if got, want := len(inv.Hosts), tt.opts.Hosts; got != want {
				t.Errorf("ansible parses %d hosts, want %d", got, want)
			}
			if got, want := len(inv.Groups), tt.opts.Groups+2; got != want {
				t.Errorf("ansible parses %d groups, want %d (with all and ungrouped)", got, want)
			}
			if got := depth(inv); got != tt.want {
				t.Errorf("groups nest %d levels below all, want %d", got, tt.want)
			}
			checkVars(t, inv)
			checkMembership(t, inv)

			// kook-import reads the same directory.
			kinv, err := inventory.Load(dir)
			if err != nil {
				t.Fatalf("inventory.Load: %v", err)
			}
			if len(kinv.Hosts) != len(inv.Hosts) || len(kinv.Groups) != len(inv.Groups) {
				t.Errorf("inventory.Load: %d hosts, %d groups; ansible: %d, %d",
					len(kinv.Hosts), len(kinv.Groups), len(inv.Hosts), len(inv.Groups))
			}
		})
	}
}

// The brief's acceptance check: ansible-inventory --list, with unparsed
// sources failing, exits 0 and lists every host.
func TestIntegration_GenerateAnsibleInventoryList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "inv")
	if err := gen.Generate(dir, gen.Options{Hosts: 1000, Groups: 60, Seed: 7, Depth: 3}); err != nil {
		t.Fatal(err)
	}
	r := ansibletest.Inventory(t, "-i", dir, "--list")
	out, ok := r.JSON(t).(model.Map)
	if !ok {
		t.Fatalf("--list output is not an object")
	}
	hosts := map[string]bool{}
	for _, e := range out {
		if g, ok := e.Value.(model.Map); ok && e.Key != "_meta" {
			if hs, ok := g.Get("hosts"); ok {
				for _, h := range hs.([]model.Value) {
					hosts[h.(string)] = true
				}
			}
		}
	}
	if got, want := len(hosts), 1000; got != want {
		t.Errorf("ansible-inventory --list lists %d hosts, want %d", got, want)
	}
	canary, _ := out.Get(gen.CanaryGroup)
	hs, _ := canary.(model.Map).Get("hosts")
	// 999 hosts are in a group (one in 1,000 is ungrouped); every 100th of
	// them, from the 50th, is a canary.
	if got, want := len(hs.([]model.Value)), 10; got != want {
		t.Errorf("%s has %d hosts, want %d", gen.CanaryGroup, got, want)
	}
	if r.Stderr != "" {
		t.Errorf("ansible-inventory warns:\n%s", r.Stderr)
	}
}

// depth is the longest chain of children below all.
func depth(inv *model.Inventory) int {
	var walk func(name string) int
	memo := map[string]int{}
	walk = func(name string) int {
		if d, ok := memo[name]; ok {
			return d
		}
		d := 0
		for _, c := range inv.Group(name).Children {
			d = max(d, 1+walk(c))
		}
		memo[name] = d
		return d
	}
	return walk("all")
}

func checkVars(t *testing.T, inv *model.Inventory) {
	t.Helper()
	kinds := map[string]bool{}
	var fileHosts, fileGroups, prio int
	for _, h := range inv.Hosts {
		if n := len(h.Vars); n < 5 || n > 10 {
			t.Errorf("host %s has %d vars, want 5 to 10", h.Name, n)
		}
		for _, e := range h.Vars {
			kinds[kind(e.Value)] = true
		}
		if len(h.FileVars) > 0 {
			fileHosts++
		}
	}
	for _, g := range inv.Groups {
		if g.Name == "all" || g.Name == "ungrouped" {
			continue
		}
		// Ansible's Group.set_variable keeps ansible_group_priority out of vars.
		if n := len(g.Vars); n < 5 || n > 10 {
			t.Errorf("group %s has %d vars, want 5 to 10", g.Name, n)
		}
		if len(g.FileVars) > 0 {
			fileGroups++
			for _, e := range g.FileVars {
				kinds[kind(e.Value)] = true
			}
		}
		if g.Priority != 1 {
			prio++
		}
	}
	for _, k := range []string{"int", "float", "bool", "null", "string", "string with space", "list", "dict"} {
		if !kinds[k] {
			t.Errorf("no var of type %s", k)
		}
	}
	if fileHosts == 0 || fileGroups == 0 || prio == 0 {
		t.Errorf("%d hosts with host_vars, %d groups with group_vars, %d with a priority: want some of each",
			fileHosts, fileGroups, prio)
	}
}

func kind(v model.Value) string {
	switch v := v.(type) {
	case int64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case nil:
		return "null"
	case string:
		if strings.Contains(v, " ") {
			return "string with space"
		}
		return "string"
	case []model.Value:
		return "list"
	case model.Map:
		return "dict"
	}
	return "other"
}

// checkMembership wants every host that is in a group to be in at least two
// (a host group and an env_ group), and some in two host groups.
func checkMembership(t *testing.T, inv *model.Inventory) {
	t.Helper()
	groups := inv.HostGroups()
	var three int
	for _, h := range inv.Hosts {
		n := len(groups[h.Name])
		if n == 1 && groups[h.Name][0] == "ungrouped" {
			continue
		}
		if n < 2 {
			t.Errorf("host %s is in %d groups, want at least 2", h.Name, n)
		}
		if n >= 3 {
			three++
		}
	}
	if three == 0 {
		t.Error("no host is in three groups or more")
	}
}

func TestGenerate_Deterministic(t *testing.T) {
	base := gen.Options{Hosts: 2000, Groups: 80, Seed: 42, Depth: 3}
	a := generate(t, base)
	if got := generate(t, base); !equalTrees(t, a, got) {
		t.Error("the same options gave different files")
	}
	other := base
	other.Seed = 43
	if equal(t, a, generate(t, other), "hosts") {
		t.Error("seeds 42 and 43 gave the same hosts file")
	}

	// A revision changes the lines of 1% of the hosts and nothing else.
	rev := base
	rev.Revision = 1
	b := generate(t, rev)
	la, lb := lines(t, a, "hosts"), lines(t, b, "hosts")
	if len(la) != len(lb) {
		t.Fatalf("revision 1 has %d lines, revision 0 %d", len(lb), len(la))
	}
	var changed int
	for i := range la {
		if la[i] != lb[i] {
			changed++
			if lb[i] != la[i]+" revision=1" {
				t.Errorf("line %d: %q became %q", i+1, la[i], lb[i])
			}
		}
	}
	// 1,998 hosts are in a group; every 100th from the first has the var.
	if changed != 20 {
		t.Errorf("revision 1 changes %d lines, want 20", changed)
	}
	if !equalTrees(t, filepath.Join(a, "group_vars"), filepath.Join(b, "group_vars")) ||
		!equalTrees(t, filepath.Join(a, "host_vars"), filepath.Join(b, "host_vars")) {
		t.Error("a revision changed vars files")
	}
}

func TestGenerate_Options(t *testing.T) {
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dir     string
		opts    gen.Options
		wantErr string
	}{
		{name: "OK", opts: gen.Options{Hosts: 1, Groups: gen.MinGroups, Depth: 3}},
		{name: "DefaultDepth", opts: gen.Options{Hosts: 10, Groups: gen.MinGroups}},
		{name: "ErrHosts", opts: gen.Options{Hosts: 0, Groups: 50}, wantErr: "0 hosts"},
		{name: "ErrGroups", opts: gen.Options{Hosts: 10, Groups: gen.MinGroups - 1}, wantErr: "want at least 7"},
		{name: "ErrDepth", opts: gen.Options{Hosts: 10, Groups: 50, Depth: 4}, wantErr: "depth 4"},
		{name: "ErrRevision", opts: gen.Options{Hosts: 10, Groups: 50, Revision: -1}, wantErr: "revision -1"},
		{name: "ErrNotEmpty", dir: nonEmpty, opts: gen.Options{Hosts: 10, Groups: 50}, wantErr: "not empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = filepath.Join(t.TempDir(), "inv")
			}
			err := gen.Generate(dir, tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := inventory.Load(dir); err != nil {
					t.Errorf("inventory.Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func generate(t *testing.T, opts gen.Options) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "inv")
	if err := gen.Generate(dir, opts); err != nil {
		t.Fatal(err)
	}
	return dir
}

func lines(t *testing.T, dir, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(data), "\n")
}

func equal(t *testing.T, a, b, name string) bool {
	t.Helper()
	return strings.Join(lines(t, a, name), "\n") == strings.Join(lines(t, b, name), "\n")
}

// equalTrees reports whether two directories hold the same files with the
// same bytes.
func equalTrees(t *testing.T, a, b string) bool {
	t.Helper()
	files := func(root string) map[string][]byte {
		m := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			m[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fa, fb := files(a), files(b)
	if len(fa) != len(fb) || len(fa) == 0 {
		return false
	}
	for name, data := range fa {
		if !bytes.Equal(data, fb[name]) {
			return false
		}
	}
	return true
}
