package kook_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// backup is `kook export --format json` of what is stored.
func backup(t *testing.T, c *kook.Client) string {
	t.Helper()
	inv, _, err := c.Inventory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return string(export.WriteBackup(inv))
}

var historyRoots sync.Map

func openFresh(t *testing.T) *kook.Client {
	t.Helper()
	root := zktest.Root(t)
	historyRoots.Store(root, true)
	c, err := kook.Open(t.Context(), kook.Config{ZK: zkAddr(), Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestIntegration_HistoryUndo is the undo promise over every test
// inventory and, with KOOK_CORPUS, every corpus inventory: import A, import
// B (the next source), a few edits; reverting any one change right after it
// gives back exactly the inventory before it (`kook export --format json`
// byte for byte), and reverting that revert the inventory after it; and
// `rollback --to 1` gives back exactly A.
func TestIntegration_HistoryUndo(t *testing.T) {
	var invs []*model.Inventory
	var names []string
	for _, src := range parity.Sources(t) {
		if parity.Unsupported(src.Path) != "" {
			continue
		}
		inv, err := inventory.Load(src.Path)
		if err != nil || len(inv.Hosts) == 0 {
			continue // rejected, or nothing to store
		}
		invs, names = append(invs, inv), append(names, src.Name)
	}
	if len(invs) < 10 {
		t.Fatalf("only %d sources load", len(invs))
	}
	for i := range invs {
		a, b := invs[i], invs[(i+1)%len(invs)]
		t.Run(names[i], func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c := openFresh(t)
			if _, err := c.Replace(ctx, kook.EditOptions{}, a); err != nil {
				t.Fatal(err)
			}
			exportA := backup(t, c)
			step := func(what string, change func() (kook.Result, error)) {
				t.Helper()
				before := backup(t, c)
				res, err := change()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if !res.Written {
					return
				}
				after := backup(t, c)
				rev, err := c.Revert(ctx, res.Generation, kook.RevertOptions{})
				if err != nil {
					t.Fatalf("%s: revert %d: %v", what, res.Generation, err)
				}
				if got := backup(t, c); got != before {
					t.Fatalf("%s: reverting generation %d did not give back the inventory before it:\n%s", what, res.Generation, firstDiff(got, before))
				}
				if _, err := c.Revert(ctx, rev.Generation, kook.RevertOptions{}); err != nil {
					t.Fatalf("%s: revert of the revert %d: %v", what, rev.Generation, err)
				}
				if got := backup(t, c); got != after {
					t.Fatalf("%s: reverting the revert did not give back the inventory after it:\n%s", what, firstDiff(got, after))
				}
				if problems, err := c.Check(ctx); err != nil || len(problems) > 0 {
					t.Fatalf("%s: check after reverts: %v, %v", what, problems, err)
				}
			}
			step("import B", func() (kook.Result, error) { return c.Replace(ctx, kook.EditOptions{}, b) })
			// A host that is not also a group: kook refuses host vars on
			// such a host, whose vars Ansible would give the group.
			host, group := b.Hosts[0].Name, "kook_history_test"
			for _, h := range b.Hosts {
				if b.Group(h.Name) == nil {
					host = h.Name
					break
				}
			}
			step("set a var", func() (kook.Result, error) {
				return c.Edit(ctx, kook.EditOptions{}, kook.SetHostVars{Host: host, Vars: model.Map{{Key: "kook_history", Value: int64(1)}}})
			})
			step("add a host and a group", func() (kook.Result, error) {
				return c.Edit(ctx, kook.EditOptions{}, kook.CreateGroup{Name: group}, kook.CreateHost{Name: "kook-history-host", Groups: []string{group}})
			})
			step("add a member", func() (kook.Result, error) {
				return c.Edit(ctx, kook.EditOptions{}, kook.AddMember{Group: group, Host: host})
			})
			if vars := b.Hosts[len(b.Hosts)-1].Vars; len(vars) > 0 {
				step("unset a var", func() (kook.Result, error) {
					return c.Edit(ctx, kook.EditOptions{}, kook.UnsetHostVars{Host: b.Hosts[len(b.Hosts)-1].Name, Keys: []string{vars[0].Key}})
				})
			}
			step("remove a host", func() (kook.Result, error) {
				return c.Edit(ctx, kook.EditOptions{}, kook.DeleteHost{Name: host})
			})
			step("remove a group", func() (kook.Result, error) {
				return c.Edit(ctx, kook.EditOptions{}, kook.DeleteGroup{Name: group, Force: true})
			})
			if _, err := c.Rollback(ctx, 1, kook.EditOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := backup(t, c); got != exportA {
				t.Fatalf("rollback --to 1 did not give back A:\n%s", firstDiff(got, exportA))
			}
			if problems, err := c.Check(ctx); err != nil || len(problems) > 0 {
				t.Fatalf("check after rollback: %v, %v", problems, err)
			}
		})
	}
}

// firstDiff shows where two texts first differ.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(i-100, 0)
	return fmt.Sprintf("at byte %d:\n got ...%.300s\nwant ...%.300s", i, got[from:], want[from:])
}

// TestIntegration_Watch: the library's follower gives each change once, in
// order, with what it changed, while writers commit.
func TestIntegration_Watch(t *testing.T) {
	c := openFresh(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := c.Edit(ctx, kook.EditOptions{}, kook.CreateGroup{Name: "g"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if _, err := c.Edit(ctx, kook.EditOptions{}, kook.CreateHost{Name: fmt.Sprintf("h%d-%d", w, i), Groups: []string{"g"}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	next := int64(1)
	for cm, err := range c.Watch(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if cm.Generation != next || len(cm.Hosts)+len(cm.Groups) == 0 {
			t.Fatalf("Watch gave generation %d (%d hosts), want %d with its nodes", cm.Generation, len(cm.Hosts), next)
		}
		if next++; next == 22 {
			break
		}
	}
	wg.Wait()
	// Pruned generations come as a gap.
	pruned, err := kook.Open(ctx, kook.Config{ZK: zkAddr(), Root: strings.TrimPrefix(rootOf(t, c), ""), HistoryKeep: 3, HistoryDays: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer pruned.Close()
	for range 8 {
		if _, err := pruned.Edit(ctx, kook.EditOptions{}, kook.SetGroupVars{Group: "g", Vars: model.Map{{Key: "n", Value: next}}}); err != nil {
			t.Fatal(err)
		}
		next++
	}
	var gap *kook.Gap
	for cm, err := range pruned.Watch(ctx, 1) {
		if errors.As(err, &gap) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if gap == nil || gap.From != 1 || cm.Generation != gap.To+1 {
			t.Fatalf("after pruning, Watch from 1 gave %v then generation %d", gap, cm.Generation)
		}
		break
	}
	l, err := pruned.Log(ctx, kook.LogOptions{})
	if err != nil || l.Start != gap.To+1 || len(l.Entries) != int(l.Last-l.Start+1) {
		t.Errorf("log after pruning: start %d, %d entries, %v", l.Start, len(l.Entries), err)
	}
}

func rootOf(t *testing.T, c *kook.Client) string { return c.Store().Root() }

// TestIntegration_Blame: blame names the change that set the winning value
// of each var, at its layer.
func TestIntegration_Blame(t *testing.T) {
	c := openExample(t) // generation 1: the import
	ctx := t.Context()
	if _, err := c.Edit(ctx, kook.EditOptions{Reason: "port"}, kook.SetHostVars{Host: "web-01.example.com", Vars: model.Map{{Key: "http_port", Value: int64(1)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Edit(ctx, kook.EditOptions{Reason: "web"}, kook.SetGroupVars{Group: "web", Vars: model.Map{{Key: "tier", Value: "front"}}}); err != nil {
		t.Fatal(err)
	}
	blames, err := c.Blame(ctx, "web-01.example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, b := range blames {
		switch b.Var {
		case "http_port":
			seen++
			if b.Commit == nil || b.Commit.Generation != 2 || b.Winner.Name != "web-01.example.com" {
				t.Errorf("http_port: %+v", b)
			}
		case "tier":
			seen++
			if b.Commit == nil || b.Commit.Generation != 3 || b.Winner.Name != "web" || b.Commit.Reason != "web" {
				t.Errorf("tier: %+v", b)
			}
		case "region":
			seen++
			if b.Commit == nil || b.Commit.Generation != 1 {
				t.Errorf("region (imported): %+v", b)
			}
		}
	}
	if seen != 3 {
		t.Errorf("blame: %d of http_port, tier, region found in %+v", seen, blames)
	}
}

// TestIntegration_LogBefore: Before pages through a log: pages of an
// entity's log hold its changes only, newest first, without overlap or
// gap; the whole log and a service's log page the same way.
func TestIntegration_LogBefore(t *testing.T) {
	c := openExample(t) // generation 1: the import
	ctx := t.Context()
	var mine []int64 // web-01's changes, oldest first
	for i := range 5 {
		res, err := c.Edit(ctx, kook.EditOptions{}, kook.SetHostVars{Host: "web-01.example.com", Vars: model.Map{{Key: "page", Value: int64(i)}}})
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, res.Generation)
		if _, err := c.Edit(ctx, kook.EditOptions{}, kook.SetHostVars{Host: "db-01.example.com", Vars: model.Map{{Key: "page", Value: int64(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	mine = append([]int64{1}, mine...)
	pages := func(opts kook.LogOptions) [][]int64 {
		t.Helper()
		var out [][]int64
		for {
			l, err := c.Log(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			var gens []int64
			for _, e := range l.Entries {
				gens = append(gens, e.Generation)
			}
			out = append(out, gens)
			if !l.More || len(out) == 10 {
				return out
			}
			opts.Before = gens[len(gens)-1]
		}
	}
	got := fmt.Sprint(pages(kook.LogOptions{Entity: "web-01.example.com", Limit: 2}))
	want := fmt.Sprint([][]int64{{mine[5], mine[4]}, {mine[3], mine[2]}, {mine[1], mine[0]}})
	if got != want {
		t.Errorf("web-01's log in pages of 2: %s, want %s", got, want)
	}
	if got := fmt.Sprint(pages(kook.LogOptions{Limit: 4})); got != "[[11 10 9 8] [7 6 5 4] [3 2 1]]" {
		t.Errorf("the whole log in pages of 4: %s", got)
	}
	if l, err := c.Log(ctx, kook.LogOptions{Before: 1}); err != nil || len(l.Entries) != 0 {
		t.Errorf("before generation 1: %v, %v", l, err)
	}

	s := c.Jones(jones.Attribution{})
	if err := s.Create(ctx, "svc", "", model.Map{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Set(ctx, "svc", "", model.Map{{Key: "k", Value: int64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	var gens []int64
	for before := int64(0); ; {
		l, err := c.ConfigLog(ctx, "svc", kook.ConfigLogOptions{Limit: 3, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range l.Entries {
			gens = append(gens, ch.Generation)
		}
		if !l.More || len(gens) > 10 {
			break
		}
		before = gens[len(gens)-1]
	}
	if fmt.Sprint(gens) != "[4 3 2 1]" {
		t.Errorf("the service's log in pages of 3: %v", gens)
	}
}

// TestIntegration_LogGroupNamedLikeHost: with a host and a group of one
// name, an entity's log is the host's unless Group asks for the group's.
func TestIntegration_LogGroupNamedLikeHost(t *testing.T) {
	c := openFresh(t)
	ctx := t.Context()
	mk, err := c.Edit(ctx, kook.EditOptions{}, kook.CreateGroup{Name: "dup"}, kook.CreateHost{Name: "dup"})
	if err != nil {
		t.Fatal(err)
	}
	gv, err := c.Edit(ctx, kook.EditOptions{}, kook.SetGroupVars{Group: "dup", Vars: model.Map{{Key: "x", Value: int64(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	gens := func(opts kook.LogOptions) []int64 {
		t.Helper()
		l, err := c.Log(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range l.Entries {
			out = append(out, e.Generation)
		}
		return out
	}
	if got := gens(kook.LogOptions{Entity: "dup"}); !slices.Equal(got, []int64{mk.Generation}) {
		t.Errorf("log of dup: %v, want the host's %d", got, mk.Generation)
	}
	if got := gens(kook.LogOptions{Entity: "dup", Group: true}); !slices.Equal(got, []int64{gv.Generation, mk.Generation}) {
		t.Errorf("log of group dup: %v, want %d and %d", got, gv.Generation, mk.Generation)
	}
}
