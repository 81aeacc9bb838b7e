package zktest

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestMain(m *testing.M) { Main(m) }

// Not parallel: it makes the first port pick return a port that is taken,
// which Start must survive by retrying.
func TestIntegration_Start(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	picks := 0
	pickPorts = func(n int) ([]int, error) {
		if picks++; picks == 1 {
			return []int{taken.Addr().(*net.TCPAddr).Port}, nil
		}
		return freePorts(n)
	}
	defer func() { pickPorts = freePorts }()

	s := Start(t)
	if picks != 2 {
		t.Errorf("Start picked ports %d times, want 2 (one lost race, one retry)", picks)
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Errorf("Addr = %q, want 127.0.0.1:PORT", s.Addr)
	}
	if srvr, err := fourLetter(s.Addr, "srvr"); err != nil || !strings.Contains(srvr, "Mode: standalone") {
		t.Errorf("srvr = %q, %v; want Mode: standalone", srvr, err)
	}
	conn := s.Connect(t)
	if _, err := conn.Create("/a", []byte("hello"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if got, _, err := conn.Get("/a"); err != nil || string(got) != "hello" {
		t.Errorf("Get(/a) = %q, %v; want hello", got, err)
	}
}

func TestIntegration_ServerRestart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	conn := s.Connect(t)
	if _, err := conn.Create("/kept", []byte("v1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	addr, session := s.Addr, conn.SessionID()

	s.Stop()
	if _, err := fourLetter(addr, "ruok"); err == nil {
		t.Fatal("server still answers after Stop")
	}
	s.Restart()
	if s.Addr != addr {
		t.Errorf("Addr after Restart = %s, want %s", s.Addr, addr)
	}
	// The old connection reconnects within its session timeout and so keeps
	// its session.
	WaitSession(t, conn)
	if id := conn.SessionID(); id != session {
		t.Errorf("session after Restart = %#x, want the old %#x", id, session)
	}
	if got, _, err := conn.Get("/kept"); err != nil || string(got) != "v1" {
		t.Errorf("Get(/kept) on the old conn = %q, %v; want v1", got, err)
	}
	if got, _, err := s.Connect(t).Get("/kept"); err != nil || string(got) != "v1" {
		t.Errorf("Get(/kept) on a new conn = %q, %v; want v1", got, err)
	}
}

func TestIntegration_StartEnsemble(t *testing.T) {
	t.Parallel()
	e := StartEnsemble(t, 3)
	addrs := strings.Split(e.ConnectString(), ",")
	if len(addrs) != 3 || addrs[0] == addrs[1] || addrs[1] == addrs[2] || addrs[0] == addrs[2] {
		t.Fatalf("ConnectString = %q, want 3 distinct addresses", e.ConnectString())
	}
	leaders := 0
	for _, s := range e.Servers {
		srvr, _ := fourLetter(s.Addr, "srvr")
		if strings.Contains(srvr, "Mode: leader") {
			leaders++
		} else if !strings.Contains(srvr, "Mode: follower") {
			t.Errorf("srvr on %s = %q, want leader or follower", s.Addr, srvr)
		}
	}
	if leaders != 1 {
		t.Errorf("%d leaders, want 1", leaders)
	}

	first, last := e.Servers[0].Connect(t), e.Servers[2].Connect(t)
	if _, err := first.Create("/e", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	mustSyncGet(t, last, "/e", "x")

	// Two of three still form a quorum, and a restarted member catches up.
	e.StopNode(0)
	if _, err := last.Create("/f", []byte("y"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create with node 0 down: %v", err)
	}
	e.StartNode(0)
	mustSyncGet(t, e.Servers[0].Connect(t), "/f", "y")
	mustSyncGet(t, e.Connect(t), "/e", "x")
}

// mustSyncGet reads path after Sync, since a follower may lag the leader.
func mustSyncGet(t *testing.T, conn *zk.Conn, path, want string) {
	t.Helper()
	if _, err := conn.Sync(path); err != nil {
		t.Fatalf("Sync(%s) on %s: %v", path, conn.Server(), err)
	}
	if got, _, err := conn.Get(path); err != nil || string(got) != want {
		t.Errorf("Get(%s) on %s = %q, %v; want %q", path, conn.Server(), got, err, want)
	}
}

func TestIntegration_ExpireSession(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	root := Root(t)
	events := make(chan zk.Event, 100)
	conn := s.Connect(t, zk.WithEventCallback(func(ev zk.Event) {
		select {
		case events <- ev:
		default:
		}
	}))
	mustCreate(t, conn, "/zktest", zk.ErrNodeExists)
	mustCreate(t, conn, root, nil)
	if _, err := conn.Create(root+"/eph", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	old := conn.SessionID()

	ExpireSession(t, conn)

	waitState(t, events, zk.StateExpired)
	waitState(t, events, zk.StateHasSession)
	if id := conn.SessionID(); id == old || id == 0 {
		t.Errorf("session id after expiry = %#x, want a new one (old %#x)", id, old)
	}
	if ok, _, err := conn.Exists(root + "/eph"); err != nil || ok {
		t.Errorf("Exists(ephemeral) after expiry = %v, %v; want false", ok, err)
	}
}

func mustCreate(t *testing.T, conn *zk.Conn, path string, allowed error) {
	t.Helper()
	if _, err := conn.Create(path, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && (allowed == nil || !errors.Is(err, allowed)) {
		t.Fatalf("create %s: %v", path, err)
	}
}

func waitState(t *testing.T, events <-chan zk.Event, want zk.State) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Type == zk.EventSession && ev.State == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %v event within 10s", want)
		}
	}
}

func TestIntegration_Shared(t *testing.T) {
	t.Parallel()
	a, b := Shared(t), Shared(t)
	if a != b {
		t.Errorf("Shared returned two servers: %s and %s", a.Addr, b.Addr)
	}
	if r1, r2 := Root(t), Root(t); r1 == r2 || !strings.HasPrefix(r1, "/zktest/TestIntegration_Shared-") {
		t.Errorf("Root = %q, %q; want distinct paths under /zktest/TestIntegration_Shared-", r1, r2)
	}
	defer func() {
		if recover() == nil {
			t.Error("Stop on the shared server did not panic")
		}
	}()
	a.Stop()
}

// fatalTB records the first Fatal and ends the goroutine as testing does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Not parallel: it swaps the package's paths while the parallel tests wait.
func TestNotInstalled(t *testing.T) {
	const want = "ZooKeeper is not installed: run `make test`, which installs it " +
		"(or: apt-get update && apt-get install -y zookeeper)"
	tests := []struct {
		name      string
		jar, java string
		start     func(testing.TB)
	}{
		{name: "NoJar", jar: "/nonexistent/zookeeper.jar", java: javaBin, start: func(tb testing.TB) { Start(tb) }},
		{name: "NoJava", jar: zookeeperJar, java: "/nonexistent/java", start: func(tb testing.TB) { Start(tb) }},
		{name: "Ensemble", jar: "/nonexistent/zookeeper.jar", java: javaBin, start: func(tb testing.TB) { StartEnsemble(tb, 3) }},
		{name: "Shared", jar: "/nonexistent/zookeeper.jar", java: javaBin, start: func(tb testing.TB) { Shared(tb) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldJar, oldJava := zookeeperJar, javaBin
			zookeeperJar, javaBin = tt.jar, tt.java
			defer func() { zookeeperJar, javaBin = oldJar, oldJava }()

			f := &fatalTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				tt.start(f)
			}()
			<-done
			if !strings.HasPrefix(f.msg, want) {
				t.Errorf("failure = %q, want it to start with %q", f.msg, want)
			}
		})
	}
}
