package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

// What LoadVarsDir reads is compared with Ansible's host_group_vars plugin
// on the testdata/dirs fixtures in TestIntegration_LoadMatchesAnsible; these tests cover
// provenance and errors.

func TestLoadVarsDirProvenance(t *testing.T) {
	inv, err := Load("testdata/dirs/mixed")
	if err != nil {
		t.Fatal(err)
	}
	all := inv.Group("all")
	// group_vars/all/ is read in sorted order: 01-base.yml, 02-extra.json,
	// nested/03.yaml, zz; "order" is last set in zz.
	want := map[string]string{
		"ntp":      "testdata/dirs/mixed/group_vars/all/01-base.yml:1",
		"json_var": "testdata/dirs/mixed/group_vars/all/02-extra.json:1",
		"order":    "testdata/dirs/mixed/group_vars/all/zz:1",
		"no_ext":   "testdata/dirs/mixed/group_vars/all/zz:2",
	}
	for k, w := range want {
		if got := all.FileVarSources[k]; got != w {
			t.Errorf("all %s source = %q, want %q", k, got, w)
		}
	}
	if got := inv.Group("web").FileVarSources["web_only"]; got != "testdata/dirs/mixed/group_vars/web.yml:3" {
		t.Errorf("web_only source = %q", got)
	}
	if got := inv.Host("web2").FileVarSources["b"]; got != "testdata/dirs/mixed/host_vars/web2/20.yml:1" {
		t.Errorf("web2 b source = %q", got)
	}
	// Inventory-source vars keep their own provenance.
	if got := inv.Group("web").VarSources["http_port"]; got != "testdata/dirs/mixed/hosts:11" {
		t.Errorf("web http_port (INI) source = %q", got)
	}
}

func TestLoadVarsDirErrors(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		want   string
		wantIs error
	}{
		{"vault file", map[string]string{"group_vars/web.yml": "$ANSIBLE_VAULT;1.1;AES256\n6162\n"},
			"group_vars/web.yml: encrypted with ansible-vault: kook cannot import it without the password", ErrVaultEncrypted},
		{"list", map[string]string{"group_vars/web/a.yml": "x: 1\n", "group_vars/web/b.yml": "- 1\n"},
			"group_vars/web/b.yml:1: vars file must hold a mapping at the top level, not a list", nil},
		{"syntax", map[string]string{"host_vars/h1.yml": "a: 1\nb: [\n"},
			"host_vars/h1.yml:", nil},
		{"string", map[string]string{"group_vars/all.json": "\"text\"\n"},
			"group_vars/all.json: vars file must hold a mapping at the top level, not a str", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			inv := model.New()
			inv.AddGroup("web")
			inv.AddHost("h1")
			err := LoadVarsDir(inv, dir)
			if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, tt.want)) {
				t.Fatalf("err = %v, want prefix %q", err, filepath.Join(dir, tt.want))
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
		})
	}
}

// TestLoadVarsDirOddNames: Ansible skips names that are absolute paths and
// joins other names to the directory as text, so a host named "sub/h"
// reads group_vars/sub/h.
func TestLoadVarsDirOddNames(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"host_vars/sub/h.yml": "nested: true\n",
		"host_vars/etc.yml":   "never: read\n",
	} {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte(content), 0o644)
	}
	inv := model.New()
	inv.AddHost("sub/h")
	inv.AddHost("/etc")
	if err := LoadVarsDir(inv, dir); err != nil {
		t.Fatal(err)
	}
	if got := inv.Host("sub/h").FileVars; !model.EqualOrdered(got, model.Map{{Key: "nested", Value: true}}) {
		t.Errorf("sub/h file vars = %s", model.MarshalJSON(got))
	}
	if got := inv.Host("/etc").FileVars; len(got) != 0 {
		t.Errorf("/etc file vars = %s, want none", model.MarshalJSON(got))
	}
}

// TestLoadVarsDirSymlinkLoop: a directory that contains itself ends when
// the OS refuses to resolve the path (ELOOP), where Python's isdir turns
// false too; the file in it is read once per level.
func TestLoadVarsDirSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "group_vars", "web")
	if err := os.MkdirAll(loop, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(loop, filepath.Join(loop, "again")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loop, "v.yml"), []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := model.New()
	inv.AddGroup("web")
	if err := LoadVarsDir(inv, dir); err != nil {
		t.Fatal(err)
	}
	if got := inv.Group("web").FileVars; !model.EqualOrdered(got, model.Map{{Key: "x", Value: int64(1)}}) {
		t.Errorf("web file vars = %s", model.MarshalJSON(got))
	}
}

func TestPySplitExt(t *testing.T) {
	// Expected values from python3: os.path.splitext(p)[1].
	tests := map[string]string{
		"a.yml": ".yml", "a": "", ".hidden": "", "..x": "", "a.b.json": ".json",
		"dir.d/file": "", "a.": ".", ".a.yml": ".yml", "x/.bashrc": "",
	}
	for in, want := range tests {
		if got := pysplitExt(in); got != want {
			t.Errorf("pysplitExt(%q) = %q, want %q", in, got, want)
		}
	}
}
