package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// Load reads inventory sources into one inventory, as
// `ansible-inventory -i SOURCE1 -i SOURCE2 ...` does: each source in turn, a
// directory being all the files in it, then Reconcile, then the
// group_vars/ and host_vars/ beside each source (in the source's directory
// for a file, in the directory itself for a directory), each group's file
// vars remembering which source set them (model.Group.FileVarRanks).
// Source paths are read as SourcePath gives them.
//
// Each file goes to the first of Ansible's inventory plugins that accepts it
// and parses it, in Ansible's order: a host list ("a,b", when no such file
// exists), an executable script (run with --list), YAML or JSON (files with
// no extension or .yml, .yaml, .json), then INI. A source that no plugin
// parses, or a directory with nothing to parse, is an error, as it is for
// ansible-inventory run with ANSIBLE_INVENTORY_UNPARSED_FAILED and
// ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED set; a *SourceError then holds
// every plugin's error, the most useful first. A missing source is an error
// wrapping fs.ErrNotExist.
func Load(sources ...string) (*model.Inventory, error) {
	return LoadWith(Options{}, sources...)
}

// DefaultMaxSourceBytes is the most Load reads from any one source by
// default: far above real inventories (100,000 hosts take about 20 MiB),
// and a bound on what a runaway source (/dev/zero, a script that never
// stops printing) costs.
const DefaultMaxSourceBytes = 256 << 20

// Options change how LoadWith reads sources.
type Options struct {
	// MaxSourceBytes bounds what is read from any one file (an inventory
	// file, a vars file) or printed by an inventory script; a larger one
	// is an error wrapping ErrSourceTooLarge. 0 means
	// DefaultMaxSourceBytes.
	MaxSourceBytes int64
}

// LoadWith is Load with options.
func LoadWith(opts Options, sources ...string) (*model.Inventory, error) {
	l := &loader{inv: model.New(), max: opts.MaxSourceBytes}
	if l.max <= 0 {
		l.max = DefaultMaxSourceBytes
	}
	inv := l.inv
	for _, src := range sources {
		if src == "" {
			continue // Ansible skips empty sources
		}
		if err := l.source(src); err != nil {
			return nil, err
		}
	}
	inv.Reconcile()
	// Ansible's reconcile fails on a cycle that only it creates, such as
	// [g:children] naming 'all'; Validate reports it, with the rest of the
	// invariants a stored inventory keeps.
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(sources, ", "), err)
	}
	// Each source's group_vars/ in turn, as get_vars_from_inventory_sources
	// applies them: a group's file vars remember which source set them
	// (model.Group.FileVarRanks).
	for i, src := range sources {
		dir, ok := varsDirOf(src)
		if !ok {
			continue
		}
		if err := loadVarsDir(inv, dir, i, l.max); err != nil {
			return nil, err
		}
	}
	if err := checkRecordSizes(inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// checkRecordSizes refuses a host or group whose vars together could not
// fit in one store record (model.MaxRecordBytes), naming where it was
// declared: the store would refuse it, but only once connected.
func checkRecordSizes(inv *model.Inventory) error {
	check := func(kind, name, source string, levels ...model.Map) error {
		n := 0
		for _, m := range levels {
			n += model.JSONSize(m, model.MaxRecordBytes-n)
		}
		if n <= model.MaxRecordBytes {
			return nil
		}
		where := ""
		if source != "" {
			where = source + ": "
		}
		return fmt.Errorf("%s%s %s: its vars come to over %d bytes as JSON, more than one ZooKeeper record can hold",
			where, kind, quoteName(name), model.MaxRecordBytes)
	}
	for _, h := range inv.Hosts {
		if err := check("host", h.Name, h.Source, h.Vars, h.FileVars); err != nil {
			return err
		}
	}
	for _, g := range inv.Groups {
		if err := check("group", g.Name, g.Source, g.Vars, g.FileVars); err != nil {
			return err
		}
	}
	return nil
}

// varsDirOf is where get_vars_from_inventory_sources looks for vars files
// of a source; host lists have none.
func varsDirOf(src string) (string, bool) {
	path := SourcePath(src)
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return path, true
	case err != nil && strings.Contains(src, ","):
		return "", false
	}
	return filepath.Dir(path), true
}

// SourcePath is the path Ansible reads for an -i source: the CLI's
// unfrackpath(follow=False) expands environment variables (unset ones left
// as they are) and a leading ~, then normalizes the path lexically, before
// any symlink is resolved, so "link/../hosts" is "hosts" whatever link
// points to. A source holding a comma is returned as it is (Ansible does
// not touch it: a host list, or a file named so). The path stays relative
// when it was, so that messages show it as given.
func SourcePath(src string) string {
	if strings.Contains(src, ",") || src == "" {
		return src
	}
	p := os.Expand(src, func(name string) string {
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return "${" + name + "}"
	})
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = home + p[1:]
		}
	}
	// os.path.normpath(join(cwd, p)) and filepath.Clean(p) name the same
	// file: both drop "." and "x/.." lexically, and a leading ".." is the
	// parent of the working directory either way.
	return filepath.Clean(p)
}

// loader reads sources into inv.
type loader struct {
	inv *model.Inventory
	max int64 // Options.MaxSourceBytes
}

// source is InventoryManager.parse_source for one -i argument.
func (l *loader) source(src string) error {
	path := SourcePath(src)
	st, err := os.Stat(path)
	if err == nil && st.IsDir() {
		return l.dir(path)
	}
	return l.file(path)
}

// ignoredEntry is the IGNORED pattern of inventory/manager.py with the
// default INVENTORY_IGNORE_EXTS and no INVENTORY_IGNORE_PATTERNS. Python's
// `$` also matches before a final newline.
var ignoredEntry = lazyRegexp(`^\.|^host_vars\n?$|^group_vars\n?$|^vars_plugins\n?$|` +
	`(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)\n?$`)

// dir parses every entry of an inventory directory in byte order,
// recursing into subdirectories. A directory that yields nothing is an
// error, as it is for Ansible.
func (l *loader) dir(dir string) error {
	entries, err := os.ReadDir(dir) // sorted by name, bytewise
	if err != nil {
		return fmt.Errorf("read inventory directory: %w", err)
	}
	parsed := false
	for _, e := range entries {
		if ignoredEntry().MatchString(e.Name()) {
			continue
		}
		if err := l.source(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
		parsed = true
	}
	if !parsed {
		return &SourceError{Source: dir, Errs: []error{errors.New("no inventory source in directory")}}
	}
	return nil
}

// SourceError reports an inventory source that no inventory plugin could
// parse. Errs holds each plugin's error, the most useful first; errors.As
// finds the *ParseError among them.
type SourceError struct {
	Source string
	Errs   []error
}

// Error lists the plugin errors, most useful first.
func (e *SourceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: cannot parse inventory source", e.Source)
	for i, err := range e.Errs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; also ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the plugin errors.
func (e *SourceError) Unwrap() []error { return e.Errs }

// attempt is one plugin's failure on a source, with how much it says about
// what is wrong.
type attempt struct {
	err    error
	useful int // higher is more useful
}

// yamlExtensions are the yaml plugin's yaml_extensions.
var yamlExtensions = []string{".yaml", ".yml", ".json"}

// file tries Ansible's plugins on one file, in Ansible's order. The auto
// plugin is left out: it only accepts plugin configuration files, which kook
// cannot run and the yaml plugin rejects anyway.
func (l *loader) file(path string) error {
	inv := l.inv
	st, err := os.Stat(path)
	if err != nil {
		if strings.Contains(path, ",") {
			return parseHostList(inv, path)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return &ParseError{File: path, Err: fs.ErrNotExist}
		}
		return fmt.Errorf("inventory source: %w", err)
	}
	data, err := ReadSourceFile(path, l.max)
	if err != nil {
		return err
	}
	if isVaultData(data) {
		return errVaultFile(path)
	}
	var tries []attempt
	if st.Mode()&0o111 != 0 || bytes.HasPrefix(data, []byte("#!")) {
		ran, err := runScriptSource(inv, path, l.max)
		if err == nil {
			return nil
		}
		useful := 0
		if ran {
			useful = 3
		}
		tries = append(tries, attempt{fmt.Errorf("as a script: %w", err), useful})
	}
	ext := pysplitExt(path)
	tryYAML := ext == "" || slices.Contains(yamlExtensions, ext)
	// An INI file that starts with ungrouped hosts is one long string to
	// YAML, which takes as long to read as the INI parse itself. When YAML
	// cannot yield an inventory, INI goes first, and YAML runs only if INI
	// fails too, for its error: neither leaves anything in inv that counts,
	// since a failed YAML parse adds nothing and a failed source fails Load.
	deferYAML := tryYAML && cannotBeYAMLMapping(data)
	if tryYAML && !deferYAML {
		t := yamlAttempt(inv, path, ext, data)
		if t == nil {
			return nil
		}
		tries = append(tries, *t)
	}
	err = ParseINI(inv, path, data)
	if err == nil {
		return nil
	}
	if deferYAML {
		if t := yamlAttempt(inv, path, ext, data); t != nil {
			tries = append(tries, *t)
		}
	}
	useful := 1
	if ext == ".toml" {
		useful = 0
	}
	tries = append(tries, attempt{fmt.Errorf("as INI: %w", err), useful})
	if ext == ".toml" {
		tries = append(tries, attempt{errors.New("as TOML: kook does not read TOML inventories"), 1})
	}
	return newSourceError(path, tries)
}

// yamlAttempt runs the yaml plugin on a file; nil means it parsed.
func yamlAttempt(inv *model.Inventory, path, ext string, data []byte) *attempt {
	structural, err := parseYAMLSource(inv, path, data)
	if err == nil {
		return nil
	}
	useful := 0 // below INI's: the file is probably not meant as YAML
	first := firstSignificantLine(data)
	if structural || reYAMLish().MatchString(first) || ext != "" && !reINISection().MatchString(first) {
		useful = 2
	}
	return &attempt{fmt.Errorf("as YAML: %w", err), useful}
}

// cannotBeYAMLMapping reports, for some of the data that is not a YAML
// mapping, that it is not: when after lines of spaces and comments the
// first two lines start in column 0 with a letter or digit, and the first
// holds no ':' or '#' (either can end a plain scalar). Then JSON fails at
// once or reads a scalar, and YAML reads a plain scalar over more than one
// line, which cannot be a mapping key: the root is that string, or the
// stream is an error. Lines up to the first are printable ASCII, since
// YAML also breaks lines at '\r' and at some non-ASCII characters.
func cannotBeYAMLMapping(data []byte) bool {
	var line []byte
	for {
		if len(data) == 0 {
			return false
		}
		line, data, _ = bytes.Cut(data, []byte("\n"))
		for _, c := range line {
			if c < ' ' || c > '~' {
				return false
			}
		}
		t := bytes.TrimLeft(line, " ")
		if len(t) > 0 && t[0] != '#' {
			break
		}
	}
	if !isAlnum(line[0]) || bytes.ContainsAny(line, ":#") {
		return false
	}
	// Lines of spaces between the two are folded into the scalar.
	for len(data) > 0 {
		line, data, _ = bytes.Cut(data, []byte("\n"))
		if len(bytes.TrimLeft(line, " ")) > 0 {
			return isAlnum(line[0])
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func newSourceError(path string, tries []attempt) error {
	e := &SourceError{Source: path}
	for level := 3; level >= 0; level-- {
		for _, t := range tries {
			if t.useful == level {
				e.Errs = append(e.Errs, t.err)
			}
		}
	}
	return e
}

// reYAMLish matches a first line that is YAML rather than INI: a document
// marker, or a key followed by ':' and space or end of line.
var reYAMLish = lazyRegexp(`^(?:---|%YAML|[^\s=\[#;][^=]*:(?:\s.*)?$|- )`)

// reINISection matches an INI section header.
var reINISection = lazyRegexp(`^\[[^\[\],]+\]\s*(?:[#;].*)?$`)

// firstSignificantLine is the first line that is not blank or a comment;
// for a source that neither YAML nor INI could parse, it tells which of the
// two errors to show first.
func firstSignificantLine(data []byte) string {
	for len(data) > 0 {
		var b []byte
		b, data, _ = bytes.Cut(data, []byte("\n"))
		line := strings.TrimRight(string(b), "\r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";") {
			continue
		}
		return line
	}
	return ""
}

// parseHostList is the host_list plugin: "a,b:2222" adds hosts to
// 'ungrouped', names taken literally unless they parse as an address
// without ranges.
func parseHostList(inv *model.Inventory, list string) error {
	s := sourceSet{inv: inv, file: list, conv: pycompat.NewConverter([]byte(list))}
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, port, hasPort := h, int64(0), false
		names, p, hp, err := ExpandHostPattern(h)
		if err == nil && len(names) == 1 && !strings.Contains(names[0], "[") && strings.Contains(h, names[0]) {
			host, port, hasPort = names[0], p, hp
		}
		if inv.Host(host) != nil {
			continue
		}
		if err := s.addHost(host, "ungrouped", port, hasPort, 0); err != nil {
			return err
		}
	}
	return nil
}
