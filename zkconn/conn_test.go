package zkconn_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkconn"
)

func TestMain(m *testing.M) { zktest.Main(m) }

func TestParseConnect(t *testing.T) {
	for _, tc := range []struct {
		in      string
		servers []string
		chroot  string
		wantErr string
	}{
		{in: "", servers: []string{"127.0.0.1:2181"}},
		{in: "zk1,zk2:2182/ops/kook", servers: []string{"zk1:2181", "zk2:2182"}, chroot: "/ops/kook"},
		{in: "[::1]:2181,[fe80::1]", servers: []string{"[::1]:2181", "[fe80::1]:2181"}},
		{in: "h:2181/", servers: []string{"h:2181"}},
		{in: "h:0", wantErr: "not a number from 1 to 65535"},
		{in: "h:65536", wantErr: "not a number from 1 to 65535"},
		{in: "h:http", wantErr: "not a number from 1 to 65535"},
		{in: "a,,b", wantErr: "empty server"},
		{in: "h/a//b", wantErr: "empty"},
		{in: ":2181", wantErr: "no host"},
	} {
		servers, chroot, err := zkconn.ParseConnect(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseConnect(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(servers, ",") != strings.Join(tc.servers, ",") || chroot != tc.chroot {
			t.Errorf("ParseConnect(%q) = %v, %q, %v; want %v, %q", tc.in, servers, chroot, err, tc.servers, tc.chroot)
		}
	}
}

// TestIntegrationUnresolvableServer: one name in the connect string that
// does not resolve does not stop the others from being used.
func TestIntegrationUnresolvableServer(t *testing.T) {
	srv := zktest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := zkconn.Dial(ctx, zkconn.Config{Connect: "no-such-host.invalid:2181," + srv.Addr})
	if err != nil {
		t.Fatalf("dial with one unresolvable server: %v", err)
	}
	defer c.Close()
	if _, _, err := c.Exists(ctx, "/"); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationUnreachable: no server answers: one line within the
// deadline, naming the servers.
func TestIntegrationUnreachable(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	_, err := zkconn.Dial(ctx, zkconn.Config{Connect: "127.0.0.1:1,no-such-host.invalid:2181", ConnectTimeout: time.Second})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line naming the server", err)
	}
	if took > 3*time.Second {
		t.Errorf("took %v with a 1s deadline", took)
	}
	_, err = zkconn.Dial(ctx, zkconn.Config{Connect: "no-such-host.invalid:2181", ConnectTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "resolve") {
		t.Fatalf("err = %v, want it to say no name resolves", err)
	}
}

// TestIntegrationChrootAndTxn: paths are relative to the chroot, created
// znodes hold empty data (not null), and a failed multi names its op.
func TestIntegrationChrootAndTxn(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.Root(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := zkconn.Dial(ctx, zkconn.Config{Connect: srv.Addr + root})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsurePath(ctx, "/a/b"); err != nil {
		t.Fatal(err)
	}
	raw := srv.Connect(t)
	data, _, err := raw.Get(root + "/a/b")
	if err != nil || data == nil {
		t.Fatalf("raw get %s/a/b = %q, %v: want empty, not null", root, data, err)
	}
	txn := c.NewTxn()
	txn.Create("/a/b/c", []byte("x"))
	txn.Set("/a/b", []byte("y"), 7) // wrong version
	_, err = c.Commit(ctx, txn)
	var opErr *zkconn.OpError
	if !errors.As(err, &opErr) || opErr.Index != 1 || opErr.Path != "/a/b" || !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("commit error = %v, want an OpError on op 1 (/a/b) wrapping ErrBadVersion", err)
	}
	if ok, _, _ := c.Exists(ctx, "/a/b/c"); ok {
		t.Fatal("the multi was half applied")
	}
}
