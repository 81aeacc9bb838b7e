package kook_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/gen"
	"github.com/kook-project/kook/internal/zklog"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

// TestIntegration_HistoryCost measures what history adds to a one-host
// edit: the bytes ZooKeeper writes to its transaction log (read back from a
// private server's data directory with zklog) and the time, with full
// change records and with minimal ones (who and when only). The inventory
// has KOOK_HISTORY_COST_HOSTS hosts (default 10,000).
func TestIntegration_HistoryCost(t *testing.T) {
	hosts := 10000
	if n, err := strconv.Atoi(os.Getenv("KOOK_HISTORY_COST_HOSTS")); err == nil && n > 0 {
		hosts = n
	}
	dir := filepath.Join(t.TempDir(), "inv")
	if err := gen.Generate(dir, gen.Options{Hosts: hosts, Groups: max(hosts/50, gen.MinGroups), Seed: 1}); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A server of its own, so that its log holds this test's changes only,
	// with the heap a large import needs.
	srv, err := zktest.Launch(t.TempDir(), zktest.Options{JVMFlags: []string{"-Xms64m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:-UsePerfData"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	open := func(minimal bool) *kook.Client {
		c, err := kook.Open(ctx, kook.Config{ZK: srv.Addr, Root: "/kook", MinimalHistory: minimal})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	if _, err := open(false).Replace(ctx, kook.EditOptions{}, inv); err != nil {
		t.Fatal(err)
	}
	type cost struct {
		bytes  int64
		times  []time.Duration
		record int
	}
	const edits = 30
	measure := func(minimal bool, round int, into *cost) {
		c := open(minimal)
		recs, err := zklog.Records(srv.DataDir())
		if err != nil {
			t.Fatal(err)
		}
		mark := zklog.LastZxid(recs)
		var res kook.Result
		for i := range edits {
			host := inv.Hosts[(i*7919+round)%len(inv.Hosts)].Name
			start := time.Now()
			res, err = c.Edit(ctx, kook.EditOptions{Reason: "cost"}, kook.SetHostVars{Host: host, Vars: model.Map{{Key: "cost_probe", Value: int64(round*1000 + i)}}})
			into.times = append(into.times, time.Since(start))
			if err != nil || !res.Written {
				t.Fatalf("edit: %+v, %v", res, err)
			}
		}
		recs, err = zklog.Records(srv.DataDir())
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := c.Store().Conn().Get(ctx, fmt.Sprintf("/kook/inventory/history/%012d", res.Generation))
		if err != nil {
			t.Fatal(err)
		}
		into.bytes += zklog.BytesAfter(recs, mark)
		into.record = len(data)
	}
	// Alternate, so that both see the same server state.
	const rounds = 4
	var full, minimal cost
	for round := range rounds {
		if round%2 == 0 {
			measure(false, 2*round, &full)
			measure(true, 2*round+1, &minimal)
		} else {
			measure(true, 2*round+1, &minimal)
			measure(false, 2*round, &full)
		}
	}
	median := func(ts []time.Duration) time.Duration { slices.Sort(ts); return ts[len(ts)/2] }
	full.bytes /= rounds * edits
	minimal.bytes /= rounds * edits
	t.Logf("one-host edit at %d hosts: full records %d bytes to the transaction log (record %d bytes), median %v; minimal records %d bytes (record %d bytes), median %v",
		hosts, full.bytes, full.record, median(full.times), minimal.bytes, minimal.record, median(minimal.times))
	if full.bytes <= minimal.bytes || full.bytes > minimal.bytes+4096 {
		t.Errorf("a full record adds %d bytes to a one-host edit (%d vs %d): want a few kB at most", full.bytes-minimal.bytes, full.bytes, minimal.bytes)
	}
}
