package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// TestIntegration_ReaderRole: once the roles are applied to an inventory,
// Ansible runs through kook-inventory with the reader's credentials (from
// an auth file, as Ansible passes no arguments) and sees what it saw
// before: --list, --host and KOOK_LIMIT; an anonymous kook-inventory gets
// one line saying it needs the reader role.
func TestIntegration_ReaderRole(t *testing.T) {
	ansibletest.Require(t)
	source, _ := filepath.Abs("../../pattern/testdata/nested.ini")
	zk := imported(t, source)
	before := ansibletest.Inventory(t, "--list", "-i", wrapper(t, "KOOK_ZK='"+zk+"'")).JSON(t)
	beforeLimited := ansibletest.Inventory(t, "--list", "-i", wrapper(t, "KOOK_ZK='"+zk+"'", "KOOK_LIMIT='web:&db'")).JSON(t)
	beforeHost := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-inventory"), "--host", "web1").stdout

	a := config.ACL{Roles: zkconn.Roles{
		Admins:  []string{zkconn.DigestID("admin", "admin-pw")},
		Writers: []string{zkconn.DigestID("writer", "writer-pw")},
		Readers: []string{zkconn.DigestID("ansible", "ansible-pw")},
	}, JonesWorldRead: true}
	policy, err := config.Policy(a, "/kook")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := zkconn.Dial(ctx, zkconn.Config{Connect: zk, Auth: "admin:admin-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if n, err := admin.ApplyACL(ctx, "/kook", policy, func(zkconn.ACLDiff) {}); err != nil || n == 0 {
		t.Fatalf("ApplyACL: %d changed, %v", n, err)
	}

	anon := run(t, []string{"KOOK_ZK=" + zk}, bin(t, "kook-inventory"), "--list")
	if anon.exit == 0 || anon.stdout != "" || strings.Count(strings.TrimRight(anon.stderr, "\n"), "\n") != 0 ||
		!strings.Contains(anon.stderr, "permission denied: read /kook/inventory/head needs the reader role (connected as anonymous)") {
		t.Errorf("anonymous kook-inventory: exit %d, stdout %q, stderr %q", anon.exit, anon.stdout, anon.stderr)
	}

	auth := filepath.Join(t.TempDir(), "ansible.auth")
	if err := os.WriteFile(auth, []byte("ansible:ansible-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reader := "KOOK_ZK_AUTH_FILE='" + auth + "'"
	if got := ansibletest.Inventory(t, "--list", "-i", wrapper(t, "KOOK_ZK='"+zk+"'", reader)).JSON(t); !model.Equal(got, before) {
		t.Errorf("ansible-inventory --list as the reader:\n%s\nwant\n%s", model.MarshalJSON(got), model.MarshalJSON(before))
	}
	if got := ansibletest.Inventory(t, "--list", "-i", wrapper(t, "KOOK_ZK='"+zk+"'", reader, "KOOK_LIMIT='web:&db'")).JSON(t); !model.Equal(got, beforeLimited) {
		t.Errorf("KOOK_LIMIT as the reader: %s", model.MarshalJSON(got))
	}
	r := run(t, []string{"KOOK_ZK=" + zk, "KOOK_ZK_AUTH=ansible:ansible-pw"}, bin(t, "kook-inventory"), "--host", "web1")
	if r.exit != 0 || r.stderr != "" || r.stdout != beforeHost {
		t.Errorf("--host as the reader: exit %d, stderr %q, %s; want %s", r.exit, r.stderr, r.stdout, beforeHost)
	}
	// An auth file others may read is refused, saying why.
	if err := os.Chmod(auth, 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, []string{"KOOK_ZK=" + zk, "KOOK_ZK_AUTH_FILE=" + auth}, bin(t, "kook-inventory"), "--list")
	if r.exit == 0 || !strings.Contains(r.stderr, "is readable by group or others (mode 0644): refused, it holds a password") || strings.Contains(r.stderr, "ansible-pw") {
		t.Errorf("open auth file: exit %d, stderr %q", r.exit, r.stderr)
	}
}
