package inventory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kook-project/kook/model"
)

// TestLoadVarsDirListing covers what find answers from the directory
// listing rather than from stat: links, broken links falling through to
// the next extension, directories named like files, and exact case.
func TestLoadVarsDirListing(t *testing.T) {
	dir := t.TempDir()
	hv := filepath.Join(dir, "host_vars")
	for name, content := range map[string]string{
		"h1": "a: noext\n", "h1.yml": "a: yml\n",
		"h2.yml/a.yml": "b: 1\n",
		"real.yml":     "c: 1\n",
		"h4.yml":       "d: 1\n",
		"H5.yml":       "e: 1\n",
		".h6.json":     "{\"f\": 1}\n",
	} {
		p := filepath.Join(hv, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("real.yml", filepath.Join(hv, "h3")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing", filepath.Join(hv, "h4")); err != nil {
		t.Fatal(err)
	}
	inv := model.New()
	for _, h := range []string{"h1", "h2", "h3", "h4", "h5", ".h6"} {
		inv.AddHost(h)
	}
	if err := LoadVarsDir(inv, dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"h1":  hv + "/h1:1",
		"h2":  hv + "/h2.yml/a.yml:1",
		"h3":  hv + "/h3:1",
		"h4":  hv + "/h4.yml:1",
		"h5":  "",
		".h6": hv + "/.h6.json:1",
	}
	for h, w := range want {
		var got string
		for _, src := range inv.Host(h).FileVarSources {
			got = src
		}
		if got != w {
			t.Errorf("%s: vars from %q, want %q", h, got, w)
		}
	}
}
