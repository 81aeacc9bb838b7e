package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// Globals are the settings every command gets: where ZooKeeper is, and
// where output goes (tests capture it).
type Globals struct {
	config.Globals
	stdout, stderr io.Writer
}

// client opens the kook client; the caller closes it.
func (g *Globals) client(ctx context.Context) (*kook.Client, error) {
	c, err := g.Open(ctx, "kook")
	if err == nil && clientOpened != nil {
		clientOpened(c)
	}
	return c, err
}

// clientOpened, when set (by tests), is told of every client opened.
var clientOpened func(*kook.Client)

// dialJones opens the Jones config store under the same root; its
// changes are recorded as kook's, with reason.
func (g *Globals) dialJones(ctx context.Context, reason string) (*jones.Store, func(), error) {
	conn, err := g.Dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	s := jones.NewStore(conn, g.Root).As(jones.Attribution{Tool: "kook", Reason: reason}).WithRetention(g.History())
	return s, conn.Close, nil
}

// edit applies ops as one atomic change, or shows it with --dry-run, and
// prints the changes and what became of them.
func (g *Globals) edit(ctx context.Context, f EditFlags, ops ...kook.Op) error {
	c, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.Edit(ctx, kook.EditOptions{DryRun: f.DryRun, Reason: f.Reason}, ops...)
	if err != nil {
		return err
	}
	if err := model.WriteChanges(g.stdout, res.Changes); err != nil {
		return err
	}
	switch {
	case f.DryRun:
		_, err = fmt.Fprintf(g.stdout, "dry run: %s (nothing written)\n", model.Summary(res.Changes))
	case !res.Written:
		_, err = fmt.Fprintf(g.stdout, "no changes (generation %d)\n", res.Generation)
	default:
		_, err = fmt.Fprintf(g.stdout, "%s (generation %d)\n", model.Summary(res.Changes), res.Generation)
	}
	return err
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ error }

func (usageError) ExitCode() int { return 2 }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode is 2 for a usage error, this package's or a bad setting
// (config.UsageError), else 1.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return config.ExitCode(err)
}

// StatusCmd is `kook status`.
type StatusCmd struct {
	Output string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`
}

// Help implements kong.HelpProvider.
func (c *StatusCmd) Help() string {
	return "Reads one znode, whatever the size of the inventory.\n\nExample:\n  kook status -o json"
}

// Run prints the generation and the counts of hosts and groups.
func (c *StatusCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	st, err := client.Status(ctx)
	if err != nil {
		return err
	}
	if c.Output == "json" {
		return writeJSON(g.stdout, model.Map{
			{Key: "zk", Value: g.ZK}, {Key: "root", Value: g.Root}, {Key: "generation", Value: st.Generation},
			{Key: "hosts", Value: st.Hosts}, {Key: "groups", Value: st.Groups}, {Key: "history_start", Value: st.HistoryStart},
		})
	}
	if st.Generation == 0 {
		return fmt.Errorf("no inventory stored at %s%s: %w (import one with kook-import)", g.ZK, g.Root, model.ErrNotFound)
	}
	_, err = fmt.Fprintf(g.stdout, "%s%s: generation %d (%s), %d hosts, %d groups\n", g.ZK, g.Root,
		st.Generation, st.Time.Format("2006-01-02 15:04:05 MST"), st.Hosts, st.Groups)
	return err
}

// CheckCmd is `kook check`.
type CheckCmd struct{}

// Help implements kong.HelpProvider.
func (c *CheckCmd) Help() string {
	return strings.TrimSpace(`
Verifies what kook stores under its root: head, the views and every segment
they are made of, that the views are what the per-host and per-group znodes
render (a znode edited by hand shows here until 'kook repair'), nodes that
break the inventory's rules, a big change left half applied, orphan
segments, and znodes whose ACL differs from the roles of the config file's
acl section ('kook acl apply' mends those). Prints one line per problem and
exits 1 when there is any. It reads the whole inventory.

Example:
  kook check && echo healthy`)
}

// errProblems makes check exit 1 after printing its problems.
var errProblems = errors.New("problems found (kook repair mends what it can)")

// Run prints the problems.
func (c *CheckCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	problems, err := client.Check(ctx)
	if err != nil {
		return err
	}
	for _, p := range problems {
		line := p.String()
		if p.Repair != "" {
			line += " (repair: " + p.Repair + ")"
		}
		fmt.Fprintln(g.stdout, line)
	}
	acls, err := g.ACLProblems(ctx, client.Store().Conn())
	if err != nil {
		return err
	}
	for _, line := range acls {
		fmt.Fprintln(g.stdout, line+" (repair: kook acl apply)")
	}
	if n := len(problems) + len(acls); n > 0 {
		return fmt.Errorf("%d %w", n, errProblems)
	}
	fmt.Fprintln(g.stdout, "ok")
	return nil
}

// RebuildCmd is `kook rebuild`.
type RebuildCmd struct {
	Reason string `env:"KOOK_REASON" placeholder:"TEXT" help:"Why: kept in history with the change (kook log)."`
}

// Help implements kong.HelpProvider.
func (c *RebuildCmd) Help() string {
	return strings.TrimSpace(`
Renders the views kook-inventory reads anew from the per-host and per-group
znodes (<root>/inventory/hosts/<name>, .../groups/<name>), as a new
generation. Use it after editing those znodes by hand; 'kook repair' does it
too when 'kook check' finds the views behind. It fails, writing nothing, if
the znodes do not form a valid inventory.

Example:
  kook rebuild --reason "hand edit of web-01"`)
}

// Run rebuilds the views and prints the new generation.
func (c *RebuildCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	res, err := client.Rebuild(ctx, kook.EditOptions{Reason: c.Reason})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.stdout, "views rebuilt (generation %d)\n", res.Generation)
	return err
}

// RepairCmd is `kook repair`.
type RepairCmd struct {
	Reason string `env:"KOOK_REASON" placeholder:"TEXT" help:"Why: kept in history with the change (kook log)."`
}

// Help implements kong.HelpProvider.
func (c *RepairCmd) Help() string {
	return strings.TrimSpace(`
Mends what 'kook check' finds and can mend, and says what it did: finishes or
undoes a big change left half done, rebuilds head and the views from the
per-host and per-group znodes (after hand edits, or when they are missing or
damaged), mends nodes that break the inventory's rules (a membership of a
group that does not exist, a host in no group, a group below none), and
deletes orphan segments. A rebuild is a new generation, in history.

Example:
  kook repair --reason "after hand edits"`)
}

// Run repairs and prints what it did.
func (c *RepairCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	did, err := client.Repair(ctx, kook.EditOptions{Reason: c.Reason})
	for _, d := range did {
		fmt.Fprintln(g.stdout, d)
	}
	if err != nil {
		return err
	}
	if len(did) == 0 {
		fmt.Fprintln(g.stdout, "nothing to repair")
	}
	return nil
}
