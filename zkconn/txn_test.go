package zkconn_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// TestTxnSize checks the size rule on a transaction sized for no chroot
// and the world ACL (the zero Txn): request header 8, op header 9, closing
// header 9, 4 bytes per length, version and flag, and the ACL as encoded.
func TestTxnSize(t *testing.T) {
	const world = 4 + (4 + 4 + len("world") + 4 + len("anyone")) // count, then perms, scheme, id
	create := 9 + (4 + 2) + (4 + 3) + world + 4                  // "/a", "xyz", flags
	set := 9 + (4 + 2) + (4 + 3) + 4
	check := 9 + (4 + 2) + 4
	for _, tc := range []struct {
		name string
		ops  func(*zkconn.Txn)
		want int
	}{
		{"Empty", func(*zkconn.Txn) {}, 0},
		{"Create", func(t *zkconn.Txn) { t.Create("/a", []byte("xyz")) }, 8 + create + 9},
		{"LoneSet", func(t *zkconn.Txn) { t.Set("/a", []byte("xyz"), 3) }, 8 + set - 9},
		{"LoneCheck", func(t *zkconn.Txn) { t.Check("/a", 3) }, 8 + check + 9},
		{"Multi", func(t *zkconn.Txn) {
			t.Check("/a", 3)
			t.Set("/a", []byte("xyz"), 3)
			t.Delete("/a", 4)
			t.CreateSequential("/a", []byte("xyz"))
		}, 8 + check + set + check + create + 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			txn := &zkconn.Txn{}
			tc.ops(txn)
			if got := txn.Size(); got != tc.want {
				t.Errorf("Size = %d, want %d", got, tc.want)
			}
			// One more op, counted before and after.
			more := &zkconn.Txn{}
			more.Set("/b", []byte("z"), 0)
			want := txn.SizeWith(more)
			txn.Append(more)
			if got := txn.Size(); got != want {
				t.Errorf("SizeWith = %d, Size after Append = %d", want, got)
			}
			ops := 0
			for _, part := range txn.Split(tc.want) {
				if part.Size() > tc.want && part.Len() > 1 {
					t.Errorf("Split(%d) made a part of %d ops, %d bytes", tc.want, part.Len(), part.Size())
				}
				ops += part.Len()
			}
			if ops != txn.Len() {
				t.Errorf("Split made parts of %d ops in all, want %d", ops, txn.Len())
			}
		})
	}
	t.Run("Limit", func(t *testing.T) {
		txn := &zkconn.Txn{}
		txn.SetSmaller("/a", []byte("xy"), 3, 3)
		if got := txn.Limit(); got != zkconn.JuteMaxBuffer {
			t.Errorf("a lone set that shrinks its znode: Limit = %d, want JuteMaxBuffer", got)
		}
		txn.Check("/a", 3)
		if got := txn.Limit(); got != zkconn.MaxRequestBytes {
			t.Errorf("with a check: Limit = %d, want MaxRequestBytes", got)
		}
		grow := &zkconn.Txn{}
		grow.SetSmaller("/a", []byte("xyz"), 3, 2)
		if got := grow.Limit(); got != zkconn.MaxRequestBytes {
			t.Errorf("a set that grows its znode: Limit = %d, want MaxRequestBytes", got)
		}
	})
}

// TestIntegrationTxnSize measures the size rule against a server, with a
// chroot (and ops on the chroot itself, "/") and a digest ACL: a request Size counts as JuteMaxBuffer bytes is
// accepted, one byte more makes the server drop the connection, as a
// multi and as a lone set; Commit sends up to Limit and refuses more,
// unsent.
func TestIntegrationTxnSize(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.Root(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := zkconn.Dial(ctx, zkconn.Config{Connect: srv.Addr + root, Auth: "kook:secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsurePath(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	raw := srv.Connect(t)
	if err := raw.AddAuth("digest", []byte("kook:secret")); err != nil {
		t.Fatal(err)
	}
	_, st, err := c.Get(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	// build returns a transaction of exactly size bytes: a create, a
	// check and a set of the chroot, and a create of /m2.
	build := func(size int) *zkconn.Txn {
		var txn *zkconn.Txn
		for n := 0; ; {
			txn = c.NewTxn()
			txn.Create("/m1", bytes.Repeat([]byte("x"), n))
			txn.Check("/", st.Version)
			txn.Set("/", []byte("s"), st.Version)
			txn.Create("/m2", nil)
			if txn.Size() == size {
				return txn
			}
			n += size - txn.Size()
		}
	}
	// sendRaw sends txn as zkconn would, but through go-zookeeper itself,
	// without Commit's limit.
	sendRaw := func(txn *zkconn.Txn) error {
		var ops []any
		for _, op := range txn.Ops() {
			p := root + op.Path
			if op.Path == "/" {
				p = root
			}
			switch {
			case op.Create:
				ops = append(ops, &zk.CreateRequest{Path: p, Data: op.Data, Acl: c.ACL()})
			case op.Check:
				ops = append(ops, &zk.CheckVersionRequest{Path: p, Version: op.Version})
			default:
				ops = append(ops, &zk.SetDataRequest{Path: p, Data: op.Data, Version: op.Version})
			}
		}
		if len(ops) == 1 {
			_, err := raw.Set(root+txn.Ops()[0].Path, txn.Ops()[0].Data, -1)
			return err
		}
		_, err := raw.Multi(ops...)
		return err
	}
	reset := func() {
		t.Helper()
		for _, p := range []string{"/m1", "/m2"} {
			if err := c.Delete(ctx, p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
				t.Fatal(err)
			}
		}
		if _, st, err = c.Get(ctx, "/"); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Multi", func(t *testing.T) {
		if err := sendRaw(build(zkconn.JuteMaxBuffer + 1)); !errors.Is(err, zk.ErrConnectionClosed) {
			t.Fatalf("a multi of JuteMaxBuffer+1 bytes: %v, want the connection dropped", err)
		}
		zktest.WaitSession(t, raw)
		if err := sendRaw(build(zkconn.JuteMaxBuffer)); err != nil {
			t.Fatalf("a multi of JuteMaxBuffer bytes: %v", err)
		}
		reset()
		if _, err := c.Commit(ctx, build(zkconn.MaxRequestBytes+1)); !errors.Is(err, model.ErrTooLarge) {
			t.Fatalf("Commit of MaxRequestBytes+1: %v, want ErrTooLarge", err)
		}
		if ok, _, _ := c.Exists(ctx, "/m1"); ok {
			t.Fatal("a refused transaction was sent")
		}
		if _, err := c.Commit(ctx, build(zkconn.MaxRequestBytes)); err != nil {
			t.Fatalf("Commit of MaxRequestBytes: %v", err)
		}
		reset()
	})
	t.Run("LoneSet", func(t *testing.T) {
		if err := c.Create(ctx, "/m1", nil); err != nil {
			t.Fatal(err)
		}
		set := func(size int, smaller bool) *zkconn.Txn {
			txn := c.NewTxn()
			n := size - 8 - (4 + len(root+"/m1")) - 4 - 4
			if smaller {
				txn.SetSmaller("/m1", bytes.Repeat([]byte("y"), n), -1, n)
			} else {
				txn.Set("/m1", bytes.Repeat([]byte("y"), n), -1)
			}
			if txn.Size() != size {
				t.Fatalf("a set of %d bytes of data: Size = %d, want %d", n, txn.Size(), size)
			}
			return txn
		}
		if err := sendRaw(set(zkconn.JuteMaxBuffer+1, false)); !errors.Is(err, zk.ErrConnectionClosed) {
			t.Fatalf("a setData of JuteMaxBuffer+1 bytes: %v, want the connection dropped", err)
		}
		zktest.WaitSession(t, raw)
		if err := sendRaw(set(zkconn.JuteMaxBuffer, false)); err != nil {
			t.Fatalf("a setData of JuteMaxBuffer bytes: %v", err)
		}
		if _, err := c.Commit(ctx, set(zkconn.JuteMaxBuffer, false)); !errors.Is(err, model.ErrTooLarge) {
			t.Fatalf("Commit of a set of JuteMaxBuffer bytes: %v, want ErrTooLarge", err)
		}
		if _, err := c.Commit(ctx, set(zkconn.JuteMaxBuffer, true)); err != nil {
			t.Fatalf("Commit of a set of JuteMaxBuffer bytes that does not grow its znode: %v", err)
		}
	})
}

// TestIntegrationApplied: a multi whose reply is lost is found applied,
// with responses; one never sent is found not applied; one whose znodes
// another writer changed since cannot be told.
func TestIntegrationApplied(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.Root(t)
	proxy := zktest.StartProxy(t, srv.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := zkconn.Dial(ctx, zkconn.Config{Connect: proxy.Addr + root})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.EnsurePath(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	txn := c.NewTxn()
	txn.Check("/a", 0)
	txn.Set("/a", []byte("v1"), 0)
	txn.Create("/b", []byte("new"))
	txn.CreateSequential("/seq-", nil)

	if _, err := c.Applied(ctx, txn); !errors.Is(err, zkconn.ErrNotApplied) {
		t.Fatalf("Applied before Commit: %v, want ErrNotApplied", err)
	}
	proxy.CutAfter(zktest.OpMulti, 1)
	if _, err := c.Commit(ctx, txn); !zkconn.IsMaybeApplied(err) || proxy.Cuts() != 1 {
		t.Fatalf("Commit whose reply is lost: %v (%d replies lost), want an error IsMaybeApplied holds for", err, proxy.Cuts())
	}
	res, err := c.Applied(ctx, txn)
	if err != nil {
		t.Fatalf("Applied after a lost reply: %v", err)
	}
	if len(res) != 4 || res[1].Stat == nil || res[1].Stat.Version != 1 || res[2].String != "/b" || res[3].String != "" {
		t.Fatalf("Applied responses = %+v, want the set's stat at version 1, /b named, the sequential create not", res)
	}
	if _, err := c.Set(ctx, "/a", []byte("v2"), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Applied(ctx, txn); !errors.Is(err, zkconn.ErrOutcomeUnknown) {
		t.Fatalf("Applied after another write: %v, want ErrOutcomeUnknown", err)
	}
}
