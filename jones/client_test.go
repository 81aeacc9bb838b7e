package jones_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// clientTree builds root {"a":0,"b":0} with children p {"a":1} and q
// {"b":2}, and p/c {"c":3}.
func clientTree(t *testing.T) (*jones.Store, *zkconn.Conn) {
	t.Helper()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "/", `{"a": 0, "b": 0}`)
	mustCreate(t, s, "svc", "p", `{"a": 1}`)
	mustCreate(t, s, "svc", "q", `{"b": 2}`)
	mustCreate(t, s, "svc", "p/c", `{"c": 3}`)
	return s, conn
}

// newClient starts a client whose changes arrive on the returned channel.
func newClient(t *testing.T, conn *zkconn.Conn, host string) (*jones.Client, <-chan model.Map) {
	t.Helper()
	c, err := jones.NewClient(context.Background(), conn, root, "svc", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	changes := make(chan model.Map, 100)
	c.OnChange(func(m model.Map) { changes <- m })
	return c, changes
}

// Expected views below are python3's d = {}; d.update(c) down the chain.
func TestIntegration_ClientFollowsChanges(t *testing.T) {
	ctx := context.Background()
	s, conn := clientTree(t)
	if err := s.Assoc(ctx, "svc", "web1", "p/c"); err != nil {
		t.Fatal(err)
	}
	c, changes := newClient(t, dial(t), "web1")
	if got, want := string(model.MarshalJSON(c.Config())), `{"a":1,"b":0,"c":3}`; got != want || c.Env() != "p/c" {
		t.Fatalf("initial view %s of %q, want %s of p/c", got, c.Env(), want)
	}
	if v, ok := c.Get("a"); !ok || v != int64(1) {
		t.Errorf("Get(a) = %v, %v; want 1", v, ok)
	}

	t.Run("OwnEnv", func(t *testing.T) {
		if _, err := s.Set(ctx, "svc", "p/c", obj(t, `{"c": 4}`)); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":1,"b":0,"c":4}`)
	})
	t.Run("Ancestor", func(t *testing.T) {
		if _, err := s.Set(ctx, "svc", "/", obj(t, `{"b": 5}`)); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":1,"b":5,"c":4}`)
	})
	t.Run("Reassociation", func(t *testing.T) {
		if err := s.Assoc(ctx, "svc", "web1", "q"); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":0,"b":2}`)
		if c.Env() != "q" {
			t.Errorf("Env = %q, want q", c.Env())
		}
		// The old environment no longer concerns the client.
		if _, err := s.Set(ctx, "svc", "p/c", obj(t, `{"c": 6}`)); err != nil {
			t.Fatal(err)
		}
		noChange(t, changes, 300*time.Millisecond)
		if _, err := s.Set(ctx, "svc", "q", obj(t, `{"d": 7}`)); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":0,"b":2,"d":7}`)
	})
	t.Run("Unassociated", func(t *testing.T) {
		if err := s.Unassoc(ctx, "svc", "web1"); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":0,"b":5}`)
	})
	t.Run("ViewDeleted", func(t *testing.T) {
		if err := s.Assoc(ctx, "svc", "web1", "p/c"); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":1,"b":5,"c":6}`)
		// Jones's delete_config removed a view behind its clients' backs;
		// the client falls back to the root's view.
		if err := conn.Delete(ctx, "/kook/services/svc/views/p/c", -1); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":0,"b":5}`)
		if c.Env() != "/" {
			t.Errorf("Env = %q, want /", c.Env())
		}
		// Any write to p/c recreates the view, and the client returns to it.
		if _, err := s.Set(ctx, "svc", "p/c", obj(t, `{"c": 8}`)); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":1,"b":5,"c":8}`)
	})
	t.Run("EnvDeleted", func(t *testing.T) {
		if _, err := s.Delete(ctx, "svc", "p/c", true); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, `{"a":1,"b":5}`)
		if c.Env() != "p" {
			t.Errorf("Env = %q, want p", c.Env())
		}
	})
	if err := c.Err(); err != nil {
		t.Errorf("Err = %v", err)
	}
}

// TestIntegration_ClientReassociationLeaksNothing moves a host back and forth and checks
// that neither goroutines nor outstanding watches accumulate. zkconn relays
// the events of each outstanding watch through a goroutine, as long as the
// watch is registered (after Close too): those are counted as watches.
func TestIntegration_ClientReassociationLeaksNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := clientTree(t)
	conn := dial(t)
	c, changes := newClient(t, conn, "web1")
	settle := func() int {
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		held, _ := jones.Outstanding(c, "")
		return runtime.NumGoroutine() - held
	}
	before := settle()
	for i := range 30 {
		env, want := "p", `{"a":1,"b":0}`
		if i%2 == 1 {
			env, want = "q", `{"a":0,"b":2}`
		}
		if err := s.Assoc(ctx, "svc", "web1", env); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, want)
	}
	if after := settle(); after > before {
		t.Errorf("goroutines: %d before 30 re-associations, %d after", before, after)
	}
	// nodemaps, p's view, q's view and the root's: one watch per path at
	// most, and the views, which did not change, were each watched once.
	views := root + "/services/svc/views/"
	for _, env := range []string{"p", "q"} {
		held, armed := jones.Outstanding(c, views+env)
		if held > 4 || armed != 1 {
			t.Errorf("%d watches held; %d set on %s's view, want 1", held, armed, env)
		}
	}
	c.Close()
	if after := settle(); after >= before {
		t.Errorf("goroutines: %d with the client, %d after Close", before, after)
	}
}

func TestIntegration_ClientMissingService(t *testing.T) {
	_, err := jones.NewClient(context.Background(), dial(t), root, "nosvc", "h")
	if !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("NewClient of a missing service: %v, want ErrNotFound", err)
	}
}

func TestIntegration_Watch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, _ := clientTree(t)
	if err := s.Assoc(ctx, "svc", "web1", "q"); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- s.Watch(ctx, "svc", "web1", func(env string, view model.Map) error {
			seen <- env + " " + string(model.MarshalJSON(view))
			return nil
		})
	}()
	if got, want := <-seen, `q {"a":0,"b":2}`; got != want {
		t.Errorf("first = %s, want %s", got, want)
	}
	if _, err := s.Set(ctx, "svc", "q", obj(t, `{"b": 3}`)); err != nil {
		t.Fatal(err)
	}
	if got, want := <-seen, `q {"a":0,"b":3}`; got != want {
		t.Errorf("after a change = %s, want %s", got, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch after cancel: %v", err)
	}
}

// TestIntegration_ClientSessionExpiry expires the client's session: go-zookeeper drops
// every watch (EventNotWatching) and opens a new session, and the client
// must re-read and watch again.
func TestIntegration_ClientSessionExpiry(t *testing.T) {
	ctx := context.Background()
	s, _ := clientTree(t)
	if err := s.Assoc(ctx, "svc", "web1", "p"); err != nil {
		t.Fatal(err)
	}
	conn := dial(t)
	c, changes := newClient(t, conn, "web1")
	for i, tt := range []struct{ set, want string }{
		{`{"a": 10}`, `{"a":10,"b":0}`},
		{`{"a": 11}`, `{"a":11,"b":1}`},
	} {
		start := time.Now()
		id := conn.SessionID()
		zktest.ExpireConn(t, conn)
		// The change lands while the client has no session or watches.
		if _, err := s.Set(ctx, "svc", "p", obj(t, tt.set)); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, tt.want)
		t.Logf("expiry %d: change seen after %v", i+1, time.Since(start))
		if conn.SessionID() == id {
			t.Fatalf("expiry %d: the session was not replaced", i+1)
		}
		// And the new watches work.
		if _, err := s.Set(ctx, "svc", "/", obj(t, fmt.Sprintf(`{"b": %d}`, i+1))); err != nil {
			t.Fatal(err)
		}
		waitChange(t, changes, fmt.Sprintf(`{"a":%d,"b":%d}`, 10+i, i+1))
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err = %v", err)
	}
}
