package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkstore"
)

// zkJVMFlags give the server room for two trees of 100,000 host znodes at
// once (an import writes the new tree before deleting the old one) and the
// benchmark's roots, and the JVM's full JIT: test servers' flags are for
// servers that live seconds.
var zkJVMFlags = []string{"-Xms256m", "-Xmx1g", "-XX:+UseSerialGC"}

// server is the benchmark's own standalone ZooKeeper.
type server struct {
	zk   *zktest.Server
	addr string // 127.0.0.1:port
	conn *zkstore.Conn
}

// startZooKeeper starts ZooKeeper (zktest's launcher, with a production
// server's fsync) on a free loopback port with its data under dir.
func startZooKeeper(ctx context.Context, dir string) (*server, error) {
	zs, err := zktest.Launch(dir, zktest.Options{JVMFlags: zkJVMFlags, Sync: true})
	if err != nil {
		return nil, err
	}
	s := &server{zk: zs, addr: zs.Addr}
	s.conn, err = zkstore.Dial(ctx, zkstore.Config{Connect: s.addr})
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

// deleteAll removes p and everything below it, deepest znodes first, in
// multi batches with a few in flight: a sequential delete of 100,000
// znodes takes minutes, and roots left behind would grow the server's heap
// and snapshots run after run.
func (s *server) deleteAll(p string) error {
	levels := [][]string{{p}}
	for d := 0; d < len(levels); d++ {
		var next []string
		for _, q := range levels[d] {
			kids, _, err := s.conn.Children(q)
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
		if err := s.deleteBatch(levels[d]); err != nil {
			return err
		}
	}
	return nil
}

func (s *server) deleteBatch(paths []string) error {
	const batch, width = 1000, 4
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, width)
	for i := 0; i < len(paths); i += batch {
		part := paths[i:min(i+batch, len(paths))]
		ops := make([]any, len(part))
		for j, q := range part {
			ops[j] = &zk.DeleteRequest{Path: q, Version: -1}
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := s.conn.Multi(ops...); err != nil && !errors.Is(err, zk.ErrNoNode) {
				mu.Lock()
				first = cmp.Or(first, fmt.Errorf("delete %s...: %w", part[0], err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
