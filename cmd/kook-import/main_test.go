package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/internal/invtest"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

func TestMain(m *testing.M) { zktest.Main(m) }

func globals(t *testing.T) config.Globals {
	return config.Globals{ZK: zktest.Shared(t).Addr + zktest.Root(t), Config: "/dev/null"}
}

func load(t *testing.T, g config.Globals) (*model.Inventory, int64) {
	t.Helper()
	c, err := kook.Open(context.Background(), kook.Config{ZK: g.ZK})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	inv, gen, err := c.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return inv, gen
}

const example = "../../testdata/example"

func TestIntegration_ImportDryRunMerge(t *testing.T) {
	ctx := context.Background()
	g := globals(t)
	want, err := inventory.Load(example)
	if err != nil {
		t.Fatal(err)
	}

	// A dry run writes nothing: there is still no inventory.
	if err := (&CLI{Globals: g, DryRun: true, Sources: []string{example}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := kook.Open(ctx, kook.Config{ZK: g.ZK})
	defer c.Close()
	if _, _, err := c.Inventory(ctx); err == nil {
		t.Fatal("a dry run stored an inventory")
	}

	if err := (&CLI{Globals: g, Sources: []string{example}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, gen := load(t, g)
	invtest.MustEqual(t, got, want)

	// A broken source fails with file and line, and changes nothing.
	bad := filepath.Join(t.TempDir(), "bad.ini")
	os.WriteFile(bad, []byte("[web]\nweb1\n[web:nonsense]\nx\n"), 0o644)
	err = (&CLI{Globals: g, Sources: []string{bad}}).Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "bad.ini:3") {
		t.Fatalf("broken source: %v; want an error naming bad.ini:3", err)
	}
	if _, gen2 := load(t, g); gen2 != gen {
		t.Fatalf("a failed import moved the generation from %d to %d", gen, gen2)
	}

	// --merge adds without removing; a plain import replaces.
	extra := filepath.Join(t.TempDir(), "extra.ini")
	os.WriteFile(extra, []byte("[web]\nweb-99.example.com\n"), 0o644)
	if err := (&CLI{Globals: g, Merge: true, Sources: []string{extra}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = load(t, g)
	if got.Host("web-99.example.com") == nil || got.Host("db-01.example.com") == nil {
		t.Fatal("--merge lost or failed to add a host")
	}
	if err := (&CLI{Globals: g, Sources: []string{extra}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = load(t, g)
	if len(got.Hosts) != 1 {
		t.Fatalf("a plain import kept %d hosts, want only the source's 1", len(got.Hosts))
	}
}

// A backup written by `kook export --format json` is restored exactly.
func TestIntegration_RestoreBackup(t *testing.T) {
	ctx := context.Background()
	want, err := inventory.Load(example)
	if err != nil {
		t.Fatal(err)
	}
	want.Host("web-02.example.com").Vars = invtest.TypedValues()
	backup := filepath.Join(t.TempDir(), "backup.json")
	os.WriteFile(backup, export.WriteBackup(want), 0o644)
	g := globals(t)
	if err := (&CLI{Globals: g, Sources: []string{backup}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, gen := load(t, g)
	invtest.MustEqual(t, got, want)
	if err := (&CLI{Globals: g, Sources: []string{backup}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, gen2 := load(t, g); gen2 != gen {
		t.Fatalf("restoring the same backup again wrote generation %d", gen2)
	}
}

// The sources parse while kook-import connects: a bad source is reported at
// once, naming file and line, even when ZooKeeper does not answer; and an
// unreachable ZooKeeper is reported once the sources parse.
func TestBadSourceBeatsUnreachableZooKeeper(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	g := config.Globals{ZK: addr, Config: "/dev/null", Timeout: 20 * time.Second}

	bad := filepath.Join(t.TempDir(), "bad.ini")
	os.WriteFile(bad, []byte("[web]\nweb1\n[web:nonsense]\nx\n"), 0o644)
	start := time.Now()
	err = (&CLI{Globals: g, Sources: []string{bad}}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "bad.ini:3") {
		t.Fatalf("broken source, no ZooKeeper: %v; want an error naming bad.ini:3", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the parse error waited %v for the 20s connect deadline", took)
	}

	g.Timeout = time.Second
	err = (&CLI{Globals: g, Sources: []string{example}}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("good source, no ZooKeeper: %v; want an error naming %s", err, addr)
	}
}
