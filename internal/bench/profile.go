package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/kook-project/kook/internal/gen"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkstore"
)

// profile writes CPU profiles of what kook-import and kook-inventory do
// after process start, run in this process with the calls their Run
// methods make (cmd/kook-import/main.go, cmd/kook-inventory/run.go), for
// `go tool pprof`: parse-N (inventory.Load), render-N (script.List),
// import-N (parse and model.Import), list-N and host-N (one connection and
// read each, repeated). Process start and package init are not in them:
// see GODEBUG=inittrace=1 for those.
func (b *bench) profile(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range b.cfg.sizes {
		src := filepath.Join(b.tmp, fmt.Sprintf("inv-%d", n))
		if err := gen.Generate(src, gen.Options{Hosts: n, Groups: max(gen.MinGroups, n/50), Seed: 1, Depth: 3}); err != nil {
			return err
		}
		root := fmt.Sprintf("/kook-profile/%d", n)
		cfg := zkstore.Config{Connect: b.zk.addr}

		// Parse and render are profiled on their own too: they are most of
		// an import's CPU, and they can be looked at when the import fails.
		var inv *model.Inventory
		err := b.profiled(filepath.Join(dir, fmt.Sprintf("parse-%d.pprof", n)), fmt.Sprintf("%d hosts: parse", n), 1, func() (err error) {
			inv, err = inventory.Load(src)
			return err
		})
		if err != nil {
			return err
		}
		err = b.profiled(filepath.Join(dir, fmt.Sprintf("render-%d.pprof", n)), fmt.Sprintf("%d hosts: render --list", n), 1, func() error {
			_ = script.List(inv)
			return nil
		})
		if err != nil {
			return err
		}
		err = b.profiled(filepath.Join(dir, fmt.Sprintf("import-%d.pprof", n)), fmt.Sprintf("%d hosts: import", n), 1, func() error {
			src, err := inventory.Load(src)
			if err != nil {
				return err
			}
			s, err := zkstore.Open(ctx, cfg, root)
			if err != nil {
				return err
			}
			defer s.Close()
			_, err = model.Import(ctx, s, src, model.ImportOptions{})
			return err
		})
		if err != nil {
			b.logf("%v", err)
			continue
		}
		// Whole-process runs take milliseconds: repeat to get samples.
		reps := max(10, 2_000_000/n)
		read := func(fn func(s *zkstore.Store) ([]byte, error)) func() error {
			return func() error {
				s, err := zkstore.Open(ctx, cfg, root)
				if err != nil {
					return err
				}
				defer s.Close()
				data, err := fn(s)
				if err != nil {
					return err
				}
				_, err = io.Discard.Write(data)
				return err
			}
		}
		err = b.profiled(filepath.Join(dir, fmt.Sprintf("list-%d.pprof", n)), fmt.Sprintf("%d hosts: --list", n), reps, read(func(s *zkstore.Store) ([]byte, error) {
			return s.ListJSON(ctx, zkstore.ReadOptions{})
		}))
		if err != nil {
			return err
		}
		host := inv.Hosts[len(inv.Hosts)/2].Name
		err = b.profiled(filepath.Join(dir, fmt.Sprintf("host-%d.pprof", n)), fmt.Sprintf("%d hosts: --host", n), reps, read(func(s *zkstore.Store) ([]byte, error) {
			return s.HostJSON(ctx, host, zkstore.ReadOptions{})
		}))
		if err != nil {
			return err
		}
		if err := b.zk.deleteAll(root); err != nil {
			return err
		}
	}
	fmt.Printf("view with: go tool pprof -top -cum %s/FILE.pprof (or -http=: FILE)\n", dir)
	return nil
}

// profiled runs fn reps times under the CPU profiler and logs the mean
// time per run.
func (b *bench) profiled(file, what string, reps int, fn func() error) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	for range reps {
		if err := fn(); err != nil {
			pprof.StopCPUProfile()
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	pprof.StopCPUProfile()
	b.logf("%s: %s per run (%d runs), profile in %s", what, (time.Since(start) / time.Duration(reps)).Round(10*time.Microsecond), reps, file)
	return nil
}
