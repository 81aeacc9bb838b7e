package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/pattern"
)

// GroupsCmd is `kook groups`.
type GroupsCmd struct {
	Pattern string `arg:"" optional:"" help:"Pattern on group names, in Ansible's host-pattern syntax (default: every group)."`
	Output  string `short:"o" enum:"names,json,yaml" default:"names" help:"Output format: names, json or yaml."`
}

// Help implements kong.HelpProvider.
func (c *GroupsCmd) Help() string {
	return strings.TrimSpace(`
Groups are listed in inventory (creation) order. PATTERN matches group names
the way an Ansible host pattern matches names: exact names, shell wildcards,
'~regex', and ':' or ',' (union), ':&' (intersection), ':!' (exclusion).

Examples:
  kook groups
  kook groups 'web*:!web_old' -o json`)
}

// Run prints the groups.
func (c *GroupsCmd) Run(ctx context.Context, g *Globals) error {
	inv, _, err := g.load(ctx)
	if err != nil {
		return err
	}
	selected, err := matchGroups(inv, c.Pattern)
	if err != nil {
		return err
	}
	if c.Output == "names" {
		for _, name := range selected {
			if _, err := fmt.Fprintln(g.stdout, name); err != nil {
				return err
			}
		}
		return nil
	}
	parents := inv.Parents()
	list := make([]model.Value, len(selected))
	for i, name := range selected {
		gr := inv.Group(name)
		list[i] = model.Map{
			{Key: "name", Value: name}, {Key: "parents", Value: names(parents[name])},
			{Key: "children", Value: names(gr.Children)}, {Key: "hosts", Value: names(gr.Hosts)},
			{Key: "priority", Value: int64(gr.Priority)},
		}
	}
	if c.Output == "yaml" {
		return writeYAML(g.stdout, list)
	}
	return writeJSON(g.stdout, list)
}

// matchGroups returns the groups whose names pattern selects, in inventory
// order: Ansible's pattern matching (pattern.Select) of expr applied to an
// inventory whose hosts are named after the groups and belong to none.
func matchGroups(inv *model.Inventory, expr string) ([]string, error) {
	var out []string
	if expr == "" {
		for _, g := range inv.Groups {
			out = append(out, g.Name)
		}
		return out, nil
	}
	byName := model.New()
	for _, g := range inv.Groups {
		byName.AddHost(g.Name)
	}
	matched, err := pattern.Select(byName, expr)
	if err != nil {
		return nil, err
	}
	for _, name := range matched {
		if inv.Group(name) != nil {
			out = append(out, name)
		}
	}
	return out, nil
}
