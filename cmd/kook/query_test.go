package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/corpus"
	"github.com/kook-project/kook/model"
)

func nestedSource(t *testing.T) string {
	return filepath.Join(repoRoot(t), "pattern", "testdata", "nested.ini")
}

func lines(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// kook hosts PATTERN selects what `ansible PATTERN --list-hosts` lists, in
// its order. The patterns are ones whose order Ansible fixes (no walk over
// more than one generation of nested groups, which Ansible does in Python
// set order).
func TestIntegration_HostsPattern(t *testing.T) {
	ansibletest.Require(t)
	src := nestedSource(t)
	k := newKook(t)
	k.importSource(src)
	for _, p := range []string{"web", "web,db", "web:db", "db:!web", "web:&monitoring", "w*", "~(web|db)[0-9]",
		"web[0]", "web[1:]", "app", "app:&db", "staging:bastion", "localhost", "*.example.com", "nothing*"} {
		want := ansibletest.ListHosts(t, p, src)
		if got := lines(k.ok("hosts", p)); !slices.Equal(got, want) {
			t.Errorf("kook hosts %q = %q, ansible --list-hosts gives %q", p, got, want)
		}
	}
}

// --where filters on the effective vars Ansible gives each host (taken
// from ansible-inventory --list), comparing typed values.
func TestIntegration_HostsWhere(t *testing.T) {
	ansibletest.Require(t)
	dir := writeFiles(t, map[string]string{
		"hosts.ini": `[web]
a port=8080 env=prod
b port="'8080'" env=prod
c port=80 env=dev maint=True
d env=prod-eu
[web:vars]
region=eu
`,
	})
	src := filepath.Join(dir, "hosts.ini")
	list := ansibletest.Inventory(t, "-i", src, "--list").JSON(t).(model.Map)
	meta, _ := list.Get("_meta")
	hostvars, _ := meta.(model.Map).Get("hostvars")
	hv := func(host, key string) (model.Value, bool) {
		vars, _ := hostvars.(model.Map).Get(host)
		return vars.(model.Map).Get(key)
	}
	k := newKook(t)
	k.importSource(src)
	all := []string{"a", "b", "c", "d"}
	tests := []struct {
		where []string
		keep  func(h string) bool
	}{
		{[]string{"port=8080"}, func(h string) bool { v, _ := hv(h, "port"); return v == int64(8080) }},
		{[]string{`port="8080"`}, func(h string) bool { v, _ := hv(h, "port"); return v == "8080" }},
		{[]string{"port!=8080"}, func(h string) bool { v, _ := hv(h, "port"); return v != int64(8080) }},
		{[]string{"maint"}, func(h string) bool { _, ok := hv(h, "maint"); return ok }},
		{[]string{"!maint"}, func(h string) bool { _, ok := hv(h, "maint"); return !ok }},
		{[]string{"maint=yes"}, func(h string) bool { v, _ := hv(h, "maint"); return v == true }},
		{[]string{"env~^prod"}, func(h string) bool { v, _ := hv(h, "env"); return strings.HasPrefix(v.(string), "prod") }},
		{[]string{"port~^80"}, func(h string) bool { // a string as is, any other value as JSON
			v, ok := hv(h, "port")
			s, isString := v.(string)
			if !isString {
				s = string(model.MarshalJSON(v))
			}
			return ok && strings.HasPrefix(s, "80")
		}},
		{[]string{"env=prod", "region=eu", "!maint"}, func(h string) bool {
			env, _ := hv(h, "env")
			_, m := hv(h, "maint")
			return env == "prod" && !m
		}},
	}
	for _, tt := range tests {
		want := []string{}
		for _, h := range all {
			if tt.keep(h) {
				want = append(want, h)
			}
		}
		args := []string{"hosts", "web"}
		for _, w := range tt.where {
			args = append(args, "--where", w)
		}
		if got := lines(k.ok(args...)); !slices.Equal(got, want) {
			t.Errorf("--where %q: got %q, want %q", tt.where, got, want)
		}
	}
	csv := k.ok("hosts", "web", "-o", "csv", "-v", "port", "-v", "maint")
	if want := "name,groups,port,maint\na,web,8080,\nb,web,8080,\nc,web,80,true\nd,web,,\n"; csv != want {
		t.Errorf("csv:\n%s\nwant:\n%s", csv, want)
	}
	js := k.ok("hosts", "c", "-o", "json")
	if want := `[{"groups":["web"],"name":"c","vars":{"env":"dev","maint":true,"port":80,"region":"eu"}}]` + "\n"; js != want {
		t.Errorf("json: %s", js)
	}
}

func TestIntegration_Groups(t *testing.T) {
	k := newKook(t)
	k.importSource(nestedSource(t))
	tests := []struct {
		pattern string
		want    []string // in inventory (creation) order; nested.ini creates app before cache
	}{
		{"", []string{"all", "ungrouped", "web", "db", "cache", "app", "backend", "prod", "staging", "empty", "monitoring"}},
		{"*a*", []string{"all", "app", "cache", "backend", "staging"}},
		{"~^(web|db)$", []string{"web", "db"}},
		{"b*:!backend", nil},
		{"all", []string{"all"}},
	}
	inv, _ := k.load()
	for _, tt := range tests {
		args := []string{"groups"}
		if tt.pattern != "" {
			args = append(args, tt.pattern)
		}
		got := lines(k.ok(args...))
		want := tt.want
		if tt.pattern == "*a*" {
			want = nil // order: as Ansible matches names, which is inventory order
			for _, g := range inv.Groups {
				if strings.Contains(g.Name, "a") {
					want = append(want, g.Name)
				}
			}
		}
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("kook groups %q = %q, want %q", tt.pattern, got, want)
		}
	}
	if got := k.ok("groups", "backend", "-o", "json"); got != `[{"children":["db","cache"],"hosts":[],"name":"backend","parents":["prod"],"priority":3}]`+"\n" {
		t.Errorf("json: %s", got)
	}
}

// kook graph prints exactly what ansible-inventory --graph prints.
func TestIntegration_Graph(t *testing.T) {
	ansibletest.Require(t)
	type graphCase struct {
		src  string
		args []string
	}
	cases := []graphCase{
		{nestedSource(t), nil},
		{nestedSource(t), []string{"app", "--vars"}},
		{filepath.Join(repoRoot(t), "internal", "parity", "testdata", "precedence"), []string{"--vars"}},
	}
	if dir, ok := corpus.Find(t); ok {
		cases = append(cases, graphCase{filepath.Join(dir, "relex-aini-testdata", "inventory"), []string{"web", "--vars"}})
	}
	for _, tt := range cases {
		k := newKook(t)
		k.importSource(tt.src)
		want := ansibletest.Inventory(t, append([]string{"-i", tt.src, "--graph"}, tt.args...)...)
		if want.Exit != 0 {
			t.Fatalf("%v", want)
		}
		if got := k.ok(append([]string{"graph"}, tt.args...)...); got != want.Stdout {
			t.Errorf("kook graph %q on %s:\n%s\nansible-inventory --graph:\n%s", tt.args, tt.src, got, want.Stdout)
		}
	}
	k := newKook(t)
	k.importSource(nestedSource(t))
	k.fails(1, "not found", "graph", "nope")
	if got := k.ok("graph", "backend", "-o", "json"); !strings.HasPrefix(got,
		`{"children":[{"children":[],"hosts":["db1","db2","web3"],"name":"db"},{"children":[],"hosts":["cache1","db1"],"name":"cache"}],"hosts":[],"name":"backend"}`) {
		t.Errorf("json graph: %s", got)
	}
}

// host show and group show agree with Ansible: effective vars as
// ansible-inventory --host prints them, a group's hosts as
// ansible GROUP --list-hosts lists them.
func TestIntegration_Show(t *testing.T) {
	ansibletest.Require(t)
	src := nestedSource(t)
	k := newKook(t)
	k.importSource(src)
	host := ansibletest.Inventory(t, "-i", src, "--host", "web3").JSON(t)
	got, err := model.UnmarshalJSON([]byte(k.ok("host", "show", "web3", "-o", "json")))
	if err != nil {
		t.Fatal(err)
	}
	eff, _ := got.(model.Map).Get("effective_vars")
	if d := ansibletest.Diff(host, eff); d != "" {
		t.Errorf("host show web3 effective vars differ from ansible-inventory --host: %s", d)
	}
	gn, _ := got.(model.Map).Get("group_names")
	if want := []model.Value{"app", "backend", "db", "prod", "web"}; !model.Equal(gn, want) {
		t.Errorf("group_names %v", gn)
	}
	text := k.ok("host", "show", "web1")
	for _, want := range []string{"host web1 (" + src + ":7)\n", "groups: web, prod\n", "  http_port: 80 (" + src + ":7)\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("host show text lacks %q:\n%s", want, text)
		}
	}
	grp, err := model.UnmarshalJSON([]byte(k.ok("group", "show", "backend", "-o", "json")))
	if err != nil {
		t.Fatal(err)
	}
	allHosts, _ := grp.(model.Map).Get("all_hosts")
	if want := ansibletest.ListHosts(t, "backend", src); !model.Equal(allHosts, names(want)) {
		t.Errorf("group show backend all_hosts %v, ansible lists %q", allHosts, want)
	}
	k.fails(1, `host "nope": not found`, "host", "show", "nope")
	k.fails(1, `group "nope": not found`, "group", "show", "nope")
}
