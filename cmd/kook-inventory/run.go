package main

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/kook-project/kook/zkstore"
)

// gcPercent is the collector's setting before init turned it off.
var gcPercent int

// kook-inventory starts with garbage collection off: the fast path
// allocates little more than one compressed view, then exits, and a
// collection, triggered by start-up's allocations alone, would be pure cost.
func init() { gcPercent = debug.SetGCPercent(-1) }

// Run writes the requested JSON to stdout. Ansible treats anything on stderr
// as an error, so nothing else is printed on success.
func (c *CLI) Run(ctx context.Context) error {
	store, err := c.OpenStore(ctx)
	if err != nil {
		return err
	}
	opts := zkstore.ReadOptions{Limit: c.Limit, FromEntities: c.FromEntities}
	if opts.Limit == "" && !opts.FromEntities {
		// The fast path reads one compressed view and decompresses it:
		// a second processor only has the runtime wake threads for
		// goroutines that mostly wait on ZooKeeper.
		runtime.GOMAXPROCS(1)
	} else {
		// The slow path decodes every record: collect garbage again.
		debug.SetGCPercent(gcPercent)
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
