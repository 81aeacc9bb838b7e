package main

import (
	"bufio"
	"context"
	"os"
	"runtime/debug"
)

// gcPercent is the collector's setting before init turned it off.
var gcPercent int

// kook-inventory starts with garbage collection off: --list reads the
// views' compressed segments and writes them out, allocating little more
// than the segments, then exits; a collection, triggered by start-up's
// allocations alone, would be pure cost. KOOK_LIMIT and the slow path
// decode every record and turn it back on.
func init() { gcPercent = debug.SetGCPercent(-1) }

// Run writes the requested JSON to stdout. Ansible treats anything on stderr
// as an error, so nothing else is printed on success.
func (c *CLI) Run(ctx context.Context) error {
	if err := c.Resolve(); err != nil {
		return err // before dialling
	}
	if c.Limit != "" || c.FromEntities {
		debug.SetGCPercent(gcPercent)
	}
	client, err := c.Open(ctx, "kook-inventory")
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(os.Stdout, 256<<10)
	switch {
	case c.Host != "":
		err = client.WriteHost(ctx, out, c.Host)
	case c.FromEntities:
		err = client.WriteListFromNodes(ctx, out)
	default:
		err = client.WriteList(ctx, out, c.Limit)
	}
	// What was read no longer needs the session. Closing it costs a round
	// trip and a disk write on the server: overlap that with the output.
	closed := make(chan struct{})
	go func() {
		client.Close()
		close(closed)
	}()
	if err == nil {
		err = out.Flush()
	}
	<-closed
	return err
}
