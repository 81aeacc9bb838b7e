package ansibletest

import (
	"fmt"
	"testing"

	"github.com/kook-project/kook/model"
)

const dumpCommand = "dump"

// dumpPy inspects sources in one Ansible run: it runs ansible-inventory
// --list with the rendering swapped for a JSON object holding what --list
// and --graph would print and a dump of Ansible's parse: groups in creation
// order (InventoryData.groups), hosts in first-seen order
// (InventoryData.hosts), each with its inventory-source vars and, as
// ansible-inventory --export reads them, its group_vars/ or host_vars/ file
// vars. Going through InventoryCLI.run parses the sources with the same code
// at the same stack depth as ansible-inventory (deeply nested INI values hit
// Python's recursion limit), and renders --list and --graph with Ansible's
// own functions.
//
// Dumped values are written as ansible-inventory writes them: unsafe
// strings as {"__ansible_unsafe": s}, vaulted ones as {"__ansible_vault": s},
// dates in ISO form, tuples as lists, keys that are not strings as
// json.dumps turns them into strings (others, like dates, by str()). What
// JSON cannot hold (recursive values, bytes, sets) becomes
// {"__kook_unrepresentable__": TYPE}.
const dumpPy = `
import datetime, json, sys
from collections.abc import Mapping
from ansible.module_utils.common.json import _is_unsafe, _is_vault
from ansible.module_utils.common.collections import is_sequence
from ansible.vars.plugins import get_vars_from_inventory_sources

# add_host sets these on every new host (on a group instead, when a group
# has the host's name); ansible-inventory never prints them.
ADDED_BY_ANSIBLE = ('inventory_file', 'inventory_dir')

def plain(v, active=()):
    if _is_vault(v):
        return {'__ansible_vault': str(v._ciphertext, 'utf-8', 'surrogateescape') if isinstance(v._ciphertext, bytes) else str(v._ciphertext)}
    if _is_unsafe(v):
        return {'__ansible_unsafe': str(v._strip_unsafe())}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if id(v) in active:
        return {'__kook_unrepresentable__': 'recursive ' + type(v).__name__}
    if isinstance(v, Mapping):
        out = {}
        for k, x in v.items():
            out[key(k)] = plain(x, active + (id(v),))
        return out
    if is_sequence(v):
        return [plain(x, active + (id(v),)) for x in v]
    return {'__kook_unrepresentable__': type(v).__name__}

def key(k):
    if _is_unsafe(k):
        k = k._strip_unsafe()
    if isinstance(k, str):
        return str(k)
    if k is None or isinstance(k, (bool, int, float)):
        return json.loads(json.dumps({k: 0})).popitem()[0]
    return str(k)

def dump_inventory(self, top):
    loader, im = self.loader, self.inventory
    def file_vars(entity):
        return plain(get_vars_from_inventory_sources(loader, im._sources, [entity], 'all'))
    def own_vars(entity):
        return plain({k: v for k, v in entity.vars.items() if k not in ADDED_BY_ANSIBLE})
    data = im._inventory
    out = {'groups': [], 'hosts': []}
    for name, g in data.groups.items():
        out['groups'].append({'name': name, 'hosts': [h.name for h in g.hosts],
                              'children': [c.name for c in g.child_groups],
                              'vars': own_vars(g), 'file_vars': file_vars(g), 'priority': g.priority})
    ungrouped = data.groups.get('ungrouped')
    for name, h in data.hosts.items():
        # reconcile_inventory's Host.remove_group dropped 'ungrouped' from
        # the host's groups though one of them is still below it.
        left = ungrouped is not None and ungrouped not in h.groups and any(ungrouped in g.get_ancestors() for g in h.groups)
        out['hosts'].append({'name': name, 'vars': own_vars(h), 'file_vars': file_vars(h), 'left_ungrouped': left})
    return out

def at_main_depth(fn, *args):
    # /usr/bin/ansible-inventory calls main() from its module level, one
    # frame above it; give fn, called here under depth frames plus this
    # one, the same recursion budget.
    depth, f = 0, sys._getframe(1)
    while f is not None:
        depth, f = depth + 1, f.f_back
    sys.setrecursionlimit(sys.getrecursionlimit() + depth)
    return fn(*args)

def main(sources):
    import ansible.cli.inventory as ci
    list_inventory, render = ci.InventoryCLI.json_inventory, ci.InventoryCLI.dump
    def inspect(self, top):
        return {'list': render(list_inventory(self, top)), 'graph': self.inventory_graph(),
                'dump': dump_inventory(self, top),
                # What ansible all --list-hosts lists (AdHocCLI uses list_hosts).
                'all_hosts': [h.name for h in self.inventory.list_hosts('all')]}
    ci.InventoryCLI.json_inventory = inspect
    ci.InventoryCLI.dump = staticmethod(lambda stuff: json.dumps(stuff))
    argv = ['ansible-inventory'] + [x for s in sources for x in ('-i', s)] + ['--list']
    at_main_depth(ci.main, argv)
`

// Inspection is Ansible's view of an inventory source, from one run.
type Inspection struct {
	List      string           // what ansible-inventory --list prints
	Graph     string           // what ansible-inventory --graph prints
	Inventory *model.Inventory // Ansible's parse (see Dump)
	AllHosts  []string         // the hosts ansible all --list-hosts lists
}

// Inspect returns, from one Ansible run, what ansible-inventory --list and
// --graph print for sources, the hosts ansible all --list-hosts lists, and
// Ansible's parse of them. It returns nil and
// the failed run when Ansible rejects the sources.
func Inspect(t testing.TB, sources ...string) (*Inspection, Result) {
	t.Helper()
	r := run(t, append([]string{dumpCommand}, sources...))
	if r.Exit != 0 {
		return nil, r
	}
	top, ok := r.JSON(t).(model.Map)
	if !ok {
		t.Fatalf("%s: output is not an object", r.Args)
	}
	list, _ := top.Get("list")
	graph, _ := top.Get("graph")
	dump, _ := top.Get("dump")
	allHosts, _ := top.Get("all_hosts")
	inv, err := DecodeDump(dump)
	if err != nil {
		t.Fatalf("%s: %v", r.Args, err)
	}
	ins := &Inspection{Inventory: inv, AllHosts: stringList(allHosts)}
	// display.display() ends what it prints with a newline.
	ins.List, _ = list.(string)
	ins.List += "\n"
	ins.Graph, _ = graph.(string)
	ins.Graph += "\n"
	return ins, r
}

// Dump returns the inventory Ansible parses from sources, as a
// model.Inventory: groups in creation order, hosts in first-seen order,
// membership lists in Ansible's order, vars by level (inventory source vs
// group_vars/ and host_vars/ files), priorities. It fails t if Ansible
// rejects the sources.
func Dump(t testing.TB, sources ...string) *model.Inventory {
	t.Helper()
	ins, r := Inspect(t, sources...)
	if ins == nil {
		t.Fatalf("%v", r)
	}
	return ins.Inventory
}

// DecodeDump reads the dump of Ansible's parse that the oracle programs
// print ({"groups": [{"name", "hosts", "children", "vars", "file_vars",
// "priority"}], "hosts": [{"name", "vars", "file_vars", "left_ungrouped"}]})
// as a validated model.Inventory.
func DecodeDump(v model.Value) (*model.Inventory, error) {
	top, ok := v.(model.Map)
	if !ok {
		return nil, fmt.Errorf("dump is %T, not an object", v)
	}
	inv := &model.Inventory{}
	groups, _ := top.Get("groups")
	for _, gv := range list(groups) {
		gm, _ := gv.(model.Map)
		g := inv.AddGroup(str(gm, "name"))
		g.Hosts = strs(gm, "hosts")
		g.Children = strs(gm, "children")
		g.Vars = vars(gm, "vars")
		g.FileVars = vars(gm, "file_vars")
		if p, ok := gm.Get("priority"); ok {
			n, ok := p.(int64)
			if !ok {
				return nil, fmt.Errorf("group %s: priority %v is not an int", g.Name, p)
			}
			g.Priority = int(n)
		}
	}
	hosts, _ := top.Get("hosts")
	for _, hv := range list(hosts) {
		hm, _ := hv.(model.Map)
		h := inv.AddHost(str(hm, "name"))
		h.Vars = vars(hm, "vars")
		h.FileVars = vars(hm, "file_vars")
		left, _ := hm.Get("left_ungrouped")
		h.LeftUngrouped = left == true
	}
	return inv, inv.Validate()
}

func list(v model.Value) []model.Value {
	l, _ := v.([]model.Value)
	return l
}

func str(m model.Map, key string) string {
	v, _ := m.Get(key)
	s, _ := v.(string)
	return s
}

func strs(m model.Map, key string) []string {
	v, _ := m.Get(key)
	return stringList(v)
}

func stringList(v model.Value) []string {
	var out []string
	for _, x := range list(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func vars(m model.Map, key string) model.Map {
	v, _ := m.Get(key)
	vm, _ := v.(model.Map)
	if len(vm) == 0 {
		return nil
	}
	return vm
}
