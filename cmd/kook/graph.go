package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// GraphCmd is `kook graph [GROUP]`.
type GraphCmd struct {
	Group  string `arg:"" optional:"" default:"all" help:"Group at the top (default all)."`
	Vars   bool   `help:"Show each host's effective vars and each group's own vars."`
	Output string `short:"o" enum:"text,json" default:"text" help:"Output format: text (as ansible-inventory --graph) or json (a tree)."`
}

// Help implements kong.HelpProvider.
func (c *GraphCmd) Help() string {
	return strings.TrimSpace(`
The text is what 'ansible-inventory --graph [GROUP] [--vars]' prints for the
same inventory. With -o json, each group is {"name", "children", "hosts"},
and with --vars also "vars" (hosts: {"name", "vars"}).

Examples:
  kook graph
  kook graph web --vars`)
}

// Run prints the graph.
func (c *GraphCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	// What Ansible sees through kook-inventory: the same graph as
	// 'ansible-inventory -i kook-inventory --graph'.
	inv, err := client.Ansible(ctx)
	if err != nil {
		return err
	}
	if c.Output == "json" {
		if inv.Group(c.Group) == nil {
			return fmt.Errorf("group %q: %w", c.Group, model.ErrNotFound)
		}
		var m *precedence.Merger
		if c.Vars {
			m = precedence.NewMerger(inv)
		}
		return writeJSON(g.stdout, graphTree(inv, m, c.Group))
	}
	text, err := export.Graph(inv, c.Group, c.Vars)
	if err != nil {
		return err
	}
	_, err = io.WriteString(g.stdout, text)
	return err
}

// graphTree is the JSON form of the graph below group; m is nil without
// vars. Like the text, it leaves out the hosts of 'all' (they are below).
func graphTree(inv *model.Inventory, m *precedence.Merger, group string) model.Map {
	gr := inv.Group(group)
	kids := make([]model.Value, len(gr.Children))
	for i, c := range gr.Children {
		kids[i] = graphTree(inv, m, c)
	}
	var hosts []model.Value
	if group != "all" {
		for _, h := range gr.Hosts {
			if m == nil {
				hosts = append(hosts, h)
				continue
			}
			hosts = append(hosts, model.Map{{Key: "name", Value: h}, {Key: "vars", Value: precedence.StripInternal(m.HostVars(h))}})
		}
	}
	out := model.Map{{Key: "name", Value: group}, {Key: "children", Value: kids}, {Key: "hosts", Value: orList(hosts)}}
	if m != nil {
		vars := gr.Vars.Clone()
		vars.Update(gr.FileVars)
		if gr.Priority != model.DefaultPriority {
			vars.Set(model.PriorityVar, int64(gr.Priority))
		}
		out.Set("vars", precedence.StripInternal(orEmpty(vars)))
	}
	return out
}

func orList(l []model.Value) []model.Value {
	if l == nil {
		return []model.Value{}
	}
	return l
}
