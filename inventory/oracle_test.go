package inventory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// The tests in this file compare Load with Ansible itself. Every expected
// value comes from running ansible-core 2.14: `ansible-inventory --list
// [--export]` from an empty directory with the two UNPARSED variables set,
// and a short Python program (oracleDumpPy) that asks Ansible's own
// InventoryManager for what --export folds together: group and host creation
// order, each entity's inventory-source vars in order, its priority, and the
// vars its group_vars/host_vars files give it. Results are cached by the
// content of the source directories (see oracleCache), so only the first run
// is slow.

// oracleEnv makes a source Ansible cannot parse an error, as kook's is.
var oracleEnv = []string{"ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true"}

// oracleDumpPy prints, for each list of sources read from stdin (one JSON
// list per line), one JSON line describing what Ansible parsed.
const oracleDumpPy = `
import json, os, sys
os.environ['ANSIBLE_INVENTORY_UNPARSED_FAILED'] = 'true'
os.environ['ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED'] = 'true'
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.vars.plugins import get_vars_from_inventory_sources
from ansible.parsing.ajson import AnsibleJSONEncoder
HIDDEN = ('inventory_file', 'inventory_dir')
def clean(v):
    return dict((k, x) for k, x in v.items() if k not in HIDDEN)
for line in sys.stdin:
    sources = json.loads(line)
    try:
        loader = DataLoader()
        inv = InventoryManager(loader=loader, sources=sources)
        def fv(e):
            return get_vars_from_inventory_sources(loader, inv._sources, [e], 'all')
        def ranks(e):
            # The last source whose group_vars/ sets each var, when not the first.
            out = {}
            for i, s in enumerate(inv._sources):
                for k in get_vars_from_inventory_sources(loader, [s], [e], 'all'):
                    if i > 0:
                        out[k] = i
                    else:
                        out.pop(k, None)
            return out
        out = {'groups': [dict(name=g.name, hosts=[h.name for h in g.hosts],
                               children=[c.name for c in g.child_groups],
                               vars=clean(g.vars), priority=g.priority, filevars=fv(g), fileranks=ranks(g))
                          for g in inv.groups.values()],
               'hosts': [dict(name=h.name, vars=clean(h.vars), filevars=fv(h)) for h in inv.hosts.values()]}
        text = json.dumps(out, cls=AnsibleJSONEncoder, preprocess_unsafe=True)
    except Exception as e:
        text = json.dumps({'error': '%s: %s' % (type(e).__name__, e)})
    print(text, flush=True)
`

// oracleResult is what Ansible made of some sources: a parsed JSON value, or
// the error it reported.
type oracleResult struct {
	Value model.Value
	Err   string
}

// oracleKey identifies an oracle answer by its inputs: the mode, the
// ansible-core release, and every file (name, mode, content) Ansible may
// read for the sources: a directory source whole, a file source with the
// group_vars/ and host_vars/ beside it.
func oracleKey(t testing.TB, mode string, sources []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "v2\x00%s\x00%s\x00", mode, oracleDumpPy)
	h.Write(ansibletest.Release(t))
	hashTree := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			info, err := os.Stat(p) // follow links, as Ansible does
			if err != nil {
				return nil
			}
			fmt.Fprintf(h, "%s\x00%v\x00", p, info.Mode())
			if info.Mode().IsRegular() {
				b, _ := os.ReadFile(p)
				h.Write(b)
			}
			return nil
		})
	}
	for _, src := range sources {
		fmt.Fprintf(h, "\x00src %s\x00", src)
		if st, err := os.Stat(src); err == nil && st.IsDir() {
			hashTree(src)
			continue
		}
		hashTree(src)
		hashTree(filepath.Join(filepath.Dir(src), "group_vars"))
		hashTree(filepath.Join(filepath.Dir(src), "host_vars"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// oracleCache keeps the oracles' answers (see oracleKey).
var oracleCache = ansibletest.Cache("kook-ansible-oracle")

// absSources makes sources absolute, since the oracle runs elsewhere.
func absSources(t testing.TB, sources []string) []string {
	t.Helper()
	abs := make([]string, len(sources))
	for i, s := range sources {
		if _, err := os.Stat(s); err != nil && strings.Contains(s, ",") {
			abs[i] = s // a host list
			continue
		}
		a, err := filepath.Abs(s)
		if err != nil {
			t.Fatal(err)
		}
		abs[i] = a
	}
	return abs
}

// ansibleInventory runs `ansible-inventory --list [--export] -i ...` from an
// empty directory.
func ansibleInventory(t testing.TB, export bool, sources ...string) oracleResult {
	t.Helper()
	ansibletest.Require(t) // even when the answer is cached: the test needs Ansible
	sources = absSources(t, sources)
	mode := "list"
	args := []string{"--list"}
	if export {
		mode, args = "export", append(args, "--export")
	}
	for _, s := range sources {
		args = append(args, "-i", s)
	}
	key := oracleKey(t, mode, sources)
	out, ok := oracleCache.Get(key)
	if !ok {
		cmd := exec.Command("ansible-inventory", args...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), oracleEnv...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		out = stdout.Bytes()
		if err != nil {
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) {
				t.Fatalf("ansible-inventory: %v", err)
			}
			out = append([]byte("ERROR\n"), stderr.Bytes()...)
		}
		oracleCache.Put(key, out)
	}
	if msg, ok := bytes.CutPrefix(out, []byte("ERROR\n")); ok {
		return oracleResult{Err: string(msg)}
	}
	v, err := model.UnmarshalJSON(out)
	if err != nil {
		t.Fatalf("ansible-inventory output: %v", err)
	}
	return oracleResult{Value: v}
}

// ansibleDump runs oracleDumpPy on each list of sources.
func ansibleDump(t testing.TB, jobs [][]string) []oracleResult {
	t.Helper()
	keys := make([]string, len(jobs))
	inputs := make([][]byte, len(jobs))
	for i, job := range jobs {
		job = absSources(t, job)
		keys[i] = oracleKey(t, "dump", job)
		inputs[i], _ = json.Marshal(job)
	}
	outs := oracleCache.Batch(t, oracleDumpPy, keys, inputs)
	results := make([]oracleResult, len(jobs))
	for i, out := range outs {
		v, err := model.UnmarshalJSON(out)
		if err != nil {
			t.Fatalf("oracle dump output: %v", err)
		}
		m := v.(model.Map)
		if e, ok := m.Get("error"); ok {
			results[i] = oracleResult{Err: e.(string)}
			continue
		}
		results[i] = oracleResult{Value: m}
	}
	return results
}

// checkDump compares inv with Ansible's InventoryManager, entity by entity
// and in order: groups and hosts, membership, priorities, inventory-source
// vars (keys in order) and vars-file vars.
func checkDump(t testing.TB, inv *model.Inventory, want model.Map) {
	t.Helper()
	wg, _ := want.Get("groups")
	wh, _ := want.Get("hosts")
	groups, hosts := wg.([]model.Value), wh.([]model.Value)
	if got, want := groupNames(inv), names(groups); !slices.Equal(got, want) {
		t.Errorf("groups (creation order) = %q, Ansible %q", got, want)
		return
	}
	if got, want := hostNames(inv), names(hosts); !slices.Equal(got, want) {
		t.Errorf("hosts (first-seen order) = %q, Ansible %q", got, want)
		return
	}
	for i, x := range groups {
		w, g := x.(model.Map), inv.Groups[i]
		if got, want := g.Hosts, strs(w, "hosts"); !slices.Equal(got, want) {
			t.Errorf("group %s hosts = %q, Ansible %q", g.Name, got, want)
		}
		if got, want := g.Children, strs(w, "children"); !slices.Equal(got, want) {
			t.Errorf("group %s children = %q, Ansible %q", g.Name, got, want)
		}
		if p, _ := w.Get("priority"); p != int64(g.Priority) {
			t.Errorf("group %s priority = %d, Ansible %v", g.Name, g.Priority, p)
		}
		checkVars(t, "group "+g.Name+" vars", g.Vars, w, "vars")
		checkVars(t, "group "+g.Name+" file vars", g.FileVars, w, "filevars")
		wr, _ := w.Get("fileranks")
		want := map[string]int{}
		for _, e := range wr.(model.Map) {
			want[e.Key] = int(e.Value.(int64))
		}
		if got := g.FileVarRanks; !maps.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("group %s file var sources = %v, Ansible %v", g.Name, got, want)
		}
	}
	for i, x := range hosts {
		w, h := x.(model.Map), inv.Hosts[i]
		checkVars(t, "host "+h.Name+" vars", h.Vars, w, "vars")
		checkVars(t, "host "+h.Name+" file vars", h.FileVars, w, "filevars")
	}
}

func checkVars(t testing.TB, what string, got model.Map, w model.Map, key string) {
	t.Helper()
	x, _ := w.Get(key)
	want := x.(model.Map)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !model.EqualOrdered(asJSONReads(t, got), want) {
		t.Errorf("%s =\n  %s\nAnsible\n  %s", what, model.MarshalJSON(got), model.MarshalJSON(want))
	}
}

// asJSONReads is v as a reader of its JSON sees it: a mapping whose only key
// is "__ansible_vault" prints exactly as a vaulted value does.
func asJSONReads(t testing.TB, v model.Value) model.Value {
	t.Helper()
	r, err := model.UnmarshalJSON(model.MarshalJSON(v))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func names(list []model.Value) []string {
	out := make([]string, len(list))
	for i, x := range list {
		n, _ := x.(model.Map).Get("name")
		out[i] = n.(string)
	}
	return out
}

func strs(m model.Map, key string) []string {
	x, _ := m.Get(key)
	var out []string
	for _, v := range x.([]model.Value) {
		out = append(out, v.(string))
	}
	return out
}

func groupNames(inv *model.Inventory) []string {
	out := make([]string, len(inv.Groups))
	for i, g := range inv.Groups {
		out[i] = g.Name
	}
	return out
}

func hostNames(inv *model.Inventory) []string {
	out := make([]string, len(inv.Hosts))
	for i, h := range inv.Hosts {
		out[i] = h.Name
	}
	return out
}

// inventoryView builds what `ansible-inventory --list` prints for inv (with
// export, what --list --export prints), from cli/inventory.py json_inventory:
// groups reachable from 'all' with their hosts and children, vars on groups
// only with --export (inventory-source vars updated by file vars, plus a
// priority other than 1), and _meta.hostvars for hosts that have vars.
func inventoryView(inv *model.Inventory, export bool) model.Map {
	out := model.Map{}
	seen := map[string]bool{}
	var format func(g *model.Group)
	format = func(g *model.Group) {
		entry := model.Map{}
		if g.Name != "all" && len(g.Hosts) > 0 {
			entry.Set("hosts", toValues(g.Hosts))
		}
		if len(g.Children) > 0 {
			entry.Set("children", toValues(g.Children))
		}
		if export {
			vars := g.Vars.Clone()
			vars.Update(g.FileVars)
			if g.Priority != model.DefaultPriority {
				vars.Set("ansible_group_priority", int64(g.Priority))
			}
			if vars = precedence.StripInternal(vars); len(vars) > 0 {
				entry.Set("vars", vars)
			}
		}
		if len(entry) > 0 {
			out.Set(g.Name, entry)
		}
		for _, c := range g.Children {
			if !seen[c] {
				seen[c] = true
				format(inv.Group(c))
			}
		}
	}
	format(inv.Group("all"))
	hostvars := model.Map{}
	merger := precedence.NewMerger(inv)
	listed := inv.Hosts
	if h := inv.Host("all"); h != nil {
		// The pattern "all" naming a host selects that host alone
		// (InventoryManager._evaluate_patterns), so --list prints it alone.
		listed = []*model.Host{h}
	}
	for _, h := range listed {
		var vars model.Map
		if export {
			vars = h.Vars.Clone()
			vars.Update(h.FileVars)
		} else {
			vars = merger.HostVars(h.Name)
		}
		if vars = precedence.StripInternal(vars); len(vars) > 0 {
			hostvars.Set(h.Name, vars)
		}
	}
	out.Set("_meta", model.Map{{Key: "hostvars", Value: hostvars}})
	return out
}

func toValues(s []string) []model.Value {
	out := make([]model.Value, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// checkAgainstAnsible loads sources with Load and compares the result with
// all three oracles. It returns a one-line verdict for logs.
func checkAgainstAnsible(t *testing.T, dump oracleResult, sources ...string) string {
	t.Helper()
	inv, err := Load(sources...)
	export := ansibleInventory(t, true, sources...)
	list := ansibleInventory(t, false, sources...)
	// A value JSON cannot hold (a date as a key, !!binary, a recursive
	// alias) makes ansible-inventory fail only when it prints it, which
	// --export always does and --list may not; kook rejects it on reading.
	if export.Err != "" || dump.Err != "" {
		if err == nil {
			t.Errorf("Load(%q) succeeded; Ansible fails: %s", sources, firstLine(export.Err+dump.Err))
			return "FAIL (kook accepts what Ansible rejects)"
		}
		return "ok, both reject: " + firstLine(err.Error())
	}
	if err != nil {
		t.Errorf("Load(%q): %v; Ansible parses it", sources, err)
		return "FAIL (kook rejects what Ansible parses)"
	}
	failed := t.Failed()
	checkDump(t, inv, dump.Value.(model.Map))
	for _, c := range []struct {
		export bool
		want   oracleResult
	}{{true, export}, {false, list}} {
		if got := inventoryView(inv, c.export); !model.Equal(asJSONReads(t, got), c.want.Value) {
			t.Errorf("ansible-inventory --list (export %v) of %q differs:\nkook    %s\nAnsible %s", c.export, sources,
				model.AppendJSON(nil, got, true), model.AppendJSON(nil, c.want.Value, true))
		}
	}
	if !failed && t.Failed() {
		return "FAIL"
	}
	return fmt.Sprintf("ok (%d groups, %d hosts)", len(inv.Groups), len(inv.Hosts))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
