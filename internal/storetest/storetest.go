// Package storetest runs one suite of behaviour tests against any
// model.Store, so the in-memory store and the ZooKeeper store are held to the
// same contract.
package storetest

import (
	"context"
	"errors"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

// Run runs the suite. newStore must return an empty store each call.
func Run(t *testing.T, newStore func(t *testing.T) model.Store) {
	ctx := context.Background()

	t.Run("ErrNotFoundWhenEmpty", func(t *testing.T) {
		s := newStore(t)
		if _, _, err := s.Load(ctx); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("Load of an empty store: got %v, want ErrNotFound", err)
		}
	})

	t.Run("OrderAndStructure", func(t *testing.T) {
		s := newStore(t)
		want := sample()
		gen, err := s.Update(ctx, func(inv *model.Inventory) error { *inv = *want.Clone(); return nil })
		if err != nil {
			t.Fatal(err)
		}
		got, gotGen, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if gotGen != gen || gen < 1 {
			t.Fatalf("generation: Update said %d, Load says %d", gen, gotGen)
		}
		MustEqual(t, got, want)
	})

	t.Run("NoChangeWritesNothing", func(t *testing.T) {
		s := newStore(t)
		gen1, err := s.Update(ctx, func(inv *model.Inventory) error { *inv = *sample(); return nil })
		if err != nil {
			t.Fatal(err)
		}
		gen2, err := s.Update(ctx, func(inv *model.Inventory) error { *inv = *sample(); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if gen2 != gen1 {
			t.Fatalf("an identical update moved the generation from %d to %d", gen1, gen2)
		}
	})

	t.Run("ErrFromFnWritesNothing", func(t *testing.T) {
		s := newStore(t)
		gen1, _ := s.Update(ctx, func(inv *model.Inventory) error { *inv = *sample(); return nil })
		boom := errors.New("boom")
		_, err := s.Update(ctx, func(inv *model.Inventory) error {
			inv.AddHost("half-written")
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want fn's error", err)
		}
		got, gen2, _ := s.Load(ctx)
		if gen2 != gen1 || got.Host("half-written") != nil {
			t.Fatalf("a failed update left a trace: generation %d -> %d", gen1, gen2)
		}
	})

	t.Run("InvalidResultWritesNothing", func(t *testing.T) {
		s := newStore(t)
		gen1, _ := s.Update(ctx, func(inv *model.Inventory) error { *inv = *sample(); return nil })
		_, err := s.Update(ctx, func(inv *model.Inventory) error {
			inv.Group("web").Children = append(inv.Group("web").Children, "all") // cycle
			return nil
		})
		if !errors.Is(err, model.ErrCycle) {
			t.Fatalf("got %v, want ErrCycle", err)
		}
		_, gen2, _ := s.Load(ctx)
		if gen2 != gen1 {
			t.Fatalf("an invalid update moved the generation from %d to %d", gen1, gen2)
		}
	})

	t.Run("ValuesKeepTheirTypes", func(t *testing.T) {
		s := newStore(t)
		vals := TypedValues()
		if _, err := s.Update(ctx, func(inv *model.Inventory) error {
			h := inv.AddHost("typed")
			h.Vars = vals.Clone()
			return inv.AddHostToGroup("ungrouped", "typed")
		}); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range vals {
			v, ok := got.Host("typed").Vars.Get(e.Key)
			if !ok || !model.EqualOrdered(v, e.Value) {
				t.Errorf("var %s: got %#v, want %#v", e.Key, v, e.Value)
			}
		}
		if !slices.Equal(got.Host("typed").Vars.Keys(), vals.Keys()) {
			t.Errorf("var order: got %v, want %v", got.Host("typed").Vars.Keys(), vals.Keys())
		}
	})

	t.Run("OddNames", func(t *testing.T) {
		s := newStore(t)
		names := OddNames()
		if _, err := s.Update(ctx, func(inv *model.Inventory) error {
			for _, n := range names {
				inv.AddHost(n)
				g := inv.AddGroup("g " + n)
				g.Hosts = append(g.Hosts, n)
			}
			inv.Reconcile()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range names {
			if got.Hosts[i].Name != n {
				t.Errorf("host %d: got %q, want %q", i, got.Hosts[i].Name, n)
			}
			if g := got.Group("g " + n); g == nil || len(g.Hosts) != 1 || g.Hosts[0] != n {
				t.Errorf("group %q did not round-trip", "g "+n)
			}
		}
	})

	t.Run("EditsKeepOrder", func(t *testing.T) {
		s := newStore(t)
		s.Update(ctx, func(inv *model.Inventory) error { *inv = *sample(); return nil })
		// Remove a host in the middle, add one at the end, insert a group.
		_, err := s.Update(ctx, func(inv *model.Inventory) error {
			inv.RemoveHost("web2")
			inv.AddHost("zz-last")
			inv.AddGroup("new")
			if err := inv.AddHostToGroup("new", "zz-last"); err != nil {
				return err
			}
			inv.Reconcile()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _, _ := s.Load(ctx)
		want := sample()
		want.RemoveHost("web2")
		want.AddHost("zz-last")
		want.AddGroup("new")
		want.AddHostToGroup("new", "zz-last")
		want.Reconcile()
		MustEqual(t, got, want)
	})
}

// sample is a small inventory with nesting, priorities and vars at every
// level, hosts deliberately not in name order.
func sample() *model.Inventory {
	inv := model.New()
	for _, h := range []string{"web2", "web1", "db1", "lonely"} {
		inv.AddHost(h)
	}
	web := inv.AddGroup("web")
	web.Hosts = []string{"web2", "web1"}
	web.Vars.Set("http_port", int64(80))
	web.FileVars.Set("http_port", int64(8080))
	web.Priority = 10
	web.VarSources = map[string]string{"http_port": "hosts.ini:7"}
	db := inv.AddGroup("db")
	db.Hosts = []string{"db1"}
	prod := inv.AddGroup("prod")
	prod.Children = []string{"web", "db"}
	inv.Host("web1").Vars.Set("ansible_host", "10.0.0.1")
	inv.Host("web1").FileVars.Set("ansible_user", "deploy")
	inv.Host("web1").Source = "hosts.ini:3"
	inv.Reconcile()
	return inv
}

// TypedValues covers every value type, including ones a JSON round trip
// tends to lose: 1500.0 as a float, "010" as a string, a huge int, key order.
func TypedValues() model.Map {
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	return model.Map{
		{Key: "int", Value: int64(1500)},
		{Key: "float", Value: 1500.0},
		{Key: "small_float", Value: 1.5e-7},
		{Key: "inf", Value: math.Inf(1)},
		{Key: "string_octal", Value: "010"},
		{Key: "string_number", Value: "8080"},
		{Key: "bool", Value: true},
		{Key: "null", Value: nil},
		{Key: "bigint", Value: big1},
		{Key: "negative", Value: int64(-9223372036854775808)},
		{Key: "unicode", Value: "naïve ☃ \u0000 \"quoted\"\n"},
		{Key: "list", Value: []model.Value{int64(1), "two", 3.0, nil, []model.Value{}}},
		{Key: "map", Value: model.Map{{Key: "z", Value: int64(1)}, {Key: "a", Value: model.Map{{Key: "nested", Value: false}}}}},
		{Key: "empty_map", Value: model.Map{}},
		{Key: "vault", Value: model.Vault("$ANSIBLE_VAULT;1.1;AES256\n6162\n")},
	}
}

// OddNames are host names Ansible accepts that a naive znode mapping breaks.
func OddNames() []string {
	return []string{
		"db primary", "a/b", "..", ".", "...x", "host:2222", "ünïcödé-☃", "[::1]", "%41", "-", "_",
		"x" + strings.Repeat("é", 127), // 255 bytes
	}
}

// MustEqual fails t with the first difference between two inventories.
func MustEqual(t testing.TB, got, want *model.Inventory) {
	t.Helper()
	if model.EqualInventories(got, want) {
		return
	}
	if len(got.Hosts) != len(want.Hosts) || len(got.Groups) != len(want.Groups) {
		t.Fatalf("got %d hosts, %d groups; want %d hosts, %d groups", len(got.Hosts), len(got.Groups), len(want.Hosts), len(want.Groups))
	}
	for i := range want.Hosts {
		g, w := got.Hosts[i], want.Hosts[i]
		if g.Name != w.Name {
			t.Fatalf("host %d: got %q, want %q", i, g.Name, w.Name)
		}
		if !model.EqualOrdered(g.Vars, w.Vars) || !model.EqualOrdered(g.FileVars, w.FileVars) {
			t.Fatalf("host %q vars: got %v / %v, want %v / %v", w.Name, g.Vars, g.FileVars, w.Vars, w.FileVars)
		}
	}
	for i := range want.Groups {
		g, w := got.Groups[i], want.Groups[i]
		if g.Name != w.Name {
			t.Fatalf("group %d: got %q, want %q", i, g.Name, w.Name)
		}
	}
	t.Fatalf("inventories differ (membership, priority, vars or provenance)")
}
