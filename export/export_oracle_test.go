package export_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/model"
)

// parsePy reads one inventory source per line (a JSON string) and prints one
// JSON line per source with what Ansible makes of it: its parse (as
// ansibletest.Dump: groups in creation order, hosts in first-seen order,
// vars by level, priorities) and every host's vars as `ansible-inventory
// --list` prints them in _meta.hostvars (VariableManager.get_vars, internal
// vars removed, unsafe and vaulted values serialized as --list does). One
// Python process serves every source: starting Ansible costs ~0.6 s, a parse
// a few ms.
//
// inventory_file and inventory_dir are left out of group vars too: Ansible
// sets them on every new host, and a host named like a group passes them to
// the group (InventoryData.set_variable looks up groups first); they name
// the source's path, which an export changes by nature.
const parsePy = `
import json, sys, traceback
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.vars.manager import VariableManager
from ansible.vars.plugins import get_vars_from_inventory_sources
from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.cli.inventory import INTERNAL_VARS
PATHY = ('inventory_file', 'inventory_dir')
def clean(v):
    return dict((k, x) for k, x in v.items() if k not in PATHY)
for line in sys.stdin:
    src = json.loads(line)
    try:
        loader = DataLoader()
        im = InventoryManager(loader=loader, sources=[src])
        vm = VariableManager(loader=loader, inventory=im)
        def fv(e):
            return get_vars_from_inventory_sources(loader, im._sources, [e], 'all')
        out = {'groups': [dict(name=g.name, hosts=[h.name for h in g.hosts],
                               children=[c.name for c in g.child_groups],
                               vars=clean(g.vars), priority=g.priority, file_vars=fv(g))
                          for g in im._inventory.groups.values()],
               'hosts': [dict(name=h.name, vars=clean(h.vars), file_vars=fv(h)) for h in im._inventory.hosts.values()],
               'hostvars': dict((h.name, dict((k, v) for k, v in vm.get_vars(host=h, include_hostvars=False, stage='all').items()
                                              if k not in INTERNAL_VARS)) for h in im.get_hosts())}
        text = json.dumps(out, cls=AnsibleJSONEncoder, preprocess_unsafe=True)
    except Exception as e:
        text = json.dumps({'error': '%s: %s' % (type(e).__name__, e)})
    sys.stdout.write(text + '\n')
    sys.stdout.flush()
`

// ansibleResult is Ansible's view of one source.
type ansibleResult struct {
	err      string
	inv      *model.Inventory
	hostvars model.Map
}

// diff returns the first difference between two views, or "".
func (r ansibleResult) diff(got ansibleResult) string {
	if got.err != "" {
		return "Ansible rejects it: " + got.err
	}
	if d := parity.SameParse(r.inv, got.inv); d != "" {
		return d
	}
	return ansibletest.Diff(r.hostvars, got.hostvars)
}

// listDiff compares only what ansible-inventory --list and --graph show:
// every group's hosts (except those of 'all') and children, and every host's vars.
func (r ansibleResult) listDiff(got ansibleResult) string {
	if got.err != "" {
		return "Ansible rejects it: " + got.err
	}
	for _, w := range r.inv.Groups {
		g := got.inv.Group(w.Name)
		switch {
		case g == nil:
			return "group " + w.Name + " missing"
		case w.Name != "all" && !slices.Equal(w.Hosts, g.Hosts):
			return fmt.Sprintf("group %s hosts: got %q, want %q", w.Name, g.Hosts, w.Hosts)
		case !slices.Equal(w.Children, g.Children):
			return fmt.Sprintf("group %s children: got %q, want %q", w.Name, g.Children, w.Children)
		}
	}
	if len(r.inv.Groups) != len(got.inv.Groups) || len(r.inv.Hosts) != len(got.inv.Hosts) {
		return "other groups or hosts"
	}
	return ansibletest.Diff(r.hostvars, got.hostvars)
}

// ansibleParse runs Ansible once over every source, from an empty
// directory, with ansibletest's environment.
func ansibleParse(t *testing.T, sources ...string) map[string]ansibleResult {
	t.Helper()
	ansibletest.Require(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "parse.py")
	if err := os.WriteFile(script, []byte(parsePy), 0o644); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for _, s := range sources {
		b, _ := json.Marshal(s)
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command(ansibletest.Python, script)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, ansibletest.Env(), &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible parse: %v\n%s", err, stderr.String())
	}
	results := map[string]ansibleResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<30)
	for i := 0; sc.Scan(); i++ {
		r, err := decodeParse(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", sources[i], err)
		}
		results[sources[i]] = r
	}
	if len(results) != len(sources) {
		t.Fatalf("ansible parse: %d results for %d sources\n%s", len(results), len(sources), stderr.String())
	}
	return results
}

func decodeParse(line []byte) (ansibleResult, error) {
	v, err := model.UnmarshalJSON(line)
	if err != nil {
		return ansibleResult{}, err
	}
	top, _ := v.(model.Map)
	if e, ok := top.Get("error"); ok {
		return ansibleResult{err: fmt.Sprint(e)}, nil
	}
	inv, err := ansibletest.DecodeDump(top)
	if err != nil {
		return ansibleResult{}, err
	}
	hostvars, _ := top.Get("hostvars")
	hvm, _ := hostvars.(model.Map)
	return ansibleResult{inv: inv, hostvars: hvm}, nil
}
