package jones_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// TestIntegration_NodemapAtZnodeLimit checks that associations can fill nodemaps up to
// what one ZooKeeper request holds, that an association that would not fit
// is refused without writing, and that the map can always shrink, even
// when another client filled it to the server's own limit.
func TestIntegration_NodemapAtZnodeLimit(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "/", `{"k": 0}`)
	mustCreate(t, s, "svc", "p", `{"k": 1}`)
	nmPath := "/kook/services/svc/nodemaps"
	view := "/services/svc/views/p"

	// Jones's own format (json.dumps: spaces after ':' and ','), filled
	// to within a few entries of kook's limit.
	fill := func(size int) []byte {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; ; i++ {
			e := fmt.Sprintf(`"host%06d.example.com": %q`, i, view)
			if b.Len()+2*len(e)+4 > size {
				break // room for this one and a last one, padded
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(e)
		}
		pad := size - b.Len() - 1 - len(`, "": "/services/svc/views/p"`)
		fmt.Fprintf(&b, `, "%s": %q}`, strings.Repeat("x", pad), view)
		if b.Len() != size {
			t.Fatalf("filled %d bytes, want %d", b.Len(), size)
		}
		return []byte(b.String())
	}
	// kook's association is one multi: a version check of p's config and
	// the nodemaps write. Fill nodemaps so that one more entry makes that
	// request exactly MaxRequestBytes long (sizes as ZooKeeper counts
	// them: headers of 8 and 9 bytes, 9 per op, 4 per length or version).
	confLen, nmLen := len(conn.Chroot()+"/kook/services/svc/conf/p"), len(conn.Chroot()+nmPath)
	overhead := 8 + 9 + (9 + 4 + confLen + 4) + (9 + 4 + nmLen + 4 + 4)
	entry := len(`,"new00.example.com":"/services/svc/views/p"`)
	if _, err := conn.Set(ctx, nmPath, fill(zkconn.MaxRequestBytes-overhead-entry), -1); err != nil {
		t.Fatal(err)
	}
	if err := s.Assoc(ctx, "svc", "new00.example.com", "p"); err != nil {
		t.Fatalf("assoc making a request of exactly MaxRequestBytes: %v", err)
	}
	before := raw(t, conn, nmPath)
	if got, want := len(before), zkconn.MaxRequestBytes-overhead; got != want {
		t.Errorf("nodemaps holds %d bytes, want %d", got, want)
	}
	if err := s.Assoc(ctx, "svc", "new01.example.com", "p"); !errors.Is(err, model.ErrTooLarge) {
		t.Errorf("assoc over the limit: %v, want ErrTooLarge", err)
	}
	if raw(t, conn, nmPath) != before {
		t.Error("a refused association changed nodemaps")
	}
	if view, env, err := s.ViewFor(ctx, "svc", "new00.example.com"); err != nil || env != "p" || !model.Equal(view, obj(t, `{"k": 1}`)) {
		t.Errorf("ViewFor = %s of %s, %v", model.MarshalJSON(view), env, err)
	}
	if err := s.Unassoc(ctx, "svc", "new00.example.com"); err != nil {
		t.Fatalf("unassoc from a full map: %v", err)
	}
	if err := s.Assoc(ctx, "svc", "new01.example.com", "/"); err != nil {
		t.Fatalf("assoc after unassoc: %v", err)
	}

	// Filled by a client without kook's margin, to the largest setData the
	// server takes (measured: 0xfffff bytes of request, 20 of them not
	// data): kook still shrinks it, and refuses to grow it.
	full := fill(0xfffff - 20 - len(conn.Chroot()+nmPath))
	if _, err := conn.Set(ctx, nmPath, full, -1); err != nil {
		t.Fatalf("fill nodemaps to the server's limit: %v", err)
	}
	if err := s.Assoc(ctx, "svc", "one.more.example.com", "p"); !errors.Is(err, model.ErrTooLarge) {
		t.Errorf("assoc into a map at the server's limit: %v, want ErrTooLarge", err)
	}
	if err := s.Unassoc(ctx, "svc", "host000000.example.com"); err != nil {
		t.Fatalf("unassoc from a map at the server's limit: %v", err)
	}
	as, err := s.Assocs(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(raw(t, conn, nmPath)), len(full)-len(`"host000000.example.com": "/services/svc/views/p", `); got != want || len(as) < 10000 {
		t.Errorf("after unassoc: %d bytes and %d associations, want %d bytes and over 10,000", got, len(as), want)
	}
}

// TestIntegration_BigRootConfig changes a 64 KiB config at the root of a tree whose
// views do not fit in one request, and checks that every view and record
// ends up right, in several requests, with no marker left behind.
func TestIntegration_BigRootConfig(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	envs := bigTree(t, s, 5, 5) // 30 environments: about 2 MB of views
	big := bigConfig(64<<10, 1)
	if _, err := s.Replace(ctx, "svc", "/", big, -1); err != nil {
		t.Fatal(err)
	}
	checkAllViews(t, conn)
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 0 {
		t.Fatalf("Check = %v, %v", problems, err)
	}
	_, st, err := conn.Children(ctx, "/kook/services/svc/kook-pending")
	if err != nil {
		t.Fatal(err)
	}
	if st.NumChildren != 0 || st.Cversion < 2 {
		t.Errorf("kook-pending has %d children and saw %d changes; want a marker made and deleted", st.NumChildren, st.Cversion)
	}
	// A change below the root that also needs several requests.
	if _, err := s.Set(ctx, "svc", envs[0], bigConfig(200<<10, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, "svc", "/", model.Map{{Key: "key00", Value: "small"}}); err != nil {
		t.Fatal(err)
	}
	checkAllViews(t, conn)
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 0 {
		t.Fatalf("Check = %v, %v", problems, err)
	}
}

// bigTree makes top environments under the root of "svc", each with below
// children, and returns them, parents first.
func bigTree(t testing.TB, s *jones.Store, top, below int) []string {
	mustCreate(t, s, "svc", "/", `{"k0": 0}`)
	var envs []string
	for i := range top {
		e := fmt.Sprintf("t%d", i)
		mustCreate(t, s, "svc", e, fmt.Sprintf(`{"t": %d}`, i))
		envs = append(envs, e)
		for j := range below {
			c := fmt.Sprintf("%s/e%d", e, j)
			mustCreate(t, s, "svc", c, fmt.Sprintf(`{"e": %d, "key01": "%s"}`, j, c))
			envs = append(envs, c)
		}
	}
	return envs
}

// bigConfig returns a config of about size bytes in 16 keys.
func bigConfig(size, seed int) model.Map {
	var m model.Map
	for k := range 16 {
		m = append(m, model.Entry{Key: fmt.Sprintf("key%02d", k), Value: fmt.Sprintf("%d:%s", seed, strings.Repeat("v", size/16-16))})
	}
	return m
}

// TestIntegration_TooLarge checks that a change with a view too large for any request
// is refused whole, and that one whose views only need several requests is
// made.
func TestIntegration_TooLarge(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "", `{}`)
	for _, env := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		mustCreate(t, s, "svc", env, `{}`)
	}
	big := obj(t, `{"blob": "`+strings.Repeat("x", 150<<10)+`"}`)
	if _, err := s.Set(ctx, "svc", "a", obj(t, `{"a": "`+strings.Repeat("y", 400<<10)+`"}`)); err != nil {
		t.Fatalf("one 400 KiB config: %v", err)
	}
	// a's view would hold both configs: 1.1 MiB.
	if _, err := s.Set(ctx, "svc", "", obj(t, `{"blob": "`+strings.Repeat("x", 700<<10)+`"}`)); !errors.Is(err, model.ErrTooLarge) {
		t.Fatalf("root change making a 1.1 MiB view: %v, want ErrTooLarge", err)
	}
	if got := raw(t, conn, "/kook/services/svc/conf"); got != `{}` {
		t.Errorf("root config = %.40s..., want it unchanged", got)
	}
	if got := raw(t, conn, "/kook/services/svc/views/b"); got != `{}` {
		t.Errorf("view b = %.40s..., want it unchanged", got)
	}
	// Nine views of 150 KiB each do not fit in one request, but each does.
	if _, err := s.Set(ctx, "svc", "", big); err != nil {
		t.Fatalf("root change rewriting nine 150 KiB views: %v", err)
	}
	checkAllViews(t, conn)
}

// TestIntegration_InterruptedRewrite leaves the tree as a writer that stopped after
// saving a root config, before rewriting the views below: the config
// changed, its marker is there, the views are stale. Check reports it, and
// the next change anywhere in the service finishes the rewrite.
func TestIntegration_InterruptedRewrite(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	envs := bigTree(t, s, 3, 3)
	if _, err := conn.Set(ctx, "/kook/services/svc/conf", model.MarshalJSON(bigConfig(100<<10, 7)), -1); err != nil {
		t.Fatal(err)
	}
	if err := conn.Create(ctx, "/kook/services/svc/kook-pending/%2F#0000000042", []byte{}); err != nil {
		t.Fatal(err)
	}
	problems, err := s.Check(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	var marker, stale int
	for _, p := range problems {
		switch {
		case strings.Contains(p.What, "did not finish") && p.Env == "/":
			marker++
		case strings.Contains(p.What, "stale"):
			stale++
		}
		if !p.Fixable {
			t.Errorf("%v: not fixable", p)
		}
	}
	if marker != 1 || stale != 1+len(envs) {
		t.Errorf("Check found %d markers and %d stale views, want 1 and %d: %v", marker, stale, 1+len(envs), problems)
	}
	// A change to a leaf, which does not involve the root's views.
	leaf := envs[len(envs)-1]
	if _, err := s.Set(ctx, "svc", leaf, obj(t, `{"leaf": true}`)); err != nil {
		t.Fatal(err)
	}
	checkAllViews(t, conn)
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 0 {
		t.Errorf("after the next change, Check = %v, %v", problems, err)
	}

	// Interrupted for real: the context ends while the views are being
	// written. Whatever was done, the config is saved and Repair finishes.
	cctx, cancel := context.WithCancel(ctx)
	_, _, events, err := conn.ChildrenW(ctx, "/kook/services/svc/kook-pending")
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-events; cancel() }()
	_, err = s.Replace(cctx, "svc", "/", bigConfig(100<<10, 8), -1)
	cancel()
	t.Logf("Replace with its context cancelled once the marker appeared: %v", err)
	if got := raw(t, conn, "/kook/services/svc/conf"); !strings.Contains(got, `"8:vvv`) {
		t.Fatalf("root config = %.40s..., want the new one saved", got)
	}
	if left, err := s.Repair(ctx, "svc"); err != nil || len(left) != 0 {
		t.Fatalf("Repair left %v, %v", left, err)
	}
	checkAllViews(t, conn)
}

// TestIntegration_ConcurrentBigWrites has writers change large configs at every depth
// while another creates and deletes a leaf; the changes need several
// requests each. At the end every view is the inheritance of the configs
// and its record names their versions.
func TestIntegration_ConcurrentBigWrites(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	envs := append([]string{"/"}, bigTree(t, s, 2, 3)...)
	const writers, writes = 3, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		ws := jones.NewStore(dial(t), root)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 15))
			for i := range writes {
				env := envs[r.IntN(3)] // the root or a top environment
				if i%2 == 1 {
					env = envs[r.IntN(len(envs))]
				}
				_, err := ws.Replace(ctx, "svc", env, bigConfig(120<<10, w*100+i), -1)
				if err != nil && !errors.Is(err, model.ErrConflict) {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 4 {
			if err := s.Create(ctx, "svc", "t0/e0/tmp", model.Map{{Key: "i", Value: int64(i)}}); err != nil {
				errs <- fmt.Errorf("create: %w", err)
				return
			}
			if _, err := s.Delete(ctx, "svc", "t0/e0/tmp", true); err != nil {
				errs <- fmt.Errorf("delete: %w", err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkAllViews(t, conn)
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 0 {
		t.Errorf("Check = %v, %v", problems, err)
	}
	_, st, err := conn.Children(ctx, "/kook/services/svc/kook-pending")
	if err != nil || st.Cversion < 2 || st.NumChildren != 0 {
		t.Errorf("kook-pending: %+v, %v; want markers made, none left", st, err)
	}
}
