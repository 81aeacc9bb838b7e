package script

// How kook's five precedence levels reach Ansible through the script
// protocol.
//
// A script inventory has only two levels of its own: group "vars" (merged
// like inventory-source group vars: 'all' first, then the host's groups by
// depth, priority and name) and host vars (_meta.hostvars). kook emits:
//
//   - group "vars" = the group's inventory-source vars (level 1) updated by
//     its group_vars/ file vars (levels 2 and 3), so that `ansible-inventory
//     --list --export`, `--graph --vars` and playbook precedence see the vars
//     on the group that defines them;
//   - ansible_group_priority in a group's "vars" when its priority is not 1
//     (the script plugin turns it back into the priority); the same name set
//     in a group_vars/ file is an ordinary var, so it is left off the group
//     and pinned on its hosts (below);
//   - _meta.hostvars[host] = the host's inventory-source vars (level 4)
//     updated by its host_vars/ file vars (level 5), plus pinned vars.
//
// Folding group vars into one level loses one rule: in Ansible every
// group_vars/ file outranks every inventory-source group var, so
// group_vars/all.yml beats [web:vars], and group_vars/top.yml beats the
// [child:vars] of a deeper group. For every host, kook computes what Ansible
// will make of the emitted groups and compares it with the host's true
// effective vars (HostVars); each var that would come out differently is
// pinned, with its true value, in that host's _meta.hostvars entry. So
// `ansible-inventory --list` of the script equals that of the original
// source, while group vars still show where they were defined.
//
// Order. The script plugin creates groups and hosts in the order it meets
// them in the JSON, then reconciles. kook orders the JSON so that Ansible
// rebuilds the original group creation order (the order of the 'groups'
// magic var and of glob-pattern matches) and host first-seen order (the
// order of host-pattern matches), and lists every group's hosts and children
// in their original order. Where group creation order cannot be rebuilt
// exactly (a parent's children list creates its new children at once), the
// groups come out as close to it as possible; --list and --graph are not
// affected. Hosts that must be created earlier than the groups listing them
// are listed first under 'ungrouped', from which Ansible's reconciliation
// removes every host that has another group.
//
// A host named like a group gets no _meta.hostvars entry: Ansible would set
// those vars on the group of that name (InventoryData.set_variable looks up
// groups first), so the script protocol cannot give such a host vars of its
// own. Where the host needs some (its own vars, host_vars/ files, or pinned
// values), kook refuses the inventory, naming the host (Check); the parsers
// follow Ansible's rule, so "[localhost]" then "localhost
// ansible_connection=local" gives the var to the group, as Ansible does. A
// group named "_meta" is refused too: the protocol reserves the key.

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// List returns the JSON an inventory script prints for --list of inv,
// exactly what kook-inventory prints once inv is stored: every group (an
// empty one as {"hosts": []}), then "_meta": {"hostvars": ...}. inv must be
// reconciled (model.Inventory.Reconcile), as a parsed or stored inventory
// is, and be one the protocol can express (Check): what it cannot is left
// out.
func List(inv *model.Inventory) []byte {
	n := Nodes(inv, &model.Nodes{KeyBase: 1 << 32})
	tables, _ := Renderer{}.tables(n, false)
	var buf bytes.Buffer
	WriteList(&buf, MemTables(tables))
	return buf.Bytes()
}

// Check reports what of inv the script protocol cannot give Ansible, as
// every writer's Renderer refuses it: a group named "_meta", or a host named
// like a group that needs vars of its own (see the top of this file).
func Check(inv *model.Inventory) error {
	_, err := Renderer{}.Tables(Nodes(inv, &model.Nodes{KeyBase: 1 << 32}))
	return err
}

// hostVars returns the _meta.hostvars entry of each of hosts, nil for an
// empty one. It does not leave out a host named like a group: the callers
// know all the groups, inv may hold only those above hosts.
func hostVars(inv *model.Inventory, hosts []*model.Host) map[string]model.Map {
	e := newEmitter(inv)
	out := make(map[string]model.Map, len(hosts))
	for _, h := range hosts {
		if vars := e.hostVars(h, e.m.GroupSet(h.Name)); len(vars) > 0 {
			out[h.Name] = vars
		}
	}
	return out
}

// hostEntry returns the JSON of a host's _meta.hostvars entry, nil for an
// empty one, or, for a host named like a group, an error if the entry is
// not empty: Ansible would give those vars to the group.
func hostEntry(name string, vars model.Map, isGroup bool) ([]byte, error) {
	switch {
	case len(vars) == 0:
		return nil, nil
	case isGroup:
		return nil, errHostIsGroup(name, vars)
	}
	return model.AppendJSON(nil, vars, false), nil
}

// errHostIsGroup explains why a host named like a group cannot have vars.
func errHostIsGroup(name string, vars model.Map) error {
	keys := vars.Keys()
	list := strings.Join(keys, ", ")
	if len(keys) > 8 {
		list = strings.Join(keys[:8], ", ") + fmt.Sprintf(" and %d more", len(keys)-8)
	}
	return fmt.Errorf("host %q is also a group: Ansible gives what an inventory script lists under "+
		"_meta.hostvars for that name to the group (InventoryData.set_variable looks groups up first), "+
		"so the vars the host needs of its own (%s) cannot reach it through kook-inventory; "+
		"rename the host or the group, or set those vars on a group", name, list)
}

// errMetaGroup explains why a group named "_meta" cannot be served.
func errMetaGroup() error {
	return fmt.Errorf("group %q: %w", model.MetaGroup, model.ValidateGroupName(model.MetaGroup))
}

type emitter struct {
	inv       *model.Inventory
	m         *precedence.Merger
	index     map[string]int // group name -> index in inv.Groups
	ungrouped int
	pins      map[*precedence.GroupSet]model.Map
}

func newEmitter(inv *model.Inventory) *emitter {
	e := &emitter{inv: inv, m: precedence.NewMerger(inv), index: make(map[string]int, len(inv.Groups)),
		ungrouped: -1, pins: map[*precedence.GroupSet]model.Map{}}
	for i, g := range inv.Groups {
		e.index[g.Name] = i
		if g.Name == "ungrouped" {
			e.ungrouped = i
		}
	}
	return e
}

func (e *emitter) sizeHint() int {
	n := 64
	for _, g := range e.inv.Groups {
		n += len(g.Name) + 32 + 24*(len(g.Hosts)+len(g.Children))
	}
	// Growing a buffer of tens of megabytes copies it several times over:
	// guess each host's entry from its var count.
	for _, h := range e.inv.Hosts {
		n += len(h.Name) + 8 + 32*(len(h.Vars)+len(h.FileVars))
	}
	return n
}

// appendGroup writes one group's object. The script plugin reads "hosts",
// then "vars", then "children", whatever their order in the JSON.
func (e *emitter) appendGroup(buf []byte, g *model.Group, hosts []string) []byte {
	vars := emittedGroupVars(g)
	if len(hosts) == 0 && len(vars) == 0 && len(g.Children) == 0 {
		// An object with none of hosts/vars/children would be read as a host.
		return append(buf, `{"hosts":[]}`...)
	}
	buf = append(buf, '{')
	sep := false
	if len(hosts) > 0 {
		buf = append(buf, `"hosts":`...)
		buf = appendStrings(buf, hosts)
		sep = true
	}
	if len(vars) > 0 {
		if sep {
			buf = append(buf, ',')
		}
		buf = append(buf, `"vars":`...)
		buf = model.AppendJSON(buf, vars, false)
		sep = true
	}
	if len(g.Children) > 0 {
		if sep {
			buf = append(buf, ',')
		}
		buf = append(buf, `"children":`...)
		buf = appendStrings(buf, g.Children)
	}
	return append(buf, '}')
}

func appendStrings(buf []byte, list []string) []byte {
	buf = append(buf, '[')
	for i, s := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = model.AppendString(buf, s)
	}
	return append(buf, ']')
}

// emittedGroupVars is what a group's "vars" holds in the script output:
// scriptGroupVars, and ansible_group_priority standing for the priority.
func emittedGroupVars(g *model.Group) model.Map {
	vars := scriptGroupVars(g)
	if g.Priority != model.DefaultPriority {
		vars = append(vars[:len(vars):len(vars)], model.Entry{Key: model.PriorityVar, Value: int64(g.Priority)})
	}
	return vars
}

// scriptGroupVars is what Ansible holds as a group's vars after reading the
// script output: inventory vars updated by group_vars/ file vars, without
// ansible_group_priority, which the script plugin would take for the
// priority.
func scriptGroupVars(g *model.Group) model.Map {
	if len(g.FileVars) == 0 && !g.Vars.Has(model.PriorityVar) {
		return g.Vars
	}
	f := precedence.NewFolder(len(g.Vars) + len(g.FileVars))
	f.Update(g.Vars)
	f.Update(g.FileVars)
	vars := f.Map()
	vars.Delete(model.PriorityVar)
	return vars
}

// hostVars is the host's _meta.hostvars entry: its own vars, then the vars
// pinned for its group set that it does not set itself.
func (e *emitter) hostVars(h *model.Host, s *precedence.GroupSet) model.Map {
	pins := e.pinsFor(s)
	if len(h.FileVars) == 0 && len(pins) == 0 {
		return h.Vars
	}
	f := precedence.NewFolder(len(h.Vars) + len(h.FileVars) + len(pins))
	f.Update(h.Vars)
	f.Update(h.FileVars)
	for _, p := range pins {
		f.SetDefault(p.Key, p.Value)
	}
	return f.Map()
}

// pinsFor returns the group-level vars Ansible would get wrong for hosts of
// group set s if it saw only the emitted group vars: every var whose value
// from folding the emitted group vars (all, then the set's groups in order)
// differs from the true fold of levels 1-3.
func (e *emitter) pinsFor(s *precedence.GroupSet) model.Map {
	if p, ok := e.pins[s]; ok {
		return p
	}
	var pins model.Map
	if e.mayDiffer(s) {
		f := precedence.NewFolder(0)
		for _, g := range s.Groups() {
			f.Update(scriptGroupVars(g))
		}
		for _, t := range s.Vars() {
			if v, ok := f.Get(t.Key); !ok || !model.EqualOrdered(v, t.Value) {
				pins = append(pins, t)
			}
		}
	}
	e.pins[s] = pins
	return pins
}

// mayDiffer reports whether the emitted and true group-level vars of s can
// differ: only group_vars/ files and ansible_group_priority make them.
func (e *emitter) mayDiffer(s *precedence.GroupSet) bool {
	for _, g := range s.Groups() {
		if len(g.FileVars) > 0 || g.Vars.Has(model.PriorityVar) {
			return true
		}
	}
	return false
}
