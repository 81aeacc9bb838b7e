package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/corpus"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/model"
)

// kook export writes an inventory that ansible-inventory --list reads as it
// reads the source kook-import stored (the source stands in for
// kook-inventory, which serves the same inventory: see internal/parity).
func TestIntegration_Export(t *testing.T) {
	ansibletest.Require(t)
	src := filepath.Join(corpus.Dir(t), "relex-aini-testdata", "inventory")
	want := ansibletest.Inventory(t, "-i", src, "--list").JSON(t)
	k := newKook(t)
	k.importSource(src)

	k.fails(2, "vars from group_vars/ or host_vars/ files (4 files): give --dir DIR", "export", "-f", "ini")
	for _, format := range []string{"ini", "yaml"} {
		dir := filepath.Join(t.TempDir(), "out")
		r := k.run("export", "-f", format, "-d", dir)
		main := filepath.Join(dir, map[string]string{"ini": "hosts.ini", "yaml": "hosts.yml"}[format])
		if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "use: ansible-inventory -i "+main+" --list") {
			t.Fatalf("%v", r)
		}
		got := ansibletest.Inventory(t, "-i", main, "--list").JSON(t)
		if d := ansibletest.Diff(want, got); d != "" {
			t.Errorf("%s export: --list differs: %s", format, d)
		}
		k.fails(1, "file exists (--force replaces an earlier export)", "export", "-f", format, "-d", dir)
		stale := filepath.Join(dir, "group_vars", "stale.yml")
		if err := os.WriteFile(stale, []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		k.ok("export", "-f", format, "-d", dir, "--force")
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Errorf("--force left an earlier group_vars file: %v", err)
		}
	}

	// An inventory without vars files goes to stdout.
	nested := nestedSource(t)
	k2 := newKook(t)
	k2.importSource(nested)
	out := filepath.Join(t.TempDir(), "hosts.yml")
	if err := os.WriteFile(out, []byte(k2.ok("export", "-f", "yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := ansibletest.Diff(ansibletest.Inventory(t, "-i", nested, "--list").JSON(t), ansibletest.Inventory(t, "-i", out, "--list").JSON(t)); d != "" {
		t.Errorf("yaml on stdout: --list differs: %s", d)
	}
}

// kook export -f json is a backup that restores the stored inventory
// exactly.
func TestIntegration_ExportBackup(t *testing.T) {
	k := newKook(t)
	k.importSource(filepath.Join(repoRoot(t), "internal", "parity", "testdata", "precedence"))
	stored, _ := k.load()
	data := k.ok("export", "-f", "json")
	if !export.IsBackup([]byte(data)) {
		t.Fatalf("not a backup:\n%s", data)
	}
	got, err := export.ReadBackup([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if !model.EqualInventories(stored, got) {
		t.Error("the backup does not restore the stored inventory")
	}
	dir := t.TempDir()
	k.ok("export", "-f", "json", "-d", dir)
	if file, err := os.ReadFile(filepath.Join(dir, "kook-backup.json")); err != nil || string(file) != data {
		t.Errorf("backup file: %v", err)
	}
}

// An inventory built by kook's own edits exports to files that Ansible
// parses as exactly that inventory: orders, levels, priorities.
func TestIntegration_ExportAfterEdits(t *testing.T) {
	ansibletest.Require(t)
	k := newKook(t)
	for _, args := range [][]string{
		{"group", "add", "web", "tier=front"},
		{"group", "add", "db", "ansible_group_priority=3"},
		{"group", "add", "prod"},
		{"host", "add", "w2", "-g", "web", "port=8080"},
		{"host", "add", "w1", "-g", "web", "-g", "db"},
		{"host", "add", "solo", `motd="it's # not a comment"`},
		{"group", "add-child", "prod", "web", "db"},
		{"group", "rm-child", "prod", "web"},
		{"group", "set", "all", "--level", "file", "ntp=[a, b]"},
		{"host", "set", "w1", "--level", "file", "port=9090"},
		{"group", "add-host", "db", "solo"},
	} {
		k.ok(args...)
	}
	stored, _ := k.load()
	for _, format := range []string{"ini", "yaml"} {
		dir := t.TempDir()
		k.ok("export", "-f", format, "-d", dir, "--force")
		main := filepath.Join(dir, map[string]string{"ini": "hosts.ini", "yaml": "hosts.yml"}[format])
		if d := parity.SameParse(stored, ansibletest.Dump(t, main)); d != "" {
			data, _ := os.ReadFile(main)
			t.Errorf("%s: Ansible parses the export differently from the stored inventory: %s\n%s", format, d, data)
		}
	}
}
