package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// explainLayer is one place a var can be set for host h1 of the fixture.
type explainLayer struct {
	name  string // "inv:top", "file:top", "inv:host", "file:host"
	group string // "" for the host
	file  bool   // a group_vars/ or host_vars/ file
}

// TestIntegration_ExplainOrder checks explain's precedence order against Ansible's.
// The fixture sets vars for host h1 at all five levels: inventory vars of
// 'all' and of groups of different depths and priorities, group_vars/all,
// group_vars/<group>, inventory host vars and host_vars/h1. For every pair
// of those layers one var is set in exactly those two, each to its layer's
// name: the value ansible-inventory --host gives it says which of the two
// Ansible ranks higher, and explain must list the pair in that order, with
// the winner last and the file and line each value came from.
func TestIntegration_ExplainOrder(t *testing.T) {
	ansibletest.Require(t)
	groups := []string{"top", "mid", "early", "late", "beta"} // mid is top's child; early has priority 5
	var layers []explainLayer
	for _, g := range append([]string{"all"}, groups...) {
		layers = append(layers, explainLayer{name: "inv:" + g, group: g})
	}
	for _, g := range append([]string{"all"}, groups...) {
		layers = append(layers, explainLayer{name: "file:" + g, group: g, file: true})
	}
	layers = append(layers, explainLayer{name: "inv:host"}, explainLayer{name: "file:host", file: true})

	// vars[layer] lists "key: value" lines in the order written.
	vars := map[string][]string{}
	for i, a := range layers {
		for _, b := range layers[i+1:] {
			key := fmt.Sprintf("p_%s__%s", strings.ReplaceAll(a.name, ":", "_"), strings.ReplaceAll(b.name, ":", "_"))
			vars[a.name] = append(vars[a.name], key)
			vars[b.name] = append(vars[b.name], key)
		}
	}
	// where[layer+key] is the file and line that sets key in layer.
	where := map[string]string{}
	files := map[string]string{}
	var ini strings.Builder
	line := 0
	emit := func(s string) { ini.WriteString(s + "\n"); line++ }
	hostLine := "h1"
	for _, k := range vars["inv:host"] {
		hostLine += fmt.Sprintf(" %s=inv:host", k)
		where["inv:host "+k] = fmt.Sprintf("hosts.ini:%d", 4)
	}
	emit("[top:children]")
	emit("mid")
	emit("[mid]")
	emit(hostLine)
	for _, g := range []string{"early", "late", "beta"} {
		emit("[" + g + "]")
		emit("h1")
	}
	for _, g := range append([]string{"all"}, groups...) {
		emit("[" + g + ":vars]")
		if g == "early" {
			emit("ansible_group_priority=5")
		}
		for _, k := range vars["inv:"+g] {
			emit(fmt.Sprintf("%s=inv:%s", k, g))
			where["inv:"+g+" "+k] = fmt.Sprintf("hosts.ini:%d", line)
		}
	}
	files["hosts.ini"] = ini.String()
	for _, l := range layers {
		if !l.file {
			continue
		}
		path := "host_vars/h1.yml"
		if l.group != "" {
			path = "group_vars/" + l.group + ".yml"
		}
		var b strings.Builder
		for i, k := range vars[l.name] {
			fmt.Fprintf(&b, "%s: %s\n", k, l.name)
			where[l.name+" "+k] = fmt.Sprintf("%s:%d", path, i+1)
		}
		files[path] = b.String()
	}
	dir := writeFiles(t, files)
	src := filepath.Join(dir, "hosts.ini")

	want := ansibletest.Inventory(t, "-i", src, "--host", "h1").JSON(t).(model.Map)
	k := newKook(t)
	k.importSource(src)
	out, err := model.UnmarshalJSON([]byte(k.ok("explain", "h1", "-o", "json")))
	if err != nil {
		t.Fatal(err)
	}
	explained, _ := out.(model.Map).Get("vars")
	checked := 0
	for _, v := range explained.([]model.Value) {
		e := v.(model.Map)
		name, _ := e.Get("name")
		key := name.(string)
		if !strings.HasPrefix(key, "p_") {
			continue
		}
		checked++
		value, _ := e.Get("value")
		if w, _ := want.Get(key); value != w {
			t.Errorf("%s: explain says %v wins, ansible-inventory --host gives %v", key, value, w)
		}
		ls, _ := e.Get("layers")
		list := ls.([]model.Value)
		if len(list) != 2 {
			t.Errorf("%s: %d layers, want 2", key, len(list))
			continue
		}
		for _, l := range list {
			lm := l.(model.Map)
			lv, _ := lm.Get("value")
			src, _ := lm.Get("source")
			if w := where[lv.(string)+" "+key]; !strings.HasSuffix(src.(string), "/"+w) {
				t.Errorf("%s: layer %v recorded at %q, want .../%s", key, lv, src, w)
			}
		}
		if last, _ := list[1].(model.Map).Get("value"); last != value {
			t.Errorf("%s: last layer %v is not the winner %v", key, last, value)
		}
	}
	if n := len(layers) * (len(layers) - 1) / 2; checked != n {
		t.Fatalf("checked %d pair vars, want %d", checked, n)
	}

	text := k.ok("explain", "h1", "p_inv_all__file_host")
	wantText := fmt.Sprintf("p_inv_all__file_host = \"file:host\"\n"+
		"  1 inventory  group all  \"inv:all\"    %s/hosts.ini:%s\n"+
		"* 5 host_vars  host h1    \"file:host\"  %s/host_vars/h1.yml:%s\n",
		dir, strings.TrimPrefix(where["inv:all p_inv_all__file_host"], "hosts.ini:"),
		dir, strings.TrimPrefix(where["file:host p_inv_all__file_host"], "host_vars/h1.yml:"))
	if text != wantText {
		t.Errorf("explain text:\n%s\nwant:\n%s", text, wantText)
	}
	if text := k.ok("explain", "h1", "p_inv_top__inv_early"); !strings.Contains(text, "group early (depth 1, priority 5)") {
		t.Errorf("explain does not say why early outranks top:\n%s", text)
	}
	k.fails(1, `host "h1" has no var "nope"`, "explain", "h1", "nope")
	k.fails(1, `host "h9": not found`, "explain", "h9")
}
