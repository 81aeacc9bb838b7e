package zktest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a ZooKeeper server run by this package.
type Server struct {
	// Addr is the client address, "127.0.0.1:PORT". It stays the same
	// across Stop and Restart.
	Addr string

	tb     testing.TB // fails on Restart errors; nil for the shared server
	shared bool
	node   *node
}

// Start runs a private standalone ZooKeeper for tb under tb.TempDir() and
// stops it in tb.Cleanup. It fails tb, never skips, where ZooKeeper is not
// installed.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if err := checkInstalled(); err != nil {
		tb.Fatal(err)
	}
	// TempDir first: cleanups run last-in first-out, and the server must be
	// gone before its directory is removed.
	dir := tb.TempDir()
	s := &Server{tb: tb}
	tb.Cleanup(func() {
		s.Stop()
		s.node.logFailure(tb)
	})
	if err := s.startStandalone(dir, Options{}); err != nil {
		tb.Fatalf("start zookeeper: %v", err)
	}
	return s
}

// Options configure a server that [Launch] starts.
type Options struct {
	// JVMFlags replace the test servers' flags (a 128 MB heap, the C1
	// compiler only).
	JVMFlags []string
	// Sync makes the server fsync its transaction log, as a production
	// server does; test servers do not.
	Sync bool
}

// Launch starts a standalone server for a program rather than a test (the
// benchmark): its files live under dir, it listens on a free loopback port,
// and Launch returns once it serves. The caller stops it with Stop.
func Launch(dir string, opts Options) (*Server, error) {
	if err := checkInstalled(); err != nil {
		return nil, err
	}
	s := &Server{}
	if err := s.startStandalone(dir, opts); err != nil {
		s.Stop()
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	return s, nil
}

// DataDir is the server's dataDir: its snapshots and transaction logs
// (version-2/log.*), which package zklog reads to tell what a change
// wrote.
func (s *Server) DataDir() string { return filepath.Join(s.node.dir, "data") }

// FourLetter sends a four-letter-word command (srvr, mntr...) and returns
// the server's reply.
func (s *Server) FourLetter(cmd string) (string, error) { return fourLetter(s.Addr, cmd) }

// startStandalone starts a standalone server in dir on a fresh port,
// retrying when another process wins the race for the port.
func (s *Server) startStandalone(dir string, opts Options) error {
	var err error
	for range startTries {
		var ports []int
		if ports, err = pickPorts(1); err != nil {
			return err
		}
		s.node = &node{dir: dir, port: ports[0], jvm: opts.JVMFlags, sync: opts.Sync}
		s.Addr = s.node.addr()
		if err = s.node.configure(0, nil); err != nil {
			return err
		}
		if err = s.node.launch(); err != nil {
			return err
		}
		err = s.node.waitReady(time.Now().Add(readyTimeout))
		if !errors.Is(err, errPortInUse) {
			return err
		}
	}
	return fmt.Errorf("%w after %d tries", err, startTries)
}

// Stop stops the server and waits until its process is gone; Restart brings
// it back. Stopping a stopped server does nothing. The shared server cannot
// be stopped by a test: use Start for a server a test may take away.
func (s *Server) Stop() {
	if s.shared {
		panic("zktest: Stop on the shared server; use zktest.Start for a private one")
	}
	s.node.stop()
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data, waiting until it serves. Clients connected before keep
// their sessions if they reconnect within the session timeout. Errors fail
// the test that started the server.
func (s *Server) Restart() {
	s.tb.Helper()
	if s.shared {
		panic("zktest: Restart on the shared server; use zktest.Start for a private one")
	}
	s.node.stop()
	if err := s.node.launch(); err != nil {
		s.tb.Fatalf("restart zookeeper: %v", err)
	}
	if err := s.node.waitReady(time.Now().Add(readyTimeout)); err != nil {
		s.tb.Fatalf("restart zookeeper: %v", err)
	}
}

// The shared server outlives single tests, so it has its own directory and
// is stopped by Main.
var shared struct {
	mu     sync.Mutex
	server *Server
	dir    string
	err    error // a failed start is not retried by every later test
}

var mainRunning atomic.Bool

// Shared returns the test binary's shared server, starting it on first use.
// It needs TestMain to call [Main], which stops the server at the end. Tests
// on the shared server keep apart by working under their own [Root].
func Shared(tb testing.TB) *Server {
	tb.Helper()
	if !mainRunning.Load() {
		tb.Fatal("zktest.Shared needs func TestMain(m *testing.M) { zktest.Main(m) }")
	}
	if err := checkInstalled(); err != nil {
		tb.Fatal(err)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server == nil && shared.err == nil {
		shared.err = startShared()
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.server
}

func startShared() error {
	dir, err := os.MkdirTemp("", "zktest-shared-")
	if err != nil {
		return fmt.Errorf("shared zookeeper: %w", err)
	}
	shared.dir = dir
	s := &Server{shared: true}
	if err := s.startStandalone(dir, Options{}); err != nil {
		s.node.stop()
		return fmt.Errorf("shared zookeeper: %w", err)
	}
	shared.server = s
	return nil
}

// Main runs the tests of a package that uses [Shared], then stops the shared
// server and removes its files. Call it from TestMain:
//
//	func TestMain(m *testing.M) { zktest.Main(m) }
//
// Returning from TestMain makes the test binary exit with m.Run's code.
func Main(m *testing.M) {
	mainRunning.Store(true)
	defer stopShared()
	m.Run()
}

func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server != nil {
		shared.server.node.stop()
		shared.server = nil
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
		shared.dir = ""
	}
}

var (
	rootSeq    atomic.Int64
	rootUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
)

// Root returns a znode path, unique within the test binary, under which tb
// can work on a shared server without meeting other tests. The path is named
// after the test so leftovers are easy to trace; it is not created.
func Root(tb testing.TB) string {
	name := rootUnsafe.ReplaceAllString(tb.Name(), "_")
	return "/zktest/" + name + "-" + strconv.FormatInt(rootSeq.Add(1), 10)
}
