package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// GroupCmd is `kook group`.
type GroupCmd struct {
	Show     GroupShowCmd     `cmd:"" help:"Show a group's parents, children, hosts and vars by level."`
	Add      GroupAddCmd      `cmd:"" help:"Add a group."`
	Rm       GroupRmCmd       `cmd:"" help:"Remove a group."`
	Set      GroupSetCmd      `cmd:"" help:"Set vars on a group."`
	Unset    GroupUnsetCmd    `cmd:"" help:"Remove vars from a group."`
	AddHost  GroupAddHostCmd  `cmd:"" name:"add-host" help:"Add hosts to a group."`
	RmHost   GroupRmHostCmd   `cmd:"" name:"rm-host" help:"Remove hosts from a group."`
	AddChild GroupAddChildCmd `cmd:"" name:"add-child" help:"Make groups children of a group."`
	RmChild  GroupRmChildCmd  `cmd:"" name:"rm-child" help:"Remove child groups from a group."`
	Priority GroupPriorityCmd `cmd:"" help:"Set a group's ansible_group_priority."`
}

// GroupShowCmd is `kook group show NAME`.
type GroupShowCmd struct {
	Name   string `arg:"" help:"Group name."`
	Output string `short:"o" enum:"text,json,yaml" default:"text" help:"Output format: text, json or yaml."`
}

// Help implements kong.HelpProvider.
func (c *GroupShowCmd) Help() string {
	return "'all hosts' are the hosts 'ansible GROUP --list-hosts' selects: it costs the\nhosts below the group.\n\n" +
		"Examples:\n  kook group show web\n  kook group show web -o yaml"
}

// Run prints the group.
func (c *GroupShowCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	gr, all, err := client.GroupWithHosts(ctx, c.Name)
	if err != nil {
		return err
	}
	if c.Output != "text" {
		v := model.Map{
			{Key: "name", Value: gr.Name}, {Key: "parents", Value: names(gr.Parents)},
			{Key: "children", Value: names(gr.Children)}, {Key: "hosts", Value: names(gr.Hosts)},
			{Key: "all_hosts", Value: names(all)}, {Key: "depth", Value: int64(gr.Depth)},
			{Key: "priority", Value: int64(gr.Priority)}, {Key: "vars", Value: orEmpty(gr.Vars)},
			{Key: "file_vars", Value: orEmpty(gr.FileVars)}, {Key: "source", Value: gr.Source},
		}
		if c.Output == "yaml" {
			return writeYAML(g.stdout, v)
		}
		return writeJSON(g.stdout, v)
	}
	w := g.stdout
	fmt.Fprintf(w, "group %s%s\n", gr.Name, at(gr.Source))
	fmt.Fprintf(w, "parents: %s\n", joinOrNone(gr.Parents))
	fmt.Fprintf(w, "children: %s\n", joinOrNone(gr.Children))
	fmt.Fprintf(w, "hosts: %s\n", joinOrNone(gr.Hosts))
	fmt.Fprintf(w, "all hosts: %d\n", len(all))
	fmt.Fprintf(w, "depth %d, priority %d\n", gr.Depth, gr.Priority)
	printVars(w, "vars (inventory)", gr.Vars, gr.VarSources)
	printVars(w, "vars (group_vars file)", gr.FileVars, gr.FileVarSources)
	return nil
}

// GroupAddCmd is `kook group add NAME`.
type GroupAddCmd struct {
	Name    string   `arg:"" help:"Group name."`
	Vars    []string `arg:"" optional:"" name:"VAR=VALUE" help:"Vars to set at the inventory level."`
	Parents []string `name:"parent" short:"p" placeholder:"GROUP" help:"Parent group (must exist); repeat for several. Default: under all."`
	JSON    bool     `name:"json" help:"VALUEs are JSON instead of YAML."`
	EditFlags

	vars model.Map
}

// Help implements kong.HelpProvider.
func (c *GroupAddCmd) Help() string {
	return valueHelp + "\nansible_group_priority=N sets the group's priority.\n\nExamples:\n" +
		"  kook group add web -p prod http_port=80\n  kook group add canary ansible_group_priority=10"
}

// Validate parses the assignments.
func (c *GroupAddCmd) Validate() (err error) {
	c.vars, err = parseAssignments(c.Vars, c.JSON)
	return err
}

// Run adds the group.
func (c *GroupAddCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.CreateGroup{Name: c.Name, Parents: c.Parents, Vars: c.vars})
}

// GroupRmCmd is `kook group rm NAME`.
type GroupRmCmd struct {
	Name  string `arg:"" help:"Group name."`
	Force bool   `help:"Remove the group even if it has hosts or child groups (they stay in the inventory)."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *GroupRmCmd) Help() string {
	return "Hosts left in no group go to 'ungrouped'; child groups left without a parent go under 'all'.\n\n" +
		"Examples:\n  kook group rm old\n  kook group rm web --force --dry-run"
}

// Run removes the group and says what it detached.
func (c *GroupRmCmd) Run(ctx context.Context, g *Globals) error {
	var d model.Detached
	err := g.edit(ctx, c.EditFlags, kook.DeleteGroup{Name: c.Name, Force: c.Force, Detached: &d})
	if errors.Is(err, model.ErrNotEmpty) {
		return fmt.Errorf("%w (--force detaches them)", err)
	}
	if err != nil || d.Empty() {
		return err
	}
	verb := "detached"
	if c.DryRun {
		verb = "would detach"
	}
	var parts []string
	if len(d.Hosts) > 0 {
		parts = append(parts, fmt.Sprintf("hosts %s", strings.Join(d.Hosts, ", ")))
	}
	if len(d.Children) > 0 {
		parts = append(parts, fmt.Sprintf("child groups %s", strings.Join(d.Children, ", ")))
	}
	fmt.Fprintf(g.stderr, "%s %s %s\n", c.Name, verb, strings.Join(parts, " and "))
	if len(d.Ungrouped) > 0 {
		fmt.Fprintf(g.stderr, "now in no group but ungrouped: %s\n", strings.Join(d.Ungrouped, ", "))
	}
	if len(d.Rerooted) > 0 {
		fmt.Fprintf(g.stderr, "now directly under all: %s\n", strings.Join(d.Rerooted, ", "))
	}
	return nil
}

// GroupSetCmd is `kook group set NAME VAR=VALUE...`.
type GroupSetCmd struct {
	Name string   `arg:"" help:"Group name."`
	Vars []string `arg:"" name:"VAR=VALUE" help:"Vars to set."`
	ValueFlags
	EditFlags

	vars model.Map
}

// Help implements kong.HelpProvider.
func (c *GroupSetCmd) Help() string {
	return valueHelp + "\nAt the inventory level, ansible_group_priority=N sets the group's priority.\n\n" +
		"Examples:\n  kook group set web http_port=8080 ntp_servers='[a, b]'\n  kook group set all --level file --json 'dns={\"ttl\": 60}'"
}

// Validate parses the assignments.
func (c *GroupSetCmd) Validate() (err error) {
	c.vars, err = parseAssignments(c.Vars, c.JSON)
	return err
}

// Run sets the vars.
func (c *GroupSetCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.SetGroupVars{Group: c.Name, Level: level(c.Level), Vars: c.vars})
}

// GroupUnsetCmd is `kook group unset NAME VAR...`.
type GroupUnsetCmd struct {
	Name  string   `arg:"" help:"Group name."`
	Keys  []string `arg:"" name:"VAR" help:"Vars to remove."`
	Level string   `enum:"auto,inventory,file" default:"auto" help:"Remove only from this level (inventory or file); auto removes from both."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *GroupUnsetCmd) Help() string {
	return "A var the group does not set is an error.\n\nExample:\n  kook group unset web http_port"
}

// Run removes the vars.
func (c *GroupUnsetCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.UnsetGroupVars{Group: c.Name, Level: level(c.Level), Keys: c.Keys})
}

// GroupAddHostCmd is `kook group add-host GROUP HOST...`.
type GroupAddHostCmd struct {
	Group string   `arg:"" help:"Group name."`
	Hosts []string `arg:"" name:"HOST" help:"Hosts to add (must exist)."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *GroupAddHostCmd) Help() string {
	return "A host added to a group leaves 'ungrouped'.\n\nExample:\n  kook group add-host web web3 web4"
}

// Run adds the hosts.
func (c *GroupAddHostCmd) Run(ctx context.Context, g *Globals) error {
	var ops []kook.Op
	for _, h := range c.Hosts {
		ops = append(ops, kook.AddMember{Group: c.Group, Host: h})
	}
	return g.edit(ctx, c.EditFlags, ops...)
}

// GroupRmHostCmd is `kook group rm-host GROUP HOST...`.
type GroupRmHostCmd struct {
	Group string   `arg:"" help:"Group name."`
	Hosts []string `arg:"" name:"HOST" help:"Hosts to remove from the group."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *GroupRmHostCmd) Help() string {
	return "The hosts stay in the inventory; one left in no group goes to 'ungrouped'.\n\nExample:\n  kook group rm-host web web4"
}

// Run removes the hosts from the group.
func (c *GroupRmHostCmd) Run(ctx context.Context, g *Globals) error {
	var ops []kook.Op
	for _, h := range c.Hosts {
		ops = append(ops, kook.RemoveMember{Group: c.Group, Host: h})
	}
	return g.edit(ctx, c.EditFlags, ops...)
}

// GroupAddChildCmd is `kook group add-child PARENT CHILD...`.
type GroupAddChildCmd struct {
	Parent   string   `arg:"" help:"Parent group."`
	Children []string `arg:"" name:"CHILD" help:"Groups to make children of PARENT (must exist)."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *GroupAddChildCmd) Help() string {
	return "A child that was directly under 'all' only for want of a parent leaves 'all'.\n" +
		"A child that would become its own ancestor is refused.\n\nExample:\n  kook group add-child prod web db"
}

// Run adds the children.
func (c *GroupAddChildCmd) Run(ctx context.Context, g *Globals) error {
	var ops []kook.Op
	for _, ch := range c.Children {
		ops = append(ops, kook.Attach{Parent: c.Parent, Child: ch})
	}
	return g.edit(ctx, c.EditFlags, ops...)
}

// GroupRmChildCmd is `kook group rm-child PARENT CHILD...`.
type GroupRmChildCmd struct {
	Parent   string   `arg:"" help:"Parent group."`
	Children []string `arg:"" name:"CHILD" help:"Child groups to detach from PARENT."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *GroupRmChildCmd) Help() string {
	return "A child left without a parent goes under 'all'.\n\nExample:\n  kook group rm-child prod web"
}

// Run removes the children.
func (c *GroupRmChildCmd) Run(ctx context.Context, g *Globals) error {
	var ops []kook.Op
	for _, ch := range c.Children {
		ops = append(ops, kook.Detach{Parent: c.Parent, Child: ch})
	}
	return g.edit(ctx, c.EditFlags, ops...)
}

// GroupPriorityCmd is `kook group priority NAME N`.
type GroupPriorityCmd struct {
	Name     string `arg:"" help:"Group name."`
	Priority int    `arg:"" help:"ansible_group_priority: among groups of one depth, a higher one's vars win (default 1)."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *GroupPriorityCmd) Help() string {
	return "Example:\n  kook group priority canary 10"
}

// Run sets the priority.
func (c *GroupPriorityCmd) Run(ctx context.Context, g *Globals) error {
	return g.edit(ctx, c.EditFlags, kook.SetPriority{Group: c.Name, Priority: c.Priority})
}
