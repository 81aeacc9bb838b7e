package kook_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

func openExample(t *testing.T) *kook.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kook.Open(ctx, kook.Config{ZK: zkAddr(), Root: importExample()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestIntegration_Query(t *testing.T) {
	c := openExample(t)
	ctx := t.Context()
	typed := func(s string) (model.Value, error) { return model.UnmarshalJSON([]byte(s)) }
	for _, tc := range []struct {
		pattern string
		filters []string
		want    []string
	}{
		{"all", []string{"role=\"primary\""}, []string{"db-01.example.com"}},
		{"all", []string{"http_port=9090"}, []string{"web-01.example.com"}},
		{"web", []string{"http_port!=9090"}, []string{"web-02.example.com", "web-03.example.com"}},
		{"prod", []string{"role"}, []string{"db-01.example.com", "db-02.example.com"}},
		{"prod:!db", []string{"!role", "region~^eu-"}, []string{"web-01.example.com", "web-02.example.com", "web-03.example.com"}},
	} {
		var filters []kook.Filter
		for _, f := range tc.filters {
			flt, err := kook.ParseFilter(f, typed)
			if err != nil {
				t.Fatal(err)
			}
			filters = append(filters, flt)
		}
		rows, err := c.Query(ctx, tc.pattern, filters...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Query(%q, %q) = %q, want %q", tc.pattern, tc.filters, got, tc.want)
		}
	}
	if _, err := kook.ParseFilter("=1", typed); err == nil {
		t.Error("a filter without a key parsed")
	}
}

func TestIntegration_Groups(t *testing.T) {
	c := openExample(t)
	groups, err := c.Groups(t.Context(), "*b*")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	// Creation order, as `ansible-inventory --list` lists groups: web, then db.
	if want := []string{"web", "db"}; !slices.Equal(names, want) {
		t.Errorf("Groups(*b*) = %q, want %q", names, want)
	}
}

func TestIntegration_StatusAndErrors(t *testing.T) {
	c := openExample(t)
	ctx := t.Context()
	st, err := c.Status(ctx)
	if err != nil || st.Generation != 1 || st.Hosts != 5 || st.Groups != 6 {
		t.Fatalf("Status = %+v, %v; want generation 1, 5 hosts, 6 groups (all, ungrouped, web, db, eu, prod)", st, err)
	}
	if _, err := c.Host(ctx, "nope"); !errors.Is(err, kook.ErrNotFound) {
		t.Errorf("Host(nope) = %v, want ErrNotFound", err)
	}
	if _, err := c.Group(ctx, "nope"); !errors.Is(err, kook.ErrNotFound) {
		t.Errorf("Group(nope) = %v, want ErrNotFound", err)
	}
	_, err = c.Edit(ctx, kook.EditOptions{}, kook.Attach{Parent: "web", Child: "prod"})
	if !errors.Is(err, kook.ErrCycle) {
		t.Errorf("a cycle: %v, want ErrCycle", err)
	}
	res, err := c.Edit(ctx, kook.EditOptions{DryRun: true}, kook.DeleteHost{Name: "db-02.example.com"})
	// The host goes, and with it its membership of db (reported on db).
	if err != nil || res.Written || len(res.Changes) != 2 || res.Changes[0].String() != "- host db-02.example.com" ||
		res.Changes[1].String() != "- group db: member db-02.example.com" {
		t.Errorf("dry run: %+v, %v", res, err)
	}
	if st2, _ := c.Status(ctx); st2.Generation != st.Generation || st2.Hosts != 5 {
		t.Errorf("a dry run or a failed edit wrote: %+v", st2)
	}
	empty, err := kook.Open(ctx, kook.Config{ZK: zkAddr(), Root: "/never-written"})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if st, err := empty.Status(ctx); err != nil || st.Generation != 0 {
		t.Errorf("Status of an empty root = %+v, %v", st, err)
	}
	var buf bytes.Buffer
	if err := empty.WriteList(ctx, &buf, ""); !errors.Is(err, kook.ErrNotFound) {
		t.Errorf("WriteList of an empty root: %v, want ErrNotFound", err)
	}
}

// TestIntegration_Limit: KOOK_LIMIT keeps the hosts a pattern selects with
// all their groups, and each kept host's vars are what they are without it.
func TestIntegration_Limit(t *testing.T) {
	c := openExample(t)
	ctx := t.Context()
	var full, limited bytes.Buffer
	if err := c.WriteList(ctx, &full, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteList(ctx, &limited, "db-01*"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(limited.String(), "db-01.example.com") || strings.Contains(limited.String(), "web-01") {
		t.Errorf("limited list:\n%s", limited.String())
	}
	if err := c.WriteList(ctx, &limited, "~(unclosed"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("a bad limit: %v", err)
	}
}
