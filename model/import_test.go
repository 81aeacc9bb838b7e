package model_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kook-project/kook/model"
)

func TestImport(t *testing.T) {
	ctx := context.Background()
	s := &model.MemStore{}
	src := model.New()
	src.AddHost("a")
	src.AddHost("b")
	src.AddGroup("g").Hosts = []string{"a"}
	src.Reconcile()

	dry, err := model.Import(ctx, s, src, model.ImportOptions{DryRun: true})
	if err != nil || dry.Written || len(dry.Changes) == 0 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if _, _, err := s.Load(ctx); err == nil {
		t.Fatal("a dry run wrote to the store")
	}
	first, err := model.Import(ctx, s, src, model.ImportOptions{})
	if err != nil || !first.Written || first.Generation != 1 {
		t.Fatalf("first import: %+v, %v", first, err)
	}
	again, err := model.Import(ctx, s, src, model.ImportOptions{})
	if err != nil || again.Written || len(again.Changes) != 0 || again.Generation != 1 {
		t.Fatalf("second import of the same source: %+v, %v", again, err)
	}

	// Replace removes what the source lacks; merge keeps it.
	other := model.New()
	other.AddHost("c")
	other.Reconcile()
	if _, err := model.Import(ctx, s, other, model.ImportOptions{Merge: true}); err != nil {
		t.Fatal(err)
	}
	inv, _, _ := s.Load(ctx)
	if inv.Host("a") == nil || inv.Host("c") == nil {
		t.Fatal("merge lost a host")
	}
	if _, err := model.Import(ctx, s, other, model.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	inv, _, _ = s.Load(ctx)
	if inv.Host("a") != nil || inv.Host("c") == nil || len(inv.Hosts) != 1 {
		t.Fatalf("replace kept %d hosts", len(inv.Hosts))
	}
}

// A cycle that only merging creates (a above b in the store, b above a in
// the source) is refused, and nothing is written.
func TestImportMergeCycle(t *testing.T) {
	ctx := context.Background()
	s := &model.MemStore{}
	dst := model.New()
	dst.AddGroup("a")
	dst.AddGroup("b")
	dst.AddChild("a", "b")
	dst.Reconcile()
	if _, err := model.Import(ctx, s, dst, model.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	src := model.New()
	src.AddGroup("b")
	src.AddGroup("a")
	src.AddChild("b", "a")
	src.Reconcile()
	if _, err := model.Import(ctx, s, src, model.ImportOptions{Merge: true}); !errors.Is(err, model.ErrCycle) {
		t.Fatalf("merge creating a cycle: %v, want ErrCycle", err)
	}
	if _, gen, _ := s.Load(ctx); gen != 1 {
		t.Fatalf("generation %d after a refused merge, want 1", gen)
	}
}
