package export

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// Export formats.
const (
	FormatINI  = "ini"
	FormatYAML = "yaml"
)

// Result is an inventory written out as Ansible inventory files.
type Result struct {
	// Files holds the inventory source first (hosts.ini or hosts.yml), then
	// any group_vars/ and host_vars/ files, all beside it.
	Files []File
	// Notes say where loading the files back would not give exactly the
	// stored inventory although Ansible sees the same inventory (--list,
	// --graph and every host's vars): a var moved to a vars file because INI
	// cannot hold it, an order Ansible does not show.
	Notes []string
}

// File is one file of an export.
type File struct {
	Path string // slash-separated, relative to the export's directory
	Data []byte
}

// Inventory writes inv as an inventory source in format (FormatINI or
// FormatYAML) plus the group_vars/ and host_vars/ files that keep vars at
// their levels: inventory-source vars (Vars) go in the source, file vars
// (FileVars) in group_vars/NAME.yml and host_vars/NAME.yml. Groups are
// declared in inventory order and hosts first listed in inventory order
// (with their vars on that first mention), so that loading the export back
// gives the stored inventory, orders included.
//
// INI holds any value that Python's ast.literal_eval can produce, quoted
// where the raw text would not give the same value; a var it cannot hold (a
// vaulted value, NaN, a key INI cannot write) moves to the entity's vars
// file when that leaves every host's vars unchanged, else Inventory fails
// suggesting YAML. A host or group name that the format cannot write exactly
// (one that reads as a host range or port, INI's reserved characters) is an
// error.
//
// Inventory checks its output by loading it back as Ansible would
// ([inventory.Load]) and
// fails if Ansible would see a different inventory.
func Inventory(inv *model.Inventory, format string) (*Result, error) {
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	target := inv.Clone()
	e := &Result{}
	var main []byte
	var err error
	switch format {
	case FormatINI:
		if e.Notes, err = moveForINI(target); err != nil {
			return nil, err
		}
		main, err = renderINI(target)
		e.Files = append(e.Files, File{Path: "hosts.ini", Data: main})
	case FormatYAML:
		main, err = renderYAML(target)
		e.Files = append(e.Files, File{Path: "hosts.yml", Data: main})
	default:
		return nil, fmt.Errorf("export format %q: want %s or %s", format, FormatINI, FormatYAML)
	}
	if err != nil {
		return nil, err
	}
	files, err := varsFiles(target)
	if err != nil {
		return nil, err
	}
	e.Files = append(e.Files, files...)
	if err := e.check(inv, target); err != nil {
		return nil, err
	}
	return e, nil
}

// Main returns the inventory source file.
func (e *Result) Main() File { return e.Files[0] }

// NeedsDir reports whether the export has vars files besides the source.
func (e *Result) NeedsDir() bool { return len(e.Files) > 1 }

// WriteDir writes the files under dir, creating directories as needed. It
// refuses to overwrite an existing file unless replace is set.
func (e *Result) WriteDir(dir string, replace bool) error {
	for _, f := range e.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if !replace {
			flags |= os.O_EXCL
		}
		fh, err := os.OpenFile(p, flags, 0o644)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		_, err = fh.Write(f.Data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// check loads the export back from a temporary directory and compares it
// with the inventory it was made from.
func (e *Result) check(orig, target *model.Inventory) error {
	dir, err := os.MkdirTemp("", "kook-export-")
	if err != nil {
		return fmt.Errorf("export check: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := e.WriteDir(dir, false); err != nil {
		return err
	}
	got, err := inventory.Load(filepath.Join(dir, e.Files[0].Path))
	if err != nil {
		return fmt.Errorf("export check: the export does not load back (a kook bug): %w", err)
	}
	if d := ansibleDiff(orig, got); d != "" {
		for _, g := range orig.Groups {
			if len(g.FileVarRanks) > 0 {
				// model.Group.FileVarRanks: not a bug, a limit of one
				// directory.
				return fmt.Errorf("export: the inventory was read from several sources, and Ansible applies their "+
					"group_vars/ one source at a time, which decides some vars here (%s); one group_vars/ directory "+
					"cannot keep that order: export it as JSON (kook export --format json) instead", d)
			}
		}
		return fmt.Errorf("export check: Ansible would read a different inventory from the export (a kook bug): %s", d)
	}
	e.Notes = append(e.Notes, exactDiff(target, got)...)
	return nil
}

// ansibleDiff returns the first difference Ansible would show between a
// and b (--list, --graph, any host's vars), or "".
func ansibleDiff(a, b *model.Inventory) string {
	if len(a.Hosts) != len(b.Hosts) || len(a.Groups) != len(b.Groups) {
		return fmt.Sprintf("%d hosts and %d groups, not %d and %d", len(b.Hosts), len(b.Groups), len(a.Hosts), len(a.Groups))
	}
	for _, ga := range a.Groups {
		gb := b.Group(ga.Name)
		switch {
		case gb == nil:
			return fmt.Sprintf("group %q is missing", ga.Name)
		case ga.Name != "all" && !slices.Equal(ga.Hosts, gb.Hosts):
			return fmt.Sprintf("group %q lists hosts %q, not %q", ga.Name, gb.Hosts, ga.Hosts)
		case !slices.Equal(ga.Children, gb.Children):
			return fmt.Sprintf("group %q lists children %q, not %q", ga.Name, gb.Children, ga.Children)
		}
	}
	ma, mb := precedence.NewMerger(a), precedence.NewMerger(b)
	for _, h := range a.Hosts {
		if b.Host(h.Name) == nil {
			return fmt.Sprintf("host %q is missing", h.Name)
		}
		va, vb := precedence.StripInternal(ma.HostVars(h.Name)), precedence.StripInternal(mb.HostVars(h.Name))
		if !model.Equal(va, vb) {
			return fmt.Sprintf("host %q has vars %s, not %s", h.Name, model.MarshalJSON(vb), model.MarshalJSON(va))
		}
	}
	return ""
}

// exactDiff lists what differs between a and b that ansibleDiff does not
// look at: orders, levels, priorities, the hosts listed directly in 'all'. Provenance is
// ignored.
func exactDiff(a, b *model.Inventory) []string {
	var out []string
	if i := firstDiff(len(a.Hosts), len(b.Hosts), func(i int) bool { return a.Hosts[i].Name == b.Hosts[i].Name }); i >= 0 {
		out = append(out, fmt.Sprintf("hosts come back in another order (from position %d); playbooks run hosts in that order", i))
	}
	if i := firstDiff(len(a.Groups), len(b.Groups), func(i int) bool { return a.Groups[i].Name == b.Groups[i].Name }); i >= 0 {
		out = append(out, fmt.Sprintf("groups come back in another creation order (from position %d); this changes the order of the 'groups' var", i))
	}
	for _, ha := range a.Hosts {
		hb := b.Host(ha.Name)
		if hb != nil && (!model.EqualOrdered(ha.Vars, hb.Vars) || !model.EqualOrdered(ha.FileVars, hb.FileVars)) {
			out = append(out, fmt.Sprintf("host %q: vars come back at other levels or in another key order", ha.Name))
		}
	}
	for _, ga := range a.Groups {
		gb := b.Group(ga.Name)
		if gb == nil {
			continue
		}
		if ga.Priority != gb.Priority {
			out = append(out, fmt.Sprintf("group %q: priority comes back as %d, not %d", ga.Name, gb.Priority, ga.Priority))
		}
		if ga.Name == "all" && !slices.Equal(ga.Hosts, gb.Hosts) {
			out = append(out, fmt.Sprintf("group 'all' lists hosts %q, not %q", gb.Hosts, ga.Hosts))
		}
		if !model.EqualOrdered(ga.Vars, gb.Vars) || !model.EqualOrdered(ga.FileVars, gb.FileVars) {
			out = append(out, fmt.Sprintf("group %q: vars come back at other levels or in another key order", ga.Name))
		}
	}
	return out
}

// firstDiff returns the first index where two lists differ, or -1.
func firstDiff(na, nb int, same func(i int) bool) int {
	for i := range min(na, nb) {
		if !same(i) {
			return i
		}
	}
	if na != nb {
		return min(na, nb)
	}
	return -1
}

// hostPrefix returns the shortest prefix P of hosts (inventory order) such
// that mentioning P first and then the hosts in natural order (the order
// the rest of a document first mentions them, without duplicates) creates
// the hosts in inventory order. Hosts the document never mentions are in P.
func hostPrefix(hosts []*model.Host, natural []string) []string {
	pos := make(map[string]int, len(natural))
	for i, h := range natural {
		if _, ok := pos[h]; !ok {
			pos[h] = i
		}
	}
	k := len(hosts)
	next := len(natural)
	for i := len(hosts) - 1; i >= 0; i-- {
		p, ok := pos[hosts[i].Name]
		if !ok || p > next {
			break
		}
		next, k = p, i
	}
	out := make([]string, k)
	for i := range out {
		out[i] = hosts[i].Name
	}
	return out
}

// ungroupedPrefix is hostPrefix for hosts listed first under 'ungrouped'
// to be created early, where reconciliation takes them out of it again. A
// host Ansible must take out of 'ungrouped' (model.Host.LeftUngrouped) is
// always listed there; any other host below 'ungrouped' never is, since
// Ansible would then drop 'ungrouped' from its groups (and its vars): it
// is created where its group lists it, out of order if need be.
func ungroupedPrefix(inv *model.Inventory, natural []string) []string {
	p, _ := ungroupedPrefixExact(inv, natural)
	return p
}

// ungroupedPrefixExact is ungroupedPrefix, also reporting whether it left
// no host out (the hosts then come back in order).
func ungroupedPrefixExact(inv *model.Inventory, natural []string) ([]string, bool) {
	prefix := hostPrefix(inv.Hosts, natural)
	k := len(prefix)
	for i, h := range inv.Hosts {
		if h.LeftUngrouped {
			k = max(k, i+1)
		}
	}
	var below map[string]bool
	if u := inv.Group("ungrouped"); u != nil && len(u.Children) > 0 {
		below = map[string]bool{}
		for g := range inv.Below("ungrouped") {
			for _, h := range inv.Group(g).Hosts {
				below[h] = true
			}
		}
	}
	out := make([]string, 0, k)
	for _, h := range inv.Hosts[:k] {
		if !below[h.Name] || h.LeftUngrouped {
			out = append(out, h.Name)
		}
	}
	return out, len(out) == k
}

// ungroupedLast reports whether listing the hosts of 'ungrouped' after
// every group's (natural, the hosts in the order the rest of the document
// mentions them, 'ungrouped”s left out) creates the hosts in inventory
// order with no host listed early: the way out when a host below
// 'ungrouped' would otherwise have to be listed there.
func ungroupedLast(inv *model.Inventory, natural []string) bool {
	for _, h := range inv.Hosts {
		if h.LeftUngrouped {
			return false
		}
	}
	natural = append(slices.Clone(natural), inv.Group("ungrouped").Hosts...)
	return len(hostPrefix(inv.Hosts, natural)) == 0
}

// laterMentioned returns the prefix hosts that the rest of the document
// mentions again: their vars read better on that later line. A host named
// like a group keeps its vars on its first line: once the group exists,
// Ansible's set_variable gives them to the group.
func laterMentioned(inv *model.Inventory, prefix, natural []string) map[string]bool {
	in := make(map[string]bool, len(natural))
	for _, h := range natural {
		in[h] = true
	}
	out := map[string]bool{}
	for _, h := range prefix {
		if in[h] && inv.Group(h) == nil {
			out[h] = true
		}
	}
	return out
}

// ungroupable returns the hosts that may be listed under 'ungrouped' to
// create them early: those in it already, and those in another group than
// 'all', which reconciliation takes out of 'ungrouped' again.
func ungroupable(inv *model.Inventory) map[string]bool {
	ok := map[string]bool{}
	for _, g := range inv.Groups {
		if g.Name != "all" {
			for _, h := range g.Hosts {
				ok[h] = true
			}
		}
	}
	return ok
}

// withoutNames returns list less the names in drop, in order.
func withoutNames(list, drop []string) []string {
	skip := make(map[string]bool, len(drop))
	for _, d := range drop {
		skip[d] = true
	}
	var out []string
	for _, x := range list {
		if !skip[x] {
			out = append(out, x)
		}
	}
	return out
}

// varsFiles renders the FileVars of every group and host as
// group_vars/<file> and host_vars/<file>.
func varsFiles(inv *model.Inventory) ([]File, error) {
	var out []File
	groups := make([]varsEntity, len(inv.Groups))
	for i, g := range inv.Groups {
		groups[i] = varsEntity{g.Name, g.FileVars}
	}
	hosts := make([]varsEntity, len(inv.Hosts))
	for i, h := range inv.Hosts {
		hosts[i] = varsEntity{h.Name, h.FileVars}
	}
	for _, kind := range []struct {
		dir      string
		entities []varsEntity
	}{{"group_vars", groups}, {"host_vars", hosts}} {
		names, err := varsFileNames(kind.dir, kind.entities)
		if err != nil {
			return nil, err
		}
		for _, ent := range kind.entities {
			if len(ent.vars) == 0 {
				continue
			}
			data, err := MarshalYAML(ent.vars)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", kind.dir, names[ent.name], err)
			}
			out = append(out, File{Path: kind.dir + "/" + names[ent.name], Data: append([]byte("---\n"), data...)})
		}
	}
	return out, nil
}

type varsEntity struct {
	name string
	vars model.Map
}

// varsFileNames names each entity's vars file NAME.yml, or NAME where
// another entity's lookup (NAME, NAME.yml, NAME.yaml, NAME.json, the first
// that exists: DataLoader.find_vars_files) would find NAME.yml first, and
// checks that every entity's lookup finds its own file and no other.
func varsFileNames(dir string, ents []varsEntity) (map[string]string, error) {
	names := map[string]string{}
	owner := map[string]string{} // file -> entity
	for _, e := range ents {
		if len(e.vars) == 0 {
			continue
		}
		switch {
		case strings.HasPrefix(e.name, "/"):
			return nil, fmt.Errorf("%s: %q has vars from a vars file, but Ansible reads none for a name starting with '/'", dir, e.name)
		case strings.ContainsRune(e.name, '/') || e.name == "." || e.name == "..":
			return nil, fmt.Errorf("%s: %q has vars from a vars file, but its name cannot be a file name", dir, e.name)
		}
		names[e.name] = e.name + ".yml"
	}
	taken := func() {
		clear(owner)
		for n, f := range names {
			owner[f] = n
		}
	}
	taken()
	// NAME is found before NAME.yml: move a file that another entity's
	// lookup would find to the extensionless name.
	for _, e := range ents {
		if o, ok := owner[e.name]; ok && o != e.name {
			names[o] = o
		}
	}
	taken()
	for _, e := range ents {
		found := ""
		for _, ext := range inventory.VarsExtensions {
			if _, ok := owner[e.name+ext]; ok {
				found = e.name + ext
				break
			}
		}
		if want := names[e.name]; found != want {
			other := owner[found]
			if other == "" {
				other = owner[want]
			}
			return nil, fmt.Errorf("%s: the vars files of %q and %q would be mistaken for each other", dir, e.name, other)
		}
	}
	return names, nil
}

// errINI marks what INI cannot write.
var errINI = errors.New("INI cannot express it; use --format yaml")
