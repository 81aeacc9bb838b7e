package inventory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

func TestSourcePath(t *testing.T) {
	t.Setenv("KOOK_TEST_DIR", "inv")
	home, _ := os.UserHomeDir()
	for _, tt := range []struct{ in, want string }{
		{"link/../hosts", "hosts"},
		{"./a/./b/../hosts.ini", "a/hosts.ini"},
		{"../x", "../x"},
		{"/a/b/../../../c", "/c"},
		{"$KOOK_TEST_DIR/../hosts", "hosts"},
		{"${KOOK_NO_SUCH_VAR}/hosts", "${KOOK_NO_SUCH_VAR}/hosts"},
		{"~/inv/../hosts", filepath.Join(home, "hosts")},
		{"a,b/../c", "a,b/../c"}, // a host list, untouched
		{"", ""},
	} {
		if got := SourcePath(tt.in); got != tt.want {
			t.Errorf("SourcePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestIntegration_SourcePathBeforeSymlinks: Ansible normalizes a source
// path lexically (unfrackpath(follow=False)) before anything resolves a
// symlink, so "DIR/link/../hosts" is DIR/hosts, with DIR/group_vars/,
// whatever link points to; the operating system would read
// TARGET/../hosts. Checked against ansible-inventory given the same path.
func TestIntegration_SourcePathBeforeSymlinks(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hosts", "[g]\nlexical\n")
	write("group_vars/g.yml", "from: lexical group_vars\n")
	write("real/hosts", "[g]\nphysical\n")
	write("real/group_vars/g.yml", "from: physical group_vars\n")
	if err := os.MkdirAll(filepath.Join(dir, "real/deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "real/deep"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	src := dir + "/link/../hosts"
	inv, err := Load(src)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Host("lexical") == nil || inv.Host("physical") != nil {
		t.Fatalf("hosts = %q, want the lexical path's", hostNames(inv))
	}
	r := ansibletest.Inventory(t, "-i", src, "--list")
	want := r.JSON(t)
	if got := inventoryView(inv, false); !model.Equal(asJSONReads(t, got), want) {
		t.Errorf("--list differs:\nkook    %s\nAnsible %s", model.AppendJSON(nil, got, true), model.AppendJSON(nil, want, true))
	}
}
