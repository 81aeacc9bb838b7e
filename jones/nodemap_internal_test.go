package jones

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestEditNodemap checks the edit in place against decoding the whole map,
// changing it and encoding it again, on nodemaps as kook and as Jones
// (json.dumps: ", " and ": ", non-ASCII escaped) write them.
func TestEditNodemap(t *testing.T) {
	maps := []string{
		``,
		`{}`,
		` { } `,
		`{"a":"/v/a"}`,
		`{"a":"/v/a","b":"/v/b","c":"/v/c"}`,
		`{"a": "/v/a", "b": "/v/b", "c": "/v/c"}`,
		"{\n \"a\" : \"/v/a\" ,\n \"b\" : \"/v/b\"\n}\n",
		`{"h\u00e9": "/v/\u00e9", "q\"x": "/v/q\\x", "b": "/v/b"}`,
		`{"a":"/v/a","b":"/v/b","a":"/v/a2"}`, // repeated: Python keeps the first position, last value
		"a -> /v/a\nb -> /v/b",
	}
	two, three := "/v/2", "/v/b"
	edits := []struct {
		host string
		p    *string
	}{
		{"a", &two}, {"b", &two}, {"c", &two}, {"b", &three}, {"new", &two}, {"hé", &two}, {`q"x`, &two},
		{"a", nil}, {"b", nil}, {"c", nil}, {"new", nil}, {"hé", nil}, {`q"x`, nil},
	}
	for _, m := range maps {
		for _, e := range edits {
			name := fmt.Sprintf("%q/%s", m, e.host)
			want, err := parseNodemap([]byte(m))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			_, wantFound := want.get(e.host)
			if e.p != nil {
				want.set(e.host, *e.p)
			} else {
				want.remove(e.host)
			}
			out, found, ok, err := editNodemap([]byte(m), e.host, e.p)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !ok {
				if !strings.Contains(m, oldSep) && !strings.Contains(m, `"a":"/v/a2"`) {
					t.Errorf("%s: not edited in place", name)
				}
				continue
			}
			if found != wantFound {
				t.Errorf("%s: found = %v, want %v", name, found, wantFound)
			}
			if out == nil {
				out = []byte(m)
			}
			if strings.TrimSpace(string(out)) != "" && !json.Valid(out) {
				t.Errorf("%s: %s is not JSON", name, out)
				continue
			}
			got, err := parseNodemap(out)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, out, err)
			}
			if !slices.Equal(got.hosts, want.hosts) || !slices.Equal(got.paths, want.paths) {
				t.Errorf("%s: %s holds %q %q, want %q %q", name, out, got.hosts, got.paths, want.hosts, want.paths)
			}
		}
	}
}

// TestParseNodemapErrors checks that what Jones's json.loads refuses, or
// what is no nodemap, is an error naming where.
func TestParseNodemapErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a": 1}`, `host "a" maps to a number`},
		{`{"a": {"b": "c"}}`, `host "a" maps to an object`},
		{`{"a": "/x"`, `expected ',' or '}'`},
		{`{"a": "/x"} x`, `data after the object`},
		{`{"a": "/x` + "\n" + `"}`, `control character`},
		{`{"a": "/x", }`, `expected a string key`},
		{"{\"a\": \"\xff\"}", `not UTF-8`},
		{"a /x", `line 1`},
	} {
		_, err := parseNodemap([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseNodemap(%q) = %v, want an error with %q", tt.in, err, tt.want)
		}
	}
}

// BenchmarkNodemap times what one command does with 10,000 associations.
func BenchmarkNodemap(b *testing.B) {
	nm := &nodemap{}
	for i := range 10000 {
		nm.set(fmt.Sprintf("host%05d.dc1.example.com", i), fmt.Sprintf("/services/svc/views/t%02d/e%02d", i%20, i/20%49))
	}
	data := nm.marshal()
	b.Run("Parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseNodemap(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Lookup", func(b *testing.B) {
		for b.Loop() {
			if _, ok, _ := lookupNodemap(data, "host09999.dc1.example.com"); !ok {
				b.Fatal("not found")
			}
		}
	})
	b.Run("Edit", func(b *testing.B) {
		p := "/services/svc/views/t00/e00"
		for b.Loop() {
			if _, _, ok, err := editNodemap(data, "host05000.dc1.example.com", &p); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
