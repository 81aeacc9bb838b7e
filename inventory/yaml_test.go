package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// The structure ParseYAML builds is compared with Ansible's on every fixture
// in TestIntegration_LoadMatchesAnsible; these tests cover what the oracles do not show:
// provenance, error messages and lines, and partial results.

func TestParseYAMLProvenance(t *testing.T) {
	src := `all:
  children:
    web:
      hosts:
        web[1:2]:2222:
          role: web
      vars:
        http_port: 80
web:
  vars:
    http_port: 8080
  hosts:
    web1:
      role: primary
`
	inv := model.New()
	if err := ParseYAML(inv, "hosts.yml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	web := inv.Group("web")
	if web.Source != "hosts.yml:3" {
		t.Errorf("web.Source = %q, want hosts.yml:3 (first declared)", web.Source)
	}
	if got := web.VarSources["http_port"]; got != "hosts.yml:11" {
		t.Errorf("web http_port source = %q, want hosts.yml:11 (last set)", got)
	}
	if all := inv.Group("all"); all.Source != "hosts.yml:1" {
		t.Errorf("all.Source = %q, want hosts.yml:1", all.Source)
	}
	h := inv.Host("web1")
	if h.Source != "hosts.yml:5" {
		t.Errorf("web1.Source = %q, want hosts.yml:5", h.Source)
	}
	want := map[string]string{"ansible_port": "hosts.yml:5", "role": "hosts.yml:14"}
	for k, w := range want {
		if got := h.VarSources[k]; got != w {
			t.Errorf("web1 %s source = %q, want %q", k, got, w)
		}
	}
	// Expected vars from ansible-inventory --list --export of the same file.
	if got, want := h.Vars, (model.Map{{Key: "ansible_port", Value: int64(2222)}, {Key: "role", Value: "primary"}}); !model.EqualOrdered(got, want) {
		t.Errorf("web1 vars = %s, want %s", model.MarshalJSON(got), model.MarshalJSON(want))
	}
}

func TestParseYAMLErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Each input is also rejected by Ansible's yaml plugin (see
		// testdata/yaml/bad, compared in TestIntegration_LoadMatchesAnsible).
		{"empty", "", "f.yml: parsed empty YAML file"},
		{"not a mapping", "- a\n", "f.yml:1: YAML inventory has invalid structure, it should be a dictionary, got: list"},
		{"plugin", "x: 1\nplugin: constructed\n", "f.yml:2: plugin configuration YAML file"},
		{"int host", "g:\n  hosts:\n    1234:\n", "f.yml:3: host pattern 1234 must be a string"},
		{"float host", "g:\n  hosts:\n    7.2:\n", "f.yml:3: host pattern 7.2 must be a string"},
		{"int group", "g:\n  children:\n    5:\n", "f.yml:3: unable to add group 5: invalid group name, expected a string but got int"},
		{"hosts list", "g:\n  vars: {}\n  hosts: [a]\n", "f.yml:3: invalid \"hosts\" entry for \"g\" group, requires a dictionary, found \"list\" instead"},
		{"host vars string", "g:\n  hosts:\n    h: text\n", "f.yml:3: invalid data for host \"h\": expected a dictionary, got str"},
		{"unknown child", "g:\n  children:\n    x: 1\n", "f.yml:3: x is not a known host nor group"},
		{"cycle", "a:\n  children:\n    b:\n      children:\n        a:\n", "f.yml:3: adding group \"b\" as child to \"a\" creates a recursive dependency loop"},
		{"priority", "g:\n  vars:\n    ansible_group_priority: [1]\n", "f.yml:3: ansible_group_priority: int() argument must be"},
		{"bad range", "g:\n  hosts:\n    web[1:x]:\n", "f.yml:3: "},
		{"syntax", "g:\n  hosts: [\n", "f.yml:"},
		// Ansible accepts these; kook cannot serve them (see model.ValidateGroupName, MaxNameBytes).
		{"meta group", "g:\n  children:\n    _meta:\n", `f.yml:3: group "_meta": "_meta" is reserved`},
		{"long host", "g:\n  hosts:\n    ? " + strings.Repeat("h", 4097) + "\n    :\n", `f.yml:3: host "hhhh`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseYAML(model.New(), "f.yml", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "f.yml" {
				t.Errorf("err = %#v, want a *ParseError for f.yml", err)
			}
		})
	}
}

func TestParseYAMLVaultFile(t *testing.T) {
	err := ParseYAML(model.New(), "v.yml", []byte("$ANSIBLE_VAULT;1.1;AES256\n6162\n"))
	if !errors.Is(err, ErrVaultEncrypted) || !strings.HasPrefix(err.Error(), "v.yml: encrypted with ansible-vault") {
		t.Fatalf("err = %v, want ErrVaultEncrypted naming v.yml", err)
	}
}

// TestParseYAMLPartial: like Ansible, a file that fails half way leaves what
// it added before the error.
func TestParseYAMLPartial(t *testing.T) {
	inv := model.New()
	err := ParseYAML(inv, "f.yml", []byte("a:\n  hosts:\n    h1:\nb:\n  hosts:\n    1:\n"))
	if err == nil {
		t.Fatal("want an error")
	}
	if inv.Host("h1") == nil || inv.Group("b") == nil {
		t.Errorf("partial inventory lost: hosts %v", hostNames(inv))
	}
}

// TestParseYAMLHostNamedLikeGroup: InventoryData.set_variable looks groups
// up first. Expected values from ansible-inventory --list --export.
func TestParseYAMLHostNamedLikeGroup(t *testing.T) {
	src := "web:\n  vars: {a: 1}\nother:\n  hosts:\n    web:\n      b: 2\n      ansible_group_priority: 4\n"
	inv := model.New()
	if err := ParseYAML(inv, "f.yml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	g, h := inv.Group("web"), inv.Host("web")
	if want := (model.Map{{Key: "a", Value: int64(1)}, {Key: "b", Value: int64(2)}}); !model.EqualOrdered(g.Vars, want) {
		t.Errorf("group web vars = %s, want %s", model.MarshalJSON(g.Vars), model.MarshalJSON(want))
	}
	if g.Priority != 4 {
		t.Errorf("group web priority = %d, want 4", g.Priority)
	}
	if len(h.Vars) != 0 {
		t.Errorf("host web vars = %s, want none", model.MarshalJSON(h.Vars))
	}
}

func TestPIntOf(t *testing.T) {
	// Expected values from python3: int(x).
	tests := []struct {
		in      any
		want    int
		wantErr bool
	}{
		{int64(7), 7, false},
		{true, 1, false},
		{2.9, 2, false},
		{-2.9, -2, false},
		{"10", 10, false},
		{" -1_0 ", -10, false},
		{"+3", 3, false},
		{"1__0", 0, true},
		{"_1", 0, true},
		{"1.5", 0, true},
		{"", 0, true},
		{nil, 0, true},
		{&pycompat.List{}, 0, true},
	}
	for _, tt := range tests {
		got, err := pintOf(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("pintOf(%#v) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzParseYAML parses arbitrary inventories: no panic, and what parses
// reconciles into a valid inventory.
func FuzzParseYAML(f *testing.F) {
	files, _ := filepath.Glob("testdata/yaml/*")
	more, _ := filepath.Glob("testdata/yaml/bad/*")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		inv := model.New()
		var err error
		within(t, 5*time.Second, data, func() { err = ParseYAML(inv, "f.yml", data) })
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		inv.Reconcile()
		if err := inv.Validate(); err != nil {
			t.Fatalf("ParseYAML(%q) built an invalid inventory: %v", data, err)
		}
	})
}

// within fails the test if fn runs longer than d: the fuzz targets look for
// hangs as well as panics.
func within(t *testing.T, d time.Duration, in any, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v on %q", d, in)
	}
}
