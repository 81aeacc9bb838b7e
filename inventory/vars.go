package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kook-project/kook/internal/pycompat"
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

// VarsExtensions are the extensions, the empty one first, that Ansible's
// DataLoader.find_vars_files tries for group_vars/NAME and host_vars/NAME
// (C.YAML_FILENAME_EXTENSIONS). Do not modify it.
var VarsExtensions = []string{"", ".yml", ".yaml", ".json"}

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
// those. Later files replace earlier keys. The vars read are those of the
// first inventory source (rank 0 in model.Group.FileVarRanks); Load reads
// each source's in turn. An empty file adds nothing; one
// whose top level is not a mapping is an error, and so is a file encrypted
// with ansible-vault (ErrVaultEncrypted). Provenance is recorded as
// "DIR/group_vars/NAME.yml:LINE".
func LoadVarsDir(inv *model.Inventory, dir string) error {
	return loadVarsDir(inv, dir, 0, DefaultMaxSourceBytes)
}

// loadVarsDir is LoadVarsDir for the inventory source of index rank: the
// group vars it sets get that rank (model.Group.FileVarRanks). No vars
// file may be larger than max bytes.
func loadVarsDir(inv *model.Inventory, dir string, rank int, max int64) error {
	if len(inv.Groups) > 0 {
		vd := openVarsDir(filepath.Join(dir, "group_vars"), max)
		for _, g := range inv.Groups {
			m, src, err := readEntityVars(vd, g.Name)
			if err != nil {
				return err
			}
			g.FileVars.Update(m)
			for _, e := range m {
				if rank > 0 {
					if g.FileVarRanks == nil {
						g.FileVarRanks = map[string]int{}
					}
					g.FileVarRanks[e.Key] = rank
				} else {
					delete(g.FileVarRanks, e.Key)
				}
			}
			for k, w := range src {
				setVarSource(&g.FileVarSources, k, w)
			}
		}
	}
	if len(inv.Hosts) > 0 {
		vd := openVarsDir(filepath.Join(dir, "host_vars"), max)
		for _, h := range inv.Hosts {
			m, src, err := readEntityVars(vd, h.Name)
			if err != nil {
				return err
			}
			h.FileVars.Update(m)
			for k, w := range src {
				setVarSource(&h.FileVarSources, k, w)
			}
		}
	}
	return nil
}

// readEntityVars is host_group_vars' get_vars for one entity.
func readEntityVars(vd *varsDir, name string) (model.Map, map[string]string, error) {
	// Ansible skips names that are absolute paths ("chroot" hosts).
	if vd == nil || strings.HasPrefix(name, "/") {
		return nil, nil, nil
	}
	files, err := vd.find(name)
	if err != nil {
		return nil, nil, err
	}
	var vars model.Map
	var src map[string]string
	for _, f := range files {
		m, lines, err := readVarsFile(f, vd.max)
		if err != nil {
			return nil, nil, err
		}
		vars.Update(m)
		for k, line := range lines {
			setVarSource(&src, k, f+":"+strconv.Itoa(line))
		}
	}
	return vars, src, nil
}

// varsDir is a group_vars/ or host_vars/ directory. find_vars_files stats
// up to four paths per group or host, and most hosts have no file, so
// those stats dominated loading a large inventory; instead the directory
// is listed once and names are looked up in the listing.
//
// The listing can stand in for stat only where the file system compares
// names byte for byte. A case-insensitive directory (vfat, ext4 casefold,
// SMB, macOS) finds "Web.yml" for the group "web", and a
// normalization-insensitive one finds non-ASCII names spelled otherwise,
// so for such directories, and for names the listing cannot answer, find
// falls back to stat.
type varsDir struct {
	path    string
	entries map[string]fs.DirEntry // nil: stat every candidate
	max     int64                  // the largest vars file read
}

// openVarsDir returns nil if path is not a directory: Ansible skips a
// missing one, and warns about a file and skips it.
func openVarsDir(path string, max int64) *varsDir {
	st, err := os.Stat(path)
	if err != nil || !st.IsDir() {
		return nil
	}
	vd := &varsDir{path: path, max: max}
	list, err := os.ReadDir(path)
	if err != nil {
		return vd // perhaps searchable but not readable: stat still works
	}
	entries := make(map[string]fs.DirEntry, len(list))
	for _, e := range list {
		if !isASCII(e.Name()) {
			return vd
		}
		entries[e.Name()] = e
	}
	if len(list) > 0 && !caseSensitive(path, list, entries) {
		return vd
	}
	vd.entries = entries
	return vd
}

// caseSensitive reports whether dir tells names apart by case: whether a
// listed name with the case of its letters swapped, not listed itself, is
// missing. With no such name to try, it cannot tell and says no.
func caseSensitive(dir string, list []fs.DirEntry, entries map[string]fs.DirEntry) bool {
	for _, e := range list {
		other := swapCase(e.Name())
		if _, listed := entries[other]; listed {
			continue // no letters, or both spellings exist
		}
		_, err := os.Lstat(filepath.Join(dir, other))
		return errors.Is(err, fs.ErrNotExist)
	}
	return false
}

// find is DataLoader.find_vars_files. The name is appended as text, not
// cleaned as filepath.Join would, since the OS resolves it.
func (vd *varsDir) find(name string) ([]string, error) {
	// Names the OS resolves as a path ("sub/h", ".", "..", "") or rejects
	// are not in the listing; stat decides for them.
	useList := vd.entries != nil && name != "" && name != "." && name != ".." &&
		isASCII(name) && !strings.ContainsAny(name, "/\x00")
	for _, ext := range VarsExtensions {
		exists, isDir := vd.stat(name+ext, useList)
		if !exists {
			continue
		}
		p := vd.path + string(filepath.Separator) + name + ext
		if isDir {
			return varsDirFiles(p, 0)
		}
		return []string{p}, nil
	}
	return nil, nil
}

// stat is os.Stat of vd.path/name, reduced to what find asks: whether it
// exists (a broken symlink does not), and whether it is a directory.
func (vd *varsDir) stat(name string, useList bool) (exists, isDir bool) {
	if useList {
		e, ok := vd.entries[name]
		if !ok {
			return false, false
		}
		if e.Type()&fs.ModeSymlink == 0 {
			return true, e.IsDir()
		}
	}
	st, err := os.Stat(vd.path + string(filepath.Separator) + name)
	if err != nil {
		return false, false
	}
	return true, st.IsDir()
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
		case st.Mode().IsRegular() && (ext == "" || slices.Contains(VarsExtensions, ext)):
			found = append(found, p)
		}
	}
	return found, nil
}

// readVarsFile loads one vars file as DataLoader.load_from_file does and
// returns its top-level vars with the line of each key.
func readVarsFile(file string, max int64) (model.Map, map[string]int, error) {
	data, err := ReadSourceFile(file, max)
	if err != nil {
		return nil, nil, err
	}
	if isVaultData(data) {
		return nil, nil, errVaultFile(file)
	}
	v, err := pycompat.Load(file, data)
	if err != nil {
		return nil, nil, pyError(file, err)
	}
	if !pycompat.Truthy(v) {
		return nil, nil, nil // Ansible ignores empty files, and any falsy top level
	}
	pm, ok := v.(*pycompat.Dict)
	if !ok {
		return nil, nil, errorf(file, plineOf(v), "vars file must hold a mapping at the top level, not a %s", pycompat.TypeName(v))
	}
	conv := pycompat.NewConverter(data)
	m := make(model.Map, 0, len(pm.Keys))
	lines := make(map[string]int, len(pm.Keys))
	for i, k := range pm.Keys {
		ks, err := pycompat.KeyString(k)
		if err != nil {
			return nil, nil, errorf(file, pm.KeyLines[i], "%v", err)
		}
		val, err := conv.Value(pm.Vals[i])
		if err != nil {
			return nil, nil, errorf(file, pm.KeyLines[i], "%s: %v", ks, err)
		}
		if err := checkSize(file, pm.KeyLines[i], ks, val); err != nil {
			return nil, nil, err
		}
		m.Set(ks, val)
		lines[ks] = pm.KeyLines[i]
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// swapCase swaps the case of ASCII letters.
func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}
