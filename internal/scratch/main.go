package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/gen"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

func main() {
	ctx := context.Background()
	n := 100000
	if v := os.Getenv("N"); v != "" {
		fmt.Sscan(v, &n)
	}
	dir := fmt.Sprintf("/tmp/gen%d", n)
	if _, err := os.Stat(dir); err != nil {
		if err := gen.Generate(dir, gen.Options{Hosts: n, Groups: n / 50, Seed: 1, Depth: 3}); err != nil {
			panic(err)
		}
	}
	t0 := time.Now()
	inv, err := inventory.Load(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println("parse", time.Since(t0))
	c, err := kook.Open(ctx, kook.Config{ZK: "127.0.0.1:21810", Root: os.Args[1], Timeout: 60 * time.Second})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	t0 = time.Now()
	stop := startProf("/tmp/import.prof")
	_ = stop
	res, err := c.Replace(ctx, kook.EditOptions{}, inv)
	stop()
	fmt.Println("import", time.Since(t0), res.Generation, len(res.Changes), err)
	if len(os.Args) > 2 {
		return
	}
	host := inv.Hosts[500].Name
	stop = startProf("/tmp/edit.prof")
	for i := 0; i < 50; i++ {
		t0 = time.Now()
		res, err = c.Edit(ctx, kook.EditOptions{}, kook.SetHostVars{Host: host, Vars: model.Map{{Key: "v", Value: int64(i)}}})
		if i < 5 {
			fmt.Println("host set", time.Since(t0), res.Generation, err)
		}
	}
	stop()
	z := logMark()
	res, err = c.Edit(ctx, kook.EditOptions{}, kook.SetHostVars{Host: host, Vars: model.Map{{Key: "v", Value: int64(99)}}})
	logSince(z, "host set")
	z = logMark()
	t0 = time.Now()
	res, err = c.Edit(ctx, kook.EditOptions{}, kook.CreateHost{Name: "new-1", Groups: []string{"env_prod"}})
	fmt.Println("host add -g env_prod", time.Since(t0), err)
	logSince(z, "host add")
	t0 = time.Now()
	res, err = c.Edit(ctx, kook.EditOptions{}, kook.AddMember{Group: "canary", Host: host})
	fmt.Println("group add-host canary", time.Since(t0), err)
	t0 = time.Now()
	res, err = c.Edit(ctx, kook.EditOptions{}, kook.DeleteHost{Name: inv.Hosts[700].Name})
	fmt.Println("host rm", time.Since(t0), err)
	t0 = time.Now()
	res, err = c.Edit(ctx, kook.EditOptions{}, kook.SetGroupVars{Group: "all", Vars: model.Map{{Key: "v", Value: int64(1)}}})
	fmt.Println("group set all v=1", time.Since(t0), err)
	t0 = time.Now()
	h, err := c.Host(ctx, host)
	fmt.Println("host show", time.Since(t0), err, len(h.Vars))
	t0 = time.Now()
	g, err := c.Group(ctx, "canary")
	fmt.Println("group show canary", time.Since(t0), err, len(g.Hosts))
	t0 = time.Now()
	err = c.WriteList(ctx, devnull{}, "")
	fmt.Println("list", time.Since(t0), err)
}

type devnull struct{}

func (devnull) Write(p []byte) (int, error) { return len(p), nil }
