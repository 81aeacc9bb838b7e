package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/zkstore"
)

// zkJavaOpts gives the server room for two trees of 100,000 host znodes at
// once (an import writes the new tree before deleting the old one) and the
// benchmark's roots; the scripts/zookeeper default of 128 MB is for demos.
const zkJavaOpts = "-Xms256m -Xmx1g -XX:+UseSerialGC"

// server is the benchmark's own standalone ZooKeeper.
type server struct {
	repo, dir string
	addr      string // 127.0.0.1:port
	conn      *zkstore.Conn
}

// startZooKeeper runs scripts/zookeeper on a free loopback port with its
// data under dir.
func startZooKeeper(ctx context.Context, repo, dir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(repo, "scripts", "zookeeper"), "start", dir, strconv.Itoa(port))
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "ZK_JAVA_OPTS="+zkJavaOpts)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("start zookeeper: %w\n%s", err, out)
	}
	s := &server{repo: repo, dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	s.conn, err = zkstore.Dial(ctx, zkstore.Config{Connect: s.addr})
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("connect to zookeeper: %w", err)
	}
	return s, nil
}

// stop stops the server by the PID scripts/zookeeper recorded.
func (s *server) stop() {
	if s.conn != nil {
		s.conn.Close()
	}
	cmd := exec.Command(filepath.Join(s.repo, "scripts", "zookeeper"), "stop", s.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: stop zookeeper: %v\n%s", err, out)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// version returns the server's "Zookeeper version:" line from srvr.
func (s *server) version() string {
	c, err := net.DialTimeout("tcp", s.addr, 3*time.Second)
	if err != nil {
		return "unknown"
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "srvr"); err != nil {
		return "unknown"
	}
	out, _ := io.ReadAll(c)
	for _, l := range strings.Split(string(out), "\n") {
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
