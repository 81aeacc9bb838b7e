package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// Edits through the CLI: each is one change (generation +1) with the
// changes printed; a dry run prints the same changes and writes nothing;
// errors write nothing.
func TestIntegration_Edits(t *testing.T) {
	k := newKook(t)
	steps := []struct {
		args []string
		want string // stdout
	}{
		{[]string{"group", "add", "prod"}, "+ group prod\n+ group all: child prod\n+1 group, +1 child (generation 1)\n"},
		{[]string{"group", "add", "web", "-p", "prod", "http_port=80"},
			"+ group web\n+ group prod: child web\n+ group web: var http_port = 80\n+1 group, +1 child, +1 var (generation 2)\n"},
		{[]string{"host", "add", "w1", "-g", "web", "ansible_host=10.0.0.1"},
			"+ host w1\n+ host w1: var ansible_host = \"10.0.0.1\"\n+ group web: member w1\n+1 host, +1 var, +1 member (generation 3)\n"},
		{[]string{"host", "add", "lonely"}, "+ host lonely\n+ group ungrouped: member lonely\n+1 host, +1 member (generation 4)\n"},
		{[]string{"group", "add-host", "web", "lonely"},
			"- group ungrouped: member lonely\n+ group web: member lonely\n-1 member, +1 member (generation 5)\n"},
		{[]string{"host", "set", "w1", "http_port=8080", "tags=[a, b]"},
			"+ host w1: var http_port = 8080\n+ host w1: var tags = [\"a\",\"b\"]\n+2 vars (generation 6)\n"},
		{[]string{"host", "set", "w1", "--level", "file", "--json", `http_port="9090"`},
			"+ host w1: file var http_port = \"9090\"\n+1 file var (generation 7)\n"},
		{[]string{"host", "set", "w1", "http_port=8081"}, "~ host w1: file var http_port: \"9090\" -> 8081\n~1 file var (generation 8)\n"},
		{[]string{"host", "unset", "w1", "tags"}, "- host w1: var tags\n-1 var (generation 9)\n"},
		{[]string{"group", "priority", "web", "5"}, "~ group web: priority 1 -> 5\n~1 priority (generation 10)\n"},
		{[]string{"group", "add-host", "web", "w1"}, "no changes (generation 10)\n"},
	}
	for _, s := range steps {
		if got := k.ok(s.args...); got != s.want {
			t.Fatalf("kook %s:\ngot:\n%s\nwant:\n%s", strings.Join(s.args, " "), got, s.want)
		}
	}

	// Dry runs and failures leave the generation where it is.
	_, gen := k.load()
	dry := k.ok("group", "rm", "web", "--force", "--dry-run")
	if !strings.Contains(dry, "- group web\n") || !strings.HasSuffix(dry, "(nothing written)\n") {
		t.Errorf("dry run output:\n%s", dry)
	}
	failures := []struct {
		args []string
		msg  string
	}{
		{[]string{"group", "rm", "web"}, `group "web" still has 2 hosts (w1, lonely): not empty (--force detaches them)`},
		{[]string{"group", "rm", "prod"}, `1 child group (web)`},
		{[]string{"group", "add-child", "web", "prod"}, "recursive dependency loop"},
		{[]string{"host", "add", "w1"}, `host "w1": already exists`},
		{[]string{"host", "add", "w2", "-g", "nope"}, `group "nope": not found (create it first)`},
		{[]string{"host", "set", "nope", "a=1"}, `host "nope": not found`},
		{[]string{"host", "unset", "w1", "nope"}, `host "w1" has no var "nope"`},
		{[]string{"group", "rm-host", "prod", "w1"}, "not a member"},
		{[]string{"group", "rm", "all", "--force"}, "built in"},
		{[]string{"group", "set", "web", "ansible_group_priority=high"}, "must be an integer"},
		{[]string{"group", "rm-child", "all", "prod"}, "no other parent"},
		// The second host is unknown: the first must not be added either.
		{[]string{"group", "add-host", "prod", "w1", "ghost"}, `host "ghost": not found`},
	}
	for _, f := range failures {
		k.fails(1, f.msg, f.args...)
	}
	if _, after := k.load(); after != gen {
		t.Fatalf("a dry run or a failed edit wrote: generation %d -> %d", gen, after)
	}

	r := k.run("group", "rm", "web", "--force")
	if r.code != 0 || !strings.Contains(r.stderr, "web detached hosts w1, lonely\nnow in no group but ungrouped: w1, lonely\n") {
		t.Fatalf("%v", r)
	}
	inv, _ := k.load()
	if got := inv.Group("ungrouped").Hosts; len(got) != 2 {
		t.Errorf("ungrouped after removing web: %q", got)
	}
	if v, _ := inv.Host("w1").FileVars.Get("http_port"); v != int64(8081) {
		t.Errorf("w1 file var http_port = %#v", v)
	}
}

// VAR=VALUE is typed as Ansible's YAML loader types a mapping value; the
// expected types come from that loader itself (ansible.parsing.yaml.loader
// run on "v: VALUE").
func TestIntegration_ValueTyping(t *testing.T) {
	ansibletest.Require(t)
	texts := []string{"8080", `"8080"`, "'8080'", "yes", "No", "on", "y", "[1, 2]", "{a: 1, b: [x]}", "", "~", "null",
		"1e3", "1.0e+3", "1.5", "010", "0o10", "0x1F", "1:20", "1_000", "2024-01-02", ".inf", "hello world", "a # c",
		"-0", "+12", "12345678901234567890123", "!!str 1", "[]", "{}", "true", "'it''s'"}
	py := `
import json, sys
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.parsing.ajson import AnsibleJSONEncoder
for t in json.load(sys.stdin):
    v = AnsibleLoader("v: " + t + "\n").get_single_data()["v"]
    print(json.dumps(v, cls=AnsibleJSONEncoder))
`
	in, _ := json.Marshal(texts)
	cmd := exec.Command(ansibletest.Python, "-c", py)
	cmd.Stdin, cmd.Env = bytes.NewReader(in), ansibletest.Env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")

	k := newKook(t)
	k.ok("host", "add", "h")
	args := []string{"host", "set", "h"}
	for i, text := range texts {
		args = append(args, "v"+string(rune('a'+i))+"="+text)
	}
	k.ok(args...)
	inv, _ := k.load()
	for i, text := range texts {
		v, _ := inv.Host("h").Vars.Get("v" + string(rune('a'+i)))
		wv, err := model.UnmarshalJSON([]byte(want[i]))
		if err != nil {
			t.Fatal(err)
		}
		if !model.Equal(v, wv) {
			t.Errorf("VALUE %q: stored %s, Ansible's YAML gives %s", text, model.MarshalJSON(v), want[i])
		}
	}
}

// Two kooks race on the same var: both changes land, in some order, and
// neither is lost (Update re-reads and retries on a version conflict).
func TestIntegration_ConcurrentEdits(t *testing.T) {
	k := newKook(t)
	k.ok("host", "add", "h")
	done := make(chan result, 8)
	for i := range 8 {
		go func() {
			var out, errb bytes.Buffer
			args := []string{"--zk", k.zk, "--config", os.DevNull, "group", "add", "g" + string(rune('0'+i))}
			code := run(t.Context(), args, &out, &errb)
			done <- result{args: args, stdout: out.String(), stderr: errb.String(), code: code}
		}()
	}
	for range 8 {
		if r := <-done; r.code != 0 {
			t.Errorf("%v", r)
		}
	}
	inv, gen := k.load()
	if len(inv.Groups) != 10 || gen != 9 {
		t.Errorf("%d groups at generation %d, want 10 at 9", len(inv.Groups), gen)
	}
}

// A host added through kook is served by kook-inventory like any other:
// the edits keep the materialized views current.
func TestIntegration_EditsReachAnsible(t *testing.T) {
	k := newKook(t)
	src := filepath.Join(repoRoot(t), "internal", "parity", "testdata", "precedence", "hosts")
	k.importSource(src)
	k.ok("host", "add", "h9", "-g", "mid", "x=1")
	inv, _ := k.load()
	if inv.Host("h9") == nil || inv.Group("mid").Hosts[len(inv.Group("mid").Hosts)-1] != "h9" {
		t.Fatal("h9 not stored in mid")
	}
	var list bytes.Buffer
	err := k.client().WriteList(t.Context(), &list, "")
	if err != nil || !bytes.Contains(list.Bytes(), []byte(`"h9"`)) {
		t.Fatalf("list view after the edit: %v\n%s", err, list.Bytes())
	}
}
