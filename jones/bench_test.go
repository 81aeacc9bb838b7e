package jones_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// Sizes of issue 15's measurements: 1,000 environments (20 under the root,
// 49 under each of those) and 10,000 associations.
const (
	benchTop    = 20
	benchBelow  = 49
	benchAssocs = 10000
)

// benchHost names the i-th associated host, as long as a typical FQDN.
func benchHost(i int) string { return fmt.Sprintf("host%05d.dc1.example.com", i) }

func benchEnv(i int) string { return fmt.Sprintf("t%02d/e%02d", i%benchTop, i/benchTop%benchBelow) }

// BenchmarkScale measures, with 1,000 environments and 10,000 associations,
// what `kook config` does in one process: open a session, make the call,
// close. Floor opens a session and reads one small znode, the least any
// such command does.
//
// It starts its own ZooKeeper with scripts/zookeeper and a 1 GiB heap, not
// the tests' 128 MiB server: ZooKeeper keeps its last 500 write requests in
// memory, and each association writes the whole 580 kB nodemap.
// KOOK_BENCH_ZK=host:port runs it against a server of your own instead, and
// KOOK_BENCH_KEEP=1 leaves the tree there, under /bench-scale/kook, to time
// the kook binary against it.
//
//	go test ./jones/ -run '^$' -bench Scale -benchtime 20x
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	addr := os.Getenv("KOOK_BENCH_ZK")
	if addr == "" {
		addr = startBenchServer(b)
	}
	chroot := "/bench-scale"
	dialB := func() *zkconn.Conn {
		conn, err := zkconn.Dial(ctx, zkconn.Config{Connect: addr + chroot, ConnectTimeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		return conn
	}
	setup := dialB()
	if err := setup.DeleteAll(ctx, "/"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if os.Getenv("KOOK_BENCH_KEEP") != "" {
			setup.Close()
			return
		}
		if err := setup.DeleteAll(ctx, "/"); err != nil {
			b.Error(err)
		}
		setup.Close()
	})
	s := jones.NewStore(setup, root)
	start := time.Now()
	buildBenchTree(b, s, setup)
	b.Logf("setup: %d environments and %d associations in %v", benchTop*(benchBelow+1), benchAssocs, time.Since(start).Round(time.Millisecond))

	// one runs fn as a command would: on its own session.
	one := func(b *testing.B, fn func(s *jones.Store) error) {
		for i := 0; b.Loop(); i++ {
			conn := dialB()
			if err := fn(jones.NewStore(conn, root)); err != nil {
				b.Fatal(err)
			}
			conn.Close()
		}
	}
	b.Run("Floor", func(b *testing.B) {
		one(b, func(s *jones.Store) error {
			_, err := s.Show(ctx, "svc", "t00")
			return err
		})
	})
	b.Run("GetHost", func(b *testing.B) {
		i := 0
		one(b, func(s *jones.Store) error {
			i++
			view, env, err := s.ViewFor(ctx, "svc", benchHost(i*7919%benchAssocs))
			if err == nil && (len(view) == 0 || env == jones.Root) {
				err = fmt.Errorf("got %s of %s", model.MarshalJSON(view), env)
			}
			return err
		})
	})
	b.Run("Assoc", func(b *testing.B) {
		i := 0
		one(b, func(s *jones.Store) error {
			i++
			return s.Assoc(ctx, "svc", benchHost(i*7919%benchAssocs), benchEnv(i))
		})
	})
	b.Run("RootConfig64k", func(b *testing.B) {
		i := 0
		one(b, func(s *jones.Store) error {
			i++
			_, err := s.Replace(ctx, "svc", jones.Root, benchConfig(64<<10, i), -1)
			return err
		})
		b.StopTimer()
		problems, err := s.Check(ctx, "svc")
		if err != nil || len(problems) > 0 {
			b.Fatalf("after the root changes, Check: %v %v", problems, err)
		}
	})
}

// startBenchServer runs scripts/zookeeper in a temporary directory on a
// free port and stops it when b ends.
func startBenchServer(b *testing.B) string {
	dir := b.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	script := filepath.Join("..", "scripts", "zookeeper")
	cmd := exec.Command(script, "start", dir, strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "ZK_JAVA_OPTS=-Xms256m -Xmx1g -XX:+UseSerialGC")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s start: %v\n%s", script, err, out)
	}
	b.Cleanup(func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			b.Errorf("%s stop: %v\n%s", script, err, out)
		}
	})
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// benchConfig returns a config of about size bytes in 64 keys whose values
// depend on seed.
func benchConfig(size, seed int) model.Map {
	var m model.Map
	for k := range 64 {
		m = append(m, model.Entry{Key: fmt.Sprintf("key%02d", k), Value: fmt.Sprintf("%d-%s", seed, strings.Repeat("v", size/64-20))})
	}
	return m
}

// buildBenchTree creates the environments through the store and writes the
// nodemap in one request (10,000 Assoc calls would take minutes).
func buildBenchTree(b *testing.B, s *jones.Store, conn *zkconn.Conn) {
	ctx := context.Background()
	mustCreate(b, s, "svc", "/", `{"a": 0}`)
	for t := range benchTop {
		mustCreate(b, s, "svc", fmt.Sprintf("t%02d", t), fmt.Sprintf(`{"t": %d}`, t))
		for e := range benchBelow {
			mustCreate(b, s, "svc", fmt.Sprintf("t%02d/e%02d", t, e), fmt.Sprintf(`{"e": %d}`, e))
		}
	}
	var nm []byte
	nm = append(nm, '{')
	for i := range benchAssocs {
		if i > 0 {
			nm = append(nm, ',')
		}
		nm = fmt.Appendf(nm, "%q:%q", benchHost(i), "/services/svc/views/"+benchEnv(i))
	}
	nm = append(nm, '}')
	if _, err := conn.Set(ctx, root+"/services/svc/nodemaps", nm, -1); err != nil {
		b.Fatal(err)
	}
	b.Logf("nodemaps: %d bytes", len(nm))
	if as, err := s.Assocs(ctx, "svc"); err != nil || len(as) != benchAssocs {
		b.Fatalf("Assocs: %d, %v", len(as), err)
	}
}
