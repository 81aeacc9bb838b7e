package zkstore

import (
	"context"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkconn"
)

func TestPredecessor(t *testing.T) {
	tk := &ticket{name: "w-1-b-0000000005", skipped: map[string]bool{"w-3-c-0000000004": true}}
	kids := []string{"w-2-a-0000000007", "w-3-c-0000000004", tk.name, "w-4-d-0000000002", "w-5-e-0000000001"}
	if p, ok := tk.predecessor(kids); !ok || p != "w-4-d-0000000002" {
		t.Errorf("predecessor = %q, %v; want the latest number before 5 not skipped, w-4-d-0000000002", p, ok)
	}
	if p, ok := tk.predecessor([]string{"w-2-a-0000000007", tk.name}); ok {
		t.Errorf("first in the queue: predecessor %q", p)
	}
	if p, ok := tk.predecessor([]string{"w-4-d-0000000002"}); ok {
		t.Errorf("own number gone (session expired): predecessor %q, want none", p)
	}
}

// TestIntegrationQueue: a queued writer waits until the writer before it
// leaves, and for a number whose writer never leaves at most queueWait.
func TestIntegrationQueue(t *testing.T) {
	addr, root := zktest.Shared(t).Addr, zktest.Root(t)
	open := func() *Store {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := Open(ctx, zkconn.Config{Connect: addr}, root, Options{Tool: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := open(), open()
	ta, err := a.enqueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.enqueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if held, err := ta.wait(ctx); err != nil || !held {
		t.Fatalf("first in the queue: held %v, %v", held, err)
	}
	done := make(chan error, 1)
	go func() { _, err := tb.wait(ctx); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("second in the queue went before the first left (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	ta.leave(ctx)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(tb.skipped) != 0 {
		t.Errorf("the second stopped waiting for %v instead of seeing the first leave", tb.skipped)
	}

	// A number left behind by a live session: the next writer waits for
	// it once, then goes; the number it skipped stays skipped.
	c := open()
	tc, err := c.enqueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.wait(ctx); err != nil {
		t.Fatal(err)
	}
	tb.leave(ctx) // a, b gone; c holds the head and never leaves
	d := open()
	td, err := d.enqueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := td.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < queueWait || !td.skipped[tc.name] {
		t.Errorf("waited %v for a number that never left, skipped %v; want at least %v and %s skipped", waited, td.skipped, queueWait, tc.name)
	}
	if _, err := td.wait(ctx); err != nil || len(td.skipped) != 1 {
		t.Errorf("second wait: %v, skipped %v", err, td.skipped)
	}

	// A number that is gone (its session expired) is no longer held.
	tc.leave(ctx)
	td.leave(ctx)
	if held, err := td.wait(ctx); err != nil || held {
		t.Errorf("wait on a number that is gone: held %v, %v; want not held", held, err)
	}

	// Leaving empties the queue.
	kids, _, err := d.conn.Children(ctx, d.queueDir())
	if err != nil || len(kids) != 0 {
		t.Errorf("queue after everyone left: %v, %v", kids, err)
	}
}
