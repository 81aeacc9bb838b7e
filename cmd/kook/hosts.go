package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// HostsCmd is `kook hosts`.
type HostsCmd struct {
	Pattern string   `arg:"" optional:"" default:"all" help:"Ansible host pattern (default all)."`
	Where   []string `short:"w" placeholder:"EXPR" help:"Keep hosts whose effective vars match: k=v, k!=v, k~regex, k (defined), !k (undefined). Repeat to require all."`
	Var     []string `short:"v" placeholder:"VAR" help:"Effective vars to print (json, yaml: only these; csv: one column each)."`
	Output  string   `short:"o" enum:"names,json,yaml,csv" default:"names" help:"Output format: names, json, yaml or csv."`

	filters []kook.Filter
}

// Help implements kong.HelpProvider.
func (c *HostsCmd) Help() string {
	return strings.TrimSpace(`
PATTERN is an Ansible host pattern, selecting what 'ansible PATTERN --list-hosts'
selects, in the same order: group and host names, 'a:b' or 'a,b' (union),
'a:&b' (intersection), 'a:!b' (exclusion), shell wildcards, '~regex', and
subscripts (web[0], web[1:3]).

--where values are typed as VAR=VALUE values are (YAML 1.1): port=8080 matches
the int 8080, port='"8080"' the string. A host without the var matches k!=v.
A regular expression matches a string value, or any other value's JSON text.

Examples:
  kook hosts 'web:&prod'
  kook hosts all --where env=prod --where '!maintenance' -o json
  kook hosts 'db*' -o csv -v ansible_host -v ansible_port`)
}

// Validate parses the --where expressions.
func (c *HostsCmd) Validate() error {
	c.filters = nil
	for _, w := range c.Where {
		f, err := kook.ParseFilter(w, func(text string) (model.Value, error) { return parseValue(text, false) })
		if err != nil {
			return usageError{fmt.Errorf("--where: %w", err)}
		}
		c.filters = append(c.filters, f)
	}
	return nil
}

// Run prints the selected hosts.
func (c *HostsCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	rows, err := client.Query(ctx, c.Pattern, c.filters...)
	if err != nil {
		return err
	}
	return c.print(g, rows)
}

func (c *HostsCmd) print(g *Globals, rows []kook.HostVars) error {
	switch c.Output {
	case "names":
		for _, r := range rows {
			if _, err := fmt.Fprintln(g.stdout, r.Name); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		header := append([]string{"name", "groups"}, c.Var...)
		table := make([][]model.Value, len(rows))
		for i, r := range rows {
			row := []model.Value{r.Name, strings.Join(r.GroupNames, " ")}
			for _, k := range c.Var {
				v, ok := r.Vars.Get(k)
				if !ok {
					v = absent{}
				}
				row = append(row, v)
			}
			table[i] = row
		}
		return writeCSV(g.stdout, header, table)
	}
	list := make([]model.Value, len(rows))
	for i, r := range rows {
		vars := r.Vars
		if len(c.Var) > 0 {
			vars = model.Map{}
			for _, k := range c.Var {
				if v, ok := r.Vars.Get(k); ok {
					vars.Set(k, v)
				}
			}
		}
		list[i] = model.Map{{Key: "name", Value: r.Name}, {Key: "groups", Value: names(r.GroupNames)}, {Key: "vars", Value: vars}}
	}
	if c.Output == "yaml" {
		return writeYAML(g.stdout, list)
	}
	return writeJSON(g.stdout, list)
}
