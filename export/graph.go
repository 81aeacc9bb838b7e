package export

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// ErrVault is returned by Graph with vars when a var to show holds a vaulted
// value: ansible-inventory --graph --vars prints vars with Python's str(),
// which decrypts, and without a vault password it fails so.
var ErrVault = errors.New("attempting to decrypt but no vault secrets found")

// Graph returns exactly what `ansible-inventory --graph [group] [--vars]`
// prints, final newline included: the group, then depth first its child
// groups and its hosts (except under 'all'), each in inventory order and
// indented by "  |" per level. With vars, every host is followed by its
// effective vars and every group's subtree by the group's own vars
// (inventory vars updated by group_vars/ files, ansible_group_priority when
// not 1), internal vars left out, sorted by name, as {name = value} with
// value as Python's str() prints it.
//
// Graph fails with model.ErrNotFound if group does not exist, and with
// ErrVault if a var to show is vaulted. Known differences from Ansible:
// Python tuples (INI values like (1, 2)) print as lists and dict keys that
// YAML typed as numbers print quoted, because model.Value keeps neither.
func Graph(inv *model.Inventory, group string, withVars bool) (string, error) {
	g := inv.Group(group)
	if g == nil {
		return "", fmt.Errorf("pattern must be a valid group name when using --graph: %q: %w", group, model.ErrNotFound)
	}
	gr := &grapher{inv: inv, withVars: withVars}
	if withVars {
		gr.m = precedence.NewMerger(inv)
	}
	if err := gr.group(g, 0); err != nil {
		return "", err
	}
	return string(gr.buf), nil
}

type grapher struct {
	inv      *model.Inventory
	m        *precedence.Merger
	withVars bool
	buf      []byte
}

// line writes name at depth as cli/inventory.py's _graph_name does.
func (gr *grapher) line(depth int, parts ...string) {
	if depth > 0 {
		for range depth {
			gr.buf = append(gr.buf, "  |"...)
		}
		gr.buf = append(gr.buf, "--"...)
	}
	for _, p := range parts {
		gr.buf = append(gr.buf, p...)
	}
	gr.buf = append(gr.buf, '\n')
}

func (gr *grapher) group(g *model.Group, depth int) error {
	gr.line(depth, "@", g.Name, ":")
	depth++
	for _, c := range g.Children {
		if cg := gr.inv.Group(c); cg != nil {
			if err := gr.group(cg, depth); err != nil {
				return err
			}
		}
	}
	if g.Name != "all" {
		for _, h := range g.Hosts {
			gr.line(depth, h)
			if gr.withVars {
				if err := gr.vars(precedence.StripInternal(gr.m.HostVars(h)), depth+1); err != nil {
					return err
				}
			}
		}
	}
	if gr.withVars {
		return gr.vars(graphGroupVars(g), depth)
	}
	return nil
}

// graphGroupVars is cli/inventory.py's _get_group_variables: the group's vars
// updated by its group_vars/ files, then its priority when not 1.
func graphGroupVars(g *model.Group) model.Map {
	f := precedence.NewFolder(len(g.Vars) + len(g.FileVars) + 1)
	f.Update(g.Vars)
	f.Update(g.FileVars)
	if g.Priority != model.DefaultPriority {
		f.Update(model.Map{{Key: model.PriorityVar, Value: int64(g.Priority)}})
	}
	return precedence.StripInternal(f.Map())
}

func (gr *grapher) vars(vars model.Map, depth int) error {
	sorted := slices.Clone(vars)
	slices.SortFunc(sorted, func(a, b model.Entry) int { return strings.Compare(a.Key, b.Key) })
	for _, e := range sorted {
		s, err := appendPyStr(nil, e.Value)
		if err != nil {
			return fmt.Errorf("var %s: %w", e.Key, err)
		}
		gr.line(depth, "{", e.Key, " = ", string(s), "}")
	}
	return nil
}
