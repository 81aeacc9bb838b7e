package zkstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
	"github.com/kook-project/kook/zkstore/segment"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// mustOpen opens a store under a fresh root on the shared server.
func mustOpen(tb testing.TB) *zkstore.Store {
	tb.Helper()
	return mustOpenAt(tb, zktest.Shared(tb).Addr, zktest.Root(tb))
}

func mustOpenAt(tb testing.TB, addr, root string) *zkstore.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := zkstore.Open(ctx, zkconn.Config{Connect: addr}, root, zkstore.Options{Renderer: testRenderer{}, Tool: "test"})
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

// load reads every node and the views, and checks the views are what the
// nodes render.
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
	problems, err := s.Check(ctxT(tb))
	if err != nil {
		tb.Fatal(err)
	}
	if len(problems) > 0 {
		tb.Fatalf("check: %v", problems)
	}
	return n
}

func vars(kv ...any) model.Map {
	var m model.Map
	for i := 0; i < len(kv); i += 2 {
		m = append(m, model.Entry{Key: kv[i].(string), Value: kv[i+1]})
	}
	return m
}

func TestIntegrationEdits(t *testing.T) {
	s := mustOpen(t)
	ctx := ctxT(t)
	if gen, err := s.Generation(ctx); err != nil || gen != 0 {
		t.Fatalf("empty store: generation %d, %v", gen, err)
	}
	res := update(t, s,
		model.CreateGroup{Name: "web"},
		model.CreateGroup{Name: "eu", Parents: []string{"web"}},
		model.CreateHost{Name: "web1", Groups: []string{"eu"}, Vars: vars("http_port", int64(80))},
		model.CreateHost{Name: "loner"})
	if res.Generation != 1 || !res.Written {
		t.Fatalf("first change: %+v", res)
	}
	n := load(t, s)
	if got := n.Hosts["loner"].GroupNames(); !slices.Equal(got, []string{"ungrouped"}) {
		t.Errorf("loner's groups = %v, want [ungrouped]", got)
	}
	if got := n.Groups["eu"].ParentNames(); !slices.Equal(got, []string{"web"}) {
		t.Errorf("eu's parents = %v, want [web] (it leaves 'all' once it has a parent)", got)
	}
	update(t, s, model.SetHostVars{Host: "web1", Vars: vars("http_port", int64(8080), "x", 1.5)})
	update(t, s, model.AddMember{Group: "web", Host: "loner"})
	n = load(t, s)
	if v, _ := n.Hosts["web1"].Vars.Get("http_port"); v != int64(8080) {
		t.Errorf("http_port = %v, want 8080", v)
	}
	if got := n.Hosts["loner"].GroupNames(); !slices.Equal(got, []string{"web"}) {
		t.Errorf("loner's groups after add = %v, want [web]: it leaves 'ungrouped'", got)
	}
	// Members and children, from the views with a change laid over them.
	_, err := s.Update(ctx, model.UpdateOptions{}, func(tx model.Tx) error {
		if err := (model.CreateHost{Name: "web2", Groups: []string{"web"}}).Apply(tx); err != nil {
			return err
		}
		got, err := tx.Members("web")
		if err != nil {
			return err
		}
		if want := []string{"loner", "web2"}; !slices.Equal(got, want) {
			t.Errorf("Members(web) inside the change = %v, want %v", got, want)
		}
		kids, err := tx.Children("web")
		if err != nil {
			return err
		}
		if !slices.Equal(kids, []string{"eu"}) {
			t.Errorf("Children(web) = %v, want [eu]", kids)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var d model.Detached
	update(t, s, model.DeleteGroup{Name: "web", Force: true, Detached: &d})
	if !slices.Equal(d.Ungrouped, []string{"loner", "web2"}) || !slices.Equal(d.Rerooted, []string{"eu"}) {
		t.Errorf("detached = %+v, want loner and web2 ungrouped, eu rerooted", d)
	}
	n = load(t, s)
	if n.Groups["web"] != nil {
		t.Error("web still stored")
	}
	if got := n.Groups["eu"].ParentNames(); !slices.Equal(got, []string{"all"}) {
		t.Errorf("eu's parents = %v, want [all]", got)
	}
	if gen, _ := s.Generation(ctx); gen != 5 {
		t.Errorf("generation = %d, want 5", gen)
	}
}

func TestIntegrationRefusals(t *testing.T) {
	s := mustOpen(t)
	update(t, s, model.CreateGroup{Name: "a"}, model.CreateGroup{Name: "b", Parents: []string{"a"}},
		model.CreateHost{Name: "h", Groups: []string{"a"}})
	ctx := ctxT(t)
	for _, tc := range []struct {
		name string
		ops  []model.Op
		is   error
	}{
		{"Cycle", []model.Op{model.Attach{Parent: "b", Child: "a"}}, model.ErrCycle},
		{"SelfChild", []model.Op{model.Attach{Parent: "a", Child: "a"}}, model.ErrCycle},
		{"UnknownGroup", []model.Op{model.AddMember{Group: "nope", Host: "h"}}, model.ErrNotFound},
		{"HostExists", []model.Op{model.CreateHost{Name: "h"}}, model.ErrExists},
		{"NotEmpty", []model.Op{model.DeleteGroup{Name: "a"}}, model.ErrNotEmpty},
		{"Partial", []model.Op{model.CreateHost{Name: "new"}, model.AddMember{Group: "nope", Host: "new"}}, model.ErrNotFound},
		{"TooLarge", []model.Op{model.SetHostVars{Host: "h", Vars: vars("big", strings.Repeat("x", 1100*1000))}}, model.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := s.Generation(ctx)
			_, err := s.Update(ctx, model.UpdateOptions{}, model.Apply(tc.ops...))
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if after, _ := s.Generation(ctx); after != before {
				t.Fatalf("generation moved from %d to %d: something was written", before, after)
			}
		})
	}
	load(t, s)
}

// bump is an edit that adds one to host's var n and, unless add is "",
// creates host add in group g: what racing writers do, so that a lost or
// doubled edit shows in n.
func bump(host, add string) func(model.Tx) error {
	return func(tx model.Tx) error {
		h, err := tx.Host(host)
		if err != nil {
			return err
		}
		v, _ := h.Vars.Get("n")
		h.Vars.Set("n", v.(int64)+1)
		tx.PutHost(h)
		if add == "" {
			return nil
		}
		return (model.CreateHost{Name: add, Groups: []string{"g"}}).Apply(tx)
	}
}

// TestIntegrationConcurrentWriters: writers racing on one host and one
// group lose no increment, and every generation is one change.
func TestIntegrationConcurrentWriters(t *testing.T) {
	addr, root := zktest.Shared(t).Addr, zktest.Root(t)
	s := mustOpenAt(t, addr, root)
	update(t, s, model.CreateGroup{Name: "g"}, model.CreateHost{Name: "h", Groups: []string{"g"}, Vars: vars("n", int64(0))})
	const writers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := mustOpenAt(t, addr, root)
			for i := 0; i < each; i++ {
				_, err := ws.Update(ctxT(t), model.UpdateOptions{}, bump("h", fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := load(t, s)
	if v, _ := n.Hosts["h"].Vars.Get("n"); v != int64(writers*each) {
		t.Errorf("n = %v, want %d", v, writers*each)
	}
	if len(n.Hosts) != 1+writers*each {
		t.Errorf("%d hosts, want %d", len(n.Hosts), 1+writers*each)
	}
	if gen, _ := s.Generation(ctxT(t)); gen != 1+writers*each {
		t.Errorf("generation %d, want %d", gen, 1+writers*each)
	}
	// Writers that lost races queued (queue.go), and left the queue.
	if kids, _, err := s.Conn().Children(ctxT(t), root+"/inventory/queue"); err != nil && !errors.Is(err, zk.ErrNoNode) || len(kids) != 0 {
		t.Errorf("writer queue after every writer finished: %v, %v", kids, err)
	}
}

// TestIntegrationOldSegmentsGoWithTheCommit: the segments only the
// generation two back used are deleted in the change's own multi (the
// segments directory's last child change is the commit's), and a change
// whose base lists a segment already gone (deleted by hand) still commits,
// deleting the rest after it.
func TestIntegrationOldSegmentsGoWithTheCommit(t *testing.T) {
	s := mustOpen(t)
	update(t, s, model.CreateGroup{Name: "g"}, model.CreateHost{Name: "h", Groups: []string{"g"}})
	segs := s.Root() + "/inventory/segments"
	dropped := func() []string {
		data, _, err := s.Conn().Get(ctxT(t), s.HeadPath())
		if err != nil {
			t.Fatal(err)
		}
		var h struct{ Index string }
		if err := json.Unmarshal(data, &h); err != nil {
			t.Fatal(err)
		}
		blob, _, err := s.Conn().Get(ctxT(t), segs+"/"+h.Index)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := segment.DecodeIndex(blob)
		if err != nil {
			t.Fatal(err)
		}
		return idx.Dropped
	}
	for i := range 3 {
		update(t, s, model.SetHostVars{Host: "h", Vars: vars("v", int64(i))})
	}
	if len(dropped()) == 0 {
		t.Fatal("the index lists no dropped segments: nothing to test")
	}
	update(t, s, model.SetHostVars{Host: "h", Vars: vars("v", int64(10))})
	_, head, err := s.Conn().Exists(ctxT(t), s.HeadPath())
	if err != nil {
		t.Fatal(err)
	}
	_, dir, err := s.Conn().Exists(ctxT(t), segs)
	if err != nil {
		t.Fatal(err)
	}
	if dir.Pzxid != head.Mzxid {
		t.Errorf("segments last changed at zxid %#x, head at %#x: old segments deleted outside the commit", dir.Pzxid, head.Mzxid)
	}

	// A dropped segment deleted by hand: the next change commits anyway.
	gone := dropped()
	if err := s.Conn().Delete(ctxT(t), segs+"/"+gone[0], -1); err != nil {
		t.Fatal(err)
	}
	update(t, s, model.SetHostVars{Host: "h", Vars: vars("v", int64(11))})
	for _, id := range gone {
		if ok, _, err := s.Conn().Exists(ctxT(t), segs+"/"+id); err != nil || ok {
			t.Errorf("segment %s, dropped two generations back: exists %v, %v", id, ok, err)
		}
	}
	n := load(t, s)
	if v, _ := n.Hosts["h"].Vars.Get("v"); v != int64(11) {
		t.Errorf("v = %v, want 11", v)
	}
}

// TestIntegrationBigChange: a change far over one multi is applied in
// batches, and a reader polling throughout sees the views of the old
// generation or the new, never a mix.
func TestIntegrationBigChange(t *testing.T) {
	addr, root := zktest.Shared(t).Addr, zktest.Root(t)
	s := mustOpenAt(t, addr, root)
	build := func(prefix string, hosts int) func(*model.Nodes) (*model.Nodes, error) {
		return func(base *model.Nodes) (*model.Nodes, error) {
			n := model.NewNodes(base.KeyBase)
			if err := (model.CreateGroup{Name: "big"}).Apply(n); err != nil {
				return nil, err
			}
			for i := 0; i < hosts; i++ {
				err := (model.CreateHost{Name: fmt.Sprintf("%s%05d", prefix, i), Groups: []string{"big"},
					Vars: vars("filler", strings.Repeat("v", 200))}).Apply(n)
				if err != nil {
					return nil, err
				}
			}
			return n, nil
		}
	}
	const hosts = 6000 // about 2 MB of records: several batches
	res, err := s.Replace(ctxT(t), model.UpdateOptions{}, build("a", hosts))
	if err != nil || res.Generation != 1 {
		t.Fatalf("first replace: %+v, %v", res, err)
	}
	stop := make(chan struct{})
	var reads, mixed int
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := mustOpenAt(t, addr, root)
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := r.Read(ctxT(t), false, func(sn *zkstore.Snapshot) error {
				prefixes := map[byte]int{}
				err := sn.Table("vars").Scan(nil, nil, func(k, v []byte) bool {
					prefixes[k[0]]++
					return true
				})
				if err == nil {
					reads++
					if len(prefixes) != 1 || (prefixes['a'] != hosts && prefixes['b'] != hosts) {
						mixed++
					}
				}
				return err
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	res, err = s.Replace(ctxT(t), model.UpdateOptions{}, build("b", hosts))
	close(stop)
	<-done
	if err != nil || res.Generation != 2 {
		t.Fatalf("second replace: %+v, %v", res, err)
	}
	if mixed > 0 {
		t.Errorf("%d of %d reads saw a mix of generations", mixed, reads)
	}
	n := load(t, s)
	if len(n.Hosts) != hosts || n.Hosts["b00000"] == nil {
		t.Fatalf("%d hosts after replace, want %d b-hosts", len(n.Hosts), hosts)
	}
	// Removing the group's hosts is a big change through Update too.
	_, err = s.Update(ctxT(t), model.UpdateOptions{}, func(tx model.Tx) error {
		for i := 0; i < hosts; i++ {
			if err := (model.DeleteHost{Name: fmt.Sprintf("b%05d", i)}).Apply(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := load(t, s); len(n.Hosts) != 0 {
		t.Fatalf("%d hosts left", len(n.Hosts))
	}
}

// TestIntegrationHandEdits: a node edited by hand is never overwritten by a
// change that does not touch it, its unknown fields are kept, Check
// reports it and Repair brings the views up to date.
func TestIntegrationHandEdits(t *testing.T) {
	s := mustOpen(t)
	ctx := ctxT(t)
	update(t, s, model.CreateHost{Name: "a"}, model.CreateHost{Name: "b"})
	p := s.Root() + "/inventory/hosts/a"
	hand := []byte(`{"groups":{"ungrouped":4294967808},"vars":{"by":"hand"},"owner":"team-x"}`)
	if _, err := s.Conn().Set(ctx, p, hand, -1); err != nil {
		t.Fatal(err)
	}
	update(t, s, model.SetHostVars{Host: "b", Vars: vars("x", int64(1))})
	data, _, err := s.Conn().Get(ctx, p)
	if err != nil || string(data) != string(hand) {
		t.Fatalf("hand edit of a = %s, %v: a change to b rewrote it", data, err)
	}
	problems, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !containsProblem(problems, `view table vars is not what the nodes render: entry "a" differs`) || !containsProblem(problems, "owner") {
		t.Errorf("check = %v, want the hand edit (views behind) and the unknown field reported", problems)
	}
	update(t, s, model.SetHostVars{Host: "a", Vars: vars("y", int64(2))})
	data, _, _ = s.Conn().Get(ctx, p)
	if !strings.Contains(string(data), `"by":"hand"`) || !strings.Contains(string(data), `"owner":"team-x"`) || !strings.Contains(string(data), `"y":2`) {
		t.Errorf("a after an edit = %s: want the hand edit, the unknown field and y kept", data)
	}
	if _, err := s.Repair(ctx, model.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	problems, _ = s.Check(ctx)
	for _, p := range problems {
		if !strings.Contains(p.What, "kept as they are") {
			t.Errorf("after repair: %v", p)
		}
	}
}

func containsProblem(ps []zkstore.Problem, s string) bool {
	for _, p := range ps {
		if strings.Contains(p.String(), s) {
			return true
		}
	}
	return false
}

// TestIntegrationDamage: a damaged head or a lost segment gives one clear
// error naming it, never a panic or a huge allocation, and Repair mends it.
func TestIntegrationDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, s *zkstore.Store)
		want   string
	}{
		{"HugeCounts", func(t *testing.T, s *zkstore.Store) {
			setHead(t, s, func(h string) string {
				return strings.Replace(h, `"hosts":2`, `"hosts":9223372036854775807`, 1)
			})
		}, "out of range"},
		{"BadIndexName", func(t *testing.T, s *zkstore.Store) {
			setHead(t, s, func(h string) string {
				return strings.Replace(h, `"index":"`, `"index":"../../x`, 1)
			})
		}, "is not a segment id"},
		{"DanglingIndex", func(t *testing.T, s *zkstore.Store) {
			setHead(t, s, func(h string) string {
				return strings.Replace(h, `"index":"`, `"index":"ff`, 1)
			})
		}, "does not exist"},
		{"NotJSON", func(t *testing.T, s *zkstore.Store) { setHead(t, s, func(string) string { return "\x00\x01" }) }, "head"},
		{"LostSegment", func(t *testing.T, s *zkstore.Store) {
			kids, _, err := s.Conn().Children(ctxT(t), s.Root()+"/inventory/segments")
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range kids {
				data, _, _ := s.Conn().Get(ctxT(t), s.Root()+"/inventory/segments/"+k)
				if len(data) > 0 && !strings.HasSuffix(k, ".4") { // not the index
					if err := s.Conn().Delete(ctxT(t), s.Root()+"/inventory/segments/"+k, -1); err != nil {
						t.Fatal(err)
					}
					return
				}
			}
		}, "segment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t)
			update(t, s, model.CreateGroup{Name: "g"}, model.CreateHost{Name: "a", Groups: []string{"g"}},
				model.CreateHost{Name: "b", Vars: vars("v", int64(1))})
			tc.damage(t, s)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := s.Read(ctx, false, func(sn *zkstore.Snapshot) error {
				for _, name := range []string{"vars", "members", "children"} {
					if err := sn.Table(name).Scan(nil, nil, func(k, v []byte) bool { return true }); err != nil {
						return err
					}
				}
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("read of damaged store: %v; want one line mentioning %q", err, tc.want)
			}
			did, err := s.Repair(ctxT(t), model.UpdateOptions{})
			if err != nil {
				t.Fatalf("repair: %v", err)
			}
			if len(did) == 0 {
				t.Error("repair says it did nothing")
			}
			n := load(t, s)
			if len(n.Hosts) != 2 {
				t.Errorf("%d hosts after repair, want 2", len(n.Hosts))
			}
			update(t, s, model.SetHostVars{Host: "a", Vars: vars("after", true)})
		})
	}
}

func setHead(t *testing.T, s *zkstore.Store, edit func(string) string) {
	t.Helper()
	p := s.Root() + "/inventory/head"
	data, _, err := s.Conn().Get(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Conn().Set(ctxT(t), p, []byte(edit(string(data))), -1); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationLostReply: the connection drops after the server applied
// a commit and before its reply reached the writer. The writer finds out
// the change is stored and says so; the store stays readable and the next
// write works. The same for every write of a big change.
func TestIntegrationLostReply(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.Root(t)
	proxy := zktest.StartProxy(t, srv.Addr)
	s := mustOpenAt(t, proxy.Addr, root)
	direct := mustOpenAt(t, srv.Addr, root)
	update(t, s, model.CreateGroup{Name: "g"}, model.CreateHost{Name: "h", Groups: []string{"g"}})

	proxy.CutAfter(zktest.OpMulti, 1)
	res, err := s.Update(ctxT(t), model.UpdateOptions{}, model.Apply(model.SetHostVars{Host: "h", Vars: vars("v", int64(1))}))
	if err != nil || res.Generation != 2 || !res.Written {
		t.Fatalf("update whose reply was lost: %+v, %v; want generation 2 reported written", res, err)
	}
	if proxy.Cuts() != 1 {
		t.Fatalf("the proxy lost %d replies, want 1", proxy.Cuts())
	}
	n := load(t, direct)
	if v, _ := n.Hosts["h"].Vars.Get("v"); v != int64(1) {
		t.Errorf("v = %v, want 1", v)
	}
	if gen, _ := direct.Generation(ctxT(t)); gen != 2 {
		t.Errorf("generation %d, want 2: the change was applied once", gen)
	}
	update(t, s, model.SetHostVars{Host: "h", Vars: vars("v", int64(2))})

	// A big change: lose the replies of its head sets and batches.
	for _, op := range []int32{zktest.OpSetData, zktest.OpMulti, zktest.OpCreate} {
		proxy.CutAfter(op, 2)
	}
	before := proxy.Cuts()
	res, err = s.Replace(ctxT(t), model.UpdateOptions{}, func(base *model.Nodes) (*model.Nodes, error) {
		for i := 0; i < 3000; i++ {
			err := (model.CreateHost{Name: fmt.Sprintf("n%04d", i), Groups: []string{"g"},
				Vars: vars("filler", strings.Repeat("v", 300))}).Apply(base)
			if err != nil {
				return nil, err
			}
		}
		return base, nil
	})
	if err != nil || !res.Written {
		t.Fatalf("big change with lost replies: %+v, %v", res, err)
	}
	if proxy.Cuts() == before {
		t.Fatal("no reply was lost during the big change")
	}
	n = load(t, direct)
	if len(n.Hosts) != 3001 {
		t.Errorf("%d hosts, want 3001", len(n.Hosts))
	}
	update(t, s, model.DeleteHost{Name: "n0000"})
}

// TestIntegrationLostRepliesUnderContention: writers that race each other
// and an import (a big change), all through a proxy that keeps losing the
// replies of multis (the winners' and the losers' alike). Every edit
// reported written is applied exactly once, the import lands, the
// generations count one per change, and the store checks clean.
func TestIntegrationLostRepliesUnderContention(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.Root(t)
	proxy := zktest.StartProxy(t, srv.Addr)
	direct := mustOpenAt(t, srv.Addr, root)
	update(t, direct, model.CreateGroup{Name: "g"}, model.CreateHost{Name: "edited", Groups: []string{"g"}, Vars: vars("n", int64(0))})

	// One lost reply at a time, a few tenths of a second apart: each costs
	// its writer a reconnect (go-zookeeper waits a second before it tries
	// a lone server again).
	const maxCuts = 8
	stop := make(chan struct{})
	var armer sync.WaitGroup
	armer.Go(func() {
		for armed := 0; armed < maxCuts; {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if proxy.Cuts() == armed {
				proxy.CutAfter(zktest.OpMulti, 1)
				armed++
			}
		}
	})
	const writers, each = 4, 6
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Go(func() {
			ws := mustOpenAt(t, proxy.Addr, root)
			for i := range each {
				_, err := ws.Update(ctxT(t), model.UpdateOptions{}, bump("edited", fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					errs <- fmt.Errorf("writer %d, edit %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		ws := mustOpenAt(t, proxy.Addr, root)
		_, err := ws.Replace(ctxT(t), model.UpdateOptions{}, func(base *model.Nodes) (*model.Nodes, error) {
			for i := range 2000 {
				err := (model.CreateHost{Name: fmt.Sprintf("big%04d", i), Groups: []string{"g"},
					Vars: vars("filler", strings.Repeat("v", 300))}).Apply(base)
				if err != nil {
					return nil, err
				}
			}
			return base, nil
		})
		if err != nil {
			errs <- fmt.Errorf("import: %w", err)
		}
	})
	wg.Wait()
	close(stop)
	armer.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if proxy.Cuts() == 0 {
		t.Fatal("no reply was lost")
	}
	n := load(t, direct) // load checks the store too
	if v, _ := n.Hosts["edited"].Vars.Get("n"); v != int64(writers*each) {
		t.Errorf("n = %v after %d edits reported written: an edit was lost or applied twice", v, writers*each)
	}
	if len(n.Hosts) != 1+writers*each+2000 {
		t.Errorf("%d hosts, want %d", len(n.Hosts), 1+writers*each+2000)
	}
	if gen, _ := direct.Generation(ctxT(t)); gen != 1+writers*each+1 {
		t.Errorf("generation %d, want %d: one per change", gen, 1+writers*each+1)
	}
	t.Logf("%d replies lost", proxy.Cuts())
}

// TestIntegrationConcurrentBigChanges: two big changes at once and small
// edits all through them: every call succeeds (the big changes take turns,
// the edits wait while one is applied), readers see whole generations, and
// the store checks clean afterwards.
func TestIntegrationConcurrentBigChanges(t *testing.T) {
	addr, root := zktest.Shared(t).Addr, zktest.Root(t)
	s := mustOpenAt(t, addr, root)
	update(t, s, model.CreateGroup{Name: "g"}, model.CreateHost{Name: "edited", Groups: []string{"g"}, Vars: vars("n", int64(0))})
	build := func(prefix string) func(*model.Nodes) (*model.Nodes, error) {
		return func(base *model.Nodes) (*model.Nodes, error) {
			for i := 0; i < 2500; i++ {
				name := fmt.Sprintf("%s%04d", prefix, i)
				if base.Hosts[name] != nil {
					continue
				}
				err := (model.CreateHost{Name: name, Groups: []string{"g"}, Vars: vars("filler", strings.Repeat("v", 300))}).Apply(base)
				if err != nil {
					return nil, err
				}
			}
			return base, nil
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	stop := make(chan struct{})
	for _, prefix := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := mustOpenAt(t, addr, root)
			if _, err := w.Replace(ctxT(t), model.UpdateOptions{}, build(prefix)); err != nil {
				errs <- fmt.Errorf("replace %s: %w", prefix, err)
			}
		}()
	}
	edits := 0
	var editWG sync.WaitGroup
	editWG.Add(1)
	go func() {
		defer editWG.Done()
		w := mustOpenAt(t, addr, root)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			_, err := w.Update(ctxT(t), model.UpdateOptions{}, bump("edited", ""))
			if err != nil {
				errs <- fmt.Errorf("edit: %w", err)
				return
			}
			edits++
		}
	}()
	wg.Wait()
	close(stop)
	editWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := load(t, s)
	if v, _ := n.Hosts["edited"].Vars.Get("n"); v != int64(edits) {
		t.Errorf("n = %v after %d edits: an edit was lost", v, edits)
	}
	if n.Hosts["a0000"] == nil || n.Hosts["b2499"] == nil || len(n.Hosts) != 5001 {
		t.Errorf("%d hosts, want both big changes' 5000 and the edited one", len(n.Hosts))
	}
	if edits == 0 {
		t.Error("no edit got through")
	}
}

// TestIntegrationServerGone: ZooKeeper goes away mid-commit (the reply is
// lost and no server answers again): the writer says the change may or
// may not be stored, within about its connect timeout, and never hangs.
// When the server is back, the store reads fine and the next write works.
func TestIntegrationServerGone(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.Root(t)
	proxy := zktest.StartProxy(t, srv.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := zkstore.Open(ctx, zkconn.Config{Connect: proxy.Addr, ConnectTimeout: time.Second}, root, zkstore.Options{Renderer: testRenderer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	update(t, s, model.CreateHost{Name: "h"})
	proxy.CutAfter(zktest.OpMulti, 1)
	go func() {
		for proxy.Cuts() == 0 {
			time.Sleep(time.Millisecond)
		}
		proxy.Refuse()
	}()
	start := time.Now()
	_, err = s.Update(context.Background(), model.UpdateOptions{}, model.Apply(model.SetHostVars{Host: "h", Vars: vars("v", int64(1))}))
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "may or may not have been stored") {
		t.Fatalf("err = %v, want it to say the change may or may not be stored", err)
	}
	if took > 4*time.Second {
		t.Errorf("took %v with a 1s connect timeout", took)
	}
	proxy.Accept()
	direct := mustOpenAt(t, srv.Addr, root)
	n := load(t, direct)
	if v, _ := n.Hosts["h"].Vars.Get("v"); v != int64(1) {
		t.Errorf("v = %v: the multi reached the server before the connection was cut, so it is stored", v)
	}
	update(t, direct, model.SetHostVars{Host: "h", Vars: vars("v", int64(2))})
}

// TestIntegrationOldFormatReplaced: a store written by kook before format 2
// is refused by readers with what to do, and an import (Replace) replaces
// it whole, its generations going on.
func TestIntegrationOldFormatReplaced(t *testing.T) {
	s := mustOpen(t)
	ctx := ctxT(t)
	base := s.Root() + "/inventory"
	for _, p := range []string{base + "/trees/t000000000007-1f2e3d4c/hosts", base + "/blobs"} {
		if err := s.Conn().EnsurePath(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Conn().Create(ctx, base+"/trees/t000000000007-1f2e3d4c/hosts/old", []byte(`{"seq":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Conn().Create(ctx, base+"/head", []byte(`{"generation":7,"tree":"t000000000007-1f2e3d4c","blob":"000000000007-a1b2c3d4","views":{},"host_buckets":1}`)); err != nil {
		t.Fatal(err)
	}
	err := s.Read(ctx, true, func(*zkstore.Snapshot) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "older kook") {
		t.Fatalf("reading a format 1 store: %v", err)
	}
	res, err := s.Replace(ctx, model.UpdateOptions{}, func(base *model.Nodes) (*model.Nodes, error) {
		if len(base.Hosts) != 0 {
			t.Errorf("the base of a format 1 store holds %d hosts", len(base.Hosts))
		}
		return base, (model.CreateHost{Name: "new"}).Apply(base)
	})
	if err != nil || res.Generation != 8 {
		t.Fatalf("replace: %+v, %v", res, err)
	}
	if n := load(t, s); len(n.Hosts) != 1 || n.Hosts["new"] == nil {
		t.Errorf("after replace: %v", n.Hosts)
	}
	if ok, _, _ := s.Conn().Exists(ctx, base+"/trees"); ok {
		t.Error("the old trees are still there")
	}
}

// TestIntegrationAt: a change asked for on top of a generation the
// inventory has left fails with ErrMoved and writes nothing; on top of the
// current one it is made.
func TestIntegrationAt(t *testing.T) {
	s, ctx := mustOpen(t), ctxT(t)
	update(t, s, model.CreateHost{Name: "a"})
	cur := update(t, s, model.CreateHost{Name: "b"}).Generation
	set := model.Apply(model.SetHostVars{Host: "a", Vars: vars("x", int64(1))})
	if _, err := s.Update(ctx, model.UpdateOptions{At: cur - 1}, set); !errors.Is(err, model.ErrMoved) {
		t.Fatalf("Update at %d with the inventory at %d: %v, want ErrMoved", cur-1, cur, err)
	}
	keep := func(base *model.Nodes) (*model.Nodes, error) {
		base.Hosts["a"].Vars = vars("y", int64(2))
		return base, nil
	}
	if _, err := s.Replace(ctx, model.UpdateOptions{At: cur + 1}, keep); !errors.Is(err, model.ErrMoved) {
		t.Fatalf("Replace at %d with the inventory at %d: %v, want ErrMoved", cur+1, cur, err)
	}
	if _, err := s.Replace(ctx, model.UpdateOptions{At: cur + 1, DryRun: true}, keep); !errors.Is(err, model.ErrMoved) {
		t.Fatalf("dry Replace at %d: %v, want ErrMoved", cur+1, err)
	}
	if n := load(t, s); len(n.Hosts["a"].Vars) != 0 {
		t.Fatalf("a refused change wrote %v", n.Hosts["a"].Vars)
	}
	if res, err := s.Update(ctx, model.UpdateOptions{At: cur}, set); err != nil || res.Generation != cur+1 {
		t.Fatalf("Update at the current generation: %+v, %v", res, err)
	}
	if res, err := s.Replace(ctx, model.UpdateOptions{At: cur + 1}, keep); err != nil || res.Generation != cur+2 {
		t.Fatalf("Replace at the current generation: %+v, %v", res, err)
	}
}
