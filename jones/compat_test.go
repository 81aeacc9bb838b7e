package jones_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// The tests in this file check what Jones 1.0's own code
// (github.com/mwhooker/jones: client.py, jones.py, zkutil.py, web.py) needs
// from the znodes kook writes.

// TestIntegration_EmptyData checks that the znodes kook creates without content have
// empty data, not null: kazoo returns None for null data, and Jones's
// /export (zkutil.export_tree: `if len(data)`) fails on it. go-zookeeper
// tells them apart: nil for null, an empty slice for empty.
func TestIntegration_EmptyData(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "/", `{}`)
	mustCreate(t, s, "svc", "a", `{}`)

	// The chroot the test connected with was created by kook too.
	for _, p := range []string{"/", "/kook", "/kook/services", "/kook/services/svc"} {
		data, _, err := conn.Get(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if data == nil || len(data) != 0 {
			t.Errorf("%s = %q (nil: %v), want empty data, not null", p, data, data == nil)
		}
	}
	// Every znode under the root has data Jones can print.
	walkZnodes(t, conn, "/kook", func(p string, data []byte) {
		if data == nil {
			t.Errorf("%s has null data", p)
		}
	})
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 0 {
		t.Errorf("Check = %v, %v; want no problems", problems, err)
	}

	// A tree an older kook made: null data, which Check reports and
	// Repair replaces.
	for _, p := range []string{"/kook", "/kook/services/svc"} {
		if _, err := conn.Set(ctx, p, nil, -1); err != nil {
			t.Fatal(err)
		}
	}
	problems, err := s.Check(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if got := problemPaths(problems); !slices.Equal(got, []string{"/kook", "/kook/services/svc"}) {
		t.Errorf("Check found problems at %q, want the two znodes with null data: %v", got, problems)
	}
	if left, err := s.Repair(ctx, "svc"); err != nil || len(left) != 0 {
		t.Fatalf("Repair left %v, %v", left, err)
	}
	walkZnodes(t, conn, "/kook", func(p string, data []byte) {
		if data == nil {
			t.Errorf("after Repair %s has null data", p)
		}
	})
}

// walkZnodes calls fn with every znode at and under p, as Jones's
// zkutil.walk visits them.
func walkZnodes(t *testing.T, conn *zkconn.Conn, p string, fn func(p string, data []byte)) {
	t.Helper()
	ctx := context.Background()
	data, _, err := conn.Get(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	fn(p, data)
	kids, _, err := conn.Children(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	for _, k := range kids {
		walkZnodes(t, conn, p+"/"+k, fn)
	}
}

func problemPaths(ps []jones.Problem) []string {
	var paths []string
	for _, p := range ps {
		paths = append(paths, p.Path)
	}
	slices.Sort(paths)
	return paths
}

// TestIntegration_ArrowNames checks that names Jones's nodemaps parser would misread
// are refused. Jones 1.0's ZNodeMap._get takes any nodemaps data holding
// " -> " for the line format of Jones 0.7 and earlier; a JSON map naming
// such an environment is then misparsed, and Jones's next write of the map
// loses its associations.
func TestIntegration_ArrowNames(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	if err := s.Create(ctx, "a -> b", "/", nil); err == nil || !strings.Contains(err.Error(), `" -> "`) {
		t.Errorf("service a -> b: %v, want a refusal naming \" -> \"", err)
	}
	mustCreate(t, s, "svc", "/", `{}`)
	mustCreate(t, s, "svc", "p", `{}`)
	for _, env := range []string{"x -> y", "p/x -> y"} {
		if err := s.Create(ctx, "svc", env, nil); err == nil || !strings.Contains(err.Error(), `" -> "`) {
			t.Errorf("environment %s: %v, want a refusal naming \" -> \"", env, err)
		}
	}
	// Names without the spaces are fine.
	mustCreate(t, s, "svc", "p/x->y", `{}`)
	if err := s.Assoc(ctx, "svc", "h", "p/x->y"); err != nil {
		t.Fatal(err)
	}

	// An environment another tool created with such a name cannot be
	// associated with.
	for _, p := range []string{"/kook/services/svc/conf/q -> r", "/kook/services/svc/views/q -> r"} {
		if err := conn.Create(ctx, p, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Assoc(ctx, "svc", "h", "q -> r"); err == nil || !strings.Contains(err.Error(), `" -> "`) {
		t.Errorf("assoc with q -> r: %v, want a refusal", err)
	}
	if got := raw(t, conn, "/kook/services/svc/nodemaps"); strings.Contains(got, " -> ") {
		t.Errorf("nodemaps = %s", got)
	}
	// A nodemap that holds one anyway (written by another tool) is a
	// problem Check reports and Repair leaves to a person.
	if _, err := conn.Set(ctx, "/kook/services/svc/nodemaps", []byte(`{"h": "/services/svc/views/q -> r"}`), -1); err != nil {
		t.Fatal(err)
	}
	problems, err := s.Check(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range problems {
		if p.Path == "/kook/services/svc/nodemaps" {
			found = !p.Fixable && strings.Contains(p.What, "line format")
		}
	}
	if !found {
		t.Errorf("Check = %v, want the nodemap reported as misread by Jones", problems)
	}
}

// TestIntegration_ServicesFollowJones checks that a service is listed only when it has
// a root config, as Jones's web app lists them (Jones(child).exists()):
// Jones's model creates the nodemaps znode of any name it is asked about.
func TestIntegration_ServicesFollowJones(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "real", "/", `{}`)
	// What kazoo's ensure_path leaves when Jones is asked about "stray".
	for _, p := range []string{"/kook/services/stray", "/kook/services/stray/nodemaps"} {
		if err := conn.Create(ctx, p, []byte{}); err != nil {
			t.Fatal(err)
		}
	}
	svcs, err := s.Services(ctx)
	if err != nil || !slices.Equal(svcs, []string{"real"}) {
		t.Errorf("Services = %q, %v; want [real]", svcs, err)
	}
	if _, err := s.Envs(ctx, "stray"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Envs(stray) = %v, want ErrNotFound", err)
	}
	// Creating it for real keeps what Jones left and lists it.
	mustCreate(t, s, "stray", "/", `{"k": 1}`)
	svcs, err = s.Services(ctx)
	if err != nil || !slices.Equal(svcs, []string{"real", "stray"}) {
		t.Errorf("Services = %q, %v; want [real stray]", svcs, err)
	}
}

// TestIntegration_OldNodemapCheck checks that a nodemap in the line format of Jones 0.7
// and earlier, which Jones 1.0's client cannot read (it only json.loads
// it), or a missing one, which makes that client raise, is a problem that
// Repair fixes by writing JSON.
func TestIntegration_OldNodemapCheck(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "/", `{}`)
	mustCreate(t, s, "svc", "p", `{}`)
	if _, err := conn.Set(ctx, "/kook/services/svc/nodemaps", []byte("web1 -> /services/svc/views/p"), -1); err != nil {
		t.Fatal(err)
	}
	problems, err := s.Check(ctx, "svc")
	if err != nil || len(problems) != 1 || !problems[0].Fixable || !strings.Contains(problems[0].What, "cannot read") {
		t.Fatalf("Check = %v, %v; want the line format reported", problems, err)
	}
	if left, err := s.Repair(ctx, "svc"); err != nil || len(left) != 0 {
		t.Fatalf("Repair left %v, %v", left, err)
	}
	if got, want := raw(t, conn, "/kook/services/svc/nodemaps"), `{"web1":"/services/svc/views/p"}`; got != want {
		t.Errorf("nodemaps = %s, want %s", got, want)
	}
	if err := conn.Delete(ctx, "/kook/services/svc/nodemaps", -1); err != nil {
		t.Fatal(err)
	}
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 1 {
		t.Fatalf("Check = %v, %v; want the missing nodemap reported", problems, err)
	}
	if left, err := s.Repair(ctx, "svc"); err != nil || len(left) != 0 {
		t.Fatalf("Repair left %v, %v", left, err)
	}
	if got := raw(t, conn, "/kook/services/svc/nodemaps"); got != `{}` {
		t.Errorf("nodemaps = %s, want {}", got)
	}
}

// TestIntegration_ViewRecords checks that every view kook writes comes with a record of
// the config versions it was computed from, in a znode of its own: Jones's
// client json.loads a view whole, so the record cannot be inside it.
func TestIntegration_ViewRecords(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "/", `{"a": 1}`)
	mustCreate(t, s, "svc", "p", `{"b": 2}`)
	mustCreate(t, s, "svc", "p/c%d", `{"c": 3}`)
	if _, err := s.Set(ctx, "svc", "/", obj(t, `{"a": 4}`)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{"/kook/services/svc/kook-sources/%2F", `{"/":1}`},
		{"/kook/services/svc/kook-sources/p", `{"/":1,"p":0}`},
		{"/kook/services/svc/kook-sources/p%2Fc%25d", `{"/":1,"p":0,"p/c%d":0}`},
		{"/kook/services/svc/views/p/c%d", `{"a":4,"b":2,"c":3}`},
	} {
		if got := raw(t, conn, tt.path); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.path, got, tt.want)
		}
	}
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 0 {
		t.Errorf("Check = %v, %v", problems, err)
	}

	// Jones's web app changes a config and rewrites the views itself,
	// without records: Check tells, and the next kook write or Repair
	// brings the records up to date.
	if _, err := conn.Set(ctx, "/kook/services/svc/conf/p", []byte(`{"b": 5}`), -1); err != nil {
		t.Fatal(err)
	}
	problems, err := s.Check(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := problemPaths(problems), []string{
		"/kook/services/svc/kook-sources/p", "/kook/services/svc/kook-sources/p%2Fc%25d",
		"/kook/services/svc/views/p", "/kook/services/svc/views/p/c%d",
	}; !slices.Equal(got, want) {
		t.Errorf("Check found %q, want %q: %v", got, want, problems)
	}
	if _, err := conn.Set(ctx, "/kook/services/svc/views/p", []byte(`{"b": 5, "a": 4}`), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Set(ctx, "/kook/services/svc/views/p/c%d", []byte(`{"c": 3, "b": 5, "a": 4}`), -1); err != nil {
		t.Fatal(err)
	}
	problems, err = s.Check(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := problemPaths(problems), []string{
		"/kook/services/svc/kook-sources/p", "/kook/services/svc/kook-sources/p%2Fc%25d",
	}; !slices.Equal(got, want) {
		t.Errorf("with Jones's views (another key order), Check found %q, want only the records %q", got, want)
	}
	if _, err := s.Set(ctx, "svc", "p", obj(t, `{"d": 6}`)); err != nil {
		t.Fatal(err)
	}
	if problems, err := s.Check(ctx, "svc"); err != nil || len(problems) != 0 {
		t.Errorf("after a kook write below the change, Check = %v, %v", problems, err)
	}

	// Records of environments that are gone (Jones deletes a config and
	// its view, nothing else) are reported and deleted by Repair.
	for _, p := range []string{"/kook/services/svc/views/p/c%d", "/kook/services/svc/conf/p/c%d"} {
		if err := conn.Delete(ctx, p, -1); err != nil {
			t.Fatal(err)
		}
	}
	problems, err = s.Check(ctx, "svc")
	if err != nil || len(problems) != 1 || problems[0].Env != "p/c%d" {
		t.Fatalf("Check = %v, %v; want the orphan record", problems, err)
	}
	if left, err := s.Repair(ctx, "svc"); err != nil || len(left) != 0 {
		t.Fatalf("Repair left %v, %v", left, err)
	}
	if exists(t, conn, "/kook/services/svc/kook-sources/p%2Fc%25d") {
		t.Error("orphan record still there")
	}
	// Created again, it gets a fresh record.
	mustCreate(t, s, "svc", "p/c%d", `{}`)
	if got, want := raw(t, conn, "/kook/services/svc/kook-sources/p%2Fc%25d"), `{"/":1,"p":2,"p/c%d":0}`; got != want {
		t.Errorf("record = %s, want %s", got, want)
	}
}

// TestIntegration_CheckMissingService checks Check's error for a missing service.
func TestIntegration_CheckMissingService(t *testing.T) {
	s, _ := mustStore(t)
	if _, err := s.Check(context.Background(), "nope"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Check(nope) = %v, want ErrNotFound", err)
	}
	if _, err := s.Repair(context.Background(), "nope"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Repair(nope) = %v, want ErrNotFound", err)
	}
}
