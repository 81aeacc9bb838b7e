package zktest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// Ensemble is a ZooKeeper ensemble of several servers on the loopback
// interface, each with its own data directory and ports.
type Ensemble struct {
	// Servers are the members; Servers[i] has myid i+1.
	Servers []*Server
}

// StartEnsemble runs an ensemble of n servers for tb under tb.TempDir(),
// waits until every member serves, and stops them in tb.Cleanup. Use n=3 to
// survive one member stopping. For one server use [Start]: ZooKeeper runs a
// one-member ensemble standalone.
func StartEnsemble(tb testing.TB, n int) *Ensemble {
	tb.Helper()
	if n < 2 {
		tb.Fatalf("zktest: StartEnsemble(%d): an ensemble needs 2 or more servers", n)
	}
	if err := checkInstalled(); err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir() // before the Cleanup that stops the servers in it
	e := &Ensemble{}
	tb.Cleanup(func() {
		e.stopAll()
		for _, s := range e.Servers {
			if s != nil {
				s.node.logFailure(tb)
			}
		}
	})
	var err error
	for range startTries {
		if err = e.start(tb, dir, n); !errors.Is(err, errPortInUse) {
			break
		}
		e.stopAll()
	}
	if err != nil {
		tb.Fatalf("start zookeeper ensemble: %v", err)
	}
	return e
}

// start launches all members before waiting for any: none can serve until
// a quorum has elected a leader.
func (e *Ensemble) start(tb testing.TB, dir string, n int) error {
	ports, err := pickPorts(3 * n) // client, quorum and election port each
	if err != nil {
		return err
	}
	quorum := make([]string, n)
	for i := range n {
		quorum[i] = fmt.Sprintf("server.%d=127.0.0.1:%d:%d", i+1, ports[3*i+1], ports[3*i+2])
	}
	e.Servers = make([]*Server, n)
	for i := range n {
		nd := &node{dir: filepath.Join(dir, "zk"+strconv.Itoa(i+1)), port: ports[3*i]}
		e.Servers[i] = &Server{Addr: nd.addr(), tb: tb, node: nd}
		// A retry after a lost port race starts from empty directories,
		// not from what the failed members wrote.
		if err := os.RemoveAll(nd.dir); err != nil {
			return fmt.Errorf("clean %s: %w", nd.dir, err)
		}
		if err := nd.configure(i+1, quorum); err != nil {
			return err
		}
		if err := nd.launch(); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(readyTimeout)
	for _, s := range e.Servers {
		if err := s.node.waitReady(deadline); err != nil {
			return err
		}
	}
	return nil
}

// stopAll stops the members in parallel: each takes a while to shut down.
func (e *Ensemble) stopAll() {
	var wg sync.WaitGroup
	for _, s := range e.Servers {
		if s != nil {
			wg.Go(s.node.stop)
		}
	}
	wg.Wait()
}

// ConnectString returns the members' addresses as "host:port,host:port,...".
func (e *Ensemble) ConnectString() string {
	return strings.Join(e.addrs(), ",")
}

func (e *Ensemble) addrs() []string {
	addrs := make([]string, len(e.Servers))
	for i, s := range e.Servers {
		addrs[i] = s.Addr
	}
	return addrs
}

// StopNode stops member i (0-based) and waits until it is gone.
func (e *Ensemble) StopNode(i int) { e.Servers[i].Stop() }

// StartNode starts member i again, with its data, and waits until it serves;
// that needs a quorum of the other members to be up.
func (e *Ensemble) StartNode(i int) { e.Servers[i].Restart() }

// Connect opens a session to the ensemble as a whole, like Server.Connect.
func (e *Ensemble) Connect(tb testing.TB, opts ...func(*zk.Conn)) *zk.Conn {
	tb.Helper()
	return connect(tb, e.addrs(), opts)
}
