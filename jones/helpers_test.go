package jones_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// zkAddr is the address of the ZooKeeper server the tests share.
func zkAddr(t testing.TB) string {
	t.Helper()
	return zktest.Shared(t).Addr
}

// root is where the tests keep kook's tree inside their chroot, as kook
// does by default.
const root = "/kook"

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// dial opens a session chrooted to a path of the test's own on the shared
// server, /test-<name>, and deletes that path when the test ends. Sessions
// a test opens share it.
func dial(t testing.TB) *zkconn.Conn {
	t.Helper()
	return dialAt(t, zkAddr(t))
}

// dialAt is dial through addr, a proxy to the shared server.
func dialAt(t testing.TB, addr string) *zkconn.Conn {
	t.Helper()
	ctx := context.Background()
	chroot := "/test-" + strings.Trim(unsafeChars.ReplaceAllString(t.Name(), "-"), "-")
	conn, err := zkconn.Dial(ctx, zkconn.Config{Connect: addr + chroot, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := conn.DeleteAll(ctx, "/"); err != nil {
			t.Errorf("clean up %s: %v", chroot, err)
		}
		conn.Close()
	})
	return conn
}

// mustStore returns a Store on a fresh chroot.
func mustStore(t testing.TB) (*jones.Store, *zkconn.Conn) {
	t.Helper()
	conn := dial(t)
	return jones.NewStore(conn, root), conn
}

// obj parses a JSON object with kook's decoder, keeping types and order.
func obj(t testing.TB, s string) model.Map {
	t.Helper()
	m, err := jones.ParseConfig([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func mustCreate(t testing.TB, s *jones.Store, svc, env, conf string) {
	t.Helper()
	if err := s.Create(context.Background(), svc, env, obj(t, conf)); err != nil {
		t.Fatal(err)
	}
}

// raw returns a znode's bytes, relative to the chroot.
func raw(t testing.TB, conn *zkconn.Conn, p string) string {
	t.Helper()
	data, _, err := conn.Get(context.Background(), p)
	if err != nil {
		t.Fatalf("get %s: %v", p, err)
	}
	return string(data)
}

func exists(t testing.TB, conn *zkconn.Conn, p string) bool {
	t.Helper()
	ok, _, err := conn.Exists(context.Background(), p)
	if err != nil {
		t.Fatalf("exists %s: %v", p, err)
	}
	return ok
}

// waitChange reads changes until one equals want, key order included, or
// fails after a few seconds.
func waitChange(t testing.TB, changes <-chan model.Map, want string) {
	t.Helper()
	w := obj(t, want)
	deadline := time.After(10 * time.Second)
	var last model.Map
	for {
		select {
		case got := <-changes:
			if model.EqualOrdered(got, w) {
				return
			}
			last = got
		case <-deadline:
			t.Fatalf("no change to %s; last one seen: %s", want, model.MarshalJSON(last))
		}
	}
}

// noChange fails if anything arrives on changes within d.
func noChange(t testing.TB, changes <-chan model.Map, d time.Duration) {
	t.Helper()
	select {
	case got := <-changes:
		t.Fatalf("unexpected change: %s", model.MarshalJSON(got))
	case <-time.After(d):
	}
}
