package parity_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/corpus"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/internal/zktest"
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

			again := run(t, env, filepath.Join(bin, "kook-import"), src.Path)
			if again.exit != 0 || !strings.Contains(again.stdout, "no changes") {
				t.Errorf("second import of the same source: exit %d, %q", again.exit, again.stdout)
			}
		})
	}
}
