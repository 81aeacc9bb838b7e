package jones_test

import (
	"context"
	"testing"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// TestIntegration_LostReply: the connection drops after the server applied
// a write and before its reply reached the writer. The writer reads back
// what it wrote, reports success, and the views are right; the next write
// works. Each kind of write is cut once: a config set, a create, an
// association and its removal, a delete, and a change
// large enough to need a marker and several requests. It has a server of
// its own: the shared one keeps the other tests' large requests in memory.
func TestIntegration_LostReply(t *testing.T) {
	ctx := context.Background()
	srv := zktest.Start(t)
	proxy := zktest.StartProxy(t, srv.Addr)
	s := jones.NewStore(dialAt(t, proxy.Addr), root)
	conn := dialAt(t, srv.Addr)
	direct := jones.NewStore(conn, root)
	mustCreate(t, s, "svc", "/", `{"a": 0}`)
	mustCreate(t, s, "svc", "p", `{"b": 1}`)
	cut := func(t *testing.T, op int32, write func() error) {
		t.Helper()
		before := proxy.Cuts()
		proxy.CutAfter(op, 1)
		if err := write(); err != nil {
			t.Fatalf("write whose reply was lost: %v", err)
		}
		if proxy.Cuts() != before+1 {
			t.Fatalf("the proxy lost %d replies, want 1", proxy.Cuts()-before)
		}
		// Check compares every view with the inheritance of the configs.
		if problems, err := direct.Check(ctx, "svc"); err != nil || len(problems) != 0 {
			t.Fatalf("Check = %v, %v", problems, err)
		}
	}

	t.Run("Set", func(t *testing.T) {
		var version int32
		cut(t, zktest.OpMulti, func() (err error) {
			version, err = s.Set(ctx, "svc", "p", obj(t, `{"c": 2}`))
			return err
		})
		show, err := direct.Show(ctx, "svc", "p")
		if err != nil {
			t.Fatal(err)
		}
		if version != 1 || show.Version != 1 || !model.EqualOrdered(show.Config, obj(t, `{"b": 1, "c": 2}`)) ||
			!model.EqualOrdered(show.View, obj(t, `{"a": 0, "b": 1, "c": 2}`)) {
			t.Fatalf("Set returned version %d; stored: %s", version, mustJSON(t, show))
		}
		if version, err := s.Set(ctx, "svc", "p", obj(t, `{"c": 3}`)); err != nil || version != 2 {
			t.Fatalf("the next Set: version %d, %v; want 2", version, err)
		}
		// Planned again instead of read back, a replace of version 2
		// would find version 3 and report a conflict.
		cut(t, zktest.OpMulti, func() (err error) {
			version, err = s.Replace(ctx, "svc", "p", obj(t, `{"b": 5}`), 2)
			return err
		})
		if version != 3 {
			t.Fatalf("Replace returned version %d, want 3", version)
		}
	})
	t.Run("Create", func(t *testing.T) {
		cut(t, zktest.OpMulti, func() error { return s.Create(ctx, "svc", "p/q", obj(t, `{"d": 4}`)) })
		if view, _, err := direct.ViewFor(ctx, "svc", "nohost"); err != nil || !model.Equal(view, obj(t, `{"a": 0}`)) {
			t.Fatalf("root view %s, %v", model.MarshalJSON(view), err)
		}
	})
	t.Run("Assoc", func(t *testing.T) {
		cut(t, zktest.OpMulti, func() error { return s.Assoc(ctx, "svc", "web1", "p/q") })
		if _, env, err := direct.ViewFor(ctx, "svc", "web1"); err != nil || env != "p/q" {
			t.Fatalf("web1 sees %q, %v; want p/q", env, err)
		}
		cut(t, zktest.OpMulti, func() error { return s.Unassoc(ctx, "svc", "web1") })
		if _, env, err := direct.ViewFor(ctx, "svc", "web1"); err != nil || env != "/" {
			t.Fatalf("web1 sees %q, %v; want /", env, err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		cut(t, zktest.OpMulti, func() error { _, err := s.Delete(ctx, "svc", "p/q", false); return err })
		if exists(t, conn, "/kook/services/svc/conf/p/q") || exists(t, conn, "/kook/services/svc/views/p/q") {
			t.Fatal("p/q is still there")
		}
	})
	t.Run("Big", func(t *testing.T) {
		for i := range 8 {
			mustCreate(t, s, "svc", "p/"+string(rune('a'+i)), `{}`)
		}
		// Nine views of 150 KiB: the config and a marker go first, in
		// the multi whose reply is lost; the marker it made is found.
		cut(t, zktest.OpMulti, func() error {
			_, err := s.Set(ctx, "svc", "/", model.Map{{Key: "blob", Value: string(make([]byte, 150<<10))}})
			return err
		})
		if _, st, err := conn.Children(ctx, "/kook/services/svc/kook-pending"); err != nil || st.NumChildren != 0 || st.Cversion < 2 {
			t.Fatalf("kook-pending: %+v, %v; want a marker made and deleted", st, err)
		}
		checkAllViews(t, conn)
	})
}
