package parity_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/corpus"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

func TestMain(m *testing.M) {
	zktest.Main(m)
	corpus.Report()
}

type result struct {
	stdout, stderr string
	exit           int
}

func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{out.String(), errb.String(), 0}
	if ee, ok := err.(*exec.ExitError); ok {
		r.exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return r
}

// TestIntegration_PipelineParity is the end-to-end promise: for every source, after
// `kook-import SOURCE` into a real ZooKeeper, Ansible reading
// `kook-inventory` sees what it sees reading SOURCE (parity.Check: --list
// with list order, --graph, group and host order, --list-hosts). Sources
// Ansible rejects are rejected by kook-import, which then writes nothing. A
// second import of the same source changes nothing.
func TestIntegration_PipelineParity(t *testing.T) {
	ansibletest.Require(t)
	bin := parity.Binaries(t)
	srv := zktest.Shared(t)
	for _, src := range parity.Sources(t) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			zkConnect := srv.Addr + zktest.Root(t)
			env := []string{"KOOK_ZK=" + zkConnect, "KOOK_CONFIG=/dev/null"}
			exp := parity.Oracle(t, src.Path)
			imp := run(t, env, filepath.Join(bin, "kook-import"), src.Path)
			if why := parity.Unsupported(src.Path); why != "" {
				if imp.exit == 0 {
					t.Fatalf("kook-import accepted a source kook refuses on purpose (%s)", why)
				}
				return
			}
			if exp.Rejected() {
				if imp.exit == 0 {
					t.Fatalf("Ansible rejects the source, kook-import accepts it:\n%s", exp.Result.Stderr)
				}
				if strings.Count(strings.TrimSpace(imp.stderr), "\n") > 20 || imp.stderr == "" {
					t.Errorf("kook-import's error should be short and say why: %q", imp.stderr)
				}
				if inv := run(t, env, filepath.Join(bin, "kook-inventory"), "--list"); inv.exit == 0 {
					t.Errorf("a rejected import left an inventory behind: %.200s", inv.stdout)
				}
				return
			}
			if imp.exit != 0 {
				t.Fatalf("kook-import failed (exit %d): %s", imp.exit, imp.stderr)
			}

			list := run(t, env, filepath.Join(bin, "kook-inventory"), "--list")
			if list.exit != 0 || list.stderr != "" {
				t.Fatalf("kook-inventory --list: exit %d, stderr %q (must be empty on success)", list.exit, list.stderr)
			}
			script := filepath.Join(t.TempDir(), "kook-inventory")
			wrapper := fmt.Sprintf("#!/bin/sh\nKOOK_ZK='%s' KOOK_CONFIG=/dev/null exec '%s' \"$@\"\n", zkConnect, filepath.Join(bin, "kook-inventory"))
			if err := os.WriteFile(script, []byte(wrapper), 0o755); err != nil {
				t.Fatal(err)
			}
			parity.Check(t, src.Path, script)
			checkFrontDoor(t, zkConnect, exp, filepath.Join(bin, "kook-inventory"), env)

			again := run(t, env, filepath.Join(bin, "kook-import"), src.Path)
			if again.exit != 0 || !strings.Contains(again.stdout, "no changes") {
				t.Errorf("second import of the same source: exit %d, %q", again.exit, again.stdout)
			}
		})
	}
}

// TestIntegration_MultiSourcePipeline: `kook-import A B` gives Ansible what
// `ansible-inventory -i A -i B` gives it, including where the order in
// which Ansible applies the sources' group_vars/ (one source at a time)
// decides a var; a second import of the same sources changes nothing (the
// stored records keep each file var's source).
func TestIntegration_MultiSourcePipeline(t *testing.T) {
	ansibletest.Require(t)
	bin := parity.Binaries(t)
	srv := zktest.Shared(t)
	root := parity.RepoRoot(t)
	dirs := filepath.Join(root, "inventory", "testdata", "dirs")
	for name, sources := range map[string][]string{
		"multisrc":         {filepath.Join(dirs, "multisrc/a/hosts"), filepath.Join(dirs, "multisrc/b/hosts")},
		"multisrc-reverse": {filepath.Join(dirs, "multisrc/b/hosts"), filepath.Join(dirs, "multisrc/a/hosts")},
		"multi":            {filepath.Join(dirs, "multi/a/hosts.yml"), filepath.Join(dirs, "multi/b/hosts")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			zkConnect := srv.Addr + zktest.Root(t)
			env := []string{"KOOK_ZK=" + zkConnect, "KOOK_CONFIG=/dev/null"}
			exp := parity.OracleSources(t, sources...)
			if exp.Rejected() {
				t.Fatalf("Ansible rejects the sources: %v", exp.Result)
			}
			imp := run(t, env, filepath.Join(bin, "kook-import"), sources...)
			if imp.exit != 0 {
				t.Fatalf("kook-import failed (exit %d): %s", imp.exit, imp.stderr)
			}
			script := filepath.Join(t.TempDir(), "kook-inventory")
			wrapper := fmt.Sprintf("#!/bin/sh\nKOOK_ZK='%s' KOOK_CONFIG=/dev/null exec '%s' \"$@\"\n", zkConnect, filepath.Join(bin, "kook-inventory"))
			if err := os.WriteFile(script, []byte(wrapper), 0o755); err != nil {
				t.Fatal(err)
			}
			parity.CheckSources(t, sources, script)
			checkFrontDoor(t, zkConnect, exp, filepath.Join(bin, "kook-inventory"), env)
			again := run(t, env, filepath.Join(bin, "kook-import"), sources...)
			if again.exit != 0 || !strings.Contains(again.stdout, "no changes") {
				t.Errorf("second import of the same sources: exit %d, %q %q", again.exit, again.stdout, again.stderr)
			}
		})
	}
}

// checkFrontDoor checks the Go front door (package kook) and
// kook-inventory --host against Ansible's view of the source: each host's
// effective vars are `ansible-inventory --list`'s hostvars, its
// GroupNames are the groups Ansible puts it in (ancestors included, 'all'
// left out, sorted: Ansible's group_names), and Hosts("all") lists what
// `ansible all --list-hosts` lists.
func checkFrontDoor(t *testing.T, zkConnect string, exp *parity.Expected, inventoryBin string, env []string) {
	t.Helper()
	ctx := t.Context()
	c, err := kook.Open(ctx, kook.Config{ZK: zkConnect})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := precedence.NewMerger(exp.Dump)
	for i, h := range parity.ListedHosts(exp.Dump) {
		got, err := c.Host(ctx, h.Name)
		if err != nil {
			t.Fatalf("Host(%q): %v", h.Name, err)
		}
		// Compared as JSON, as Ansible reads it: a dict holding only
		// __ansible_vault reads as a vaulted value either way.
		asJSON, _ := model.UnmarshalJSON(model.MarshalJSON(got.Vars))
		if want := exp.HostVars(h.Name); !model.Equal(asJSON, want) {
			t.Errorf("Host(%q).Vars = %s, want Ansible's %s", h.Name, model.MarshalJSON(got.Vars), model.MarshalJSON(want))
		}
		// group_names as Ansible computes it: every group above the host
		// but 'all', and no 'ungrouped' for a host left there by a group
		// file's var (model.Host.LeftUngrouped).
		if want := slices.Sorted(slices.Values(m.Groups(h.Name))); !slices.Equal(got.GroupNames(), want) {
			t.Errorf("Host(%q).GroupNames() = %q, want %q", h.Name, got.GroupNames(), want)
		}
		if i < 5 { // kook-inventory --host prints the same, as a process
			r := run(t, env, inventoryBin, "--host", h.Name)
			v, err := model.UnmarshalJSON([]byte(r.stdout))
			if r.exit != 0 || r.stderr != "" || err != nil || !model.Equal(v, asJSON) {
				t.Errorf("kook-inventory --host %s: exit %d, stderr %q, %s; want %s", h.Name, r.exit, r.stderr, r.stdout, model.MarshalJSON(got.Vars))
			}
		}
	}
	if exp.AllHosts != nil {
		got, err := c.Hosts(ctx, "all")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, exp.AllHosts) {
			t.Errorf("Hosts(all) = %q, want %q", got, exp.AllHosts)
		}
	}
}

// TestIntegration_MergePipeline: `kook-import A` then `kook-import --merge
// B` gives Ansible what `ansible-inventory -i A -i B` gives it: a group B
// names without a parent stays where A put it (Ansible hangs groups from
// 'all' once, after the last source), B's group_vars/ come after A's, and
// a priority B does not set is kept. Merging B again changes nothing.
//
// Two things a merge cannot do, README says (kook-import): B is read
// alone, so its host_vars/ and group_vars/ files for hosts and groups only
// A names are not read; and a host B adds to a group that --list names
// early is first seen earlier than after -i A -i B (putting it last would
// mean rewriting where every other host is listed). multisrc, whose b/
// has both, is not merged here for that reason.
func TestIntegration_MergePipeline(t *testing.T) {
	ansibletest.Require(t)
	bin := parity.Binaries(t)
	srv := zktest.Shared(t)
	root := parity.RepoRoot(t)
	dirs := filepath.Join(root, "inventory", "testdata", "dirs")
	merge := filepath.Join(root, "internal", "parity", "testdata", "merge")
	for name, sources := range map[string][2]string{
		"nested":           {filepath.Join(merge, "nested-a.ini"), filepath.Join(merge, "nested-b.ini")},
		"priority":         {filepath.Join(merge, "priority-a.ini"), filepath.Join(merge, "priority-b.ini")},
		"multisrc-reverse": {filepath.Join(dirs, "multisrc/b/hosts"), filepath.Join(dirs, "multisrc/a/hosts")},
		"multi":            {filepath.Join(dirs, "multi/a/hosts.yml"), filepath.Join(dirs, "multi/b/hosts")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			zkConnect := srv.Addr + zktest.Root(t)
			env := []string{"KOOK_ZK=" + zkConnect, "KOOK_CONFIG=/dev/null"}
			for _, args := range [][]string{{sources[0]}, {"--merge", sources[1]}} {
				if r := run(t, env, filepath.Join(bin, "kook-import"), args...); r.exit != 0 {
					t.Fatalf("kook-import %s: exit %d: %s", args, r.exit, r.stderr)
				}
			}
			script := filepath.Join(t.TempDir(), "kook-inventory")
			wrapper := fmt.Sprintf("#!/bin/sh\nKOOK_ZK='%s' KOOK_CONFIG=/dev/null exec '%s' \"$@\"\n", zkConnect, filepath.Join(bin, "kook-inventory"))
			if err := os.WriteFile(script, []byte(wrapper), 0o755); err != nil {
				t.Fatal(err)
			}
			parity.CheckSources(t, sources[:], script)
			again := run(t, env, filepath.Join(bin, "kook-import"), "--merge", sources[1])
			if again.exit != 0 || !strings.Contains(again.stdout, "no changes") {
				t.Errorf("merging the same source again: exit %d, %q %q", again.exit, again.stdout, again.stderr)
			}
		})
	}
}
