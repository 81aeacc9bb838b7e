package main

import (
	"context"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// The example of issue 6, built through `kook config`: each view is the
// root's config updated with each config on the way down (Python's
// dict.update: checked with python3 -c 'v={"foo":"bar","fiesasld":"value31"};
// v.update({"field":"HAILSATAN"}); v.update({"foo":"big"}); print(v)').
func TestIntegration_ConfigExample(t *testing.T) {
	k := newKook(t)
	k.ok("config", "create", "test", "/")
	k.ok("config", "set", "test", "/", "foo=bar", "fiesasld=value31")
	k.ok("config", "create", "test", "child1")
	k.ok("config", "set", "test", "child1", "field=HAILSATAN")
	k.ok("config", "create", "test", "child1/sib")
	k.ok("config", "set", "test", "child1/sib", "foo=big")

	view := func(args ...string) model.Value {
		t.Helper()
		v, err := model.UnmarshalJSON([]byte(k.ok(args...)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	root := model.Map{{Key: "foo", Value: "bar"}, {Key: "fiesasld", Value: "value31"}}
	child := model.Map{{Key: "foo", Value: "bar"}, {Key: "fiesasld", Value: "value31"}, {Key: "field", Value: "HAILSATAN"}}
	sib := model.Map{{Key: "foo", Value: "big"}, {Key: "fiesasld", Value: "value31"}, {Key: "field", Value: "HAILSATAN"}}

	// A host with no association sees the root view.
	if got := view("config", "get", "test", "--host", "example"); !model.Equal(got, root) {
		t.Fatalf("unassociated host sees %s", model.MarshalJSON(got))
	}
	k.ok("config", "assoc", "test", "example", "child1/sib")
	if got := view("config", "get", "test", "--host", "example"); !model.Equal(got, sib) {
		t.Fatalf("get test --host example = %s, want %s", model.MarshalJSON(got), model.MarshalJSON(sib))
	}
	show, ok := view("config", "show", "test", "child1").(model.Map)
	if !ok {
		t.Fatal("show did not print an object")
	}
	if v, _ := show.Get("view"); !model.Equal(v, child) {
		t.Fatalf("view of child1 = %s", model.MarshalJSON(v))
	}
	// Deleting an environment with an association is refused without
	// --force; forced, the host moves to the parent.
	k.fails(1, "", "config", "delete", "test", "child1/sib")
	k.ok("config", "delete", "test", "child1/sib", "--force")
	if got := view("config", "get", "test", "--host", "example"); !model.Equal(got, child) {
		t.Fatalf("after a forced delete the host sees %s, want child1's view", model.MarshalJSON(got))
	}
}

// `kook config set` types VALUE as host and group vars do (YAML 1.1), and
// --json replaces the config with JSON values.
func TestIntegration_ConfigSetTypes(t *testing.T) {
	k := newKook(t)
	k.ok("config", "create", "svc", "/")
	k.ok("config", "set", "svc", "/", "on=yes", "port=8080", "name='8080'")
	want := model.Map{{Key: "on", Value: true}, {Key: "port", Value: int64(8080)}, {Key: "name", Value: "8080"}}
	got, err := model.UnmarshalJSON([]byte(k.ok("config", "get", "svc", "--host", "h")))
	if err != nil {
		t.Fatal(err)
	}
	if !model.Equal(got, want) {
		t.Fatalf("config get = %s, want %s", model.MarshalJSON(got), model.MarshalJSON(want))
	}
}

// What Jones 1.0's code needs from `kook config` (issue 15): a service is
// listed only with a root config, as Jones's web app lists them (Jones's
// model creates the nodemaps of any name it is asked about), and names
// holding " -> ", which Jones takes for its pre-1.0 nodemaps line format,
// are refused.
func TestIntegration_ConfigJonesCompat(t *testing.T) {
	k := newKook(t)
	k.ok("config", "create", "real", "/")
	conn, err := zkconn.Dial(context.Background(), zkconn.Config{Connect: k.zk})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, p := range []string{"/kook/services/stray", "/kook/services/stray/nodemaps"} {
		if err := conn.Create(context.Background(), p, []byte{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := strings.TrimSpace(k.ok("config", "services")), `["real"]`; got != want {
		t.Errorf("config services = %s, want %s", got, want)
	}
	k.fails(1, `" -> "`, "config", "create", "real", "a -> b")
	k.fails(1, `" -> "`, "config", "create", "x -> y")
	k.fails(1, `" -> "`, "config", "assoc", "real", "web -> 1", "/")
	// The znodes kook made have empty data, not null, which kazoo returns
	// as None and Jones's /export cannot print.
	for _, p := range []string{"/kook", "/kook/services", "/kook/services/real"} {
		data, _, err := conn.Get(context.Background(), p)
		if err != nil || data == nil {
			t.Errorf("%s: %q (nil: %v), %v; want empty data", p, data, data == nil, err)
		}
	}
}
