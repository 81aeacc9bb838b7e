package main_test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// bin returns the path of a freshly built kook binary.
func bin(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(parity.Binaries(t), name)
}

type result struct {
	stdout, stderr string
	exit           int
	took           time.Duration
}

func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), append([]string{"KOOK_CONFIG=/dev/null"}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{out.String(), errb.String(), 0, time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// imported imports source into a fresh chroot and returns the KOOK_ZK value.
func imported(t *testing.T, source string) string {
	t.Helper()
	zk := zktest.Shared(t).Addr + zktest.Root(t)
	if r := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-import"), source); r.exit != 0 {
		t.Fatalf("kook-import: %s", r.stderr)
	}
	return zk
}

// wrapper writes a script Ansible can run as the inventory, with env set.
func wrapper(t *testing.T, env ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kook-inventory")
	body := "#!/bin/sh\nexport KOOK_CONFIG=/dev/null " + strings.Join(env, " ") + "\nexec '" + bin(t, "kook-inventory") + "' \"$@\"\n"
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIntegration_UnreachableZooKeeper(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := run(t, []string{"KOOK_ZK=" + addr, "KOOK_TIMEOUT=1s"}, bin(t, "kook-inventory"), "--list")
	if r.exit == 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q; want a failure and nothing on stdout", r.exit, r.stdout)
	}
	if lines := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); lines != 0 || !strings.Contains(r.stderr, addr) {
		t.Errorf("stderr should be one line naming %s: %q", addr, r.stderr)
	}
	if r.took > 4*time.Second {
		t.Errorf("took %v with KOOK_TIMEOUT=1s", r.took)
	}
}

func TestIntegration_NothingOnStderr(t *testing.T) {
	zk := imported(t, "../../pattern/testdata/nested.ini")
	for _, args := range [][]string{{"--list"}, {"--host", "web1"}, {"--host", "no-such-host"}} {
		r := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-inventory"), args...)
		if r.exit != 0 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.exit, r.stderr)
		}
		if _, err := model.UnmarshalJSON([]byte(r.stdout)); err != nil {
			t.Errorf("%v: stdout is not JSON: %v", args, err)
		}
	}
	// The script protocol expects {} for a host it does not know.
	if r := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-inventory"), "--host", "no-such-host"); strings.TrimSpace(r.stdout) != "{}" {
		t.Errorf("--host of an unknown host: %q", r.stdout)
	}
	// Reading the per-entity znodes gives byte-identical output.
	fast := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-inventory"), "--list")
	slow := run(t, []string{"KOOK_ZK=" + zk, "KOOK_READ_ENTITIES=1"}, bin(t, "kook-inventory"), "--list")
	if fast.stdout != slow.stdout || slow.exit != 0 {
		t.Errorf("slow path differs from the materialized view (exit %d)", slow.exit)
	}
}

// KOOK_LIMIT selects the hosts `ansible PATTERN --list-hosts` selects on the
// original source, and every kept host keeps exactly the vars it has without
// the limit.
func TestIntegration_Limit(t *testing.T) {
	ansibletest.Require(t)
	source, _ := filepath.Abs("../../pattern/testdata/nested.ini")
	zk := imported(t, source)
	full := ansibletest.Inventory(t, "--list", "-i", wrapper(t, "KOOK_ZK='"+zk+"'"))
	fullVars := hostvars(t, full.JSON(t))
	for _, pattern := range []string{"web", "web:&db", "app:!web3", "db*", "~^(web|cache)1$", "bastion,db2", "backend", "all:!app"} {
		t.Run(pattern, func(t *testing.T) {
			t.Parallel()
			want := ansibletest.ListHosts(t, pattern, source)
			limited := ansibletest.Inventory(t, "--list", "-i", wrapper(t, "KOOK_ZK='"+zk+"'", "KOOK_LIMIT='"+pattern+"'"))
			gotVars := hostvars(t, limited.JSON(t))
			got := slices.Sorted(func(yield func(string) bool) {
				for h := range gotVars {
					if !yield(h) {
						return
					}
				}
			})
			if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				t.Fatalf("hosts: got %v, want %v (ansible %s --list-hosts)", got, want, pattern)
			}
			for h, v := range gotVars {
				if !model.Equal(v, fullVars[h]) {
					t.Errorf("host %s: vars with the limit %s, without %s", h, model.MarshalJSON(v), model.MarshalJSON(fullVars[h]))
				}
			}
		})
	}
}

// hostvars returns _meta.hostvars of ansible-inventory --list output, every
// listed host present (with {} when it has no vars).
func hostvars(t *testing.T, v model.Value) map[string]model.Value {
	t.Helper()
	top := v.(model.Map)
	out := map[string]model.Value{}
	meta, _ := top.Get("_meta")
	hv, _ := meta.(model.Map).Get("hostvars")
	for _, e := range hv.(model.Map) {
		out[e.Key] = e.Value
	}
	for _, e := range top {
		g, ok := e.Value.(model.Map)
		if !ok {
			continue
		}
		if hosts, ok := g.Get("hosts"); ok {
			for _, h := range hosts.([]model.Value) {
				if _, ok := out[h.(string)]; !ok {
					out[h.(string)] = model.Map{}
				}
			}
		}
	}
	return out
}

// TestUsageExitStatus: every usage error of kook-inventory and kook-import
// exits 2 with one line on stderr, at once (no wait for a connect
// deadline), whether it is a flag kong rejects or a setting kook does.
func TestUsageExitStatus(t *testing.T) {
	src := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(src, []byte("h1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		bin  string
		env  []string
		args []string
	}{
		{"kook-inventory", nil, []string{"--list", "--zk", ""}},
		{"kook-inventory", nil, []string{"--list", "--timeout", "0"}},
		{"kook-inventory", nil, []string{"--list", "--timeout=-5s"}},
		{"kook-inventory", []string{"KOOK_TIMEOUT=0s"}, []string{"--list"}},
		{"kook-inventory", nil, []string{"--list", "--zk", "127.0.0.1:70000"}},
		{"kook-inventory", []string{"KOOK_ZK=127.0.0.1:0"}, []string{"--host", "h1"}},
		{"kook-inventory", nil, []string{"--nope"}},
		{"kook-inventory", nil, nil},
		{"kook-inventory", nil, []string{"--list", "--host", "h1"}},
		{"kook-import", nil, []string{"--zk", "", src}},
		{"kook-import", nil, []string{"--timeout", "0", src}},
		{"kook-import", nil, []string{"--zk", "zk1:99999", src}},
		{"kook-import", nil, []string{"--max-source-size", "0", src}},
		{"kook-import", nil, []string{filepath.Join(t.TempDir(), "missing.ini")}},
		{"kook-import", nil, nil},
		{"kook-import", nil, []string{"--nope", src}},
	} {
		r := run(t, append([]string{"KOOK_ZK=127.0.0.1:1", "KOOK_TIMEOUT=20s"}, tt.env...), bin(t, tt.bin), tt.args...)
		if r.exit != 2 || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want 2 and one line on stderr", tt.bin, tt.args, r.exit, r.stdout, r.stderr)
		}
		if r.took > 3*time.Second {
			t.Errorf("%s %q took %v", tt.bin, tt.args, r.took)
		}
	}
}

// TestIntegration_ImportBadInput: what kook-import refuses before
// anything reaches ZooKeeper, naming the file: a source that never ends,
// a name over kook's limit, a value no record holds; and a file whose name
// is not UTF-8 is found.
func TestIntegration_ImportBadInput(t *testing.T) {
	zk := zktest.Shared(t).Addr + zktest.Root(t)
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"/dev/zero"}, "/dev/zero: more than kook reads from one source (256 MiB); raise the limit with --max-source-size"},
		{[]string{"--max-source-size", "1KiB", write("big.ini", strings.Repeat("h\n", 1000))}, "big.ini: 2000 bytes, more than kook reads from one source (1 KiB)"},
		{[]string{write("name.ini", "[web]\n"+strings.Repeat("h", 5<<20)+"\n")}, "name.ini:2: host name"},
		{[]string{write("value.ini", "[web]\nh1 a="+strings.Repeat("v", 2<<20)+"\n")}, `value.ini:2: var "a": its value alone is over`},
	} {
		r := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-import"), tt.args...)
		if r.exit != 1 || !strings.Contains(r.stderr, tt.want) || len(r.stderr) > 1000 {
			t.Errorf("kook-import %.80q: exit %d, stderr %.300q; want %q", tt.args, r.exit, r.stderr, tt.want)
		}
		if r.took > 10*time.Second {
			t.Errorf("kook-import %.80q took %v", tt.args, r.took)
		}
	}
	latin1 := write("caf\xe9.ini", "[web]\nw1\n")
	if r := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-import"), latin1); r.exit != 0 {
		t.Errorf("kook-import of a file named in Latin-1: exit %d, %s", r.exit, r.stderr)
	}
	if r := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-inventory"), "--list"); r.exit != 0 || r.stderr != "" || !strings.Contains(r.stdout, `"w1"`) {
		t.Errorf("kook-inventory --list: exit %d, stderr %q, %s", r.exit, r.stderr, r.stdout)
	}
}
