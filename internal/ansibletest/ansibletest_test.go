package ansibletest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

func TestDiff(t *testing.T) {
	parse := func(s string) model.Value {
		v, err := model.UnmarshalJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, want, got, diff string
	}{
		{"Equal", `{"a":[1,2],"b":{"c":null}}`, `{"b":{"c":null},"a":[1,2]}`, ""},
		{"ListOrder", `{"all":{"children":["ungrouped","web"]}}`, `{"all":{"children":["web","ungrouped"]}}`,
			`$.all.children[0]: want "ungrouped" (string), got "web" (string)`},
		{"IntVsFloat", `{"x":1}`, `{"x":1.0}`, `$.x: want 1 (int), got 1.0 (float64)`},
		{"Missing", `{"web-1":{"a":1}}`, `{"web-1":{}}`, `$["web-1"].a: missing (want 1)`},
		{"Unexpected", `{}`, `{"a":true}`, `$.a: unexpected (got true)`},
		{"Length", `[1]`, `[1,2]`, `$: want 1 items, got 2: want [1], got [1,2]`},
		{"Vault", `{"__ansible_vault":"x"}`, `{"__ansible_vault":"y"}`,
			`$: want {"__ansible_vault":"x"} (model.Vault), got {"__ansible_vault":"y"} (model.Vault)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff(parse(tt.want), parse(tt.got)); got != tt.diff {
				t.Errorf("Diff = %q, want %q", got, tt.diff)
			}
		})
	}
}

// The format is AdHocCLI's: "  hosts (N):" then "    NAME" per host
// (ansible all -i 'a,b c,' --list-hosts, copied).
func TestParseListHosts(t *testing.T) {
	got := parseListHosts("  hosts (2):\n    a\n    b c\n")
	if want := []string{"a", "b c"}; !slices.Equal(got, want) {
		t.Errorf("parseListHosts = %q, want %q", got, want)
	}
	if got := parseListHosts("  hosts (0):\n"); len(got) != 0 {
		t.Errorf("parseListHosts of no hosts = %q", got)
	}
}

// TestIntegration_ForkServerMatchesExec checks that a run through the fork server gives
// what running the installed commands gives, and that Inspect renders --list
// and --graph as the commands print them, including at Python's
// recursion limit, which depends on stack depth: in ansible-core 2.14 an INI
// value of 2953 minus signs before 1 parses (literal_eval fails, the value
// stays a string) while 2954 exhaust the compiler's recursion budget and
// fail the source (found by bisection with ansible-inventory). Whatever the
// boundary in another version, both ways of running must agree on both.
func TestIntegration_ForkServerMatchesExec(t *testing.T) {
	Require(t)
	if _, err := server(); err != nil {
		t.Fatalf("fork server: %v", err)
	}
	dir := t.TempDir()
	var sources []string
	for _, n := range []int{2953, 2954} {
		src := filepath.Join(dir, fmt.Sprintf("deep%d.ini", n))
		if err := os.WriteFile(src, []byte("h x="+strings.Repeat("-", n)+"1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, src)
	}
	precedence := filepath.Join("..", "parity", "testdata", "precedence", "hosts")
	abs, err := filepath.Abs(precedence)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("InspectRendering", func(t *testing.T) {
		t.Parallel()
		ins, _ := Inspect(t, abs)
		list := execRun(t, t.TempDir(), []string{"ansible-inventory", "-i", abs, "--list"})
		graph := execRun(t, t.TempDir(), []string{"ansible-inventory", "-i", abs, "--graph"})
		if ins == nil || ins.List != list.Stdout || ins.Graph != graph.Stdout {
			t.Errorf("Inspect(%s) = %+v, want --list\n%s\n--graph\n%s", abs, ins, list.Stdout, graph.Stdout)
		}
	})
	runs := []struct {
		name string
		argv []string
	}{
		{"List", []string{"ansible-inventory", "-i", abs, "--list"}},
		{"ListHosts", []string{"ansible", "all", "-i", abs, "--list-hosts"}},
		{"Inspect", []string{dumpCommand, abs}},
		{"RecursionLimitBelow", []string{"ansible-inventory", "-i", sources[0], "--list"}},
		{"RecursionLimitAbove", []string{"ansible-inventory", "-i", sources[1], "--list"}},
	}
	for _, tt := range runs {
		argv := tt.argv
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fork := run(t, argv)
			exec := execRun(t, t.TempDir(), argv)
			if fork.Exit != exec.Exit || fork.Stdout != exec.Stdout {
				t.Errorf("%s: fork server gives exit %d, stdout\n%.400s\ncommand gives exit %d, stdout\n%.400s",
					strings.Join(argv, " "), fork.Exit, fork.Stdout, exec.Exit, exec.Stdout)
			}
		})
	}
}

// Expected: the INI file internal/parity/testdata/depth/hosts itself for
// creation order, levels and priorities; ansible all --list-hosts for the
// host list.
func TestIntegration_Inspect(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("..", "parity", "testdata", "depth", "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	ins, r := Inspect(t, src)
	if ins == nil {
		t.Fatalf("%v", r)
	}
	if want := ListHosts(t, "all", src); !slices.Equal(ins.AllHosts, want) || !slices.Equal(want, []string{"h"}) {
		t.Errorf("AllHosts = %q, ansible all --list-hosts gives %q, want [h]", ins.AllHosts, want)
	}
	inv := ins.Inventory
	var groups []string
	for _, g := range inv.Groups {
		groups = append(groups, g.Name)
	}
	if want := []string{"all", "ungrouped", "p", "q", "r", "aaa"}; !slices.Equal(groups, want) {
		t.Errorf("groups = %q, want %q", groups, want)
	}
	if got := inv.Group("p").Children; !slices.Equal(got, []string{"q", "r"}) {
		t.Errorf("p children = %q", got)
	}
	if r := inv.Group("r"); r.Priority != -3 || !model.EqualOrdered(r.Vars, model.Map{{Key: "v", Value: "r"}}) {
		t.Errorf("r: priority %d vars %v, want -3 and v=r", r.Priority, r.Vars)
	}
	if h := inv.Host("h"); h == nil || len(h.Vars) != 0 {
		t.Errorf("host h = %+v, want it without vars", h)
	}
	if ins, r := Inspect(t, filepath.Join(t.TempDir(), "missing")); ins != nil || r.Exit == 0 {
		t.Error("Inspect of a missing source succeeded")
	}
}
