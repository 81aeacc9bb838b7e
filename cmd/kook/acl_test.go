package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/zkconn"
)

// roleEnv runs kook as an admin, a writer, a reader or anonymously. Each
// role has a config file holding the same acl section and the name of its
// own auth file (mode 0600); the config files hold no password and are
// world-readable, as /etc/kook/config.yml would be.
type roleEnv struct {
	k     *kookT
	dir   string
	files map[string]string // role -> config file
	acl   config.ACL
}

var rolePasswords = map[string]string{"admin": "adminpw-7f3", "writer": "writerpw-9c1", "reader": "readerpw-2b8"}

func newRoles(t *testing.T, k *kookT) *roleEnv {
	t.Helper()
	r := &roleEnv{k: k, dir: t.TempDir(), files: map[string]string{"anonymous": os.DevNull}}
	r.acl = config.ACL{Roles: zkconn.Roles{
		Admins:  []string{zkconn.DigestID("admin", rolePasswords["admin"])},
		Writers: []string{zkconn.DigestID("writer", rolePasswords["writer"])},
		Readers: []string{zkconn.DigestID("reader", rolePasswords["reader"])},
	}, JonesWorldRead: true}
	section := "acl:\n  admins: " + r.acl.Admins[0] + "\n  writers:\n    - " + r.acl.Writers[0] + "\n  readers: [" + r.acl.Readers[0] + "]\n"
	for role, pw := range rolePasswords {
		auth := filepath.Join(r.dir, role+".auth")
		if err := os.WriteFile(auth, []byte(role+":"+pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(r.dir, role+".yml")
		if err := os.WriteFile(cfg, []byte("auth_file: "+role+".auth\n"+section), 0o644); err != nil {
			t.Fatal(err)
		}
		r.files[role] = cfg
	}
	return r
}

// as runs kook as role.
func (r *roleEnv) as(role string, args ...string) result {
	r.k.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--zk", r.k.zk, "--config", r.files[role]}, args...)
	code := run(context.Background(), full, &out, &errb)
	res := result{args: append([]string{"(as " + role + ")"}, args...), stdout: out.String(), stderr: errb.String(), code: code}
	for _, pw := range rolePasswords {
		if strings.Contains(res.stdout+res.stderr, pw) {
			r.k.t.Errorf("a password shows in the output of %v", res)
		}
	}
	return res
}

func (r *roleEnv) ok(role string, args ...string) string {
	r.k.t.Helper()
	res := r.as(role, args...)
	if res.code != 0 {
		r.k.t.Fatalf("%v", res)
	}
	return res.stdout
}

// denied runs a command that role may not run: it fails with one line
// saying which role it needs.
func (r *roleEnv) denied(role, need string, args ...string) {
	r.k.t.Helper()
	res := r.as(role, args...)
	line := strings.TrimSuffix(res.stderr, "\n")
	if res.code != 1 || strings.Contains(line, "\n") || !strings.HasPrefix(line, "kook: permission denied: ") ||
		!strings.HasSuffix(line, "needs the "+need+" role (connected as "+map[bool]string{true: "anonymous", false: "digest:" + role}[role == "anonymous"]+")") {
		r.k.t.Errorf("want one line, permission denied ... needs the %s role; got %v", need, res)
	}
}

// conn dials as role.
func (r *roleEnv) conn(role string) *zkconn.Conn {
	r.k.t.Helper()
	auth := ""
	if pw, ok := rolePasswords[role]; ok {
		auth = role + ":" + pw
	}
	c, err := zkconn.Dial(context.Background(), zkconn.Config{Connect: r.k.zk, Auth: auth})
	if err != nil {
		r.k.t.Fatal(err)
	}
	r.k.t.Cleanup(c.Close)
	return c
}

// buildOpenRoot stores an inventory and a Jones service the way a kook
// without auth did: every znode open to anyone.
func buildOpenRoot(t *testing.T, k *kookT) {
	t.Helper()
	k.importSource(filepath.Join(writeFiles(t, map[string]string{"hosts.ini": "[web]\nweb1 http_port=80\nweb2\n\n[db]\ndb1\n"}), "hosts.ini"))
	k.ok("config", "create", "svc", "/")
	k.ok("config", "set", "svc", "/", "foo=bar", "port=80")
	k.ok("config", "create", "svc", "child")
	k.ok("config", "set", "svc", "child", "port=8080")
	k.ok("config", "assoc", "svc", "h1", "child")
}

// TestIntegration_ACLRoles is issue 13's digest roles end to end: 'kook acl
// apply' secures a root built without auth, znode by znode, and only an
// admin may run it; then readers read everything (Jones clients without
// auth read the Jones tree), every write of a reader fails with one line
// and writes nothing, writers write and what they create carries the
// roles, and anonymous sessions can do nothing with head.
func TestIntegration_ACLRoles(t *testing.T) {
	k := newKook(t)
	buildOpenRoot(t, k)
	r := newRoles(t, k)
	policy, err := config.Policy(r.acl, "/kook")
	if err != nil {
		t.Fatal(err)
	}

	show := r.ok("admin", "acl", "show")
	if !strings.Contains(show, "world:anyone cdrwa") || !strings.Contains(show, "differ from the roles") {
		t.Errorf("acl show on an open root:\n%s", show)
	}
	// A writer is no admin: the tree is open, but the roles would lock it out.
	if res := r.as("writer", "acl", "apply"); res.code != 1 || !strings.Contains(res.stderr, "digest:writer is not among the admins") {
		t.Errorf("writer's acl apply on an open tree: %v", res)
	}

	out := r.ok("admin", "acl", "apply")
	if !strings.Contains(out, "set /kook/inventory/head (was: world:anyone cdrwa)") || !strings.Contains(out, "znodes changed: every znode under /kook carries the roles") {
		t.Errorf("acl apply:\n%s", out)
	}
	admin, anon := r.conn("admin"), r.conn("anonymous")
	ctx := context.Background()
	n := 0
	err = admin.WalkACL(ctx, "/kook", func(p string, acl []zk.ACL) error {
		n++
		if !zkconn.SameACL(acl, policy.For(p)) {
			t.Errorf("%s: %s, want %s", p, zkconn.FormatACL(acl), zkconn.FormatACL(policy.For(p)))
		}
		_, _, rerr := anon.Get(ctx, p)
		if jones := strings.HasPrefix(p, "/kook/services"); jones != (rerr == nil) {
			t.Errorf("anonymous read of %s: %v", p, rerr)
		}
		if _, err := anon.Set(ctx, p, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
			t.Errorf("anonymous set of %s: %v", p, err)
		}
		if err := anon.Create(ctx, p+"/x", nil); !errors.Is(err, zk.ErrNoAuth) {
			t.Errorf("anonymous create under %s: %v", p, err)
		}
		return nil
	})
	if err != nil || n < 15 {
		t.Fatalf("walked %d znodes: %v", n, err)
	}
	if err := anon.Delete(ctx, "/kook/inventory/head", -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("anonymous delete of head: %v", err)
	}
	if out := r.ok("admin", "acl", "apply"); !strings.Contains(out, "no changes") || strings.Contains(out, "set /") {
		t.Errorf("second acl apply:\n%s", out)
	}
	r.denied("writer", "admin", "acl", "apply")
	r.denied("reader", "admin", "acl", "apply", "--admins", r.acl.Admins[0]+",digest:reader:"+strings.Repeat("A", 27)+"=")
	if out := r.ok("admin", "acl", "show"); !strings.Contains(out, "every znode carries the roles") {
		t.Errorf("acl show after apply:\n%s", out)
	}

	// Readers read.
	gen := func() int64 {
		st, err := kook.Open(ctx, kook.Config{ZK: k.zk, Auth: "reader:" + rolePasswords["reader"]})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s, err := st.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s.Generation
	}
	before := gen()
	for _, args := range [][]string{
		{"hosts", "all"}, {"groups"}, {"host", "show", "web1"}, {"group", "show", "web"}, {"explain", "web1", "http_port"},
		{"graph"}, {"status"}, {"check"}, {"export", "--format", "json"}, {"config", "get", "svc", "--host", "h1"},
		{"config", "show", "svc", "child"}, {"config", "services"}, {"acl", "show"},
	} {
		r.ok("reader", args...)
	}
	if got := r.ok("reader", "config", "get", "svc", "--host", "h1"); !strings.Contains(got, `"port":8080`) {
		t.Errorf("reader's config get: %s", got)
	}
	// Every write of a reader fails, with one line, and writes nothing.
	for _, args := range [][]string{
		{"host", "set", "web1", "http_port=81"}, {"host", "add", "web9", "--group", "web"}, {"host", "rm", "web2"},
		{"group", "add", "new"}, {"rebuild"}, {"repair"},
		{"config", "set", "svc", "/", "foo=baz"}, {"config", "create", "svc", "other"}, {"config", "assoc", "svc", "h2", "child"},
		{"config", "delete", "svc", "child", "--force"},
	} {
		r.denied("reader", "writer", args...)
	}
	r.denied("anonymous", "reader", "status")
	r.denied("anonymous", "reader", "host", "show", "web1")
	if got := gen(); got != before {
		t.Errorf("generation %d after refused writes, was %d", got, before)
	}
	if got := r.ok("reader", "config", "get", "svc", "--host", "h1"); !strings.Contains(got, `"foo":"bar"`) {
		t.Errorf("a refused config write changed the view: %s", got)
	}

	// Writers write; what they create carries the roles; no drift.
	res := r.as("writer", "host", "add", "web9", "--group", "web", "http_port=90")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("writer's host add: %v", res)
	}
	r.ok("writer", "host", "set", "web1", "http_port=81")
	r.ok("writer", "config", "set", "svc", "/", "foo=baz")
	r.ok("writer", "config", "create", "svc2", "/")
	r.ok("writer", "config", "set", "svc2", "/", "a=1")
	if diffs, _, err := admin.DiffACL(ctx, "/kook", policy); err != nil || len(diffs) != 0 {
		t.Errorf("after writes, %d znodes differ from the roles (%v): %v", len(diffs), err, diffs)
	}
	if out := r.ok("writer", "check"); strings.TrimSpace(out) != "ok" {
		t.Errorf("writer's check: %s", out)
	}
	if got := r.ok("reader", "host", "show", "web9"); !strings.Contains(got, "90") {
		t.Errorf("reader cannot see what the writer added: %s", got)
	}
	// The change record names the writer's identity, never its password.
	c, err := kook.Open(ctx, kook.Config{ZK: k.zk, Auth: "reader:" + rolePasswords["reader"]})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rec, err := c.Store().Commit(ctx, gen())
	if err != nil || rec.Identity != "digest:writer" {
		t.Errorf("last change record: identity %q, %v", rec.Identity, err)
	}

	// The Jones tree: a Jones client without auth (kazoo) reads what
	// kook config get prints; so does one authenticated as the reader.
	want := strings.TrimSpace(jsonSorted(t, r.ok("reader", "config", "get", "svc", "--host", "h1")))
	hosts := k.zk + "/kook"
	for _, auth := range []string{"", "reader:" + rolePasswords["reader"]} {
		if got := kazooJones(t, hosts, "svc", "h1", auth); got != want {
			t.Errorf("kazoo Jones client (auth %v) read %s, want %s", auth != "", got, want)
		}
	}
	if got := kazooJones(t, hosts, "svc2", "elsewhere", ""); got != `{"a": 1}` {
		t.Errorf("kazoo reads the root view of the writer's new service as %s", got)
	}
}

// jsonSorted re-encodes a JSON object with sorted keys, as Python's
// json.dumps(sort_keys=True) does.
func jsonSorted(t *testing.T, s string) string {
	t.Helper()
	cmd := exec.Command(kazooPython(t), "-c", "import json,sys; print(json.dumps(json.loads(sys.stdin.read()), sort_keys=True))")
	cmd.Stdin = strings.NewReader(s)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// kazooPython returns a Python that has kazoo (Debian's python3-kazoo,
// which scripts/install-deps installs).
func kazooPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import kazoo").Run() == nil {
			return py
		}
	}
	t.Fatal("no python3 with kazoo: run `make test`, which installs it (or: apt-get install -y python3-kazoo)")
	return ""
}

// kazooJones reads svc's config for host as Jones's own client does,
// through kazoo (testdata/jones_client.py).
func kazooJones(t *testing.T, hosts, svc, host, auth string) string {
	t.Helper()
	args := []string{filepath.Join("testdata", "jones_client.py"), hosts, svc, host}
	if auth != "" {
		args = append(args, auth)
	}
	cmd := exec.Command(kazooPython(t), args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jones_client.py: %v\n%s", err, errb.String())
	}
	return strings.TrimSpace(string(out))
}

// TestIntegration_ACLDrift: a writer configured with roles that finds
// znodes with weaker ACLs under its root says so once, on stderr, naming
// kook acl apply, and still writes; kook check reports each such znode.
func TestIntegration_ACLDrift(t *testing.T) {
	k := newKook(t)
	buildOpenRoot(t, k)
	r := newRoles(t, k)
	res := r.as("writer", "host", "set", "web1", "http_port=81")
	if res.code != 0 {
		t.Fatalf("%v", res)
	}
	if strings.Count(res.stderr, "\n") != 1 || !strings.HasPrefix(res.stderr, "kook: warning: ") ||
		!strings.Contains(res.stderr, "grant more than the configured roles") || !strings.Contains(res.stderr, "run 'kook acl apply'") {
		t.Errorf("want one warning naming kook acl apply, got %q", res.stderr)
	}
	res = r.as("writer", "check")
	if res.code != 1 || !strings.Contains(res.stdout, "acl /kook/inventory/head: grants world:anyone cdrwa beyond the roles (repair: kook acl apply)\n") ||
		!strings.Contains(res.stdout, "(repair: kook acl apply)") {
		t.Errorf("check: %v", res)
	}
	// A reader's reads do not warn.
	if res := r.as("reader", "hosts", "all"); res.code != 0 || res.stderr != "" {
		t.Errorf("reader on an open root: %v", res)
	}
	r.ok("admin", "acl", "apply")
	if res := r.as("writer", "host", "set", "web1", "http_port=82"); res.code != 0 || res.stderr != "" {
		t.Errorf("after acl apply: %v", res)
	}
}

// TestIntegration_ACLUnconfigured: a writer whose config file has no acl
// section is warned that an open root is open, and refused (writing
// nothing) on a root whose ACL 'kook acl apply' set, here from flags alone:
// what it created would not carry the roles.
func TestIntegration_ACLUnconfigured(t *testing.T) {
	k := newKook(t)
	buildOpenRoot(t, k)
	r := newRoles(t, k)
	for _, role := range []string{"admin", "writer"} {
		cfg := filepath.Join(r.dir, "plain-"+role+".yml")
		if err := os.WriteFile(cfg, []byte("auth_file: "+role+".auth\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r.files["plain-"+role] = cfg
	}
	res := r.as("plain-writer", "host", "set", "web1", "http_port=81")
	if res.code != 0 || !strings.HasPrefix(res.stderr, "kook: warning: /kook is open to anyone (world:anyone cdrwa): set roles") {
		t.Errorf("on an open root: %v", res)
	}
	r.ok("plain-admin", "acl", "apply", "--admins", r.acl.Admins[0], "--writers", r.acl.Writers[0], "--readers", r.acl.Readers[0])
	for _, args := range [][]string{{"host", "add", "web9", "--group", "web"}, {"config", "create", "svc3", "/"}} {
		res = r.as("plain-writer", args...)
		if res.code != 1 || !strings.Contains(res.stderr, "but the config file has no acl section") || !strings.Contains(res.stderr, "digest:admin:x cdrwa") {
			t.Errorf("on a root with roles: %v", res)
		}
	}
	if got := r.ok("reader", "hosts", "all"); strings.Contains(got, "web9") {
		t.Errorf("a refused write wrote: %s", got)
	}
	r.ok("writer", "host", "add", "web9", "--group", "web")
}

func TestACLDigest(t *testing.T) {
	k := &kookT{t: t, zk: "127.0.0.1:1"}
	stdin = strings.NewReader("s3cret\n")
	defer func() { stdin = os.Stdin }()
	if got, want := k.ok("acl", "digest", "alice"), zkconn.DigestID("alice", "s3cret")+"\n"; got != want {
		t.Errorf("acl digest = %q, want %q", got, want)
	}
	stdin = strings.NewReader("")
	k.fails(2, "no password on stdin", "acl", "digest", "alice")
}

// TestIntegration_NoPasswordInPS: a running kook whose password comes from
// the environment or an auth file shows none in its command line, which
// every user sees in ps (/proc/PID/cmdline). The process is a reader's
// 'kook config watch' on a secured root, which sees a writer's change.
func TestIntegration_NoPasswordInPS(t *testing.T) {
	k := newKook(t)
	buildOpenRoot(t, k)
	r := newRoles(t, k)
	r.ok("admin", "acl", "apply")
	bin := filepath.Join(t.TempDir(), "kook")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pw := rolePasswords["reader"]
	for name, env := range map[string][]string{
		"env":  {"KOOK_ZK_AUTH=reader:" + pw},
		"file": {"KOOK_ZK_AUTH_FILE=" + filepath.Join(r.dir, "reader.auth")},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(bin, "config", "watch", "svc", "--host", "h1")
			cmd.Env = append(os.Environ(), append([]string{"KOOK_ZK=" + k.zk, "KOOK_CONFIG=/dev/null"}, env...)...)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill() // by its PID: the process this test started
				cmd.Wait()
			}()
			lines := make(chan string, 4)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			next := func() string {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("kook config watch ended: %s", errb.String())
					}
					return l
				case <-time.After(20 * time.Second):
					t.Fatalf("kook config watch printed nothing: %s", errb.String())
				}
				return ""
			}
			if first := next(); !strings.Contains(first, `"foo":"bar"`) {
				t.Errorf("watch printed %s", first)
			}
			cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "cmdline"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(cmdline, []byte(pw)) || !bytes.Contains(cmdline, []byte("watch")) {
				t.Errorf("cmdline %q", cmdline)
			}
			if ps, err := exec.Command("ps", "-ww", "-o", "args=", "-p", strconv.Itoa(cmd.Process.Pid)).Output(); err == nil && strings.Contains(string(ps), pw) {
				t.Errorf("ps shows the password: %s", ps)
			}
			r.ok("writer", "config", "set", "svc", "child", "port="+name)
			if got := next(); !strings.Contains(got, `"port":"`+name+`"`) {
				t.Errorf("after the writer's change, watch printed %s", got)
			}
		})
	}
}

// TestIntegration_ReaderHalfDoneChange: a reader that needs the nodes
// while a big change is left half done by a writer that died cannot finish
// it: it fails at once, saying so, instead of trying forever. Reads of the
// views go on; a writer's next command finishes (here: undoes) the change.
func TestIntegration_ReaderHalfDoneChange(t *testing.T) {
	k := newKook(t)
	buildOpenRoot(t, k)
	r := newRoles(t, k)
	r.ok("admin", "acl", "apply")
	ctx := context.Background()
	w := r.conn("writer")
	data, st, err := w.Get(ctx, "/kook/inventory/head")
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Generation int64 }
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(h.Generation+1, 16) + "-deadbeef"
	ghost := strings.TrimSuffix(string(data), "}") + `,"applying":{"id":"` + id + `","generation":` + strconv.FormatInt(h.Generation+1, 10) + `,"index":"","hosts":3,"groups":5,"by":"ghost pid 1"}}`
	if _, err := w.Set(ctx, "/kook/inventory/head", []byte(ghost), st.Version); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := r.as("reader", "host", "show", "web1")
	if res.code != 1 || res.stderr != "kook: permission denied: finishing the big change "+id+" left half done by ghost pid 1 (kook repair) needs the writer role (connected as digest:reader)\n" {
		t.Errorf("reader's host show: %v", res)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if got := r.ok("reader", "hosts", "all"); !strings.Contains(got, "web1") {
		t.Errorf("reader's hosts (views): %s", got)
	}
	r.ok("writer", "host", "show", "web1")
	if got := r.ok("reader", "host", "show", "web1"); !strings.Contains(got, "web1") {
		t.Errorf("after the writer: %s", got)
	}
}
