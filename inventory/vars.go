package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kook-project/kook/model"
)

// vaultHeader starts every file that ansible-vault encrypted.
const vaultHeader = "$ANSIBLE_VAULT"

// ErrVaultEncrypted marks a file encrypted as a whole with ansible-vault,
// which kook cannot read without the password.
var ErrVaultEncrypted = errors.New("encrypted with ansible-vault: kook cannot import it without the password")

// isVaultData is Ansible's is_encrypted: pure ASCII starting with the header.
func isVaultData(data []byte) bool {
	if !bytes.HasPrefix(data, []byte(vaultHeader)) {
		return false
	}
	for _, c := range data {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func errVaultFile(file string) error { return &ParseError{File: file, Err: ErrVaultEncrypted} }

// varsExtensions are the extensions, ” first, that Ansible's
// DataLoader.find_vars_files tries (C.YAML_FILENAME_EXTENSIONS).
var varsExtensions = []string{"", ".yml", ".yaml", ".json"}

// maxVarsDirDepth bounds recursion into vars directories (a symlink loop
// would otherwise never end; Python stops at its recursion limit).
const maxVarsDirDepth = 64

// LoadVarsDir reads the group_vars/ and host_vars/ directories inside dir,
// as Ansible's host_group_vars vars plugin does for an inventory source in
// dir, and adds what they hold to the FileVars of the groups and hosts of
// inv (those that exist: files for other names are not read).
//
// For a name, the first of NAME, NAME.yml, NAME.yaml, NAME.json that exists
// is used; if it is a directory, its files are read recursively in sorted
// order, skipping hidden files, backups ("~") and extensions other than
// those. Later files replace earlier keys. An empty file adds nothing; one
// whose top level is not a mapping is an error, and so is a file encrypted
// with ansible-vault (ErrVaultEncrypted). Provenance is recorded as
// "DIR/group_vars/NAME.yml:LINE".
func LoadVarsDir(inv *model.Inventory, dir string) error {
	for _, g := range inv.Groups {
		m, src, err := readEntityVars(dir, "group_vars", g.Name)
		if err != nil {
			return err
		}
		g.FileVars.Update(m)
		for k, w := range src {
			setVarSource(&g.FileVarSources, k, w)
		}
	}
	for _, h := range inv.Hosts {
		m, src, err := readEntityVars(dir, "host_vars", h.Name)
		if err != nil {
			return err
		}
		h.FileVars.Update(m)
		for k, w := range src {
			setVarSource(&h.FileVarSources, k, w)
		}
	}
	return nil
}

// readEntityVars is host_group_vars' get_vars for one entity.
func readEntityVars(dir, subdir, name string) (model.Map, map[string]string, error) {
	// Ansible skips names that are absolute paths ("chroot" hosts).
	if strings.HasPrefix(name, "/") {
		return nil, nil, nil
	}
	base := filepath.Join(dir, subdir)
	st, err := os.Stat(base)
	if err != nil || !st.IsDir() {
		return nil, nil, nil // absent, or a file (Ansible warns and skips)
	}
	files, err := findVarsFiles(base, name)
	if err != nil {
		return nil, nil, err
	}
	var vars model.Map
	var src map[string]string
	for _, f := range files {
		m, lines, err := readVarsFile(f)
		if err != nil {
			return nil, nil, err
		}
		vars.Update(m)
		for k, line := range lines {
			setVarSource(&src, k, fmt.Sprintf("%s:%d", f, line))
		}
	}
	return vars, src, nil
}

// findVarsFiles is DataLoader.find_vars_files. The name is appended as
// text, not cleaned as filepath.Join would, since the OS resolves it.
func findVarsFiles(base, name string) ([]string, error) {
	stem := base + string(filepath.Separator) + name
	for _, ext := range varsExtensions {
		p := stem + ext
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.IsDir() {
			return varsDirFiles(p, 0)
		}
		return []string{p}, nil
	}
	return nil, nil
}

// varsDirFiles is DataLoader._get_dir_vars_files.
func varsDirFiles(dir string, depth int) ([]string, error) {
	if depth > maxVarsDirDepth {
		return nil, fmt.Errorf("%s: vars directories nested too deeply (a symlink loop?)", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read vars directory: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var found []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") {
			continue
		}
		p := filepath.Join(dir, n)
		ext := pysplitExt(n)
		st, err := os.Stat(p)
		if err != nil {
			continue // a broken symlink is neither file nor directory
		}
		switch {
		case st.IsDir() && ext == "":
			sub, err := varsDirFiles(p, depth+1)
			if err != nil {
				return nil, err
			}
			found = append(found, sub...)
		case st.Mode().IsRegular() && (ext == "" || hasString(varsExtensions, ext)):
			found = append(found, p)
		}
	}
	return found, nil
}

// readVarsFile loads one vars file as DataLoader.load_from_file does and
// returns its top-level vars with the line of each key.
func readVarsFile(file string) (model.Map, map[string]int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, &ParseError{File: file, Err: err}
		}
		return nil, nil, fmt.Errorf("read vars file: %w", err)
	}
	if isVaultData(data) {
		return nil, nil, errVaultFile(file)
	}
	v, err := loadPyData(file, data)
	if err != nil {
		return nil, nil, err
	}
	if !ptruthy(v) {
		return nil, nil, nil // Ansible ignores empty files, and any falsy top level
	}
	pm, ok := v.(*pdict)
	if !ok {
		return nil, nil, errorf(file, plineOf(v), "vars file must hold a mapping at the top level, not a %s", ptypeName(v))
	}
	conv := newPConverter(pbudget(data))
	m := make(model.Map, 0, len(pm.keys))
	lines := make(map[string]int, len(pm.keys))
	for i, k := range pm.keys {
		ks, err := pkeyString(k)
		if err != nil {
			return nil, nil, errorf(file, pm.klines[i], "%v", err)
		}
		val, err := conv.value(pm.vals[i])
		if err != nil {
			return nil, nil, errorf(file, pm.klines[i], "%s: %v", ks, err)
		}
		m.Set(ks, val)
		lines[ks] = pm.klines[i]
	}
	return m, lines, nil
}

// pysplitExt is os.path.splitext's extension: from the last dot of the base
// name, ignoring leading dots.
func pysplitExt(path string) string {
	base := path[strings.LastIndexByte(path, '/')+1:]
	rest := strings.TrimLeft(base, ".")
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return ""
	}
	return rest[i:]
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
