package inventory

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/corpus"
)

// oracleFixtures returns the fixture sources compared with Ansible: every
// file under testdata/yaml (those under bad/ are rejected by Ansible), and
// the directory fixtures, alone or together.
func oracleFixtures(t testing.TB) [][]string {
	t.Helper()
	var jobs [][]string
	for _, pattern := range []string{"testdata/yaml/*", "testdata/yaml/bad/*"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if st, err := os.Stat(f); err == nil && !st.IsDir() {
				jobs = append(jobs, []string{f})
			}
		}
	}
	return append(jobs,
		[]string{"testdata/yaml/basic.yml", "testdata/yaml/dupkeys.yml", "testdata/yaml/priority.yml"},
		[]string{"testdata/yaml/patterns.yml", "testdata/yaml/odd.yml"},
		[]string{"testdata/dirs/mixed"},
		[]string{"testdata/dirs/mixed/sub"},
		[]string{"testdata/dirs/mixed/hosts"},
		[]string{"testdata/dirs/precedence/hosts.yml"},
		[]string{"testdata/dirs/precedence"},
		[]string{"testdata/dirs/vaultvars/hosts.yml"},
		[]string{"testdata/dirs/vaultunused/hosts.yml"},
		[]string{"testdata/dirs/badvars/hosts.yml"},
		[]string{"testdata/dirs/falsyvars/hosts.yml"},
		[]string{"testdata/dirs/ignoredonly"},
		[]string{"testdata/dirs/multi/a/hosts.yml", "testdata/dirs/multi/b/hosts"},
		[]string{"testdata/dirs/multi/b/hosts", "testdata/dirs/multi/a/hosts.yml"},
		[]string{"testdata/dirs/multi/a", "testdata/dirs/multi/b/hosts", "testdata/dirs/mixed"},
		[]string{"testdata/dirs/multisrc/a/hosts", "testdata/dirs/multisrc/b/hosts"},
		[]string{"testdata/dirs/multisrc/b/hosts", "testdata/dirs/multisrc/a/hosts"},
		[]string{"testdata/dirs/multisrc/a/hosts", "testdata/dirs/multisrc/b/hosts", "testdata/dirs/multisrc/a/hosts"},
		[]string{"testdata/dirs/scripts/with_meta.sh"},
		[]string{"testdata/dirs/scripts/no_meta.sh"},
		[]string{"testdata/dirs/scripts/failing.sh"},
		[]string{"testdata/dirs/scripts/shebang.yml"},
		[]string{"testdata/dirs/fallback/inventory"},
		[]string{"testdata/dirs/fallback/broken_yaml"},
		[]string{"testdata/dirs/fallback"},
		[]string{"h1,h2:2222, h1,[::1]:22,web[1:2],", "testdata/yaml/noext"},
	)
}

func TestIntegration_LoadMatchesAnsible(t *testing.T) {
	jobs := oracleFixtures(t)
	dumps := ansibleDump(t, jobs)
	for i, sources := range jobs {
		t.Run(strings.Join(sources, "+"), func(t *testing.T) {
			t.Parallel()
			t.Log(checkAgainstAnsible(t, dumps[i], sources...))
		})
	}
}

// corpusSources lists every file of the corpus under root that is not a
// vars file as a file source, and every directory as a directory source.
func corpusSources(t testing.TB, root string) [][]string {
	t.Helper()
	var jobs [][]string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "group_vars" || d.Name() == "host_vars") {
			return filepath.SkipDir
		}
		if p != root {
			jobs = append(jobs, []string{p})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// corpusUnsupported are the corpus sources that Ansible parses and kook
// refuses on purpose, with the reason kook's error must give: an inventory
// plugin configuration (kook reads only static inventories; Ansible's
// "constructed" plugin needs Jinja2) and TOML.
var corpusUnsupported = map[string]string{
	"ansible-core-tests/inventory/1/2/inventory.yml":               "plugin configuration",
	"ansible-core-tests/inventory/1/2":                             "plugin configuration",
	"ansible-core-tests/inventory/1":                               "plugin configuration",
	"ansible-core-tests/inventory":                                 "plugin configuration",
	"ansible-core-tests/ansible-inventory/files/valid_sample.toml": "TOML",
	"ansible-core-tests/ansible-inventory/files":                   "TOML",
	"ansible-core-tests/ansible-inventory":                         "TOML",
}

func TestIntegration_LoadCorpus(t *testing.T) {
	root := corpus.Dir(t)
	jobs := corpusSources(t, root)
	dumps := ansibleDump(t, jobs)
	for i, sources := range jobs {
		rel, _ := filepath.Rel(root, sources[0])
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			if reason, ok := corpusUnsupported[filepath.ToSlash(rel)]; ok {
				_, err := Load(sources...)
				if err == nil || !strings.Contains(err.Error(), reason) {
					t.Errorf("Load(%q) = %v, want an error about %s", sources, err, reason)
				}
				if dumps[i].Err != "" {
					t.Errorf("Ansible now rejects %s too: %s", rel, dumps[i].Err)
				}
				t.Logf("unsupported, as intended: %v", err)
				return
			}
			t.Log(checkAgainstAnsible(t, dumps[i], sources...))
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		sources []string
		// want are substrings of the error, in order: the most useful
		// plugin error comes first.
		want   []string
		wantIs error
	}{
		{"missing", []string{"testdata/nope.yml"}, []string{"testdata/nope.yml: file does not exist"}, fs.ErrNotExist},
		{"nothing in directory", []string{"testdata/dirs/ignoredonly"}, []string{"testdata/dirs/ignoredonly: cannot parse inventory source: no inventory source in directory"}, nil},
		{"yaml structure first", []string{"testdata/yaml/bad/int_host.yml"},
			[]string{"testdata/yaml/bad/int_host.yml: cannot parse inventory source: as YAML: testdata/yaml/bad/int_host.yml:3: host pattern 1234", "also as INI: testdata/yaml/bad/int_host.yml:1:"}, nil},
		{"extensionless yaml syntax error: yaml first", []string{"testdata/dirs/fallback/broken_yaml"},
			[]string{"as YAML: testdata/dirs/fallback/broken_yaml:4: yaml: did not find expected ',' or ']'", "also as INI"}, nil},
		{"script that ran: its error first", []string{"testdata/dirs/scripts/failing.sh"},
			[]string{"as a script: inventory script testdata/dirs/scripts/failing.sh had an execution error: exit status 3: cannot reach the CMDB", "also as INI"}, nil},
		{"vault", []string{"testdata/yaml/bad/vault_file.yml"}, []string{"testdata/yaml/bad/vault_file.yml: encrypted with ansible-vault"}, ErrVaultEncrypted},
		{"vault vars", []string{"testdata/dirs/vaultvars/hosts.yml"}, []string{"testdata/dirs/vaultvars/group_vars/web.yml: encrypted with ansible-vault"}, ErrVaultEncrypted},
		{"in a directory", []string{"testdata/dirs/fallback"}, []string{"testdata/dirs/fallback/broken_yaml: cannot parse"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.sources...)
			if err == nil {
				t.Fatal("want an error")
			}
			msg, at := err.Error(), 0
			for _, w := range tt.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q lacks %q (after offset %d)", msg, w, at)
				}
				at += i + len(w)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
		})
	}
}

// TestLoadExtensionlessINIError: for a file without extension that is
// neither YAML nor INI, the INI error comes first when the file looks like
// INI.
func TestLoadExtensionlessINIError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hosts")
	if err := os.WriteFile(p, []byte("[web]\nh1 a=1\n[web:oops]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	var se *SourceError
	if !errors.As(err, &se) || len(se.Errs) != 2 || !strings.HasPrefix(se.Errs[0].Error(), "as INI: "+p+":3:") {
		t.Fatalf("err = %v, want the INI error (line 3) first", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != p {
		t.Errorf("errors.As(*ParseError) = %v", pe)
	}
}

// TestLoadHostList: "a,b" with no such file is a host list; the result is
// checked against Ansible in TestIntegration_LoadMatchesAnsible.
func TestLoadHostList(t *testing.T) {
	inv, err := Load("h1, h2:2222,[::1]:22,web[1:2],")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hostNames(inv), []string{"h1", "h2", "::1", "web[1:2]"}; !slices.Equal(got, want) {
		t.Errorf("hosts = %q, want %q", got, want)
	}
	if got := inv.Group("ungrouped").Hosts; !slices.Equal(got, hostNames(inv)) {
		t.Errorf("ungrouped = %q", got)
	}
}

func TestLoadEmptySourceSkipped(t *testing.T) {
	inv, err := Load("", "testdata/yaml/noext")
	if err != nil || inv.Host("a") == nil {
		t.Fatalf("Load = %v", err)
	}
}

// TestLoadINIInYAMLFile: an INI file named .yml that INI cannot parse
// either gets the INI error first.
func TestLoadINIInYAMLFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts.yml")
	if err := os.WriteFile(p, []byte("# hosts\n[web]\nh1 a=1\n[web:oops]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	var se *SourceError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Errs[0].Error(), "as INI: "+p+":4:") {
		t.Fatalf("err = %v, want the INI error (line 4) first", err)
	}
}
