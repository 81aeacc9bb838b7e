package zkconn_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkconn"
)

func TestDigestID(t *testing.T) {
	// zk.DigestACL computes the id as ZooKeeper does.
	want := zk.DigestACL(zk.PermAll, "alice", "s3cret")[0]
	if got := zkconn.DigestID("alice", "s3cret"); got != "digest:"+want.ID {
		t.Errorf("DigestID = %q, want digest:%s", got, want.ID)
	}
}

func TestParseID(t *testing.T) {
	hash := strings.TrimPrefix(zkconn.DigestID("bob", "pw"), "digest:bob:")
	for _, tc := range []struct {
		in, scheme, id, wantErr string
	}{
		{in: "digest:bob:" + hash, scheme: "digest", id: "bob:" + hash},
		{in: "x509:CN=ci,O=example", scheme: "x509", id: "CN=ci,O=example"},
		{in: "ip:10.0.0.0/8", scheme: "ip", id: "10.0.0.0/8"},
		{in: "ip:::1", scheme: "ip", id: "::1"},
		{in: "world:anyone", scheme: "world", id: "anyone"},
		{in: "digest:bob:hunter2", wantErr: `"digest:bob:…": want digest:USER:HASH`},
		{in: "digest:bob", wantErr: "want digest:USER:HASH"},
		{in: "ip:10.0.0.0/33", wantErr: "want ip:ADDR"},
		{in: "ip:nowhere", wantErr: "want ip:ADDR"},
		{in: "world:everyone", wantErr: "world:anyone"},
		{in: "sasl:bob", wantErr: `unknown scheme "sasl"`},
		{in: "bob", wantErr: "want SCHEME:ID"},
	} {
		a, err := zkconn.ParseID(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseID(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseID(%q) error shows what may be a password: %v", tc.in, err)
			}
			continue
		}
		if err != nil || a.Scheme != tc.scheme || a.ID != tc.id {
			t.Errorf("ParseID(%q) = %v, %v; want %s %s", tc.in, a, err, tc.scheme, tc.id)
		}
	}
}

func TestSplitIDs(t *testing.T) {
	got := zkconn.SplitIDs("digest:a:H, x509:CN=ci,O=example,OU=ops , ip:10.0.0.1,world:anyone,")
	want := []string{"digest:a:H", "x509:CN=ci,O=example,OU=ops", "ip:10.0.0.1", "world:anyone"}
	if !slices.Equal(got, want) {
		t.Errorf("SplitIDs = %q, want %q", got, want)
	}
}

func TestRolesACL(t *testing.T) {
	admin, writer, reader := zkconn.DigestID("admin", "a"), zkconn.DigestID("writer", "w"), zkconn.DigestID("reader", "r")
	acl, err := zkconn.Roles{Readers: []string{reader, "x509:CN=r"}, Writers: []string{writer, admin}, Admins: []string{admin}}.ACL()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := zkconn.FormatACL(acl), strings.Join([]string{
		strings.TrimPrefix(admin, "") + " cdrwa", writer + " cdrw", reader + " r", "x509:CN=r r"}, ", "); got != want {
		t.Errorf("ACL = %s\nwant  %s", got, want)
	}
	if _, err := (zkconn.Roles{Writers: []string{"world:anyone"}}).ACL(); err == nil {
		t.Error("world:anyone accepted as a writer")
	}
	if _, err := (zkconn.Roles{}).ACL(); err == nil {
		t.Error("no roles gave an ACL")
	}
	world, _ := zkconn.Roles{Admins: []string{admin}, WorldRead: true}.ACL()
	if got := zkconn.FormatACL(world); got != admin+" cdrwa, world:anyone r" {
		t.Errorf("WorldRead: %s", got)
	}
}

func TestExtra(t *testing.T) {
	roles := []zk.ACL{{Perms: zk.PermAll, Scheme: "digest", ID: "a:H"}, {Perms: zk.PermRead, Scheme: "world", ID: "anyone"}}
	open := zk.WorldACL(zk.PermAll)
	if got := zkconn.FormatACL(zkconn.Extra(open, roles)); got != "world:anyone cdwa" {
		t.Errorf("Extra(world all, roles) = %s", got)
	}
	if got := zkconn.Extra([]zk.ACL{{Perms: zk.PermRead, Scheme: "digest", ID: "b:H"}}, roles); len(got) != 0 {
		t.Errorf("a reader is covered by world READ: %v", got)
	}
	if !zkconn.SameACL(roles, []zk.ACL{roles[1], roles[0]}) || zkconn.SameACL(roles, open) {
		t.Error("SameACL")
	}
}

func TestPolicyFor(t *testing.T) {
	a, b, c := zk.WorldACL(zk.PermRead), zk.WorldACL(zk.PermAll), zk.DigestACL(zk.PermAll, "x", "y")
	p := &zkconn.Policy{ACL: a, Subtrees: map[string][]zk.ACL{"/kook/services": b, "/kook/services/x": c}}
	for path, want := range map[string][]zk.ACL{
		"/kook": a, "/kook/services": b, "/kook/services/a": b, "/kook/servicesX": a, "/kook/services/x/y": c,
	} {
		if got := p.For(path); !zkconn.SameACL(got, want) {
			t.Errorf("For(%s) = %v, want %v", path, got, want)
		}
	}
}

// roleConns dials the shared server as an admin, a writer, a reader and
// anonymously; every znode the admin's and writer's connections create
// carries the roles.
type roleConns struct {
	admin, writer, reader, anon *zkconn.Conn
	policy                      *zkconn.Policy
}

// openChroot creates a test's chroot open to anyone: a chroot made by a
// connection with roles would carry them, and so would its ancestors on
// the shared server, which every test's chroot shares.
func openChroot(t *testing.T) string {
	t.Helper()
	connect := zktest.Shared(t).Addr + zktest.Root(t)
	c, err := zkconn.Dial(context.Background(), zkconn.Config{Connect: connect})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsurePath(context.Background(), "/"); err != nil {
		t.Fatal(err)
	}
	return connect
}

func dialRoles(t *testing.T, connect string) *roleConns {
	t.Helper()
	roles := zkconn.Roles{
		Admins:  []string{zkconn.DigestID("admin", "adminpw")},
		Writers: []string{zkconn.DigestID("writer", "writerpw")},
		Readers: []string{zkconn.DigestID("reader", "readerpw")},
	}
	acl, err := roles.ACL()
	if err != nil {
		t.Fatal(err)
	}
	p := &zkconn.Policy{ACL: acl}
	dial := func(auth string) *zkconn.Conn {
		c, err := zkconn.Dial(context.Background(), zkconn.Config{Connect: connect, Auth: auth, Policy: p, ConnectTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	return &roleConns{admin: dial("admin:adminpw"), writer: dial("writer:writerpw"), reader: dial("reader:readerpw"), anon: dial(""), policy: p}
}

func wantDenied(t *testing.T, err error, role string) {
	t.Helper()
	var pe *zkconn.PermissionError
	if !errors.As(err, &pe) || !errors.Is(err, zk.ErrNoAuth) || pe.Role != role {
		t.Fatalf("error = %v, want permission denied, needs the %s role", err, role)
	}
	if !strings.HasPrefix(pe.Error(), "permission denied: ") || !strings.Contains(pe.Error(), "needs the "+role+" role") {
		t.Errorf("message %q", pe.Error())
	}
}

// TestIntegrationRoles: with digest roles on every znode, readers read,
// writers write but cannot change ACLs, anonymous sessions do nothing,
// and each refusal says which role it needs. No password shows in any of
// the messages.
func TestIntegrationRoles(t *testing.T) {
	r := dialRoles(t, openChroot(t))
	ctx := context.Background()
	if err := r.writer.EnsurePath(ctx, "/kook/inventory"); err != nil {
		t.Fatal(err)
	}
	txn := r.writer.NewTxn()
	txn.Create("/kook/inventory/head", []byte("1"))
	txn.Create("/kook/inventory/hosts", nil)
	if _, err := r.writer.Commit(ctx, txn); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/kook", "/kook/inventory", "/kook/inventory/head", "/kook/inventory/hosts"} {
		acl, _, err := r.admin.GetACL(ctx, p)
		if err != nil || !zkconn.SameACL(acl, r.policy.ACL) {
			t.Errorf("%s: ACL %s, %v; want the roles %s", p, zkconn.FormatACL(acl), err, zkconn.FormatACL(r.policy.ACL))
		}
	}

	// Anonymous: no read, no write, no delete.
	_, _, err := r.anon.Get(ctx, "/kook/inventory/head")
	wantDenied(t, err, "reader")
	_, err = r.anon.Set(ctx, "/kook/inventory/head", []byte("x"), -1)
	wantDenied(t, err, "writer")
	wantDenied(t, r.anon.Delete(ctx, "/kook/inventory/head", -1), "writer")
	wantDenied(t, r.anon.Create(ctx, "/kook/inventory/hosts/evil", nil), "writer")

	// Reader: reads; every write refused, in a multi too, and nothing written.
	if data, _, err := r.reader.Get(ctx, "/kook/inventory/head"); err != nil || string(data) != "1" {
		t.Fatalf("reader Get = %q, %v", data, err)
	}
	if _, _, err := r.reader.Children(ctx, "/kook/inventory"); err != nil {
		t.Fatal(err)
	}
	txn = r.reader.NewTxn()
	txn.Set("/kook/inventory/head", []byte("2"), -1)
	txn.Create("/kook/inventory/hosts/h", nil)
	_, err = r.reader.Commit(ctx, txn)
	wantDenied(t, err, "writer")
	var opErr *zkconn.OpError
	if errors.As(err, &opErr) {
		t.Errorf("a refusal is an OpError, which writers retry: %v", err)
	}
	wantDenied(t, r.reader.EnsurePath(ctx, "/kook/inventory/x/y"), "writer")
	if data, _, _ := r.admin.Get(ctx, "/kook/inventory/head"); string(data) != "1" {
		t.Errorf("head = %q after refused writes", data)
	}

	// Writer: writes, cannot change ACLs.
	if _, err := r.writer.Set(ctx, "/kook/inventory/head", []byte("2"), -1); err != nil {
		t.Fatal(err)
	}
	_, err = r.writer.SetACL(ctx, "/kook/inventory/head", zk.WorldACL(zk.PermAll), -1)
	wantDenied(t, err, "admin")
	if _, err := r.admin.SetACL(ctx, "/kook/inventory/head", r.policy.ACL, -1); err != nil {
		t.Fatalf("admin SetACL: %v", err)
	}
	for _, c := range []*zkconn.Conn{r.admin, r.writer, r.reader} {
		if id := c.Identity(); strings.Contains(id, "pw") || !strings.HasPrefix(id, "digest:") {
			t.Errorf("Identity() = %q", id)
		}
	}
}

// TestIntegrationApplyACL: a tree made without auth is open to anyone;
// ApplyACL gives every znode the policy's ACL (the Jones subtree its own),
// after which no znode lets an anonymous session write, and a second run
// changes nothing.
func TestIntegrationApplyACL(t *testing.T) {
	connect := openChroot(t)
	ctx := context.Background()
	open, err := zkconn.Dial(ctx, zkconn.Config{Connect: connect})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	paths := []string{"/kook/inventory/head", "/kook/inventory/hosts/a", "/kook/inventory/hosts/b", "/kook/services/svc/conf", "/kook/services/svc/nodemaps"}
	for _, p := range paths {
		if err := open.EnsurePath(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := open.CreateEphemeral(ctx, "/kook/inventory/lock", nil); err != nil {
		t.Fatal(err)
	}
	r := dialRoles(t, connect)
	p := &zkconn.Policy{ACL: r.policy.ACL, Subtrees: map[string][]zk.ACL{"/kook/services": zkconn.WithWorldRead(r.policy.ACL)}}
	diffs, n, err := r.admin.DiffACL(ctx, "/kook", p)
	if err != nil || n != 11 || len(diffs) != n {
		t.Fatalf("DiffACL = %d diffs of %d znodes, %v; want all 11 open", len(diffs), n, err)
	}
	_, err = r.writer.ApplyACL(ctx, "/kook", p, func(zkconn.ACLDiff) {})
	if err != nil {
		t.Fatalf("on an open tree anyone may apply: %v", err)
	}
	var changed []string
	if _, err := r.admin.ApplyACL(ctx, "/kook", p, func(d zkconn.ACLDiff) { changed = append(changed, d.Path) }); err != nil {
		t.Fatal(err)
	}
	if len(changed) != 0 {
		t.Errorf("second run changed %q", changed)
	}
	// Znode by znode: anonymous writes refused everywhere, reads but in
	// the Jones tree.
	err = r.admin.WalkACL(ctx, "/kook", func(path string, acl []zk.ACL) error {
		if !zkconn.SameACL(acl, p.For(path)) {
			t.Errorf("%s: %s", path, zkconn.FormatACL(acl))
		}
		_, _, rerr := r.anon.Get(ctx, path)
		if jones := strings.HasPrefix(path, "/kook/services"); jones != (rerr == nil) {
			t.Errorf("anonymous read of %s: %v", path, rerr)
		}
		if _, err := r.anon.Set(ctx, path, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
			t.Errorf("anonymous set of %s: %v", path, err)
		}
		if err := r.anon.Create(ctx, path+"/new", nil); !errors.Is(err, zk.ErrNoAuth) {
			t.Errorf("anonymous create under %s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.writer.ApplyACL(ctx, "/kook", &zkconn.Policy{ACL: zk.WorldACL(zk.PermAll)}, func(zkconn.ACLDiff) {})
	wantDenied(t, err, "admin")
}

// TestIntegrationWeakerWarning: a connection whose policy has a Check
// path says once, before its first write, which znodes there grant more
// than the policy.
func TestIntegrationWeakerWarning(t *testing.T) {
	connect := openChroot(t)
	ctx := context.Background()
	open, err := zkconn.Dial(ctx, zkconn.Config{Connect: connect})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if err := open.EnsurePath(ctx, "/kook/inventory/head"); err != nil {
		t.Fatal(err)
	}
	var warned [][]zkconn.ACLDiff
	c, err := zkconn.Dial(ctx, zkconn.Config{Connect: connect, Auth: "w:pw", Policy: &zkconn.Policy{
		ACL: zk.DigestACL(zk.PermAll, "w", "pw"), Check: "/kook",
		Weaker: func(d []zkconn.ACLDiff) { warned = append(warned, d) }}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.Get(ctx, "/kook/inventory/head"); err != nil || len(warned) != 0 {
		t.Fatalf("a read warned: %v, %v", warned, err)
	}
	for range 2 {
		if _, err := c.Set(ctx, "/kook/inventory/head", []byte("x"), -1); err != nil {
			t.Fatal(err)
		}
	}
	if len(warned) != 1 || len(warned[0]) != 3 || warned[0][0].Path != "/kook" || !warned[0][0].Weaker() {
		t.Fatalf("warned %v, want once, about /kook, /kook/inventory and its head", warned)
	}
}
