package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkstore/record"
)

// This file wires `kook log`, `kook diff` and `kook blame`: reading
// history.

// LogCmd is `kook log [HOST|GROUP]`.
type LogCmd struct {
	Entity  string `arg:"" optional:"" name:"host|group" help:"Only the changes of this host (or group)."`
	Service string `placeholder:"SVC" help:"The changes of this service's configuration instead of the inventory's."`
	Env     string `placeholder:"ENV" help:"With --service: only the changes of this environment."`
	Since   string `placeholder:"TIME" help:"Stop at changes older than this: a duration (90m, 36h, 7d) or a date (2026-01-31, 2026-01-31T15:04:05Z)."`
	N       int    `short:"n" default:"20" help:"Show at most N changes (0: all)."`
	Output  string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json (with --follow, one object a line)."`
	Follow  bool   `short:"f" help:"Print changes to the inventory as they commit, each with its diff, until interrupted."`
	From    int64  `placeholder:"GEN" help:"With --follow: start at this generation (default: the next change)."`
}

// Help implements kong.HelpProvider.
func (c *LogCmd) Help() string {
	return strings.TrimSpace(`
Lists changes newest first, one a line: generation, time, who, tool, what
changed, and why (--reason). It ends by saying where history starts: older
changes are pruned (history_keep and history_days in the config file; by
default the last 10,000 changes and any from the last 90 days are kept).

The log of a host or group reads one change record per change listed: it
follows the entity's own chain of changes. A host's log holds its vars and
its memberships; a group's its vars, priority and parents. For a host
removed, or one edited by hand, it reads records one by one (at most 1,000).
The whole log reads one record per change listed.

--follow prints each change as it commits, with its diff, never skipping or
repeating one across lost connections and expired sessions; a run of
changes pruned before it could read them is reported on stderr.

Examples:
  kook log -n 5
  kook log web-01.example.com --since 7d
  kook log --service billing --env prod
  kook log --follow --from 120 -o json`)
}

// Validate implements kong.Validatable.
func (c *LogCmd) Validate() error {
	switch {
	case c.Env != "" && c.Service == "":
		return usagef("--env goes with --service")
	case c.Follow && (c.Service != "" || c.Entity != ""):
		return usagef("--follow follows the whole inventory")
	case c.From != 0 && !c.Follow:
		return usagef("--from goes with --follow")
	case c.N < 0:
		return usagef("-n must be 0 or more")
	}
	return nil
}

// Run prints the log.
func (c *LogCmd) Run(ctx context.Context, g *Globals) error {
	since, err := parseSince(c.Since, time.Now())
	if err != nil {
		return err
	}
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	if c.Service != "" {
		l, err := client.ConfigLog(ctx, c.Service, kook.ConfigLogOptions{Env: c.Env, Since: since, Limit: c.N})
		if err != nil {
			return err
		}
		return printConfigLog(g, l, c.Output)
	}
	if c.Follow {
		return c.follow(ctx, g, client)
	}
	l, err := client.Log(ctx, kook.LogOptions{Entity: c.Entity, Since: since, Limit: c.N})
	if err != nil {
		return err
	}
	if c.Output == "json" {
		entries := make([]model.Value, len(l.Entries))
		for i, e := range l.Entries {
			entries[i] = commitJSON(e.Commit, e.Changes, false)
		}
		return writeJSON(g.stdout, model.Map{{Key: "history_start", Value: l.Start}, {Key: "generation", Value: l.Last},
			{Key: "more", Value: l.More}, {Key: "notes", Value: names(l.Notes)}, {Key: "changes", Value: entries}})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	for _, e := range l.Entries {
		logLine(tw, e.Commit, e.Changes)
	}
	tw.Flush()
	for _, n := range l.Notes {
		fmt.Fprintf(g.stdout, "(%s)\n", n)
	}
	if l.More {
		fmt.Fprintf(g.stdout, "(older changes not shown: -n 0 shows all)\n")
	}
	fmt.Fprintln(g.stdout, historyStart(l.Start, l.Last))
	return nil
}

func historyStart(start, last int64) string {
	switch {
	case last == 0:
		return "no changes recorded yet"
	case start > 1:
		return fmt.Sprintf("history starts at generation %d (older changes were pruned); the last is %d", start, last)
	}
	return fmt.Sprintf("history starts at generation 1; the last is %d", last)
}

// follow prints changes as they commit.
func (c *LogCmd) follow(ctx context.Context, g *Globals, client *kook.Client) error {
	for cm, err := range client.Watch(ctx, c.From) {
		var gap *kook.Gap
		switch {
		case errors.As(err, &gap):
			fmt.Fprintf(g.stderr, "kook: %v\n", gap)
			continue
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return nil // interrupted
		case err != nil:
			return err
		}
		changes := model.NodeDiff(cm.Hosts, cm.Groups)
		if c.Output == "json" {
			if err := writeJSON(g.stdout, commitJSON(cm, changes, true)); err != nil {
				return err
			}
			continue
		}
		logLine(g.stdout, cm, changes)
		for _, ch := range changes {
			fmt.Fprintf(g.stdout, "    %s\n", ch)
		}
	}
	return nil
}

// logLine writes one change on one line: tab-separated for a tabwriter.
func logLine(w io.Writer, cm *kook.Commit, changes []model.Change) {
	summary := kook.Summarize(changes)
	if cm.Minimal {
		summary = "(recorded without its nodes)"
	}
	line := fmt.Sprintf("%d\t%s\t%s\t%s\t%s", cm.Generation, cm.Time.Local().Format("2006-01-02 15:04:05"), cm.Who(), toolName(cm.Tool), summary)
	if cm.Reason != "" {
		line += "\t# " + cm.Reason
	}
	fmt.Fprintln(w, line)
}

func toolName(tool string) string {
	if tool == "" {
		return "go"
	}
	return tool
}

// commitJSON is a change as `-o json` prints it; with nodes, every node
// before and after as stored.
func commitJSON(cm *kook.Commit, changes []model.Change, nodes bool) model.Map {
	lines := make([]string, len(changes))
	for i, ch := range changes {
		lines[i] = ch.String()
	}
	m := model.Map{
		{Key: "generation", Value: cm.Generation}, {Key: "time", Value: cm.Time.UTC().Format(time.RFC3339Nano)},
		{Key: "who", Value: cm.Who()}, {Key: "user", Value: cm.User}, {Key: "os_user", Value: cm.OSUser},
		{Key: "machine", Value: cm.Machine}, {Key: "zk_identity", Value: cm.Identity}, {Key: "tool", Value: cm.Tool},
		{Key: "reason", Value: cm.Reason}, {Key: "summary", Value: kook.Summarize(changes)}, {Key: "changes", Value: names(lines)},
	}
	if cm.Minimal {
		m.Set("minimal", true)
	}
	if nodes {
		hosts, groups := nodesJSON(cm.Hosts, cm.Groups)
		m = append(m, model.Entry{Key: "hosts", Value: hosts}, model.Entry{Key: "groups", Value: groups})
	}
	return m
}

// nodesJSON renders node changes as [{"name","before","after"}], each
// node as its znode holds it.
func nodesJSON(hosts []model.HostChange, groups []model.GroupChange) (hs, gs []model.Value) {
	node := func(data []byte) model.Value {
		v, _ := model.UnmarshalJSON(data)
		return v
	}
	hs, gs = []model.Value{}, []model.Value{}
	for _, hc := range hosts {
		name := hc.Name()
		hs = append(hs, model.Map{{Key: "name", Value: name}, {Key: "before", Value: node(record.HostJSON(hc.Before))}, {Key: "after", Value: node(record.HostJSON(hc.After))}})
	}
	for _, gc := range groups {
		name := gc.Name()
		gs = append(gs, model.Map{{Key: "name", Value: name}, {Key: "before", Value: node(record.GroupJSON(gc.Before))}, {Key: "after", Value: node(record.GroupJSON(gc.After))}})
	}
	return hs, gs
}

// parseSince reads --since: "" for none, a duration back from now (d for
// days), or a date or time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.ParseFloat(days, 64); err == nil && n >= 0 {
			return now.Add(-time.Duration(n * float64(24*time.Hour))), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("--since %q: want a duration (90m, 36h, 7d) or a date (2026-01-31, 2026-01-31T15:04:05Z)", s)
}

// parseRange reads GEN or GEN1..GEN2 as git does: GEN is GEN-1..GEN.
func parseRange(s string) (from, to int64, err error) {
	a, b, isRange := strings.Cut(s, "..")
	if !isRange {
		g, err := strconv.ParseInt(s, 10, 64)
		if err != nil || g < 1 {
			return 0, 0, usagef("%q: want a generation (42) or a range (40..42)", s)
		}
		return g - 1, g, nil
	}
	from, err1 := strconv.ParseInt(a, 10, 64)
	to, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || from < 0 || to <= from {
		return 0, 0, usagef("%q: want FROM..TO with FROM < TO: the changes after FROM up to TO", s)
	}
	return from, to, nil
}

// DiffCmd is `kook diff GEN|GEN1..GEN2`.
type DiffCmd struct {
	Range  string `arg:"" name:"gen" help:"A generation (42: what it changed), or FROM..TO (40..42: what the changes after 40 up to 42 changed)."`
	Output string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json (with every node before and after)."`
}

// Help implements kong.HelpProvider.
func (c *DiffCmd) Help() string {
	return strings.TrimSpace(`
Shows what a change did, or a run of changes (as 'git diff FROM..TO': from
the inventory at FROM to the inventory at TO), one line per host, group,
membership or var. It reads their change records.

Examples:
  kook diff 42
  kook diff 40..42 -o json`)
}

// Run prints the diff.
func (c *DiffCmd) Run(ctx context.Context, g *Globals) error {
	from, to, err := parseRange(c.Range)
	if err != nil {
		return err
	}
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	d, err := client.Diff(ctx, from, to)
	if err != nil {
		return err
	}
	if c.Output == "json" {
		var commits []model.Value
		for _, cm := range d.Commits {
			commits = append(commits, commitJSON(cm, model.NodeDiff(cm.Hosts, cm.Groups), false))
		}
		lines := make([]string, len(d.Changes))
		for i, ch := range d.Changes {
			lines[i] = ch.String()
		}
		hosts, groups := nodesJSON(d.Hosts, d.Groups)
		return writeJSON(g.stdout, model.Map{{Key: "from", Value: d.From}, {Key: "to", Value: d.To},
			{Key: "commits", Value: commits}, {Key: "changes", Value: names(lines)}, {Key: "hosts", Value: hosts}, {Key: "groups", Value: groups}})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	for _, cm := range d.Commits {
		logLine(tw, cm, model.NodeDiff(cm.Hosts, cm.Groups))
	}
	tw.Flush()
	fmt.Fprintln(g.stdout)
	if len(d.Changes) == 0 {
		fmt.Fprintln(g.stdout, "no node changes")
	}
	return model.WriteChanges(g.stdout, d.Changes)
}

// BlameCmd is `kook blame HOST [VAR]`.
type BlameCmd struct {
	Host   string `arg:"" help:"Host name."`
	Var    string `arg:"" optional:"" help:"The var (default: every var of the host)."`
	Output string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`
}

// Help implements kong.HelpProvider.
func (c *BlameCmd) Help() string {
	return strings.TrimSpace(`
For each of a host's effective vars: its value, the layer it wins from (as
'kook explain' shows it: level, host or group, file:line), and the change
that last set that value there: generation, time, who and why. It follows
the history of the host and of each group whose value wins, newest first,
until it finds the change.

Examples:
  kook blame web-01.example.com
  kook blame web-01.example.com http_port -o json`)
}

// Run prints the blame.
func (c *BlameCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	blames, err := client.Blame(ctx, c.Host, c.Var)
	if err != nil {
		return err
	}
	if c.Output == "json" {
		out := make([]model.Value, 0, len(blames))
		for _, b := range blames {
			m := model.Map{{Key: "name", Value: b.Var}, {Key: "value", Value: b.Value}}
			if b.Internal {
				m.Set("note", "Ansible sets this var itself")
			} else if b.Winner.Name != "" {
				m.Set("layer", model.Map{{Key: "level", Value: int64(b.Winner.Level)}, {Key: "level_name", Value: levelNames[b.Winner.Level]},
					{Key: "kind", Value: b.Winner.Kind}, {Key: "name", Value: b.Winner.Name}, {Key: "source", Value: b.Winner.Source}})
			}
			if b.Commit != nil {
				m.Set("change", commitJSON(b.Commit, nil, false)[:9])
			}
			if b.Note != "" {
				m.Set("note", b.Note)
			}
			out = append(out, m)
		}
		return writeJSON(g.stdout, model.Map{{Key: "host", Value: c.Host}, {Key: "vars", Value: out}})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	for _, b := range blames {
		where := "(set by Ansible)"
		if !b.Internal && b.Winner.Name != "" {
			where = fmt.Sprintf("%d %s %s %s", b.Winner.Level, levelNames[b.Winner.Level], b.Winner.Kind, b.Winner.Name)
			if b.Winner.Source != "" {
				where += " " + b.Winner.Source
			}
		}
		change := b.Note
		if b.Commit != nil {
			change = fmt.Sprintf("%d\t%s\t%s\t%s", b.Commit.Generation, b.Commit.Time.Local().Format("2006-01-02 15:04:05"), b.Commit.Who(), toolName(b.Commit.Tool))
			if b.Commit.Reason != "" {
				change += "\t# " + b.Commit.Reason
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Var, short(b.Value), where, change)
	}
	return tw.Flush()
}

// short renders a value as JSON, cut to a readable length.
func short(v model.Value) string {
	s := string(model.MarshalJSON(v))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
