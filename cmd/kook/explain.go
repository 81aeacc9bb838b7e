package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// ExplainCmd is `kook explain HOST [VAR]`.
type ExplainCmd struct {
	Host   string `arg:"" help:"Host name."`
	Var    string `arg:"" optional:"" help:"The var to explain (default: every var of the host)."`
	Output string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`
}

// Help implements kong.HelpProvider.
func (c *ExplainCmd) Help() string {
	return strings.TrimSpace(`
For each var, explain prints the value Ansible gives the host and every layer
that sets it, lowest precedence first, so the last one wins:

  1 inventory     group vars from the inventory source: 'all' first, then the
                  host's groups by depth, ansible_group_priority, then name
  2 group_vars    group_vars/all files
  3 group_vars    group_vars/<group> files, groups in the same order
  4 inventory     host vars from the inventory source
  5 host_vars     host_vars/<host> files

with the file and line where kook-import read the value, when it did. This is
the order ansible-inventory applies (before facts, play vars or extra vars).

Examples:
  kook explain web1 http_port
  kook explain web1 -o json`)
}

// levelNames name the precedence levels of precedence.Layer.
var levelNames = map[int]string{
	precedence.LevelGroup:     "inventory",
	precedence.LevelAllFile:   "group_vars",
	precedence.LevelGroupFile: "group_vars",
	precedence.LevelHost:      "inventory",
	precedence.LevelHostFile:  "host_vars",
}

// Run prints the explanation.
func (c *ExplainCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	explained, err := client.Explain(ctx, c.Host, c.Var)
	if err != nil {
		return err
	}
	out := make([]model.Value, 0, len(explained))
	for _, e := range explained {
		var sets []model.Value
		for _, l := range e.Layers {
			where := ""
			if l.Kind == "group" && l.Name != "all" {
				where = fmt.Sprintf("depth %d, priority %d", l.Depth, l.Priority)
			}
			sets = append(sets, model.Map{
				{Key: "level", Value: int64(l.Level)}, {Key: "level_name", Value: levelNames[l.Level]},
				{Key: "kind", Value: l.Kind}, {Key: "name", Value: l.Name}, {Key: "value", Value: l.Value},
				{Key: "source", Value: l.Source}, {Key: "order", Value: where},
			})
		}
		entry := model.Map{{Key: "name", Value: e.Var}, {Key: "value", Value: e.Value}, {Key: "layers", Value: sets}}
		if e.Internal {
			entry.Set("note", "Ansible sets this var itself; the inventory's value never shows")
		}
		out = append(out, entry)
	}
	if c.Output == "json" {
		return writeJSON(g.stdout, model.Map{{Key: "host", Value: c.Host}, {Key: "vars", Value: out}})
	}
	return printExplain(g, out)
}

func printExplain(g *Globals, vars []model.Value) error {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	for i, v := range vars {
		e := v.(model.Map)
		name, _ := e.Get("name")
		value, _ := e.Get("value")
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s = %s\n", name, model.MarshalJSON(value))
		if note, ok := e.Get("note"); ok {
			fmt.Fprintf(tw, "  (%s)\n", note)
		}
		layers, _ := e.Get("layers")
		list := layers.([]model.Value)
		for j, l := range list {
			lm := l.(model.Map)
			get := func(k string) model.Value { x, _ := lm.Get(k); return x }
			mark := " "
			if j == len(list)-1 {
				mark = "*"
			}
			who := fmt.Sprintf("%s %s", get("kind"), get("name"))
			if o := get("order").(string); o != "" {
				who += " (" + o + ")"
			}
			fmt.Fprintf(tw, "%s %d %s\t%s\t%s", mark, get("level"), get("level_name"), who, model.MarshalJSON(get("value")))
			if src := get("source").(string); src != "" {
				fmt.Fprintf(tw, "\t%s", src)
			}
			fmt.Fprintln(tw)
		}
	}
	return tw.Flush()
}
