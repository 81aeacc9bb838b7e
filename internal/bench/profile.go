package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/gen"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
)

// profile writes CPU profiles of what kook-import, kook-inventory and kook
// do after process start, run in this process with the calls their Run
// methods make through package kook, for `go tool pprof`: parse-N
// (inventory.Load), render-N (script.List), import-N (parse and
// Client.Replace), list-N, limit-N, slow-N and host-N (WriteList without
// and with KOOK_LIMIT, WriteListFromNodes, WriteHost), show-N,
// explain-N, groupshow-N and status-N (the kook reads), and the edits:
// set-N (SetHostVars), addrm-N (CreateHost then DeleteHost),
// addhost-N (AddMember to env_prod then RemoveMember), merge-N (Merge of a
// one-host source) and setall-N (SetGroupVars on all). Every repetition
// of a read or an edit opens its own client, as a process does. Process
// start and package init are not in them: see GODEBUG=inittrace=1 for
// those.
func (b *bench) profile(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range b.cfg.sizes {
		if err := b.profileSize(ctx, dir, n); err != nil {
			return fmt.Errorf("%d hosts: %w", n, err)
		}
	}
	fmt.Printf("view with: go tool pprof -top -cum %s/FILE.pprof (or -http=: FILE)\n", dir)
	return nil
}

func (b *bench) profileSize(ctx context.Context, dir string, n int) error {
	src := filepath.Join(b.tmp, fmt.Sprintf("inv-%d", n))
	if err := gen.Generate(src, gen.Options{Hosts: n, Groups: max(gen.MinGroups, n/50), Seed: 1, Depth: 3}); err != nil {
		return err
	}
	root := fmt.Sprintf("/kook-profile/%d", n)
	cfg := kook.Config{ZK: b.zk.addr, Root: root, Timeout: time.Minute}
	file := func(name string) string { return filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", name, n)) }

	// Parse and render are profiled on their own too: they are most of
	// an import's CPU, and they can be looked at when the import fails.
	var inv *model.Inventory
	err := b.profiled(file("parse"), fmt.Sprintf("%d hosts: parse", n), 1, func(int) (err error) {
		inv, err = inventory.Load(src)
		return err
	})
	if err != nil {
		return err
	}
	err = b.profiled(file("render"), fmt.Sprintf("%d hosts: render --list", n), 1, func(int) error {
		_ = script.List(inv)
		return nil
	})
	if err != nil {
		return err
	}
	err = b.profiled(file("import"), fmt.Sprintf("%d hosts: import", n), 1, func(int) error {
		src, err := inventory.Load(src)
		if err != nil {
			return err
		}
		c, err := kook.Open(ctx, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Replace(ctx, kook.EditOptions{}, src)
		return err
	})
	if err != nil {
		return err
	}
	defer b.zk.deleteAll(ctx, root)

	// Reads and edits take milliseconds: repeat them for samples. A
	// --list of the whole inventory takes seconds on its slow paths.
	reps, listReps, slowReps := 200, max(10, 2_000_000/n), max(3, 200_000/n)
	withClient := func(fn func(c *kook.Client, i int) error) func(int) error {
		return func(i int) error {
			c, err := kook.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer c.Close()
			return fn(c, i)
		}
	}
	var list bytes.Buffer
	if err := withClient(func(c *kook.Client, _ int) error { return c.WriteList(ctx, &list, "") })(0); err != nil {
		return err
	}
	p, err := pick(list.Bytes())
	if err != nil {
		return err
	}
	mergeFile := filepath.Join(b.tmp, fmt.Sprintf("profile-merge-%d.ini", n))
	edit := func(ops func(i int) ([]kook.Op, error)) func(c *kook.Client, i int) error {
		return func(c *kook.Client, i int) error {
			o, err := ops(i)
			if err != nil {
				return err
			}
			_, err = c.Edit(ctx, kook.EditOptions{}, o...)
			return err
		}
	}
	one := func(o ...kook.Op) ([]kook.Op, error) { return o, nil }
	vars := func(k string, i int) kook.Vars { return kook.Vars{{Key: k, Value: int64(i)}} }
	newHost := func(i int) string { return fmt.Sprintf("profile-add-%04d.example.com", i) }
	runs := []struct {
		name, what string
		fn         func(c *kook.Client, i int) error
	}{
		{"list", "--list", func(c *kook.Client, _ int) error { return c.WriteList(ctx, io.Discard, "") }},
		{"limit", "--list, KOOK_LIMIT=" + gen.CanaryGroup, func(c *kook.Client, _ int) error { return c.WriteList(ctx, io.Discard, gen.CanaryGroup) }},
		{"slow", "--list, slow path", func(c *kook.Client, _ int) error { return c.WriteListFromNodes(ctx, io.Discard) }},
		{"host", "--host", func(c *kook.Client, _ int) error { return c.WriteHost(ctx, io.Discard, p.host) }},
		{"show", "host show", func(c *kook.Client, _ int) error { _, err := c.Host(ctx, p.host); return err }},
		{"explain", "explain", func(c *kook.Client, _ int) error { _, err := c.Explain(ctx, p.host, "http_port"); return err }},
		{"groupshow", "group show " + p.group, func(c *kook.Client, _ int) error {
			if _, err := c.Group(ctx, p.group); err != nil {
				return err
			}
			_, err := c.GroupHosts(ctx, p.group)
			return err
		}},
		{"status", "status", func(c *kook.Client, _ int) error { _, err := c.Status(ctx); return err }},
		{"set", "host set", edit(func(i int) ([]kook.Op, error) { return one(kook.SetHostVars{Host: p.host, Vars: vars("v", i)}) })},
		{"addrm", "host add, then host rm", func(c *kook.Client, i int) error {
			if _, err := c.Edit(ctx, kook.EditOptions{}, kook.CreateHost{Name: newHost(i), Groups: []string{p.group}}); err != nil {
				return err
			}
			_, err := c.Edit(ctx, kook.EditOptions{}, kook.DeleteHost{Name: newHost(i)})
			return err
		}},
		{"addhost", "group add-host " + prodGroup + ", then rm-host", func(c *kook.Client, i int) error {
			if _, err := c.Edit(ctx, kook.EditOptions{}, kook.AddMember{Group: prodGroup, Host: p.other}); err != nil {
				return err
			}
			_, err := c.Edit(ctx, kook.EditOptions{}, kook.RemoveMember{Group: prodGroup, Host: p.other})
			return err
		}},
		{"merge", "merge of one host", edit(func(i int) ([]kook.Op, error) {
			if err := os.WriteFile(mergeFile, fmt.Appendf(nil, "%s merged=%d\n", p.host, i), 0o644); err != nil {
				return nil, err
			}
			src, err := inventory.Load(mergeFile)
			return []kook.Op{kook.Merge{Src: src}}, err
		})},
		{"setall", "group set all", edit(func(i int) ([]kook.Op, error) { return one(kook.SetGroupVars{Group: "all", Vars: vars("v", i)}) })},
	}
	repsOf := map[string]int{"list": listReps, "limit": slowReps, "slow": slowReps}
	for _, r := range runs {
		if err := b.profiled(file(r.name), fmt.Sprintf("%d hosts: %s", n, r.what), cmp.Or(repsOf[r.name], reps), withClient(r.fn)); err != nil {
			return err
		}
	}
	return nil
}

// profiled runs fn reps times (with the repetition's number) under the
// CPU profiler and logs the mean time per run.
func (b *bench) profiled(file, what string, reps int, fn func(i int) error) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	for i := range reps {
		if err := fn(i); err != nil {
			pprof.StopCPUProfile()
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	pprof.StopCPUProfile()
	b.logf("%s: %s per run (%d runs), profile in %s", what, (time.Since(start) / time.Duration(reps)).Round(10*time.Microsecond), reps, file)
	return nil
}
