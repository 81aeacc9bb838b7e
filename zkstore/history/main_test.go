package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// mustOpen opens a store under a fresh root on the shared server, with the
// script renderer kook uses.
func mustOpen(tb testing.TB) *zkstore.Store {
	tb.Helper()
	return mustOpenAt(tb, zktest.Shared(tb).Addr, zktest.Root(tb))
}

func mustOpenAt(tb testing.TB, addr, root string) *zkstore.Store {
	tb.Helper()
	s, err := zkstore.Open(ctxT(tb), zkconn.Config{Connect: addr}, root, zkstore.Options{Renderer: script.Renderer{}, Tool: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func update(tb testing.TB, s *zkstore.Store, ops ...model.Op) model.Result {
	tb.Helper()
	res, err := s.Update(ctxT(tb), model.UpdateOptions{}, model.Apply(ops...))
	if err != nil {
		tb.Fatalf("update %v: %v", ops, err)
	}
	return res
}

func vars(kv ...any) model.Map {
	var m model.Map
	for i := 0; i < len(kv); i += 2 {
		m = append(m, model.Entry{Key: kv[i].(string), Value: kv[i+1]})
	}
	return m
}

// load reads every node, and checks the views are what the nodes render.
func load(tb testing.TB, s *zkstore.Store) *model.Nodes {
	tb.Helper()
	var n *model.Nodes
	err := s.Read(ctxT(tb), true, func(sn *zkstore.Snapshot) error {
		var err error
		n, err = sn.LoadNodes()
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if problems, err := s.Check(ctxT(tb)); err != nil || len(problems) > 0 {
		tb.Fatalf("check: %v, %v", problems, err)
	}
	return n
}
