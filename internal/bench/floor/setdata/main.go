// Command setdata is the floor under every kook edit: a static Go program
// that opens a ZooKeeper session, sets one small znode and closes the
// session, with no flags, no config, no reads and no encoding. Its log
// bytes are a session's create and close records plus one setData.
//
//	setdata HOST:PORT PATH DATA
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
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: setdata HOST:PORT PATH DATA")
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
	if _, err := c.Set(os.Args[2], []byte(os.Args[3]), -1); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c.Close()
}
