package zkconn_test

import (
	"context"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkconn"
)

// TestIntegrationQueue: a queued writer waits until the writer before it
// leaves, and for a number whose writer never leaves at most zkconn.QueueWait.
func TestIntegrationQueue(t *testing.T) {
	addr, root := zktest.Shared(t).Addr, zktest.Root(t)
	dir := root + "/queue"
	open := func() *zkconn.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := zkconn.Dial(ctx, zkconn.Config{Connect: addr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := open(), open()
	ta, err := a.Enqueue(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Enqueue(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if held, err := ta.Wait(ctx); err != nil || !held {
		t.Fatalf("first in the queue: held %v, %v", held, err)
	}
	done := make(chan error, 1)
	go func() { _, err := tb.Wait(ctx); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("second in the queue went before the first left (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	ta.Leave(ctx)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(tb.Skipped()) != 0 {
		t.Errorf("the second stopped waiting for %v instead of seeing the first leave", tb.Skipped())
	}

	// A number left behind by a live session: the next writer waits for
	// it once, then goes; the number it skipped stays skipped.
	c := open()
	tc, err := c.Enqueue(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	tb.Leave(ctx) // a, b gone; c holds the head and never leaves
	d := open()
	td, err := d.Enqueue(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := td.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < zkconn.QueueWait || !td.Skipped()[tc.Name()] {
		t.Errorf("waited %v for a number that never left, skipped %v; want at least %v and %s skipped", waited, td.Skipped(), zkconn.QueueWait, tc.Name())
	}
	if _, err := td.Wait(ctx); err != nil || len(td.Skipped()) != 1 {
		t.Errorf("second wait: %v, skipped %v", err, td.Skipped())
	}

	// A number that is gone (its session expired) is no longer held.
	tc.Leave(ctx)
	td.Leave(ctx)
	if held, err := td.Wait(ctx); err != nil || held {
		t.Errorf("wait on a number that is gone: held %v, %v; want not held", held, err)
	}

	// Leaving empties the queue.
	kids, _, err := d.Children(ctx, dir)
	if err != nil || len(kids) != 0 {
		t.Errorf("queue after everyone left: %v, %v", kids, err)
	}
}
