package record_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkstore/record"
	"github.com/kook-project/kook/zkstore/segment"
)

func host() *model.HostNode {
	h := &model.HostNode{Host: model.Host{Name: "web-01", Source: "hosts.ini:3"}}
	h.Groups = []model.Edge{{Name: "web", Key: 4294967552}, {Name: "prod", Key: 7}}
	h.Slot = 12
	h.Vars = model.Map{{Key: "z", Value: 1500.0}, {Key: "a", Value: math.Inf(1)}, {Key: "big", Value: int64(1) << 62}}
	h.FileVars = model.Map{{Key: "port", Value: int64(8080)}}
	h.VarSources = map[string]string{"z": "hosts.ini:3", "a": "hosts.ini:3", "big": "hosts.ini:4"}
	h.FileVarSources = map[string]string{"port": "host_vars/web-01.yml"}
	h.Extra = model.Map{{Key: "from_a_newer_kook", Value: []model.Value{"x"}}}
	return h
}

func group() *model.GroupNode {
	g := &model.GroupNode{Group: *model.NewGroup("web"), Seq: 4294967296, ListLast: true}
	g.Parents = []model.Edge{{Name: "all", Key: 3}}
	g.Priority = 10
	g.Vars = model.Map{{Key: "b", Value: "x"}, {Key: "a", Value: nil}}
	g.FileVarRanks = map[string]int{"ntp": 2}
	return g
}

// TestNodeRoundTrip: what a record encodes decodes to the same node, the
// vars keeping their order and types (1500.0 a float, Infinity, 2^62 an
// int), and fields kook does not know kept in Extra.
func TestNodeRoundTrip(t *testing.T) {
	h := host()
	data := record.Host(h)
	got, err := record.DecodeHost("web-01", data)
	if err != nil {
		t.Fatal(err)
	}
	if !model.EqualHostNodes(got, h) {
		t.Errorf("host round trip:\n got %s\nwant %s", record.Host(got), data)
	}
	if !bytes.Contains(data, []byte(`"z":1500.0`)) || !bytes.Contains(data, []byte(`"a":Infinity`)) {
		t.Errorf("host record %s: want 1500.0 and Infinity as kook stores them", data)
	}
	// The var -> source map is stored inverted: one line names its vars.
	if !bytes.Contains(data, []byte(`"var_sources":{"hosts.ini:3":["a","z"],"hosts.ini:4":["big"]}`)) {
		t.Errorf("host record %s: var_sources not inverted and sorted", data)
	}
	g := group()
	gd := record.Group(g)
	gg, err := record.DecodeGroup("web", gd)
	if err != nil {
		t.Fatal(err)
	}
	if !model.EqualGroupNodes(gg, g) {
		t.Errorf("group round trip:\n got %s\nwant %s", record.Group(gg), gd)
	}
}

// TestNodeOldSourceMap: records kook wrote before the inverted source map,
// {"var": "source"}, still read.
func TestNodeOldSourceMap(t *testing.T) {
	h, err := record.DecodeHost("a", []byte(`{"var_sources":{"x":"inv:1","y":"inv:2"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.VarSources["x"] != "inv:1" || h.VarSources["y"] != "inv:2" {
		t.Errorf("VarSources = %v", h.VarSources)
	}
}

// TestNodeRefusesDamage: a damaged record is an error naming the field,
// never a half-read node.
func TestNodeRefusesDamage(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{`[]`, "not a JSON object"},
		{`{"groups":{"web":"x"}}`, `field "groups"`},
		{`{"groups":{"":1}}`, `field "groups"`},
		{`{"slot":1.5}`, `field "slot"`},
		{`{"vars":[1]}`, `field "vars"`},
		{`{"var_sources":{"f":[1]}}`, `field "var_sources"`},
		{`{"groups":`, ""},
	} {
		if _, err := record.DecodeHost("h", []byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeHost(%s) = %v, want an error with %q", tt.data, err, tt.want)
		}
	}
	for _, tt := range []struct{ data, want string }{
		{`{"priority":1.5}`, `field "priority"`},
		{`{"list_last":1}`, `field "list_last"`},
		{`{"file_var_ranks":{"v":0}}`, `field "file_var_ranks"`},
	} {
		if _, err := record.DecodeGroup("g", []byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeGroup(%s) = %v, want an error with %q", tt.data, err, tt.want)
		}
	}
	big := []byte(`{"vars":{"x":"` + strings.Repeat("a", record.MaxNode) + `"}}`)
	if _, err := record.DecodeHost("h", big); err == nil || !strings.Contains(err.Error(), "record limit") {
		t.Errorf("a record over MaxNode: %v", err)
	}
}

func commit(hosts int) *model.Commit {
	c := &model.Commit{Generation: 7, Time: time.Date(2026, 12, 6, 3, 10, 32, 123e6, time.UTC), User: "alice",
		OSUser: "root", Machine: "ops1", Identity: "digest:alice", Tool: "kook", Reason: "bump port"}
	for i := range hosts {
		before, after := host(), host()
		before.Name, after.Name = fmt.Sprintf("h%05d", i), fmt.Sprintf("h%05d", i)
		after.Vars = append(after.Vars, model.Entry{Key: "pad", Value: strings.Repeat("p", 300)})
		if i == 0 {
			before = nil // created
		}
		c.Hosts = append(c.Hosts, model.HostChange{Before: before, After: after})
	}
	c.Groups = []model.GroupChange{{Before: group(), After: nil}}
	return c
}

// TestChangeRoundTrip: a change record holds who, when, why and every node
// before and after with its previous mzxid; one too big for a znode goes
// on in parts, each compressed when large, and reads back whole.
func TestChangeRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2000} {
		c := commit(n)
		prevs := map[string]int64{record.PrevKey(false, "h00001"): 30064771329, record.PrevKey(true, "web"): 5}
		first, parts := record.EncodeChange(c, "7-1f2e3d4c", prevs, false)
		if n == 1 && (len(parts) != 0 || first[0] != '{') {
			t.Fatalf("a small change: %d parts, record %.40q", len(parts), first)
		}
		if n == 2000 && (len(parts) == 0 || !segment.IsCompressed(first)) {
			t.Fatalf("a %d-host change: %d parts, compressed %v", n, len(parts), segment.IsCompressed(first))
		}
		r, err := record.DecodeChange(first)
		if err != nil {
			t.Fatal(err)
		}
		if r.Parts != len(parts) || r.Writer != "7-1f2e3d4c" {
			t.Errorf("Parts %d Writer %q, want %d and the writer", r.Parts, r.Writer, len(parts))
		}
		for _, p := range parts {
			if len(p) > 300<<10 {
				t.Errorf("a part of %d bytes", len(p))
			}
			pc, err := record.DecodeChange(p)
			if err != nil {
				t.Fatal(err)
			}
			r.AddPart(pc)
		}
		got := r.Commit
		if got.Generation != 7 || !got.Time.Equal(c.Time) || got.User != "alice" || got.OSUser != "root" || got.Machine != "ops1" ||
			got.Identity != "digest:alice" || got.Tool != "kook" || got.Reason != "bump port" || got.Minimal {
			t.Errorf("header: %+v", got)
		}
		if len(got.Hosts) != n || len(got.Groups) != 1 || got.Groups[0].After != nil || !model.EqualGroupNodes(got.Groups[0].Before, group()) {
			t.Fatalf("%d hosts, groups %+v", len(got.Hosts), got.Groups)
		}
		for i, hc := range got.Hosts {
			if !model.EqualHostNodes(hc.Before, c.Hosts[i].Before) || !model.EqualHostNodes(hc.After, c.Hosts[i].After) {
				t.Fatalf("host %d: %s -> %s", i, record.HostJSON(hc.Before), record.HostJSON(hc.After))
			}
		}
		if n > 1 && r.Prevs[record.PrevKey(false, "h00001")] != 30064771329 || r.Prevs[record.PrevKey(true, "web")] != 5 {
			t.Errorf("Prevs = %v", r.Prevs)
		}
	}
}

// TestChangeMinimal: a minimal record keeps who, when, why and the writer,
// no nodes.
func TestChangeMinimal(t *testing.T) {
	first, parts := record.EncodeChange(commit(3), "w", nil, true)
	r, err := record.DecodeChange(first)
	if err != nil || len(parts) != 0 {
		t.Fatal(err, len(parts))
	}
	if !r.Commit.Minimal || len(r.Commit.Hosts) != 0 || r.Commit.Reason != "bump port" || r.Writer != "w" {
		t.Errorf("minimal record: %+v", r.Commit)
	}
}

// TestChangeRefusesDamage: damaged change records are errors naming what.
func TestChangeRefusesDamage(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{`{"generation":"7"}`, `field "generation"`},
		{`{"parts":-1}`, `field "parts"`},
		{`{"hosts":{}}`, `field "hosts"`},
		{`{"hosts":[{"name":"a","after":{"slot":"x"}}]}`, `host "a"`},
		{"\x1f\x8bnot gzip", ""},
		{"\x28\xb5\x2f\xfdnot zstd", ""},
	} {
		if _, err := record.DecodeChange([]byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DecodeChange(%q) = %v, want an error with %q", tt.data, err, tt.want)
		}
	}
}
