package kook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/inventory"
)

// zk is the ZooKeeper the example and tests use, started by the first
// that asks (make unittest runs neither: it has no ZooKeeper).
var zk struct {
	once sync.Once
	dir  string
	srv  *zktest.Server
	err  error
}

// zkAddr starts the package's ZooKeeper if it is not running and returns
// its address; it panics when ZooKeeper cannot start, as an Example has
// no testing.T to fail.
func zkAddr() string {
	zk.once.Do(func() {
		if zk.dir, zk.err = os.MkdirTemp("", "kook-example-"); zk.err == nil {
			zk.srv, zk.err = zktest.Launch(zk.dir, zktest.Options{})
		}
	})
	if zk.err != nil {
		panic(zk.err)
	}
	return zk.srv.Addr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if zk.srv != nil {
		zk.srv.Stop()
	}
	if zk.dir != "" {
		os.RemoveAll(zk.dir)
	}
	os.Exit(code)
}

var exampleRoot = 0

// importExample stores testdata/example under a fresh root, as kook-import
// does, and returns the root.
func importExample() string {
	exampleRoot++
	root := fmt.Sprintf("/example-%d", exampleRoot)
	ctx := context.Background()
	inv, err := inventory.Load("testdata/example")
	if err != nil {
		panic(err)
	}
	c, err := kook.Open(ctx, kook.Config{ZK: zkAddr(), Root: root})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if _, err := c.Replace(ctx, kook.EditOptions{Reason: "example"}, inv); err != nil {
		panic(err)
	}
	return root
}

// The front door, as the README shows it. The answers are Ansible's for
// testdata/example: `ansible 'web:&prod' --list-hosts`, group_names,
// `ansible-inventory --host web-01.example.com` (http_port comes from its
// host_vars/ file over group_vars/web.yml).
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kook.Open(ctx, kook.Config{ZK: zkAddr(), Root: importExample()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	names, _ := c.Hosts(ctx, "web:&prod") // as `ansible 'web:&prod' --list-hosts`
	fmt.Println(names)
	h, _ := c.Host(ctx, "web-01.example.com")
	fmt.Println(h.Name, h.Groups, h.GroupNames())
	port, ok := h.Vars.Get("http_port") // one effective value
	fmt.Println(port, ok)
	b, _ := json.Marshal(h.Vars) // exactly what kook-inventory --host prints
	fmt.Println(len(b) > 2)
	g, _ := c.Group(ctx, "web")
	fmt.Println(g.Parents, g.Children, g.Hosts)
	layers, _ := c.Explain(ctx, "web-01.example.com", "http_port")
	for _, l := range layers[0].Layers {
		fmt.Println(l.Level, l.Kind, l.Name, l.Value)
	}
	res, err := c.Edit(ctx, kook.EditOptions{Reason: "new web host"},
		kook.CreateHost{Name: "web-04.example.com", Groups: []string{"web"}, Vars: kook.Vars{{Key: "http_port", Value: int64(8081)}}})
	fmt.Println(res.Written, err)
	names, _ = c.Hosts(ctx, "web")
	fmt.Println(names)
	// Output:
	// [web-01.example.com web-02.example.com web-03.example.com]
	// web-01.example.com [web] [eu prod web]
	// 9090 true
	// true
	// [eu] [] [web-01.example.com web-02.example.com web-03.example.com]
	// 3 group web 8080
	// 5 host web-01.example.com 9090
	// true <nil>
	// [web-01.example.com web-02.example.com web-03.example.com web-04.example.com]
}
