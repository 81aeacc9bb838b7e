package parity

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/corpus"
)

// Source is one inventory source to check.
type Source struct {
	Name string // "corpus/kubespray-sample/inventory.ini", for subtest names
	Path string // absolute
}

// RepoRoot returns the directory holding go.mod, found upward from the
// current directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the current directory")
		}
		dir = parent
	}
}

// Roots returns the directories Sources searches, by name: the fixtures of
// packages inventory and pattern, this package's own, and the shared corpus
// of real inventories when KOOK_CORPUS names it (see package
// internal/corpus).
func Roots(t testing.TB) map[string]string {
	t.Helper()
	root := RepoRoot(t)
	roots := map[string]string{
		"inventory": filepath.Join(root, "inventory", "testdata"),
		"pattern":   filepath.Join(root, "pattern", "testdata"),
		"parity":    filepath.Join(root, "internal", "parity", "testdata"),
	}
	if dir, ok := corpus.Find(t); ok {
		roots["corpus"] = dir
	}
	return roots
}

// Sources returns every inventory source under the roots, sorted by name.
// A source is:
//
//   - every regular file, except hidden ones (a path element starting with
//     '.'), files below a group_vars/ or host_vars/ directory (vars, not
//     inventories) or below the root's fuzz/ directory (Go fuzz corpora),
//     helper scripts and notes (.py, .sh, .md, .txt), and
//     expected-output files: a file ending .json, .out,
//     .err, .golden or .want whose name, less that extension, is another
//     file's name less its extension in the same directory (hosts.ini and
//     hosts.json: hosts.json is the golden output of hosts.ini);
//   - every directory, other than a root, that holds a group_vars/ or
//     host_vars/ directory: Ansible then parses the directory as one
//     inventory (files ending .ini and the like are ignored there).
//
// Each file is passed to Ansible by its own path, so group_vars/ and
// host_vars/ beside it apply. Sources that Ansible rejects are kept: kook
// must reject them too.
func Sources(t testing.TB) []Source {
	t.Helper()
	var out []Source
	for name, dir := range Roots(t) {
		out = append(out, walk(t, name, dir)...)
	}
	slices.SortFunc(out, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	return out
}

var helperExts = map[string]bool{".py": true, ".sh": true, ".md": true, ".txt": true}

var outputExts = map[string]bool{".json": true, ".out": true, ".err": true, ".golden": true, ".want": true}

func walk(t testing.TB, rootName, root string) []Source {
	t.Helper()
	var out []Source
	add := func(path string) {
		rel, _ := filepath.Rel(root, path)
		abs, err := filepath.Abs(path)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Source{Name: rootName + "/" + filepath.ToSlash(rel), Path: filepath.Clean(abs)})
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path != root && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if name == "group_vars" || name == "host_vars" || (name == "fuzz" && filepath.Dir(path) == root) {
				return filepath.SkipDir // vars, or Go's fuzz corpora (testdata/fuzz/FuzzXxx)
			}
			if path != root && (isDir(filepath.Join(path, "group_vars")) || isDir(filepath.Join(path, "host_vars"))) {
				add(path)
			}
			return nil
		}
		if d.Type().IsRegular() && !helperExts[filepath.Ext(name)] && !isExpectedOutput(path) {
			add(path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// isExpectedOutput reports whether path looks like the expected output of a
// sibling source (see Sources).
func isExpectedOutput(path string) bool {
	ext := filepath.Ext(path)
	if !outputExts[ext] {
		return false
	}
	stem := strings.TrimSuffix(filepath.Base(path), ext)
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return false
	}
	for _, e := range entries {
		n := e.Name()
		if n != filepath.Base(path) && !e.IsDir() && strings.TrimSuffix(n, filepath.Ext(n)) == stem {
			return true
		}
	}
	return false
}
