package zkstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/storetest"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkstore"
)

func TestMain(m *testing.M) { zktest.Main(m) }

var chrootSeq atomic.Int64

// connectString returns a connect string for the shared server with a chroot
// of the test's own, so tests cannot see each other.
func connectString(t *testing.T) string {
	t.Helper()
	srv := zktest.Shared(t)
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	return fmt.Sprintf("%s/%s-%d", srv.Addr, name, chrootSeq.Add(1))
}

func openStore(t *testing.T, connect string) *zkstore.Store {
	t.Helper()
	s, err := zkstore.Open(context.Background(), zkstore.Config{Connect: connect}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestIntegration_Contract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) model.Store { return openStore(t, connectString(t)) })
}

func counter(inv *model.Inventory, m *model.Map) {
	v, _ := m.Get("n")
	n, _ := v.(int64)
	m.Set("n", n+1)
}

// Many writers, each with its own session, increment one var on one host and
// one on one group. A lost update would leave a count short.
func TestIntegration_ConcurrentWritersLoseNothing(t *testing.T) {
	ctx := context.Background()
	cs := connectString(t)
	seed := openStore(t, cs)
	if _, err := seed.Update(ctx, func(inv *model.Inventory) error {
		inv.AddHost("h")
		inv.AddGroup("g").Hosts = []string{"h"}
		inv.Reconcile()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 12
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := zkstore.Open(ctx, zkstore.Config{Connect: cs}, "")
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := 0; i < each; i++ {
				if _, err := s.Update(ctx, func(inv *model.Inventory) error {
					counter(inv, &inv.Host("h").Vars)
					return nil
				}); err != nil {
					errs <- err
					return
				}
				if _, err := s.Update(ctx, func(inv *model.Inventory) error {
					counter(inv, &inv.Group("g").Vars)
					return nil
				}); err != nil {
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
	for _, load := range []func(context.Context) (*model.Inventory, int64, error){seed.Load, seed.LoadEntities} {
		inv, gen, err := load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hn, _ := inv.Host("h").Vars.Get("n")
		gn, _ := inv.Group("g").Vars.Get("n")
		if hn != int64(writers*each) || gn != int64(writers*each) {
			t.Fatalf("host n = %v, group n = %v; want %d each", hn, gn, writers*each)
		}
		if want := int64(1 + 2*writers*each); gen != want {
			t.Fatalf("generation %d, want %d (one per change)", gen, want)
		}
	}
}

// bigInventory has n hosts named prefix00000.. in one group, each with a var
// saying which inventory it belongs to.
func bigInventory(prefix string, n int) *model.Inventory {
	inv := model.New()
	g := inv.AddGroup("g" + prefix)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%05d.example.com", prefix, i)
		h := inv.AddHost(name)
		h.Vars = model.Map{{Key: "which", Value: prefix}, {Key: "i", Value: int64(i)}, {Key: "ansible_host", Value: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)}}
		g.Hosts = append(g.Hosts, name)
	}
	inv.Reconcile()
	return inv
}

// checkWhole fails unless inv is entirely the "a" or the "b" inventory.
func checkWhole(inv *model.Inventory, n int) (string, error) {
	if len(inv.Hosts) != n {
		return "", fmt.Errorf("saw %d hosts, want %d", len(inv.Hosts), n)
	}
	which := inv.Hosts[0].Name[:1]
	for i, h := range inv.Hosts {
		w, _ := h.Vars.Get("which")
		if h.Name != fmt.Sprintf("%s%05d.example.com", which, i) || w != which {
			return "", fmt.Errorf("mixed inventory: host %d is %q (which=%v) in inventory %q", i, h.Name, w, which)
		}
	}
	if g := inv.Group("g" + which); g == nil || len(g.Hosts) != n {
		return "", fmt.Errorf("group g%s incomplete", which)
	}
	return which, nil
}

// An import far larger than one multi is seen by readers all at once, on
// both read paths, and its old tree is cleaned up.
func TestIntegration_LargeImportIsAtomic(t *testing.T) {
	const n = 20000
	ctx := context.Background()
	cs := connectString(t)
	w := openStore(t, cs)
	if _, err := w.Update(ctx, func(inv *model.Inventory) error { *inv = *bigInventory("a", n); return nil }); err != nil {
		t.Fatal(err)
	}
	r := openStore(t, cs)
	var (
		wg      sync.WaitGroup
		done    atomic.Bool
		mu      sync.Mutex
		seen    = map[string]int{}
		readErr error
	)
	for name, load := range map[string]func(context.Context) (*model.Inventory, int64, error){"fast": r.Load, "slow": r.LoadEntities} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				inv, _, err := load(ctx)
				if err == nil {
					var which string
					which, err = checkWhole(inv, n)
					mu.Lock()
					seen[name+"-"+which]++
					mu.Unlock()
				}
				if err != nil {
					mu.Lock()
					readErr = fmt.Errorf("%s reader: %w", name, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := w.Update(ctx, func(inv *model.Inventory) error { *inv = *bigInventory("b", n); return nil }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	// Let each reader finish one read that started after the switch.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		ok := seen["fast-b"] > 0 && seen["slow-b"] > 0
		mu.Unlock()
		if ok || readErr != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	done.Store(true)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	t.Logf("reads seen: %v", seen)
	if seen["fast-a"] == 0 || seen["fast-b"] == 0 || seen["slow-b"] == 0 {
		t.Fatalf("readers did not observe both generations: %v", seen)
	}
	trees, _, err := w.Conn().Children("/kook/inventory/trees")
	if err != nil || len(trees) != 1 {
		t.Fatalf("trees after the import: %v, %v; want only the current one", trees, err)
	}
	hosts, _, err := w.Conn().Children(path.Join("/kook/inventory/trees", trees[0], "hosts"))
	if err != nil || len(hosts) != n {
		t.Fatalf("host znodes in the current tree: %d, %v; want %d", len(hosts), err, n)
	}
}

// Every host and group is its own znode, named by the documented encoding.
func TestIntegration_ZnodePerEntity(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, connectString(t))
	names := storetest.OddNames()
	if _, err := s.Update(ctx, func(inv *model.Inventory) error {
		for _, n := range names {
			inv.AddHost(n)
		}
		inv.Reconcile()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	trees, _, _ := s.Conn().Children("/kook/inventory/trees")
	if len(trees) != 1 {
		t.Fatalf("trees: %v", trees)
	}
	got, _, err := s.Conn().Children("/kook/inventory/trees/" + trees[0] + "/hosts")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range names {
		want = append(want, zkstore.EncodeName(n))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("host znodes:\n got %v\nwant %v", got, want)
	}
	groups, _, _ := s.Conn().Children("/kook/inventory/trees/" + trees[0] + "/groups")
	sort.Strings(groups)
	if strings.Join(groups, " ") != "all ungrouped" {
		t.Fatalf("group znodes: %v", groups)
	}
}

func TestEncodeName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"web-01.example.com", "web-01.example.com"},
		{"db primary", "db%20primary"},
		{"a/b", "a%2Fb"},
		{"..", "%2E."},
		{".", "%2E"},
		{"...x", "...x"},
		{"h:22", "h%3A22"},
		{"%41", "%2541"},
		{"é", "%C3%A9"},
	}
	for _, tt := range tests {
		if got := zkstore.EncodeName(tt.name); got != tt.want {
			t.Errorf("EncodeName(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if back, err := zkstore.DecodeName(tt.want); err != nil || back != tt.name {
			t.Errorf("DecodeName(%q) = %q, %v; want %q", tt.want, back, err, tt.name)
		}
	}
	if _, err := zkstore.DecodeName("bad%4"); err == nil {
		t.Error("DecodeName accepted a truncated escape")
	}
}

// An entity too big for a znode is refused by name and nothing is written.
func TestIntegration_TooLargeWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, connectString(t))
	gen1, err := s.Update(ctx, func(inv *model.Inventory) error { inv.AddHost("small"); inv.Reconcile(); return nil })
	if err != nil {
		t.Fatal(err)
	}
	blobs1, _, _ := s.Conn().Children("/kook/inventory/blobs")
	_, err = s.Update(ctx, func(inv *model.Inventory) error {
		inv.AddHost("ok-too")
		h := inv.AddHost("huge")
		h.Vars.Set("blob", strings.Repeat("x", 1100*1000))
		inv.Reconcile()
		return nil
	})
	if !errors.Is(err, model.ErrTooLarge) || !strings.Contains(err.Error(), `"huge"`) {
		t.Fatalf("got %v, want ErrTooLarge naming host \"huge\"", err)
	}
	inv, gen2, err := s.Load(ctx)
	if err != nil || gen2 != gen1 || inv.Host("ok-too") != nil {
		t.Fatalf("after the refused write: generation %d -> %d, err %v", gen1, gen2, err)
	}
	blobs2, _, _ := s.Conn().Children("/kook/inventory/blobs")
	if len(blobs2) != len(blobs1) {
		t.Fatalf("blobs before %v, after %v", blobs1, blobs2)
	}
}

// A server that does not answer gives a one-line error within the deadline.
func TestIntegration_UnreachableFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	_, err = zkstore.Open(context.Background(), zkstore.Config{Connect: addr + "/x", ConnectTimeout: time.Second}, "")
	took := time.Since(start)
	if err == nil {
		t.Fatal("Open succeeded with no server")
	}
	if took > 3*time.Second {
		t.Fatalf("Open took %v with a 1 s deadline", took)
	}
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("error should be one line naming %s: %q", addr, err)
	}
}

// Two chroots on one server, and two roots in one chroot, are separate.
func TestIntegration_ChrootsAndRootsAreSeparate(t *testing.T) {
	ctx := context.Background()
	srv := zktest.Shared(t)
	base := fmt.Sprintf("/iso%d", chrootSeq.Add(1))
	s1 := openStore(t, srv.Addr+base+"/one/deep")
	s2 := openStore(t, srv.Addr+base+"/two")
	s3, err := zkstore.Open(ctx, zkstore.Config{Connect: srv.Addr + base + "/two"}, "/other")
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	for i, s := range []*zkstore.Store{s1, s2, s3} {
		name := fmt.Sprintf("only-in-%d", i)
		if _, err := s.Update(ctx, func(inv *model.Inventory) error { inv.AddHost(name); inv.Reconcile(); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range []*zkstore.Store{s1, s2, s3} {
		inv, _, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(inv.Hosts) != 1 || inv.Hosts[0].Name != fmt.Sprintf("only-in-%d", i) {
			t.Errorf("store %d sees %d hosts, first %q", i, len(inv.Hosts), inv.Hosts[0].Name)
		}
	}
	raw := srv.Connect(t)
	for _, p := range []string{base + "/one/deep/kook/inventory/head", base + "/two/kook/inventory/head", base + "/two/other/inventory/head"} {
		if ok, _, err := raw.Exists(p); !ok || err != nil {
			t.Errorf("%s: exists=%v err=%v", p, ok, err)
		}
	}
}

// The per-entity znodes are the source of truth. A hand edit (zkCli.sh) is
// never clobbered: a kook write to another entity leaves it alone, a kook
// write to the same entity notices the znode version moved, rebuilds the
// snapshot and applies its change on top, and Rebuild refreshes the views.
func TestIntegration_HandEditsAndRebuild(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, connectString(t))
	if _, err := s.Update(ctx, func(inv *model.Inventory) error {
		for _, h := range []string{"a", "b", "c"} {
			inv.AddHost(h).Vars.Set("v", int64(1))
		}
		inv.Reconcile()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	trees, _, _ := s.Conn().Children("/kook/inventory/trees")
	hostA := "/kook/inventory/trees/" + trees[0] + "/hosts/a"
	handEdit := func(from, to string) {
		t.Helper()
		data, _, err := s.Conn().Get(hostA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Conn().Set(hostA, []byte(strings.Replace(string(data), from, to, 1)), -1); err != nil {
			t.Fatal(err)
		}
	}
	vars := func(load func(context.Context) (*model.Inventory, int64, error), host string) string {
		t.Helper()
		inv, _, err := load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return string(model.MarshalJSON(inv.Host(host).Vars))
	}

	handEdit(`"v":1`, `"v":2`)
	if _, err := s.Update(ctx, func(inv *model.Inventory) error { inv.Host("b").Vars.Set("v", int64(3)); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := vars(s.LoadEntities, "a"); got != `{"v":2}` {
		t.Fatalf("a write to b clobbered the hand edit of a: %s", got)
	}
	if got := vars(s.LoadEntities, "b"); got != `{"v":3}` {
		t.Fatalf("b = %s", got)
	}

	if _, err := s.Update(ctx, func(inv *model.Inventory) error { inv.Host("a").Vars.Set("w", int64(9)); return nil }); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(context.Context) (*model.Inventory, int64, error){"fast": s.Load, "slow": s.LoadEntities} {
		if got := vars(load, "a"); got != `{"v":2,"w":9}` {
			t.Errorf("%s path after writing a over a hand edit: %s", name, got)
		}
	}

	handEdit(`"v":2`, `"v":5`)
	fresh := openStore(t, connectStringOf(t, s))
	if _, err := fresh.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if got := vars(fresh.Load, "a"); got != `{"v":5,"w":9}` {
		t.Fatalf("after Rebuild: %s", got)
	}
}

// connectStringOf rebuilds the connect string a store was opened with.
func connectStringOf(t *testing.T, s *zkstore.Store) string {
	return zktest.Shared(t).Addr + s.Conn().Chroot()
}

// Both read paths agree after a series of edits.
func TestIntegration_FastAndSlowPathsAgree(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, connectString(t))
	s.Update(ctx, func(inv *model.Inventory) error { *inv = *bigInventory("a", 300); return nil })
	s.Update(ctx, func(inv *model.Inventory) error {
		inv.RemoveHost("a00100.example.com")
		inv.AddHost("new-first").Vars = storetest.TypedValues()
		inv.Reconcile()
		return nil
	})
	fast, g1, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slow, g2, err := s.LoadEntities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g1 != g2 {
		t.Fatalf("generations %d vs %d", g1, g2)
	}
	storetest.MustEqual(t, slow, fast)
}

// A 3-node ensemble with a chroot serves the store, and a write survives
// the loss of one node.
func TestIntegration_Ensemble(t *testing.T) {
	ctx := context.Background()
	e := zktest.StartEnsemble(t, 3)
	s := openStore(t, e.ConnectString()+"/ens")
	if _, err := s.Update(ctx, func(inv *model.Inventory) error { inv.AddHost("x"); inv.Reconcile(); return nil }); err != nil {
		t.Fatal(err)
	}
	e.StopNode(0)
	s2 := openStore(t, e.ConnectString()+"/ens")
	inv, _, err := s2.Load(ctx)
	if err != nil || inv.Host("x") == nil {
		t.Fatalf("after stopping one node: %v", err)
	}
}

// The materialized --host buckets give every host what script.Host
// computes from the whole inventory, odd names included, and {} for a host
// that does not exist.
func TestIntegration_HostJSONFromBuckets(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, connectString(t))
	want := bigInventory("a", 2500) // three buckets' worth
	for _, n := range append(storetest.OddNames(), "tab\there", "new\nline") {
		want.AddHost(n).Vars.Set("odd", n)
	}
	want.Reconcile()
	if _, err := s.Update(ctx, func(inv *model.Inventory) error { *inv = *want.Clone(); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, h := range want.Hosts {
		got, err := s.HostJSON(ctx, h.Name, zkstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if w := script.Host(want, h.Name); string(got) != string(w) {
			t.Fatalf("host %q: got %s, want %s", h.Name, got, w)
		}
	}
	if got, err := s.HostJSON(ctx, "no such host", zkstore.ReadOptions{}); err != nil || string(got) != "{}\n" {
		t.Fatalf("unknown host: %q, %v", got, err)
	}
}

// A group whose member list is over the znode limit is stored in parts,
// read back whole on both paths, edited, and removed with its parts. (A real
// fleet gets there with 70,000 ordinary names; long names get there with
// fewer hosts, which a test server with a small heap can hold.)
func TestIntegration_HugeGroup(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, connectString(t))
	want := model.New()
	big := want.AddGroup("env_prod")
	for i := 0; i < 12000; i++ {
		name := fmt.Sprintf("%s-%05d.example.com", strings.Repeat("web-eu-west-rack", 5), i)
		want.AddHost(name)
		big.Hosts = append(big.Hosts, name)
	}
	want.Reconcile()
	if _, err := s.Update(ctx, func(inv *model.Inventory) error { *inv = *want.Clone(); return nil }); err != nil {
		t.Fatal(err)
	}
	parts, _, err := s.Conn().Children(path.Join("/kook/inventory/trees", mustTree(t, s), "members"))
	if err != nil || len(parts) < 3 {
		t.Fatalf("member parts: %v, %v; want the 1.2 MB list split in several", parts, err)
	}
	// An edit in the middle of the list, then a removal, in place.
	edit := func(inv *model.Inventory) {
		g := inv.Group("env_prod")
		g.Hosts = append(g.Hosts[:100:100], g.Hosts[101:]...)
		inv.AddHost("late.example.com")
		g.Hosts = append(g.Hosts, "late.example.com")
	}
	edit(want)
	if _, err := s.Update(ctx, func(inv *model.Inventory) error { edit(inv); return nil }); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(context.Context) (*model.Inventory, int64, error){"fast": s.Load, "slow": s.LoadEntities} {
		got, _, err := load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if g := got.Group("env_prod"); len(g.Hosts) != len(want.Group("env_prod").Hosts) || g.Hosts[100] != want.Group("env_prod").Hosts[100] {
			t.Fatalf("%s path: env_prod has %d hosts", name, len(g.Hosts))
		}
		storetest.MustEqual(t, got, want)
	}
	if _, err := s.Update(ctx, func(inv *model.Inventory) error { return inv.RemoveGroup("env_prod") }); err != nil {
		t.Fatal(err)
	}
	parts, _, _ = s.Conn().Children(path.Join("/kook/inventory/trees", mustTree(t, s), "members"))
	if len(parts) != 0 {
		t.Fatalf("parts left after removing the group: %v", parts)
	}
}

func mustTree(t *testing.T, s *zkstore.Store) string {
	t.Helper()
	trees, _, err := s.Conn().Children("/kook/inventory/trees")
	if err != nil || len(trees) != 1 {
		t.Fatalf("trees: %v, %v", trees, err)
	}
	return trees[0]
}
