// Package ansibletest runs Ansible, kook's oracle, from tests: ansible-inventory
// and ansible --list-hosts on a source, a dump of Ansible's own parse of a
// source as a model.Inventory, and a JSON comparison that reports the first
// difference by path.
//
// Every run happens in a fresh empty directory (Ansible also reads
// group_vars/ and host_vars/ from the current directory), with every
// ANSIBLE_* variable of the caller's environment removed, no ansible.cfg,
// and ANSIBLE_INVENTORY_UNPARSED_FAILED and
// ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED set so that a source Ansible
// cannot parse is an error rather than a warning.
//
// Starting Ansible costs about 0.6 s of CPU, most of it importing Python
// modules, so runs go through one Python process per test binary that has
// imported Ansible once and forks a child per run; the child runs the same
// CLI entry point as /usr/bin/ansible-inventory. Set KOOK_ANSIBLE_EXEC=1 to
// exec the real commands instead.
package ansibletest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

// Python is the interpreter Ansible is installed for (Debian's ansible-core
// package); a python3 found first on PATH (pyenv) may not have it.
const Python = "/usr/bin/python3"

const installHint = "Ansible (ansible-core 2.14) is the oracle of kook's tests and must be installed: " +
	"apt-get install ansible-core (Debian 12), or pip install 'ansible-core==2.14.*'; then run make test"

// Result is the outcome of one Ansible run.
type Result struct {
	Args   []string
	Stdout string
	Stderr string
	Exit   int
}

func (r Result) String() string {
	return fmt.Sprintf("%s: exit %d\nstderr:\n%s", strings.Join(r.Args, " "), r.Exit, r.Stderr)
}

// JSON parses stdout, failing t if it is not JSON or the run failed.
func (r Result) JSON(t testing.TB) model.Value {
	t.Helper()
	if r.Exit != 0 {
		t.Fatalf("%v", r)
	}
	v, err := model.UnmarshalJSON([]byte(r.Stdout))
	if err != nil {
		t.Fatalf("%s: output is not JSON: %v", strings.Join(r.Args, " "), err)
	}
	return v
}

// Require fails t, saying how to install Ansible, if ansible-inventory is
// missing.
func Require(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"ansible-inventory", "ansible"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found: %s", bin, installHint)
		}
	}
	if _, err := os.Stat(Python); err != nil {
		t.Fatalf("%s not found: %s", Python, installHint)
	}
}

// Inventory runs ansible-inventory with args. Pass sources as absolute
// paths: the run's current directory is an empty temporary one.
func Inventory(t testing.TB, args ...string) Result {
	t.Helper()
	return run(t, append([]string{"ansible-inventory"}, args...))
}

// Ansible runs the ad-hoc command ansible with args.
func Ansible(t testing.TB, args ...string) Result {
	t.Helper()
	return run(t, append([]string{"ansible"}, args...))
}

// ListHosts returns the hosts of `ansible PATTERN -i SOURCE --list-hosts`,
// in Ansible's order. It fails t if the command fails.
func ListHosts(t testing.TB, pattern, source string) []string {
	t.Helper()
	r := Ansible(t, pattern, "-i", source, "--list-hosts")
	if r.Exit != 0 {
		t.Fatalf("%v", r)
	}
	return parseListHosts(r.Stdout)
}

// parseListHosts reads "  hosts (N):" followed by one "    name" line per
// host.
func parseListHosts(out string) []string {
	hosts := []string{}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for _, l := range lines[1:] {
		hosts = append(hosts, strings.TrimPrefix(l, "    "))
	}
	return hosts
}

// run runs argv (ansible-inventory, ansible, or the dump script) in a new
// empty directory.
func run(t testing.TB, argv []string) Result {
	t.Helper()
	Require(t)
	dir := t.TempDir()
	if os.Getenv("KOOK_ANSIBLE_EXEC") != "1" {
		if s, err := server(); err == nil {
			return s.run(t, dir, argv)
		} else {
			t.Logf("ansible fork server unavailable, running commands: %v", err)
		}
	}
	return execRun(t, dir, argv)
}

func execRun(t testing.TB, dir string, argv []string) Result {
	t.Helper()
	name, args := argv[0], argv[1:]
	if name == dumpCommand {
		script := dir + "/dump.py"
		if err := os.WriteFile(script, []byte(dumpPy+"\nmain(sys.argv[1:])\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		name, args = Python, append([]string{script}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Args: argv, Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", strings.Join(argv, " "), err)
		}
		r.Exit = ee.ExitCode()
	}
	return r
}

// Env returns the environment Ansible runs with: the caller's without any
// ANSIBLE_* variable, plus the switches that make unparsable sources fail.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ANSIBLE_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"ANSIBLE_INVENTORY_UNPARSED_FAILED=true",
		"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true",
		"ANSIBLE_NOCOLOR=true",
		"PYTHONDONTWRITEBYTECODE=1",
	)
}
