package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
)

// HostCmd is `kook host`.
type HostCmd struct {
	Show  HostShowCmd  `cmd:"" help:"Show a host's groups, own vars and effective vars."`
	Add   HostAddCmd   `cmd:"" help:"Add a host."`
	Rm    HostRmCmd    `cmd:"" help:"Remove a host."`
	Set   HostSetCmd   `cmd:"" help:"Set vars on a host."`
	Unset HostUnsetCmd `cmd:"" help:"Remove vars from a host."`
}

// EditFlags are the flags every edit takes.
type EditFlags struct {
	DryRun bool   `help:"Show what would change; write nothing."`
	Reason string `env:"KOOK_REASON" placeholder:"TEXT" help:"Why: kept in history with the change (kook log)."`
}

// ValueFlags say how VAR=VALUE arguments are read and where they go.
type ValueFlags struct {
	JSON  bool   `name:"json" help:"VALUEs are JSON instead of YAML."`
	Level string `enum:"auto,inventory,file" default:"auto" help:"Var level: inventory (as in an inventory file), file (as in a group_vars/ or host_vars/ file), or auto: where the var is set now, else inventory."`
}

const valueHelp = `VALUE is typed as YAML 1.1 types a value (Ansible's YAML): 8080 is an int,
'"8080"' a string, yes a bool, [1,2] a list, {a: 1} a dict, an empty VALUE null.
With --json, VALUE is JSON.`

// HostShowCmd is `kook host show NAME`.
type HostShowCmd struct {
	Name   string `arg:"" help:"Host name."`
	Output string `short:"o" enum:"text,json,yaml" default:"text" help:"Output format: text, json or yaml."`
}

// Help implements kong.HelpProvider.
func (c *HostShowCmd) Help() string {
	return "Examples:\n  kook host show web1\n  kook host show web1 -o json"
}

// Run prints the host.
func (c *HostShowCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	h, err := client.Host(ctx, c.Name)
	if err != nil {
		return err
	}
	effective := precedence.StripInternal(h.Vars)
	if c.Output != "text" {
		v := model.Map{
			{Key: "name", Value: h.Name}, {Key: "groups", Value: names(h.Groups)},
			{Key: "group_names", Value: names(h.GroupNames())},
			{Key: "vars", Value: orEmpty(h.OwnVars)}, {Key: "file_vars", Value: orEmpty(h.FileVars)},
			{Key: "effective_vars", Value: effective}, {Key: "source", Value: h.Source},
		}
		if c.Output == "yaml" {
			return writeYAML(g.stdout, v)
		}
		return writeJSON(g.stdout, v)
	}
	w := g.stdout
	fmt.Fprintf(w, "host %s%s\n", h.Name, at(h.Source))
	fmt.Fprintf(w, "groups: %s\n", joinOrNone(h.Groups))
	fmt.Fprintf(w, "group_names: %s\n", joinOrNone(h.GroupNames()))
	printVars(w, "vars (inventory)", h.OwnVars, h.VarSources)
	printVars(w, "vars (host_vars file)", h.FileVars, h.FileVarSources)
	printVars(w, "effective vars (run 'kook explain "+h.Name+"' for where each comes from)", sortedMap(effective), nil)
	return nil
}

// joinOrNone joins names for people, "(none)" when there are none.
func joinOrNone(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	return strings.Join(list, ", ")
}

func at(source string) string {
	if source == "" {
		return ""
	}
	return " (" + source + ")"
}

func orEmpty(m model.Map) model.Map {
	if m == nil {
		return model.Map{}
	}
	return m
}

func sortedMap(m model.Map) model.Map {
	out := make(model.Map, 0, len(m))
	for _, k := range m.SortedKeys() {
		v, _ := m.Get(k)
		out = append(out, model.Entry{Key: k, Value: v})
	}
	return out
}

// printVars prints a titled list of vars as JSON values, with where each
// was set when known.
func printVars(w io.Writer, title string, vars model.Map, sources map[string]string) {
	if len(vars) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, e := range vars {
		fmt.Fprintf(w, "  %s: %s%s\n", e.Key, model.MarshalJSON(e.Value), at(sources[e.Key]))
	}
}

// HostAddCmd is `kook host add NAME`.
type HostAddCmd struct {
	Name   string   `arg:"" help:"Host name."`
	Vars   []string `arg:"" optional:"" name:"VAR=VALUE" help:"Vars to set at the inventory level."`
	Groups []string `name:"group" short:"g" placeholder:"GROUP" help:"Group to add the host to (must exist); repeat for several."`
	JSON   bool     `name:"json" help:"VALUEs are JSON instead of YAML."`
	EditFlags

	vars model.Map
}

// Help implements kong.HelpProvider.
func (c *HostAddCmd) Help() string {
	return valueHelp + "\n\nA host in no group is in 'ungrouped'.\n\nExamples:\n" +
		"  kook host add web3 -g web -g prod ansible_host=10.0.0.3 http_port=8080\n" +
		"  kook host add db9 --dry-run"
}

// Validate parses the assignments.
func (c *HostAddCmd) Validate() (err error) {
	c.vars, err = parseAssignments(c.Vars, c.JSON)
	return err
}

// Run adds the host.
func (c *HostAddCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.CreateHost{Name: c.Name, Groups: c.Groups, Vars: c.vars})
}

// HostRmCmd is `kook host rm NAME`.
type HostRmCmd struct {
	Name string `arg:"" help:"Host name."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *HostRmCmd) Help() string {
	return "The host leaves every group it is in.\n\nExample:\n  kook host rm web3"
}

// Run removes the host.
func (c *HostRmCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.DeleteHost{Name: c.Name})
}

// HostSetCmd is `kook host set NAME VAR=VALUE...`.
type HostSetCmd struct {
	Name string   `arg:"" help:"Host name."`
	Vars []string `arg:"" name:"VAR=VALUE" help:"Vars to set."`
	ValueFlags
	EditFlags

	vars model.Map
}

// Help implements kong.HelpProvider.
func (c *HostSetCmd) Help() string {
	return valueHelp + "\n\nExamples:\n  kook host set web1 http_port=8080 'motd=\"hello\"'\n" +
		"  kook host set web1 --json 'ports=[80, 443]' --level file"
}

// Validate parses the assignments.
func (c *HostSetCmd) Validate() (err error) {
	c.vars, err = parseAssignments(c.Vars, c.JSON)
	return err
}

// Run sets the vars.
func (c *HostSetCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.SetHostVars{Host: c.Name, Level: level(c.Level), Vars: c.vars})
}

// HostUnsetCmd is `kook host unset NAME VAR...`.
type HostUnsetCmd struct {
	Name  string   `arg:"" help:"Host name."`
	Keys  []string `arg:"" name:"VAR" help:"Vars to remove."`
	Level string   `enum:"auto,inventory,file" default:"auto" help:"Remove only from this level (inventory or file); auto removes from both."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *HostUnsetCmd) Help() string {
	return "A var the host does not set is an error.\n\nExample:\n  kook host unset web1 http_port motd"
}

// Run removes the vars.
func (c *HostUnsetCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.UnsetHostVars{Host: c.Name, Level: level(c.Level), Keys: c.Keys})
}
