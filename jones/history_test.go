package jones_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// state is what a service's readers see: every config and view, as bytes,
// and the associations.
func state(t *testing.T, s *jones.Store, conn *zkconn.Conn, svc string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	base := "/kook/services/" + svc
	for _, top := range []string{"conf", "views"} {
		if !exists(t, conn, base+"/"+top) {
			continue
		}
		out[top] = raw(t, conn, base+"/"+top)
		walkZnodes(t, conn, base+"/"+top, func(p string, data []byte) { out[strings.TrimPrefix(p, base+"/")] = string(data) })
	}
	if exists(t, conn, base+"/nodemaps") {
		as, err := s.Assocs(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		out["assocs"] = mustJSON(t, as)
	}
	return out
}

func lastGen(t *testing.T, s *jones.Store, svc string) int64 {
	t.Helper()
	_, last, err := s.History(context.Background(), svc)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// TestIntegration_ConfigHistory: every kind of change records who, what
// and why with its own generation; reverting each change right after it
// brings back exactly what was there before, and reverting the revert
// brings the change back.
func TestIntegration_ConfigHistory(t *testing.T) {
	ctx := testCtx(t)
	s0, conn := mustStore(t)
	s := s0.As(jones.Attribution{Tool: "kook serve", User: "alice", Reason: "testing"})
	mustCreate(t, s, "svc", "/", `{"a": 0, "b": 1}`)
	mustCreate(t, s, "svc", "p", `{"x": 1}`)
	mustCreate(t, s, "svc", "p/q", `{"y": 2}`)
	if err := s.Assoc(ctx, "svc", "web1", "p/q"); err != nil {
		t.Fatal(err)
	}
	c, err := s.Change(ctx, "svc", 4)
	if err != nil || c.Op != "assoc" || c.Tool != "kook serve" || c.User != "alice" || c.Reason != "testing" ||
		c.OSUser == "" || c.Machine == "" || len(c.Assocs) != 1 || c.Assocs[0].AfterEnv("svc") != "p/q" {
		t.Fatalf("record of the association: %+v, %v", c, err)
	}
	if !strings.HasPrefix(c.Who(), "alice@") {
		t.Errorf("Who = %q, want alice@<machine>", c.Who())
	}
	steps := []struct {
		name string
		op   func() error
	}{
		{"Set", func() error { _, err := s.Set(ctx, "svc", "p", obj(t, `{"x": 5, "z": [1]}`)); return err }},
		{"SetInfinity", func() error {
			_, err := s.Set(ctx, "svc", "p", model.Map{{Key: "inf", Value: math.Inf(1)}})
			return err
		}},
		{"Unset", func() error { _, err := s.Unset(ctx, "svc", "/", "a"); return err }},
		{"Replace", func() error { _, err := s.Replace(ctx, "svc", "/", obj(t, `{"b": 1, "a": 9}`), -1); return err }},
		{"Create", func() error { return s.Create(ctx, "svc", "p/r", obj(t, `{"r": true}`)) }},
		{"Assoc", func() error { return s.Assoc(ctx, "svc", "web2", "p") }},
		{"Reassoc", func() error { return s.Assoc(ctx, "svc", "web1", "p") }},
		{"Unassoc", func() error { return s.Unassoc(ctx, "svc", "web1") }},
		{"Delete", func() error { _, err := s.Delete(ctx, "svc", "p/q", false); return err }},
		{"DeleteForce", func() error { _, err := s.Delete(ctx, "svc", "p", true); return err }},
		{"DeleteService", func() error { _, err := s.Delete(ctx, "svc", "/", true); return err }},
	}
	for _, step := range steps {
		before := state(t, s, conn, "svc")
		if err := step.op(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		gen := lastGen(t, s, "svc")
		after := state(t, s, conn, "svc")
		rev, err := s.Revert(ctx, "svc", gen, jones.RevertOptions{})
		if err != nil {
			t.Fatalf("%s: revert %d: %v", step.name, gen, err)
		}
		if got := state(t, s, conn, "svc"); !maps.Equal(got, before) {
			t.Fatalf("%s: after reverting %d:\n got %v\nwant %v", step.name, gen, got, before)
		}
		if rev.Op != "revert" || rev.Reason != fmt.Sprintf("revert of %d: testing", gen) || rev.Generation != gen+1 {
			t.Errorf("%s: revert recorded as %+v", step.name, rev)
		}
		if _, err := s.Revert(ctx, "svc", gen+1, jones.RevertOptions{}); err != nil {
			t.Fatalf("%s: revert of the revert: %v", step.name, err)
		}
		if got := state(t, s, conn, "svc"); !maps.Equal(got, after) {
			t.Fatalf("%s: after reverting the revert:\n got %v\nwant %v", step.name, got, after)
		}
		if problems, err := s.Check(ctx, "svc"); step.name != "DeleteService" && (err != nil || len(problems) > 0) {
			t.Errorf("%s: Check = %v, %v", step.name, problems, err)
		}
	}
	// The environments stay Jones's: nothing of the history shows among
	// them, and a deleted service is not listed.
	if svcs, err := s.Services(ctx); err != nil || len(svcs) != 0 {
		t.Errorf("Services = %q, %v", svcs, err)
	}
}

// TestIntegration_ConfigRevertConflict: a revert of a change whose keys a
// later change set again is refused, naming that generation, and nothing
// is written; a dry run writes nothing either; --force goes ahead.
func TestIntegration_ConfigRevertConflict(t *testing.T) {
	ctx := testCtx(t)
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "/", `{"a": 0}`)
	mustCreate(t, s, "svc", "p", `{}`)
	if _, err := s.Set(ctx, "svc", "p", obj(t, `{"k": 1, "other": 1}`)); err != nil { // 3
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, "svc", "p", obj(t, `{"k": 2}`)); err != nil { // 4
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, "svc", "/", obj(t, `{"unrelated": 2}`)); err != nil { // 5
		t.Fatal(err)
	}
	before := state(t, s, conn, "svc")
	_, err := s.Revert(ctx, "svc", 3, jones.RevertOptions{})
	var ce *model.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, model.ErrConflict) || !slices.Equal(ce.Generations(), []int64{4}) {
		t.Fatalf("revert of 3 = %v, want a conflict naming 4", err)
	}
	if lastGen(t, s, "svc") != 5 || !maps.Equal(state(t, s, conn, "svc"), before) {
		t.Fatal("a refused revert wrote")
	}
	dry, err := s.Revert(ctx, "svc", 3, jones.RevertOptions{Force: true, DryRun: true})
	if err != nil || len(dry.Lines()) != 2 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	if lastGen(t, s, "svc") != 5 || !maps.Equal(state(t, s, conn, "svc"), before) {
		t.Fatal("a dry run wrote")
	}
	if _, err := s.Revert(ctx, "svc", 3, jones.RevertOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	show, _ := s.Show(ctx, "svc", "p")
	if got := string(model.MarshalJSON(show.Config)); got != `{}` {
		t.Errorf("after a forced revert of 3: %s, want {}", got)
	}
	// A change outside kook is found too.
	if _, err := s.Set(ctx, "svc", "p", obj(t, `{"k": 7}`)); err != nil {
		t.Fatal(err)
	}
	gen := lastGen(t, s, "svc")
	if _, err := conn.Set(ctx, "/kook/services/svc/conf/p", []byte(`{"k": 8}`), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revert(ctx, "svc", gen, jones.RevertOptions{}); !errors.As(err, &ce) || !strings.Contains(err.Error(), "outside kook") {
		t.Errorf("revert after a hand edit = %v, want a conflict with a change outside kook", err)
	}
}

// TestIntegration_ConfigHistoryRetention: per service, the last records
// are kept and the counter says where history starts.
func TestIntegration_ConfigHistoryRetention(t *testing.T) {
	ctx := testCtx(t)
	s0, _ := mustStore(t)
	s := s0.WithRetention(3, -1)
	mustCreate(t, s, "svc", "/", `{}`)
	for i := range 10 {
		if _, err := s.Set(ctx, "svc", "/", model.Map{{Key: "i", Value: int64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	start, last, err := s.History(ctx, "svc")
	if err != nil || last != 11 || last-start > 4 {
		t.Fatalf("history %d..%d, %v", start, last, err)
	}
	if _, err := s.Change(ctx, "svc", 1); !errors.Is(err, jones.ErrPruned) {
		t.Errorf("Change(1) = %v, want ErrPruned", err)
	}
	var gens []int64
	err = s.Changes(ctx, "svc", last, start, func(c *jones.Change) (bool, error) {
		gens = append(gens, c.Generation)
		return true, nil
	})
	if err != nil || len(gens) != int(last-start+1) || gens[0] != last {
		t.Errorf("Changes = %v, %v", gens, err)
	}
	sq := []*jones.Change{}
	for g := start; g <= last; g++ {
		c, _ := s.Change(ctx, "svc", g)
		sq = append(sq, c)
	}
	if lines := jones.SquashChanges(sq).Lines(); len(lines) != 1 || lines[0].Op != '~' {
		t.Errorf("squashed: %v", lines)
	}
}

// testCtx ends with the test, or after a minute: a writer retries until
// its context ends.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
