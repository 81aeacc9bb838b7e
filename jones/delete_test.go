package jones_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

func TestIntegration_Delete(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "", `{"a": 0}`)
	mustCreate(t, s, "svc", "p", `{"a": 1}`)
	mustCreate(t, s, "svc", "p/c", `{"a": 2}`)
	mustCreate(t, s, "svc", "p/c/g", `{"a": 3}`)
	mustCreate(t, s, "svc", "q", `{"a": 4}`)
	for _, a := range [][2]string{{"h1", "p/c"}, {"h2", "p/c/g"}, {"h3", "q"}, {"h4", "p"}} {
		if err := s.Assoc(ctx, "svc", a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ErrNotEmpty", func(t *testing.T) {
		for _, env := range []string{"p/c", "p/c/g", "/"} {
			if _, err := s.Delete(ctx, "svc", env, false); !errors.Is(err, jones.ErrNotEmpty) {
				t.Errorf("Delete %s without force: %v, want ErrNotEmpty", env, err)
			}
		}
		if !exists(t, conn, "/kook/services/svc/conf/p/c/g") {
			t.Fatal("a refused delete deleted")
		}
	})

	t.Run("ForceMovesAssociations", func(t *testing.T) {
		moved, err := s.Delete(ctx, "svc", "p/c", true)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(moved)
		if !slices.Equal(moved, []string{"h1", "h2"}) {
			t.Errorf("moved %q, want [h1 h2]", moved)
		}
		for _, p := range []string{"conf/p/c", "conf/p/c/g", "views/p/c", "views/p/c/g"} {
			if exists(t, conn, "/kook/services/svc/"+p) {
				t.Errorf("%s survived the delete", p)
			}
		}
		as, err := s.Assocs(ctx, "svc")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := mustJSON(t, as), `{"h1":"p","h2":"p","h3":"q","h4":"p"}`; got != want {
			t.Errorf("Assocs = %s, want %s", got, want)
		}
		view, env, err := s.ViewFor(ctx, "svc", "h2")
		if err != nil || env != "p" || string(model.MarshalJSON(view)) != `{"a":1}` {
			t.Errorf("h2 now sees %s of %q (%v), want {\"a\":1} of p", model.MarshalJSON(view), env, err)
		}
	})

	t.Run("EmptyLeafNeedsNoForce", func(t *testing.T) {
		if err := s.Unassoc(ctx, "svc", "h3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Delete(ctx, "svc", "q", false); err != nil {
			t.Fatal(err)
		}
		tree, err := s.Envs(ctx, "svc")
		if err != nil {
			t.Fatal(err)
		}
		if got := string(model.MarshalJSON(tree)); got != `{"p":{}}` {
			t.Errorf("Envs = %s, want {\"p\":{}}", got)
		}
	})

	t.Run("ForceMovesToRoot", func(t *testing.T) {
		moved, err := s.Delete(ctx, "svc", "p", true)
		if err != nil || len(moved) != 3 {
			t.Fatalf("Delete p: moved %q, %v", moved, err)
		}
		if got, want := raw(t, conn, "/kook/services/svc/nodemaps"),
			`{"h1":"/services/svc/views","h2":"/services/svc/views","h4":"/services/svc/views"}`; got != want {
			t.Errorf("nodemaps = %s, want %s", got, want)
		}
	})

	t.Run("Service", func(t *testing.T) {
		if _, err := s.Delete(ctx, "svc", "/", true); err != nil {
			t.Fatal(err)
		}
		// Its history stays, and the service znode as its parent.
		kids, _, err := conn.Children(ctx, "/kook/services/svc")
		if err != nil || len(kids) != 1 || kids[0] != "kook-history" {
			t.Errorf("left of the service: %q, %v; want its history alone", kids, err)
		}
		if _, err := s.Delete(ctx, "svc", "/", true); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("deleting it again: %v, want ErrNotFound", err)
		}
		if svcs, err := s.Services(ctx); err != nil || len(svcs) != 0 {
			t.Errorf("Services = %q, %v; want none", svcs, err)
		}
	})
}

// TestIntegration_OldNodemaps reads a nodemaps znode as Jones 0.7 and earlier wrote it
// (lines of "host -> path": ZNodeMap in github.com/disqus/jones 0.6; Jones
// 1.0 writes JSON) and checks that the next change rewrites it as JSON, as
// Jones 1.0 does, keeping every entry.
func TestIntegration_OldNodemaps(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "", `{"a": 0}`)
	mustCreate(t, s, "svc", "p", `{"a": 1}`)
	mustCreate(t, s, "svc", "p/c", `{"b": 2}`)
	old := "web1 -> /services/svc/views/p\nweb2 -> /services/svc/views/p/c\nold -> /services/svc/views/gone\nbad -> /services/svc/views/../p"
	if _, err := conn.Set(ctx, "/kook/services/svc/nodemaps", []byte(old), -1); err != nil {
		t.Fatal(err)
	}
	as, err := s.Assocs(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustJSON(t, as), `{"bad":"/services/svc/views/../p","old":"gone","web1":"p","web2":"p/c"}`; got != want {
		t.Errorf("Assocs = %s, want %s", got, want)
	}
	view, env, err := s.ViewFor(ctx, "svc", "web2")
	if err != nil || env != "p/c" || string(model.MarshalJSON(view)) != `{"a":1,"b":2}` {
		t.Errorf("web2 sees %s of %q (%v)", model.MarshalJSON(view), env, err)
	}
	// Jones clients fall back to the root when the view is missing.
	view, env, err = s.ViewFor(ctx, "svc", "old")
	if err != nil || env != "/" || string(model.MarshalJSON(view)) != `{"a":0}` {
		t.Errorf("old sees %s of %q (%v), want the root's", model.MarshalJSON(view), env, err)
	}
	view, env, err = s.ViewFor(ctx, "svc", "bad")
	if err != nil || env != "/" {
		t.Errorf("bad sees %s of %q (%v), want the root's", model.MarshalJSON(view), env, err)
	}
	if err := s.Unassoc(ctx, "svc", "bad"); err != nil {
		t.Fatal(err)
	}
	if err := s.Assoc(ctx, "svc", "web3", "p/c"); err != nil {
		t.Fatal(err)
	}
	want := `{"web1":"/services/svc/views/p","web2":"/services/svc/views/p/c","old":"/services/svc/views/gone","web3":"/services/svc/views/p/c"}`
	if got := raw(t, conn, "/kook/services/svc/nodemaps"); got != want {
		t.Errorf("nodemaps = %s, want %s", got, want)
	}

	if _, err := conn.Set(ctx, "/kook/services/svc/nodemaps", []byte("web1 /services/svc/views/p"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Assocs(ctx, "svc"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a malformed line: %v, want an error naming line 1", err)
	}
}
