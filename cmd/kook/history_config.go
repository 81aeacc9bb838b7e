package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// This file wires `kook config log|diff|revert`: the history of service
// configuration.

// ConfigLogCmd is `kook config log SERVICE [ENV]`.
type ConfigLogCmd struct {
	Service string `arg:"" help:"Service name."`
	Env     string `arg:"" optional:"" help:"Only the changes of this environment's config and associations."`
	Since   string `placeholder:"TIME" help:"Stop at changes older than this: a duration (90m, 36h, 7d) or a date."`
	N       int    `short:"n" default:"20" help:"Show at most N changes (0: all)."`
	Output  string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`
}

// Help implements kong.HelpProvider.
func (c *ConfigLogCmd) Help() string {
	return strings.TrimSpace(`
Lists the changes to a service's configuration newest first, one a line:
the service's own generation, time, who, tool, what was done and what
changed, and why. Each service counts its changes apart from the inventory.
With ENV it reads the service's records until N changes of ENV are found.

Examples:
  kook config log billing
  kook config log billing prod -n 5 -o json`)
}

// Run prints the log.
func (c *ConfigLogCmd) Run(ctx context.Context, g *Globals) error {
	log := LogCmd{Service: c.Service, Env: c.Env, Since: c.Since, N: c.N, Output: c.Output}
	return log.Run(ctx, g)
}

func printConfigLog(g *Globals, l *kook.ConfigLog, output string) error {
	if output == "json" {
		entries := make([]model.Value, len(l.Entries))
		for i, ch := range l.Entries {
			entries[i] = configChangeJSON(ch)
		}
		return writeJSON(g.stdout, model.Map{{Key: "service", Value: l.Service}, {Key: "history_start", Value: l.Start},
			{Key: "generation", Value: l.Last}, {Key: "more", Value: l.More}, {Key: "changes", Value: entries}})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	for _, ch := range l.Entries {
		configLogLine(tw, ch)
	}
	tw.Flush()
	if l.More {
		fmt.Fprintf(g.stdout, "(older changes not shown: -n 0 shows all)\n")
	}
	_, err := fmt.Fprintf(g.stdout, "%s: %s\n", l.Service, historyStart(l.Start, l.Last))
	return err
}

func configLogLine(w io.Writer, ch *kook.ConfigChange) {
	what := ch.Op
	if ch.Env != "" {
		what += " " + ch.Env
	}
	line := fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", ch.Generation, ch.Time.Local().Format("2006-01-02 15:04:05"), ch.Who(),
		toolName(ch.Tool), what, kook.Summarize(ch.Lines()))
	if ch.Reason != "" {
		line += "\t# " + ch.Reason
	}
	fmt.Fprintln(w, line)
}

// configChangeJSON is a config change as -o json prints it.
func configChangeJSON(ch *kook.ConfigChange) model.Map {
	var lines []string
	for _, l := range ch.Lines() {
		lines = append(lines, l.String())
	}
	var configs []model.Value
	for _, cc := range ch.Configs {
		m := model.Map{{Key: "env", Value: cc.Env}, {Key: "created", Value: cc.Created}, {Key: "deleted", Value: cc.Deleted},
			{Key: "old", Value: orEmpty(cc.Old)}, {Key: "new", Value: orEmpty(cc.New)}}
		if cc.Keys != nil {
			m.Set("keys", names(cc.Keys))
		}
		configs = append(configs, m)
	}
	var assocs []model.Value
	for _, a := range ch.Assocs {
		assocs = append(assocs, model.Map{{Key: "host", Value: a.Host}, {Key: "before", Value: a.BeforeEnv(ch.Service)}, {Key: "after", Value: a.AfterEnv(ch.Service)}})
	}
	m := model.Map{{Key: "service", Value: ch.Service}, {Key: "generation", Value: ch.Generation}, {Key: "op", Value: ch.Op}, {Key: "env", Value: ch.Env}}
	if !ch.Time.IsZero() {
		m = append(m, model.Entry{Key: "time", Value: ch.Time.UTC().Format(time.RFC3339Nano)})
	}
	return append(m,
		model.Entry{Key: "who", Value: ch.Who()}, model.Entry{Key: "user", Value: ch.User}, model.Entry{Key: "os_user", Value: ch.OSUser},
		model.Entry{Key: "machine", Value: ch.Machine}, model.Entry{Key: "zk_identity", Value: ch.Identity}, model.Entry{Key: "tool", Value: ch.Tool},
		model.Entry{Key: "reason", Value: ch.Reason}, model.Entry{Key: "omitted", Value: ch.Omitted},
		model.Entry{Key: "changes", Value: names(lines)}, model.Entry{Key: "configs", Value: orList(configs)}, model.Entry{Key: "assocs", Value: orList(assocs)})
}

// ConfigDiffCmd is `kook config diff SERVICE GEN|GEN1..GEN2`.
type ConfigDiffCmd struct {
	Service string `arg:"" help:"Service name."`
	Range   string `arg:"" name:"gen" help:"A generation of the service's history, or FROM..TO (the changes after FROM up to TO)."`
	Output  string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`
}

// Run prints the diff.
func (c *ConfigDiffCmd) Run(ctx context.Context, g *Globals) error {
	from, to, err := parseRange(c.Range)
	if err != nil {
		return err
	}
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	d, err := client.ConfigDiff(ctx, c.Service, from, to)
	if err != nil {
		return err
	}
	if c.Output == "json" {
		var changes []model.Value
		for _, ch := range d.Changes {
			changes = append(changes, configChangeJSON(ch))
		}
		return writeJSON(g.stdout, model.Map{{Key: "service", Value: d.Service}, {Key: "from", Value: d.From}, {Key: "to", Value: d.To},
			{Key: "commits", Value: orList(changes)}, {Key: "diff", Value: configChangeJSON(d.Squashed)}})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	for _, ch := range d.Changes {
		configLogLine(tw, ch)
	}
	tw.Flush()
	fmt.Fprintln(g.stdout)
	lines := d.Squashed.Lines()
	if len(lines) == 0 {
		fmt.Fprintln(g.stdout, "no changes")
	}
	return model.WriteChanges(g.stdout, lines)
}

// ConfigRevertCmd is `kook config revert SERVICE GEN`.
type ConfigRevertCmd struct {
	Service string `arg:"" help:"Service name."`
	Gen     int64  `arg:"" name:"gen" help:"The generation of the service's history to undo."`
	Force   bool   `help:"Revert even when later changes touched the same keys or associations."`
	DryRun  bool   `help:"Show what would change; write nothing."`
	ReasonFlag
}

// Help implements kong.HelpProvider.
func (c *ConfigRevertCmd) Help() string {
	return strings.TrimSpace(`
Makes a new change to the service that undoes one change: the keys it
changed get their values before it back (an environment it created is
deleted, one it deleted comes back with its config), and hosts whose
association it changed get their association before it back; views are
rewritten in the same transaction. If a later change touched the same keys
or associations it refuses, naming those generations, and writes nothing
(--force reverts anyway).

Examples:
  kook config revert billing 12 --dry-run
  kook config revert billing 12 --reason "rollback of the pool size"`)
}

// Run reverts and prints what changed.
func (c *ConfigRevertCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	ch, err := client.ConfigRevert(ctx, c.Service, c.Gen, kook.RevertOptions{EditOptions: kook.EditOptions{DryRun: c.DryRun, Reason: c.Reason}, Force: c.Force})
	if err != nil {
		return err
	}
	lines := ch.Lines()
	if err := model.WriteChanges(g.stdout, lines); err != nil {
		return err
	}
	switch {
	case c.DryRun:
		_, err = fmt.Fprintf(g.stdout, "dry run: revert of %s %d: %s (nothing written)\n", c.Service, c.Gen, model.Summary(lines))
	case len(lines) == 0:
		_, err = fmt.Fprintf(g.stdout, "revert of %s %d: no changes\n", c.Service, c.Gen)
	default:
		_, err = fmt.Fprintf(g.stdout, "revert of %s %d: %s (%s generation %d)\n", c.Service, c.Gen, model.Summary(lines), c.Service, ch.Generation)
	}
	return err
}
