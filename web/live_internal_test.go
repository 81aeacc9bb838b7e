package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/model"
)

// A change record that cannot be read (retention pruned it) makes Live
// load the whole inventory again, and end where the store is.
func TestIntegrationLiveReloadsWithoutRecord(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := kook.Open(ctx, kook.Config{ZK: zktest.Shared(t).Addr + zktest.Root(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Edit(ctx, kook.EditOptions{}, kook.CreateHost{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	l := &Live{store: c.Store(), changed: make(chan struct{}), kick: make(chan struct{}, 1), done: make(chan struct{})}
	if err := l.reload(ctx); err != nil {
		t.Fatal(err)
	}
	var last kook.Result
	for i := range 3 {
		last, err = c.Edit(ctx, kook.EditOptions{}, kook.SetHostVars{Host: "a", Vars: model.Map{{Key: "n", Value: int64(i)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Lose the record of the first of them.
	if err := c.Store().Conn().Delete(ctx, fmt.Sprintf("/kook/inventory/history/%012d", last.Generation-2), -1); err != nil {
		t.Fatal(err)
	}
	if err := l.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	sn := l.Snap()
	if sn.Gen != last.Generation || l.Reloads() != 2 {
		t.Errorf("generation %d (want %d), %d loads (want 2)", sn.Gen, last.Generation, l.Reloads())
	}
	if v, _ := sn.HostNode("a").Vars.Get("n"); v != int64(2) {
		t.Errorf("n = %v", v)
	}
	// With every record there, it applies them one by one.
	if _, err := c.Edit(ctx, kook.EditOptions{}, kook.CreateHost{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := l.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if l.Reloads() != 2 || l.Snap().Inv.Host("b") == nil {
		t.Errorf("after a host add: %d loads, host b %v", l.Reloads(), l.Snap().Inv.Host("b"))
	}
}

func TestBestType(t *testing.T) {
	for _, tc := range []struct{ accept, want string }{
		{"", ""},
		{"*/*", "text/plain"},
		{"application/json", "application/json"},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"},
		{"application/json, text/javascript, */*; q=0.01", "application/json"},
		{"text/*", "text/plain"},
		{"application/xml", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		if got := bestType(r); got != tc.want {
			t.Errorf("bestType(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
}

func TestSplitLinesKeep(t *testing.T) {
	got := fmt.Sprintf("%q", splitLinesKeep([]byte("a\nb\r\nc\rd")))
	if want := `["a\n" "b\r\n" "c\r" "d"]`; got != want {
		t.Errorf("splitLinesKeep = %s, want %s", got, want)
	}
}

func TestHostMap(t *testing.T) {
	node := func(n string) *model.HostNode { return &model.HostNode{Host: model.Host{Name: n}} }
	m := hostMap{base: map[string]*model.HostNode{"a": node("a"), "b": node("b")}}
	e := m.edit()
	e.put("c", node("c"))
	e.put("a", nil)
	e.put("b", node("b"))
	if e.len() != 2 || e.get("a") != nil || e.get("c") == nil || m.get("a") == nil || m.len() != 2 {
		t.Fatalf("edit: len %d, a %v, c %v; original: a %v, len %d", e.len(), e.get("a"), e.get("c"), m.get("a"), m.len())
	}
	f := e.flatten()
	if len(f) != 2 || f["b"] == nil || f["c"] == nil {
		t.Errorf("flatten: %v", f)
	}
	for i := range overMax + 1 {
		e.put(fmt.Sprint("h", i), node("h"))
	}
	e.compact()
	if e.over != nil || e.len() != overMax+3 {
		t.Errorf("after compact: over %d, len %d", len(e.over), e.len())
	}
}
