package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/pattern"
	"github.com/kook-project/kook/precedence"
)

// HostsCmd is `kook hosts`.
type HostsCmd struct {
	Pattern string   `arg:"" optional:"" default:"all" help:"Ansible host pattern (default all)."`
	Where   []string `short:"w" placeholder:"EXPR" help:"Keep hosts whose effective vars match: k=v, k!=v, k~regex, k (defined), !k (undefined). Repeat to require all."`
	Var     []string `short:"v" placeholder:"VAR" help:"Effective vars to print (json, yaml: only these; csv: one column each)."`
	Output  string   `short:"o" enum:"names,json,yaml,csv" default:"names" help:"Output format: names, json, yaml or csv."`

	filters []filter
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
		f, err := parseFilter(w, false)
		if err != nil {
			return err
		}
		c.filters = append(c.filters, f)
	}
	return nil
}

// Run prints the selected hosts.
func (c *HostsCmd) Run(ctx context.Context, g *Globals) error {
	inv, _, err := g.load(ctx)
	if err != nil {
		return err
	}
	selected, err := pattern.Select(inv, c.Pattern)
	if err != nil {
		return err
	}
	m := precedence.NewMerger(inv)
	var rows []hostRow
	for _, name := range selected {
		r := hostRow{name: name, vars: model.Map{}}
		if inv.Host(name) != nil { // else Ansible's implicit localhost
			r.vars = precedence.StripInternal(m.HostVars(name))
			r.groups = groupNames(m, name)
		}
		if c.matches(r.vars) {
			rows = append(rows, r)
		}
	}
	return c.print(g, rows)
}

type hostRow struct {
	name   string
	groups []string
	vars   model.Map
}

func (c *HostsCmd) matches(vars model.Map) bool {
	for _, f := range c.filters {
		if !f.match(vars) {
			return false
		}
	}
	return true
}

// groupNames is Ansible's group_names: every group of the host, through
// children too, but 'all', sorted.
func groupNames(m *precedence.Merger, host string) []string {
	groups := slices.Clone(m.Groups(host))
	slices.Sort(groups)
	return groups
}

func (c *HostsCmd) print(g *Globals, rows []hostRow) error {
	switch c.Output {
	case "names":
		for _, r := range rows {
			if _, err := fmt.Fprintln(g.stdout, r.name); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		header := append([]string{"name", "groups"}, c.Var...)
		table := make([][]model.Value, len(rows))
		for i, r := range rows {
			row := []model.Value{r.name, strings.Join(r.groups, " ")}
			for _, k := range c.Var {
				v, ok := r.vars.Get(k)
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
		vars := r.vars
		if len(c.Var) > 0 {
			vars = model.Map{}
			for _, k := range c.Var {
				if v, ok := r.vars.Get(k); ok {
					vars.Set(k, v)
				}
			}
		}
		list[i] = model.Map{{Key: "name", Value: r.name}, {Key: "groups", Value: names(r.groups)}, {Key: "vars", Value: vars}}
	}
	if c.Output == "yaml" {
		return writeYAML(g.stdout, list)
	}
	return writeJSON(g.stdout, list)
}
