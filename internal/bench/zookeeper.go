package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/zklog"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkconn"
)

// zkJVMFlags give the server room for two trees of 100,000 host znodes at
// once (a fresh import next to the main root) and the server's last 500
// requests, and the JVM's full JIT: test servers' flags are for servers
// that live seconds.
var zkJVMFlags = []string{"-Xms256m", "-Xmx1g", "-XX:+UseSerialGC"}

// zkConfig are the zoo.cfg lines the bench adds to a test server's: hourly
// autopurge keeping three snapshots, as a long-running server should have
// (the bench's imports write gigabytes of log).
var zkConfig = []string{"autopurge.snapRetainCount=3", "autopurge.purgeInterval=1"}

// server is a standalone ZooKeeper of the benchmark's own. Each inventory
// size gets a new one, so that its transaction log holds that size's
// writes only and reads of it stay short.
type server struct {
	zk   *zktest.Server
	addr string // 127.0.0.1:port
	conn *zkconn.Conn
}

// startZooKeeper starts ZooKeeper (zktest's launcher, with a production
// server's fsync) on a free loopback port with its data under dir.
func startZooKeeper(ctx context.Context, dir string) (*server, error) {
	zs, err := zktest.Launch(dir, zktest.Options{JVMFlags: zkJVMFlags, Sync: true, Config: zkConfig})
	if err != nil {
		return nil, err
	}
	s := &server{zk: zs, addr: zs.Addr}
	s.conn, err = zkconn.Dial(ctx, zkconn.Config{Connect: s.addr})
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("connect to zookeeper: %w", err)
	}
	return s, nil
}

func (s *server) stop() {
	if s.conn != nil {
		s.conn.Close()
	}
	s.zk.Stop()
}

// version returns the server's "Zookeeper version:" line from srvr.
func (s *server) version() string {
	out, _ := s.zk.FourLetter("srvr")
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "Zookeeper version: "); ok {
			v, _, _ = strings.Cut(v, ",") // drop the build date
			v, _, _ = strings.Cut(v, "-") // and Debian's unexpanded "-${mvngit.commit.id}"
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// packets returns the requests the server has received (mntr's
// zk_packets_received). The mntr command counts as one.
func (s *server) packets() (int64, error) {
	out, err := s.zk.FourLetter("mntr")
	if err != nil {
		return 0, fmt.Errorf("mntr: %w", err)
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "zk_packets_received"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("mntr: no zk_packets_received in %.200q", out)
}

// requests runs fn and returns how many requests the server received
// meanwhile (its session's connect and close included), give or take a
// ping of the bench's own session.
func (s *server) requests(fn func() error) (int, error) {
	before, err := s.packets()
	if err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	after, err := s.packets()
	return int(after - before - 1), err
}

// lastZxid returns the zxid of the last transaction in the server's log.
// A process that wrote and exited has its records there: the server writes
// (and, with Sync, fsyncs) a transaction before it replies, and go-zookeeper's
// Close waits for the reply to the session's close.
func (s *server) lastZxid() (int64, error) {
	recs, err := zklog.Records(s.zk.DataDir())
	if err != nil {
		return 0, fmt.Errorf("read transaction log: %w", err)
	}
	return zklog.LastZxid(recs), nil
}

// logAfter returns the bytes and the number of the log's transactions
// after zxid, and the new last zxid.
func (s *server) logAfter(zxid int64) (bytes int64, records int, last int64, err error) {
	recs, err := zklog.Records(s.zk.DataDir())
	if err != nil {
		return 0, 0, 0, fmt.Errorf("read transaction log: %w", err)
	}
	for _, r := range recs {
		if r.Zxid > zxid {
			records++
		}
	}
	return zklog.BytesAfter(recs, zxid), records, zklog.LastZxid(recs), nil
}

// deleteAll removes p and everything below it, deepest znodes first, in
// multi batches with a few in flight: a sequential delete of 100,000
// znodes takes minutes, and roots left behind would grow the server's heap
// and snapshots run after run.
func (s *server) deleteAll(ctx context.Context, p string) error {
	levels := [][]string{{p}}
	for d := 0; d < len(levels); d++ {
		var next []string
		for _, q := range levels[d] {
			kids, _, err := s.conn.Children(ctx, q)
			if errors.Is(err, zk.ErrNoNode) {
				continue
			}
			if err != nil {
				return fmt.Errorf("list %s: %w", q, err)
			}
			for _, k := range kids {
				next = append(next, path.Join(q, k))
			}
		}
		if len(next) > 0 {
			levels = append(levels, next)
		}
	}
	for d := len(levels) - 1; d >= 0; d-- {
		if err := s.deleteBatch(ctx, levels[d]); err != nil {
			return err
		}
	}
	return nil
}

func (s *server) deleteBatch(ctx context.Context, paths []string) error {
	const batch, width = 1000, 4
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, width)
	for i := 0; i < len(paths); i += batch {
		part := paths[i:min(i+batch, len(paths))]
		t := s.conn.NewTxn()
		for _, q := range part {
			t.Delete(q, -1)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := s.conn.Commit(ctx, t); err != nil && !errors.Is(err, zk.ErrNoNode) {
				mu.Lock()
				first = cmp.Or(first, fmt.Errorf("delete %s...: %w", part[0], err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
