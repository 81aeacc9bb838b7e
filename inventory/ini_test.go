package inventory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/corpus"
	"github.com/kook-project/kook/model"
)

// The INI tests compare ParseINI with Ansible itself (ansible-core 2.14).
// iniOraclePy runs ansible-inventory's own code (InventoryCLI) in one Python
// process for many inventories: for each it records what
// `ansible-inventory --list --export` and `--list` print, Ansible's group and
// host creation order and every group's priority, or, when Ansible fails, the
// error, the plugins' messages and the line the ini plugin was parsing.
// TestIntegration_INIOracleMatchesCLI checks that this gives what the real command prints.
const iniOraclePy = `
import contextlib, io, json, os, sys
os.environ['ANSIBLE_INVENTORY_UNPARSED_FAILED'] = 'true'
os.environ['ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED'] = 'true'
from ansible.cli.inventory import InventoryCLI
from ansible.utils.context_objects import GlobalCLIArgs
from ansible.utils.display import Display
from ansible.plugins.inventory import ini

warnings, state = [], {}
Display.warning = lambda self, msg, formatted=False: warnings.append(msg)
parse = ini.InventoryModule._parse
def traced(self, path, lines):
    try:
        return parse(self, path, lines)
    except Exception:
        state['line'] = self.lineno
        raise
ini.InventoryModule._parse = traced

def run(sources, export):
    GlobalCLIArgs._Singleton__instance = None
    args = ['ansible-inventory', '--list'] + (['--export'] if export else [])
    for s in sources:
        args += ['-i', s]
    cli = InventoryCLI(args)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            cli.run()
    except SystemExit:
        pass
    return json.loads(buf.getvalue()), cli

for line in sys.stdin:
    r = {}
    del warnings[:]
    state.clear()
    try:
        sources = json.loads(line)
        r['export'], cli = run(sources, True)
        r['groups'] = list(cli.inventory.groups)
        r['hosts'] = list(cli.inventory.hosts)
        r['priorities'] = dict((g.name, g.priority) for g in cli.inventory.groups.values())
        r['list'], _ = run(sources, False)
    except Exception as e:
        r['error'] = '%s: %s' % (type(e).__name__, e)
        r['ini'] = ' '.join(w for w in warnings if 'Failed to parse' in w)
        r['line'] = state.get('line', 0)
    print(json.dumps(r), flush=True)
`

// iniOracle is Ansible's answer for one list of sources.
type iniOracle struct {
	Export, List model.Value
	Groups       []string
	Hosts        []string
	Priorities   map[string]int
	Error        string
	INI          string // the inventory plugins' messages, when Ansible failed
	Line         int    // the line ini.py was at when it failed
}

// iniCache keeps the INI oracle's answers, under iniCacheKey.
var iniCache = ansibletest.Cache("kook-ini-oracle")

// iniCacheKey is the hash of parts (the oracle program, the inputs) and
// Ansible's release.
func iniCacheKey(t testing.TB, parts ...[]byte) string {
	t.Helper()
	h := sha256.New()
	h.Write([]byte("kook-ini-oracle-v1\x00"))
	h.Write(ansibletest.Release(t))
	for _, p := range parts {
		fmt.Fprintf(h, "\x00%d\x00", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// runINIOracle asks Ansible about each list of sources, from an empty
// directory, in one process for all answers not cached yet.
func runINIOracle(t testing.TB, jobs [][]string) []iniOracle {
	t.Helper()
	keys := make([]string, len(jobs))
	inputs := make([][]byte, len(jobs))
	for i, job := range jobs {
		abs := make([]string, len(job))
		parts := [][]byte{[]byte(iniOraclePy)}
		for j, s := range job {
			a, err := filepath.Abs(s)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(a)
			if err != nil {
				t.Fatal(err)
			}
			abs[j], parts = a, append(parts, data)
		}
		keys[i] = iniCacheKey(t, parts...)
		inputs[i], _ = json.Marshal(abs)
	}
	lines := iniCache.Batch(t, iniOraclePy, keys, inputs)
	res := make([]iniOracle, len(jobs))
	for i, l := range lines {
		// Python's json writes Infinity, which encoding/json rejects.
		v, err := model.UnmarshalJSON(l)
		if err != nil {
			t.Fatalf("ansible oracle output: %v", err)
		}
		m := v.(model.Map)
		r := &res[i]
		if e, ok := m.Get("error"); ok {
			r.Error = e.(string)
			ini, _ := m.Get("ini")
			line, _ := m.Get("line")
			r.INI, r.Line = ini.(string), int(line.(int64))
			continue
		}
		r.Export, _ = m.Get("export")
		r.List, _ = m.Get("list")
		r.Groups, r.Hosts = iniStrings(m, "groups"), iniStrings(m, "hosts")
		r.Priorities = map[string]int{}
		p, _ := m.Get("priorities")
		for _, e := range p.(model.Map) {
			r.Priorities[e.Key] = int(e.Value.(int64))
		}
	}
	return res
}

func iniStrings(m model.Map, key string) []string {
	v, _ := m.Get(key)
	var out []string
	for _, x := range v.([]model.Value) {
		out = append(out, x.(string))
	}
	return out
}

// iniCase is one inventory: its sources, copied where Ansible sees nothing
// else (no group_vars/ beside them) under names ending in .ini, so that only
// the ini plugin reads them.
type iniCase struct {
	name    string
	sources []string
}

func copyINISources(t testing.TB, dir string, files ...string) []string {
	t.Helper()
	var out []string
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, fmt.Sprintf("s%d.ini", i))
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, dst)
	}
	return out
}

// parseINIFiles parses sources in order into a new inventory and reconciles
// it, as the loader does.
func parseINIFiles(sources ...string) (*model.Inventory, error) {
	inv := model.New()
	for _, s := range sources {
		data, err := os.ReadFile(s)
		if err != nil {
			return nil, err
		}
		if err := ParseINI(inv, s, data); err != nil {
			return nil, err
		}
	}
	inv.Reconcile()
	// Ansible's reconcile_inventory fails where a group is above 'all'; model's
	// Reconcile leaves the cycle for Validate to find.
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("after reconciling: %w", err)
	}
	return inv, nil
}

var reINILine = regexp.MustCompile(`\.ini:(\d+): `)

// checkINIWithAnsible parses c and compares the result with Ansible's.
func checkINIWithAnsible(t *testing.T, c iniCase, want iniOracle) {
	t.Helper()
	inv, err := parseINIFiles(c.sources...)
	if want.Error != "" {
		if err == nil {
			t.Fatalf("ParseINI accepts what Ansible rejects: %s %s", want.Error, want.INI)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line < 1 {
			if want.INI == "" && errors.Is(err, model.ErrCycle) {
				t.Logf("both reject when reconciling: %v | Ansible: %s", err, want.Error)
				return
			}
			t.Fatalf("error %v is not a *ParseError with a line", err)
		}
		wantLine := want.Line
		if m := reINILine.FindStringSubmatch(want.INI); m != nil {
			fmt.Sscan(m[1], &wantLine)
		}
		if wantLine != 0 && pe.Line != wantLine {
			t.Errorf("error at line %d, Ansible at line %d: %v / %s", pe.Line, wantLine, err, want.INI)
		}
		t.Logf("both reject: %v | Ansible: %s", err, firstNonEmpty(want.INI, want.Error))
		return
	}
	if err != nil {
		t.Fatalf("ParseINI: %v; Ansible parses it", err)
	}
	if got := groupNames(inv); !slices.Equal(got, want.Groups) {
		t.Errorf("groups in creation order = %q, Ansible %q", got, want.Groups)
	}
	var hosts []string
	for _, h := range inv.Hosts {
		hosts = append(hosts, h.Name)
	}
	if !slices.Equal(hosts, want.Hosts) {
		t.Errorf("hosts in order = %q, Ansible %q", hosts, want.Hosts)
	}
	for _, g := range inv.Groups {
		if p, ok := want.Priorities[g.Name]; ok && p != g.Priority {
			t.Errorf("group %s priority = %d, Ansible %d", g.Name, g.Priority, p)
		}
	}
	for _, v := range []struct {
		export   bool
		wantView model.Value
	}{{true, want.Export}, {false, want.List}} {
		if got := inventoryView(inv, v.export); !model.Equal(got, v.wantView) {
			t.Errorf("ansible-inventory --list (export %v) differs:\nkook    %s\nAnsible %s",
				v.export, model.AppendJSON(nil, got, true), model.AppendJSON(nil, v.wantView, true))
		}
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// iniMultiSource are inventories of several INI sources, which accumulate.
var iniMultiSource = []iniCase{
	{"multi-port-and-vars", []string{"testdata/ini/multi/a.ini", "testdata/ini/multi/b.ini"}},
	{"multi-reverse", []string{"testdata/ini/multi/b.ini", "testdata/ini/multi/a.ini"}},
	{"multi-pending", []string{"testdata/ini/multi/a.ini", "testdata/ini/multi/c.ini"}},
}

// iniCorpusFiles lists the INI inventories in the corpus under root: files
// with no extension or ending in .ini or .example, outside group_vars/ and
// host_vars/.
func iniCorpusFiles(t testing.TB, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "group_vars" || d.Name() == "host_vars") {
			return filepath.SkipDir
		}
		ext := filepath.Ext(p)
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") && (ext == "" || ext == ".ini" || ext == ".example") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	if len(files) < 10 {
		t.Fatalf("corpus: only %d INI files under %s", len(files), root)
	}
	return files
}

// TestIntegration_ParseINIAnsible checks every fixture under testdata/ini, the
// multi-source inventories and, with KOOK_CORPUS, every INI file of the
// corpus against Ansible.
func TestIntegration_ParseINIAnsible(t *testing.T) {
	fixtures, err := filepath.Glob("testdata/ini/*.ini")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var cases []iniCase
	for _, f := range fixtures {
		if strings.Contains(f, "recursion") {
			continue // see TestIntegration_ParseINIRecursionLimit
		}
		cases = append(cases, iniCase{strings.TrimSuffix(filepath.Base(f), ".ini"), []string{f}})
	}
	cases = append(cases, iniMultiSource...)
	if root, ok := corpus.Find(t); ok {
		for _, f := range iniCorpusFiles(t, root) {
			rel, _ := filepath.Rel(root, f)
			cases = append(cases, iniCase{"corpus/" + rel, []string{f}})
		}
	}
	dir := t.TempDir()
	jobs := make([][]string, len(cases))
	for i := range cases {
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		cases[i].sources = copyINISources(t, sub, cases[i].sources...)
		jobs[i] = cases[i].sources
	}
	answers := runINIOracle(t, jobs)
	rejected := 0
	for i, c := range cases {
		if strings.HasPrefix(c.name, "err-") != (answers[i].Error != "") && !strings.HasPrefix(c.name, "corpus/") {
			t.Errorf("%s: fixture name says err- %v, Ansible error %q", c.name, strings.HasPrefix(c.name, "err-"), answers[i].Error)
		}
		if answers[i].Error != "" {
			rejected++
		}
		t.Run(c.name, func(t *testing.T) { checkINIWithAnsible(t, c, answers[i]) })
	}
	t.Logf("%d inventories compared with Ansible, %d of them rejected by both", len(cases), rejected)
}

// ansibleInventoryCLI runs the real ansible-inventory on one source from an
// empty directory (cached like runINIOracle), returning its stdout or, when
// it fails, its stderr and false.
func ansibleInventoryCLI(t testing.TB, src string, args ...string) ([]byte, bool) {
	t.Helper()
	ansibletest.Require(t) // even when the answer is cached: the test needs Ansible
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	key := iniCacheKey(t, []byte("cli"), []byte(strings.Join(args, " ")), data)
	if b, ok := iniCache.Get(key); ok && len(b) > 0 {
		return b[1:], b[0] == '+'
	}
	cmd := exec.Command("ansible-inventory", append([]string{"-i", src}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	res, ok := stdout.Bytes(), err == nil
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("ansible-inventory: %v", err)
		}
		res = stderr.Bytes()
	}
	mark := map[bool]byte{true: '+', false: '-'}[ok]
	iniCache.Put(key, append([]byte{mark}, res...))
	return res, ok
}

// TestIntegration_ParseINIRecursionLimit: how deep a value may nest depends on the
// Python stack under ast.parse, so these run the real ansible-inventory.
func TestIntegration_ParseINIRecursionLimit(t *testing.T) {
	for _, name := range []string{"recursion-limit", "err-recursion", "err-recursion-host"} {
		t.Run(name, func(t *testing.T) {
			src := copyINISources(t, t.TempDir(), "testdata/ini/"+name+".ini")[0]
			out, ok := ansibleInventoryCLI(t, src, "--list", "--export")
			if ok == strings.HasPrefix(name, "err-") {
				t.Fatalf("ansible-inventory ok=%v:\n%s", ok, out)
			}
			if !ok && !bytes.Contains(out, []byte("recursion")) {
				t.Errorf("Ansible fails for another reason: %s", out)
			}
			if _, err := parseINIFiles(src); (err == nil) != ok {
				t.Fatalf("ParseINI: %v; ansible-inventory ok=%v", err, ok)
			}
		})
	}
}

// TestIntegration_INIOracleMatchesCLI checks the in-process oracle against the real
// ansible-inventory command on two fixtures.
func TestIntegration_INIOracleMatchesCLI(t *testing.T) {
	srcs := copyINISources(t, t.TempDir(), "testdata/ini/children.ini", "testdata/ini/vars.ini")
	answers := runINIOracle(t, [][]string{{srcs[0]}, {srcs[1]}})
	for i, src := range srcs {
		for _, export := range []bool{true, false} {
			args, want := []string{"--list"}, answers[i].List
			if export {
				args, want = append(args, "--export"), answers[i].Export
			}
			out, ok := ansibleInventoryCLI(t, src, args...)
			if !ok {
				t.Fatalf("ansible-inventory %q: %s", args, out)
			}
			got, err := model.UnmarshalJSON(out)
			if err != nil || !model.EqualOrdered(got, want) {
				t.Errorf("oracle and ansible-inventory %q differ (%v):\n%s\n%s", args, err, out, model.MarshalJSON(want))
			}
		}
	}
}

// TestParseINIProvenance checks Source and VarSources, which Ansible does not
// keep: the line of the first declaration, and of the last assignment.
func TestParseINIProvenance(t *testing.T) {
	inv := model.New()
	a := "[web]\nw1 x=1\n[web:vars]\nv=1\nv=2\n[db]\nw1 x=2\nd1:2222\n"
	b := "[web]\nw1 y=1\n[new:vars]\nq=1\n[new]\n"
	if err := ParseINI(inv, "a.ini", []byte(a)); err != nil {
		t.Fatal(err)
	}
	if err := ParseINI(inv, "b.ini", []byte(b)); err != nil {
		t.Fatal(err)
	}
	w1, d1 := inv.Host("w1"), inv.Host("d1")
	for _, c := range []struct{ name, got, want string }{
		{"w1.Source", w1.Source, "a.ini:2"},
		{"w1 x", w1.VarSources["x"], "a.ini:7"},
		{"w1 y", w1.VarSources["y"], "b.ini:2"},
		{"d1.Source", d1.Source, "a.ini:8"},
		{"d1 ansible_port", d1.VarSources["ansible_port"], "a.ini:8"},
		{"web.Source", inv.Group("web").Source, "a.ini:1"},
		{"web v", inv.Group("web").VarSources["v"], "a.ini:5"},
		{"db.Source", inv.Group("db").Source, "a.ini:6"},
		{"new.Source", inv.Group("new").Source, "b.ini:3"},
		{"new q", inv.Group("new").VarSources["q"], "b.ini:4"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if p, _ := d1.Vars.Get("ansible_port"); p != int64(2222) {
		t.Errorf("d1 ansible_port = %#v, want int64 2222", p)
	}
}

// TestParseINIErrors checks the messages of errors Ansible also reports
// (the fixtures prove Ansible rejects each; the wording here is kook's).
func TestParseINIErrors(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		line    int
		wantErr string
	}{
		{"unknown section", "[g]\nh\n[g:foo]\n", 3, `section [g:foo] has unknown type "foo"`},
		{"bad section", "[a b]\n", 1, "invalid section header [a b]"},
		{"vars undeclared", "[g]\nh\n\n[db:vars]\nx=1\n", 4, "[db:vars] names a group that is never declared"},
		{"child undeclared", "[p:children]\nc\n[q:children]\nc\n", 2, `[q:children] names group "c", which is never declared`},
		{"semicolon", "[g]\nh1 ; comment\n", 2, `expected key=value host variable, got ";"`},
		{"quote", "h a=\"x\n", 1, "no closing quotation"},
		{"cycle", "[a:children]\nb\n[b:children]\na\n", 4, "recursive dependency loop"},
		{"self child", "[a:children]\na\n", 2, `group "a" cannot be a child of itself`},
		{"port colon", "h:\n", 1, "ends in ':'"},
		{"range width", "h[01:100]\n", 1, "host range must specify equal-length begin and end formats"},
		{"unhashable", "h x={[1]:2}\n", 1, "unhashable type: 'list'"},
		{"set", "h x={1,2}\n", 1, "a set value cannot be represented"},
		{"priority", "[g]\nh\n[g:vars]\nansible_group_priority=high\n", 4, "invalid literal for int() with base 10: 'high'"},
		{"empty host", `"" x=1` + "\n", 1, "empty name"},
		{"NUL in host", "a\x00b\n", 1, "NUL"},
		{"invalid UTF-8 in group", "[caf\xe9]\n", 1, "not valid UTF-8"},
		{"meta group", "h\n[_meta]\nh2\n", 2, `"_meta" is reserved by Ansible's inventory script protocol`},
		{"meta child", "[p:children]\n_meta\n", 2, `"_meta" is reserved`},
		{"long host name", "h\n[g]\n" + strings.Repeat("x", model.MaxNameBytes+1) + " a=1\n", 3, "over kook's limit of 4096"},
		{"long group name", "[" + strings.Repeat("g", 5000) + "]\n", 1, "name is 5000 bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseINI(model.New(), "f.ini", []byte(tt.data))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *ParseError", err)
			}
			if pe.File != "f.ini" || pe.Line != tt.line || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q at %s:%d, want %q at line %d", err, pe.File, pe.Line, tt.wantErr, tt.line)
			}
		})
	}
}

// TestParseINIAccumulates checks that a source adds to what earlier sources
// built, without reconciling.
func TestParseINIAccumulates(t *testing.T) {
	inv := model.New()
	if err := ParseINI(inv, "a.ini", []byte("[g]\nh1\n")); err != nil {
		t.Fatal(err)
	}
	if got := inv.Group("all").Children; !slices.Equal(got, []string{"ungrouped"}) {
		t.Errorf("all's children = %q before Reconcile, want only ungrouped", got)
	}
	if err := ParseINI(inv, "b.ini", []byte("[g:vars]\nx=1\n[g]\nh2\nh1\n")); err != nil {
		t.Fatalf("[g:vars] for a group from an earlier source: %v", err)
	}
	if got := inv.Group("g").Hosts; !slices.Equal(got, []string{"h1", "h2"}) {
		t.Errorf("g hosts = %q, want [h1 h2]", got)
	}
}

// TestParseINILarge parses 100,000 hosts in one group, which must stay
// linear: model's AddHostToGroup alone would make it quadratic.
func TestParseINILarge(t *testing.T) {
	var b strings.Builder
	b.WriteString("[big]\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&b, "host%06d.example.com port=%d\n", i, i%65536)
	}
	b.WriteString("[big]\nhost000000.example.com\n[big:vars]\nx=1\n")
	inv := model.New()
	if err := ParseINI(inv, "big.ini", []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if n := len(inv.Group("big").Hosts); n != 100000 {
		t.Fatalf("big has %d hosts, want 100000", n)
	}
	h := inv.Host("host099999.example.com")
	if v, _ := h.Vars.Get("port"); v != int64(99999%65536) {
		t.Errorf("port = %#v", v)
	}
}

func BenchmarkParseINI(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[big]\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "web%05d ansible_host=10.0.%d.%d ansible_port=22 role='web'\n", i, i>>8, i&255)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := ParseINI(model.New(), "bench.ini", data); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseINI checks that ParseINI neither panics nor hangs, and that what
// it accepts is a valid inventory once reconciled.
func FuzzParseINI(f *testing.F) {
	fixtures, _ := filepath.Glob("testdata/ini/*.ini")
	sort.Strings(fixtures)
	for _, fx := range fixtures {
		if data, err := os.ReadFile(fx); err == nil && len(data) < 4096 {
			f.Add(data)
		}
	}
	old := maxRangeHosts
	maxRangeHosts = 1000
	defer func() { maxRangeHosts = old }()
	f.Fuzz(func(t *testing.T, data []byte) {
		inv := model.New()
		err := ParseINI(inv, "fuzz.ini", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a *ParseError with a line", err)
			}
			return
		}
		inv.Reconcile()
		// A group above 'all' is a cycle once reconciled, for Ansible too.
		if err := inv.Validate(); err != nil && !errors.Is(err, model.ErrCycle) {
			t.Fatalf("parsed inventory is invalid: %v", err)
		}
	})
}
