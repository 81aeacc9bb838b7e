// Command session is the floor under kook-inventory --host and the kook
// commands that read (host show, explain, group show, status): a static Go
// program that opens a ZooKeeper session, reads one znode, prints its size
// and closes the session, with no flags, no config and no decoding.
//
//	session HOST:PORT PATH
package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

type quiet struct{}

func (quiet) Printf(string, ...any) {}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: session HOST:PORT PATH")
		os.Exit(2)
	}
	ready := make(chan struct{})
	var once sync.Once
	c, _, err := zk.Connect([]string{os.Args[1]}, 10*time.Second, zk.WithLogger(quiet{}), zk.WithLogInfo(false),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.State == zk.StateHasSession {
				once.Do(func() { close(ready) })
			}
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "no session")
		os.Exit(1)
	}
	data, _, err := c.Get(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(len(data))
	c.Close()
}
