package history_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
	"github.com/kook-project/kook/zkstore/history"
)

// entityGens lists the generations EntityLog finds for a node.
func entityGens(t *testing.T, s *zkstore.Store, group bool, name string) ([]int64, []string) {
	t.Helper()
	var gens []int64
	notes, err := history.EntityLog(ctxT(t), s, group, name, 0, func(c *model.Commit) (bool, error) {
		gens = append(gens, c.Generation)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return gens, notes
}

// TestIntegrationHistoryChain: a node's log follows its own chain of
// changes, newest first, through small and big changes, and falls back to
// reading records one by one where the chain is broken (a removed host, a
// hand edit).
func TestIntegrationHistoryChain(t *testing.T) {
	s := mustOpen(t)
	ctx := ctxT(t)
	update(t, s, model.CreateGroup{Name: "web"}, model.CreateHost{Name: "a", Groups: []string{"web"}}) // 1
	update(t, s, model.CreateHost{Name: "b"})                                                          // 2
	update(t, s, model.SetHostVars{Host: "a", Vars: vars("port", int64(80))})                          // 3
	update(t, s, model.SetHostVars{Host: "b", Vars: vars("port", int64(81))})                          // 4
	update(t, s, model.SetGroupVars{Group: "web", Vars: vars("x", int64(1))})                          // 5
	// 6: a big change touching a and every other node.
	_, err := s.Replace(ctx, model.UpdateOptions{}, func(n *model.Nodes) (*model.Nodes, error) {
		n.Hosts["a"].Vars.Set("port", int64(8080))
		n.Hosts["b"].Vars.Set("port", int64(8081))
		return n, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, model.SetHostVars{Host: "b", Vars: vars("port", int64(9))}) // 7
	update(t, s, model.DeleteHost{Name: "b"})                                // 8
	update(t, s, model.SetHostVars{Host: "a", Vars: vars("port", int64(1))}) // 9

	if got, _ := entityGens(t, s, false, "a"); !slices.Equal(got, []int64{9, 6, 3, 1}) {
		t.Errorf("log of a = %v, want [9 6 3 1]", got)
	}
	if got, _ := entityGens(t, s, true, "web"); !slices.Equal(got, []int64{5, 1}) {
		t.Errorf("log of web = %v, want [5 1]", got)
	}
	got, notes := entityGens(t, s, false, "b")
	if !slices.Equal(got, []int64{8, 7, 6, 4, 2}) {
		t.Errorf("log of removed b = %v (%q), want [8 7 6 4 2]", got, notes)
	}
	// A hand edit of a: the log says so and still finds the changes.
	p := s.Root() + "/inventory/hosts/a"
	data, _, _ := s.Conn().Get(ctx, p)
	if _, err := s.Conn().Set(ctx, p, []byte(strings.Replace(string(data), `"port":1`, `"port":2`, 1)), -1); err != nil {
		t.Fatal(err)
	}
	got, notes = entityGens(t, s, false, "a")
	if !slices.Equal(got, []int64{9, 6, 3, 1}) || len(notes) == 0 || !strings.Contains(notes[0], "outside") {
		t.Errorf("log of hand-edited a = %v, %q; want [9 6 3 1] and a note", got, notes)
	}
}

// TestIntegrationRevert: reverting one change puts back what it changed and
// nothing else; a later change to the same var is a conflict naming its
// generation, and nothing is written; --force reverts anyway.
func TestIntegrationRevert(t *testing.T) {
	s := mustOpen(t)
	ctx := ctxT(t)
	update(t, s, model.CreateGroup{Name: "web"}, model.CreateGroup{Name: "db"},
		model.CreateHost{Name: "a", Groups: []string{"web"}, Vars: vars("port", int64(80), "x", "1")}) // 1
	update(t, s, model.SetHostVars{Host: "a", Vars: vars("port", int64(8080))}) // 2
	update(t, s, model.AddMember{Group: "db", Host: "a"})                       // 3
	update(t, s, model.UnsetHostVars{Host: "a", Keys: []string{"x"}})           // 4
	update(t, s, model.SetHostVars{Host: "a", Vars: vars("port", int64(9090))}) // 5
	before := load(t, s)

	// 3 (membership) and 4 (x) do not conflict with anything later.
	res, err := history.Revert(ctx, s, model.UpdateOptions{}, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	n := load(t, s)
	if got := n.Hosts["a"].Vars; !model.EqualOrdered(got, vars("port", int64(9090), "x", "1")) {
		t.Errorf("after reverting 4: vars %v, want x back in its place", got)
	}
	c, err := s.Commit(ctx, res.Generation)
	if err != nil || c.Reason != "revert of 4" {
		t.Errorf("revert record: %+v, %v", c, err)
	}
	if _, err := history.Revert(ctx, s, model.UpdateOptions{}, 3, false); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s).Hosts["a"].GroupNames(); !slices.Equal(got, []string{"web"}) {
		t.Errorf("after reverting 3: groups %v, want [web]", got)
	}
	// 2 set port, 5 set it again: refused, naming 5, nothing written.
	gen, _ := s.Generation(ctx)
	_, err = history.Revert(ctx, s, model.UpdateOptions{}, 2, false)
	var ce *model.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, model.ErrConflict) || !slices.Equal(ce.Generations(), []int64{5}) || !strings.Contains(err.Error(), "generation 5") {
		t.Fatalf("revert of 2 = %v, want a conflict naming generation 5", err)
	}
	if now, _ := s.Generation(ctx); now != gen {
		t.Errorf("a refused revert wrote generation %d", now)
	}
	if _, err := history.Revert(ctx, s, model.UpdateOptions{}, 2, true); err != nil {
		t.Fatal(err)
	}
	if v, _ := load(t, s).Hosts["a"].Vars.Get("port"); v != int64(80) {
		t.Errorf("forced revert of 2: port %v, want 80", v)
	}
	// Rolling back to 5 restores exactly what 5 left.
	if _, err := history.Rollback(ctx, s, model.UpdateOptions{Reason: "oops"}, 5); err != nil {
		t.Fatal(err)
	}
	after := load(t, s)
	if !model.EqualHostNodes(after.Hosts["a"], before.Hosts["a"]) {
		t.Errorf("rollback to 5: a = %+v, want %+v", after.Hosts["a"], before.Hosts["a"])
	}
	last, _ := s.Generation(ctx)
	c, _ = s.Commit(ctx, last)
	if c.Reason != "rollback to 5: oops" {
		t.Errorf("rollback reason %q", c.Reason)
	}
	// Reverting a creation removes; reverting that brings it back.
	res = update(t, s, model.CreateHost{Name: "z", Groups: []string{"db"}})
	r2, err := history.Revert(ctx, s, model.UpdateOptions{}, res.Generation, false)
	if err != nil {
		t.Fatal(err)
	}
	if load(t, s).Hosts["z"] != nil {
		t.Error("revert of a creation left the host")
	}
	if _, err := history.Revert(ctx, s, model.UpdateOptions{}, r2.Generation, false); err != nil {
		t.Fatal(err)
	}
	if load(t, s).Hosts["z"] == nil {
		t.Error("revert of a removal did not bring the host back")
	}
}

// TestIntegrationFollow: eight writers and a follower that is restarted
// half way and whose session is expired: every generation is seen once,
// in order.
func TestIntegrationFollow(t *testing.T) {
	s := mustOpen(t)
	ctx := ctxT(t)
	update(t, s, model.CreateGroup{Name: "g"}) // 1
	root := s.Root()
	follower := mustOpenAt(t, zktest.Shared(t).Addr, root)

	var mu sync.Mutex
	var seen []int64
	follow := func(ctx context.Context, from int64) error {
		return history.Follow(ctx, follower, from, func(c *model.Commit, gap *history.Gap) error {
			if gap != nil {
				return gap
			}
			mu.Lock()
			seen = append(seen, c.Generation)
			mu.Unlock()
			return nil
		})
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- follow(fctx, 1) }()

	const writers, each = 8, 8
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := mustOpenAt(t, zktest.Shared(t).Addr, root)
			for i := range each {
				name := fmt.Sprintf("h%d-%d", w, i)
				if _, err := ws.Update(ctx, model.UpdateOptions{}, model.Apply(model.CreateHost{Name: name, Groups: []string{"g"}})); err != nil {
					t.Error(err)
					return
				}
				if w == 0 && i == 2 {
					// Restart the follower from where it got to.
					stop()
					if err := <-done; !errors.Is(err, context.Canceled) {
						t.Errorf("follower: %v", err)
					}
					mu.Lock()
					from := int64(1)
					if len(seen) > 0 {
						from = seen[len(seen)-1] + 1
					}
					mu.Unlock()
					fctx, stop = context.WithCancel(ctx)
					go func() { done <- follow(fctx, from) }()
				}
				if w == 1 && i == 4 {
					zktest.ExpireConn(t, follower.Conn())
				}
			}
		}()
	}
	wg.Wait()
	want := int64(1 + writers*each)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n >= int(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for i, g := range seen {
		if g != int64(i+1) {
			t.Fatalf("follower saw %v: want 1..%d each once, in order", seen, want)
		}
	}
	if len(seen) != int(want) {
		t.Fatalf("follower saw %d generations, want %d", len(seen), want)
	}
}

// TestIntegrationPruning: retention keeps the last HistoryKeep records and
// moves head's history_start; a follower behind it is told of the gap and
// goes on.
func TestIntegrationPruning(t *testing.T) {
	addr, root := zktest.Shared(t).Addr, zktest.Root(t)
	s, err := zkstore.Open(ctxT(t), zkconn.Config{Connect: addr}, root,
		zkstore.Options{Renderer: script.Renderer{}, HistoryKeep: 5, HistoryDays: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := ctxT(t)
	for i := range 20 {
		if _, err := s.Update(ctx, model.UpdateOptions{}, model.Apply(model.CreateHost{Name: fmt.Sprint("h", i)})); err != nil {
			t.Fatal(err)
		}
	}
	start, last, err := s.History(ctx)
	if err != nil || last != 20 || last-start > 6 || start < 10 {
		t.Fatalf("history %d..%d, %v: want about the last 5 kept", start, last, err)
	}
	kids, _, _ := s.Conn().Children(ctx, root+"/inventory/history")
	if len(kids) != int(last-start+1) {
		t.Errorf("%d records kept for generations %d..%d", len(kids), start, last)
	}
	if _, err := s.Commit(ctx, 1); !errors.Is(err, zkstore.ErrPruned) {
		t.Errorf("Commit(1) = %v, want ErrPruned", err)
	}
	var gaps []history.Gap
	var gens []int64
	fctx, cancel := context.WithCancel(ctx)
	err = history.Follow(fctx, s, 1, func(c *model.Commit, gap *history.Gap) error {
		if gap != nil {
			gaps = append(gaps, *gap)
			return nil
		}
		gens = append(gens, c.Generation)
		if c.Generation == last {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].From != 1 || gaps[0].To != start-1 || gens[0] != start || gens[len(gens)-1] != last {
		t.Errorf("follow from 1: gaps %v, generations %v; want the gap 1..%d then %d..%d", gaps, gens, start-1, start, last)
	}
}
