package main

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/kook-project/kook/zkstore"
)

// Run writes the requested JSON to stdout. Ansible treats anything on stderr
// as an error, so nothing else is printed on success.
func (c *CLI) Run(ctx context.Context) error {
	store, err := c.OpenStore(ctx)
	if err != nil {
		return err
	}
	opts := zkstore.ReadOptions{Limit: c.Limit, FromEntities: c.FromEntities}
	if opts.Limit == "" && !opts.FromEntities {
		// The fast path reads one compressed view and decompresses it,
		// then exits: a garbage collection would be pure cost, and a
		// second processor only has the runtime wake threads for
		// goroutines that mostly wait on ZooKeeper. (The slow path
		// decodes every record and keeps both.)
		debug.SetGCPercent(-1)
		runtime.GOMAXPROCS(1)
	}
	var out io.WriterTo
	if c.List {
		out, err = store.List(ctx, opts)
	} else {
		out, err = store.Host(ctx, c.Host, opts)
	}
	// What was read no longer needs the session. Closing it costs a round
	// trip and a disk write on the server: overlap that with the output.
	closed := make(chan struct{})
	go func() {
		store.Close()
		close(closed)
	}()
	if err == nil {
		_, err = out.WriteTo(os.Stdout)
	}
	<-closed
	return err
}
