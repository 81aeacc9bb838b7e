package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kook-project/kook/model"
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
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	groups, err := client.Groups(ctx, c.Pattern)
	if err != nil {
		return err
	}
	if c.Output == "names" {
		for _, gr := range groups {
			if _, err := fmt.Fprintln(g.stdout, gr.Name); err != nil {
				return err
			}
		}
		return nil
	}
	list := make([]model.Value, len(groups))
	for i, gr := range groups {
		list[i] = model.Map{
			{Key: "name", Value: gr.Name}, {Key: "parents", Value: names(gr.Parents)},
			{Key: "children", Value: names(gr.Children)}, {Key: "hosts", Value: names(gr.Hosts)},
			{Key: "priority", Value: int64(gr.Priority)},
		}
	}
	if c.Output == "yaml" {
		return writeYAML(g.stdout, list)
	}
	return writeJSON(g.stdout, list)
}
