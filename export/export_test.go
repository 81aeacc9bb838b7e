package export_test

import (
	"errors"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

// withoutProvenance returns a copy of inv without Source and var sources,
// which an export cannot keep (they name the original files).
func withoutProvenance(inv *model.Inventory) *model.Inventory {
	c := inv.Clone()
	for _, h := range c.Hosts {
		h.Source, h.VarSources, h.FileVarSources = "", nil, nil
	}
	for _, g := range c.Groups {
		g.Source, g.VarSources, g.FileVarSources = "", nil, nil
	}
	return c
}

// exportTo exports inv in format into a new directory and returns the path
// of the inventory source there.
func exportTo(t *testing.T, inv *model.Inventory, format string) (string, *export.Result) {
	t.Helper()
	e, err := export.Inventory(inv, format)
	if err != nil {
		t.Fatalf("Export %s: %v", format, err)
	}
	dir := t.TempDir()
	if err := e.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, e.Main().Path), e
}

// TestIntegration_ExportRoundTrip exports every source Ansible and kook accept (the
// fixtures of package inventory and internal/parity, and the shared corpus
// of real inventories) as INI and as YAML, and checks that:
//   - Ansible reads the export as it reads the original: the same
//     `ansible-inventory --list` hostvars and the same parse (group creation
//     and host first-seen order, every membership and children list, which
//     is what --list and --graph show, vars level by level in key order,
//     priorities) — the expected side is always Ansible run on the original
//     source;
//   - kook reads the export back as the inventory it exported (re-import
//     gives an identical stored inventory, provenance aside), and Export
//     reported no difference.
func TestIntegration_ExportRoundTrip(t *testing.T) {
	type job struct {
		name, src string
		inv       *model.Inventory
		exports   map[string]string // format -> path
		notes     map[string][]string
		errs      map[string]error
	}
	var jobs []*job
	var paths []string
	for _, src := range parity.Sources(t) {
		inv, err := inventory.Load(src.Path)
		if err != nil || inv.Validate() != nil {
			// Rejected sources (TestParity checks that Ansible rejects
			// them too) and those kook-import refuses to store (a cycle
			// through 'all') have no stored inventory to export.
			continue
		}
		j := &job{name: src.Name, src: src.Path, inv: inv, exports: map[string]string{}, notes: map[string][]string{}, errs: map[string]error{}}
		paths = append(paths, src.Path)
		for _, format := range []string{export.FormatINI, export.FormatYAML} {
			e, err := export.Inventory(inv, format)
			if err != nil {
				j.errs[format] = err
				continue
			}
			dir := t.TempDir()
			if err := e.WriteDir(dir, false); err != nil {
				t.Fatal(err)
			}
			j.exports[format] = filepath.Join(dir, e.Main().Path)
			j.notes[format] = e.Notes
			paths = append(paths, j.exports[format])
		}
		jobs = append(jobs, j)
	}
	parsed := ansibleParse(t, paths...)
	for _, j := range jobs {
		t.Run(j.name, func(t *testing.T) {
			for _, format := range []string{export.FormatINI, export.FormatYAML} {
				want, err := exportErrors[j.name+" "+format], j.errs[format]
				if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
					t.Errorf("%s: export error %v, want one saying %q", format, err, want)
				}
			}
			want := parsed[j.src]
			if want.err != "" {
				t.Fatalf("Ansible rejects the source kook accepts: %s", want.err)
			}
			_, misparsed := parseDiffers[j.name]
			for format, path := range j.exports {
				if misparsed {
					// Ansible reads neither the export nor the source as
					// kook does; only kook's own round trip is checked.
					back, err := inventory.Load(path)
					if err != nil || !model.EqualInventories(withoutProvenance(j.inv), withoutProvenance(back)) {
						t.Errorf("%s: re-import differs from the exported inventory (%v)", format, err)
					}
					continue
				}
				notes, wantNotes := j.notes[format], exportNotes[j.name+" "+format]
				if !slices.Equal(notes, wantNotes) {
					t.Errorf("%s: export notes %q, want %q", format, notes, wantNotes)
				}
				if len(notes) > 0 {
					// Only what Ansible shows must match: --list and --graph
					// (membership and children lists) and every host's vars.
					if d := want.listDiff(parsed[path]); d != "" {
						t.Errorf("%s: Ansible reads the export differently: %s", format, d)
					}
					continue
				}
				if d := want.diff(parsed[path]); d != "" {
					data, _ := os.ReadFile(path)
					t.Errorf("%s: Ansible reads the export differently: %s\n%s", format, d, data)
				}
				back, err := inventory.Load(path)
				if err != nil {
					t.Fatalf("%s: re-import: %v", format, err)
				}
				if !model.EqualInventories(withoutProvenance(j.inv), withoutProvenance(back)) {
					t.Errorf("%s: re-import differs from the exported inventory", format)
				}
			}
		})
	}
}

// exportNotes are the notes expected from exporting a source, by name and
// format: where the export, though Ansible sees the same inventory, does not
// load back exactly as stored.
var exportNotes = map[string][]string{
	// INI has no vaulted values and no NaN: those vars move to vars files.
	"inventory/yaml/unsafe.yml ini": {
		`host "h1" var "secret" moved to its host_vars file: INI cannot hold it`,
		`host "h1" var "short_secret" moved to its host_vars file: INI cannot hold it`,
	},
	"inventory/yaml/inventory.json ini": {`group "web" var "secret" moved to its group_vars file: INI cannot hold it`},
	"inventory/yaml/scalars.yml ini":    {`group "all" var "nan" moved to its group_vars file: INI cannot hold it`},
	// No source can create h1 before h2 without listing h1 under
	// 'ungrouped', which would cost it the vars of 'ungrouped' (see
	// internal/parity HostOrderExceptions).
	"parity/order/ungrouped_children_late.ini ini":  {"hosts come back in another order (from position 0); playbooks run hosts in that order"},
	"parity/order/ungrouped_children_late.ini yaml": {"hosts come back in another order (from position 0); playbooks run hosts in that order"},
}

// exportErrors are the expected export failures, by source and format.
var exportErrors = map[string]string{
	// A Latin-1 byte read as a lone surrogate: Ansible's YAML loader
	// (libyaml) refuses it even as a \udcXX escape.
	"inventory/ini/invalid-utf8.ini yaml": "YAML cannot hold it",
	// A YAML host key "h2:" is a host of that name; ini.py refuses a host
	// pattern ending in ':'.
	"inventory/yaml/ports.yml ini": "ini.py refuses the name",
}

// parseDiffers names sources that kook's Load reads differently from
// Ansible (TestParity fails on them), so that an export of kook's reading
// cannot match Ansible's reading of the source.
var parseDiffers = map[string]string{}

// tricky returns an inventory whose names and values probe what INI and
// YAML can and cannot write.
func tricky() *model.Inventory {
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	values := model.Map{
		{Key: "looks_true", Value: "True"}, {Key: "looks_int", Value: "1"}, {Key: "looks_list", Value: "[1, 2]"},
		{Key: "looks_none", Value: "None"}, {Key: "yaml_bool", Value: "yes"}, {Key: "octal", Value: "010"},
		{Key: "sexagesimal", Value: "1:20"}, {Key: "tilde", Value: "~"}, {Key: "date", Value: "2024-01-02"},
		{Key: "space", Value: " padded "}, {Key: "hash", Value: "a # b"}, {Key: "quote", Value: "it's"},
		{Key: "dquote", Value: `say "hi"`}, {Key: "both", Value: `it's "x"`}, {Key: "empty", Value: ""},
		{Key: "multi", Value: "line one\nline two\n"}, {Key: "tab", Value: "a\tb"}, {Key: "unicode", Value: "héllo ☃ \u2028 x"},
		{Key: "backslash", Value: `c:\temp\new`}, {Key: "semicolon", Value: "a;b"}, {Key: "eq", Value: "a=b"},
		{Key: "int", Value: int64(-42)}, {Key: "big", Value: big1}, {Key: "float", Value: 1500.0}, {Key: "exp", Value: 1e16},
		{Key: "small", Value: 1.5e-5}, {Key: "negzero", Value: math.Copysign(0, -1)}, {Key: "inf", Value: math.Inf(1)},
		{Key: "bool", Value: false}, {Key: "null", Value: nil},
		{Key: "list", Value: []model.Value{int64(1), "two", 3.0, nil, []model.Value{}}},
		{Key: "dict", Value: model.Map{{Key: "b", Value: int64(1)}, {Key: "a", Value: model.Map{{Key: "yes", Value: "no"}}}}},
		{Key: "weird key", Value: "v"},
	}
	inv := model.New()
	for _, n := range []string{"web 1", "db#1", "it's", "plain"} {
		inv.AddHost(n)
	}
	inv.Host("web 1").Vars = values.Clone()
	inv.Host("plain").FileVars = model.Map{{Key: "f", Value: "file level"}}
	web := inv.AddGroup("web")
	web.Hosts = []string{"plain", "web 1"}
	web.Vars = values.Clone()
	web.Priority = 7
	db := inv.AddGroup("plugin") // yaml.py takes a non-empty top-level "plugin" for a plugin config
	db.Hosts = []string{"db#1", "it's"}
	db.FileVars = model.Map{{Key: "g", Value: int64(1)}}
	inv.AddGroup("prod").Children = []string{"plugin", "web"}
	inv.Reconcile()
	return inv
}

// TestIntegration_ExportTricky checks hard names and values against Ansible: it must
// read the export as the inventory exported, by level (YAML) or with the
// vars INI cannot hold moved to vars files where that changes no host's
// vars (INI).
func TestIntegration_ExportTricky(t *testing.T) {
	inv := tricky()
	ini, eini := exportTo(t, inv, export.FormatINI)
	yml, eyml := exportTo(t, inv, export.FormatYAML)
	parsed := ansibleParse(t, ini, yml)
	for _, e := range []*export.Result{eini, eyml} {
		if len(e.Notes) != 0 {
			t.Errorf("%s: notes %q", e.Main().Path, e.Notes)
		}
	}
	for path, e := range map[string]*export.Result{ini: eini, yml: eyml} {
		if d := parity.SameParse(inv, parsed[path].inv); d != "" {
			t.Errorf("%s: Ansible parses the export differently: %s\n%s", e.Main().Path, d, e.Main().Data)
		}
	}
}

// TestIntegration_ExportINIMoves: a vault value and NaN have no INI form. A host var
// moves to host_vars/ (always safe: nothing ranks between the levels); a
// group var moves to group_vars/ only where no host's vars change.
func TestIntegration_ExportINIMoves(t *testing.T) {
	inv := model.New()
	inv.AddHost("h")
	g := inv.AddGroup("g")
	g.Hosts = []string{"h"}
	g.Vars = model.Map{{Key: "secret", Value: model.Vault("$ANSIBLE_VAULT;1.1;AES256\n6162\n")}, {Key: "n", Value: math.NaN()}}
	inv.Host("h").Vars = model.Map{{Key: "hv", Value: model.Vault("$ANSIBLE_VAULT;1.1;AES256\n6364\n")}}
	inv.Reconcile()
	path, e := exportTo(t, inv, export.FormatINI)
	if len(e.Notes) != 3 {
		t.Errorf("notes %q, want 3 moves", e.Notes)
	}
	want := inv.Clone()
	wg, wh := want.Group("g"), want.Host("h")
	wg.FileVars, wg.Vars = wg.Vars, nil
	wh.FileVars, wh.Vars = wh.Vars, nil
	if d := parity.SameParse(want, ansibleParse(t, path)[path].inv); d != "" {
		t.Errorf("Ansible parses the export differently: %s", d)
	}

	// A sibling group setting the same var at the inventory level outranks
	// g there, but g's vars file would outrank it: refused.
	o := inv.AddGroup("other")
	o.Hosts = []string{"h"}
	o.Vars = model.Map{{Key: "secret", Value: "plain"}}
	inv.Reconcile()
	if _, err := export.Inventory(inv, export.FormatINI); err == nil || !strings.Contains(err.Error(), "yaml") {
		t.Errorf("unsafe move: got %v, want an error suggesting yaml", err)
	}
	if _, err := export.Inventory(inv, export.FormatYAML); err != nil {
		t.Errorf("yaml: %v", err)
	}
}

func TestExportErrors(t *testing.T) {
	tests := []struct {
		name    string
		build   func(inv *model.Inventory)
		format  string
		wantErr string
	}{
		{"RangeName", func(inv *model.Inventory) { inv.AddHost("web[1:2]") }, export.FormatYAML, "host pattern"},
		{"PortName", func(inv *model.Inventory) { inv.AddHost("db:2222") }, export.FormatINI, "host pattern"},
		{"INIGroupColon", func(inv *model.Inventory) { inv.AddGroup("a:b") }, export.FormatINI, "use --format yaml"},
		{"INIGroupSpace", func(inv *model.Inventory) { inv.AddGroup("a b") }, export.FormatINI, "use --format yaml"},
		{"SlashVarsFile", func(inv *model.Inventory) {
			inv.AddHost("a/b").FileVars = model.Map{{Key: "x", Value: int64(1)}}
		}, export.FormatYAML, "cannot be a file name"},
		{"AbsoluteVarsFile", func(inv *model.Inventory) {
			inv.AddHost("/chroot").FileVars = model.Map{{Key: "x", Value: int64(1)}}
		}, export.FormatINI, "starting with '/'"},
		{"Format", func(inv *model.Inventory) {}, "toml", "export format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := model.New()
			tt.build(inv)
			inv.Reconcile()
			_, err := export.Inventory(inv, tt.format)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

// Vars files named so that each entity's lookup (NAME, NAME.yml, NAME.yaml,
// NAME.json: the first that exists) finds its own: "a" and "a.yml" both
// have vars, and "a.yml"'s lookup tries "a.yml" first.
func TestIntegration_ExportVarsFileNames(t *testing.T) {
	inv := model.New()
	inv.AddHost("a").FileVars = model.Map{{Key: "x", Value: "a"}}
	inv.AddHost("a.yml").FileVars = model.Map{{Key: "x", Value: "a.yml"}}
	inv.AddHost("b.json")
	inv.AddHost("b").FileVars = model.Map{{Key: "x", Value: "b"}}
	inv.Reconcile()
	path, _ := exportTo(t, inv, export.FormatYAML)
	if d := parity.SameParse(inv, ansibleParse(t, path)[path].inv); d != "" {
		t.Errorf("Ansible parses the export differently: %s", d)
	}
}

// TestExportSeveralSources: where the order of several sources' group_vars/
// decides a var, one group_vars/ directory cannot keep it: the export
// refuses, saying so (the JSON backup keeps it).
func TestExportSeveralSources(t *testing.T) {
	inv, err := inventory.Load(multiSource...)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{export.FormatINI, export.FormatYAML} {
		_, err := export.Inventory(inv, format)
		if err == nil || !strings.Contains(err.Error(), "one group_vars/ directory cannot keep that order") {
			t.Errorf("%s: err = %v, want the order of sources explained", format, err)
		}
	}
}

func TestWriteDirRefusesToOverwrite(t *testing.T) {
	inv := model.New()
	inv.AddHost("h")
	inv.Reconcile()
	e, err := export.Inventory(inv, export.FormatINI)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := e.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	if err := e.WriteDir(dir, false); !errors.Is(err, os.ErrExist) {
		t.Errorf("second write: got %v, want ErrExist", err)
	}
	if err := e.WriteDir(dir, true); err != nil {
		t.Errorf("replace: %v", err)
	}
}
