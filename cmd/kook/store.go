package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkstore"
)

// Globals are the settings every command gets: where ZooKeeper is, and
// where output goes (tests capture it).
type Globals struct {
	config.Globals
	stdout, stderr io.Writer
}

// store opens the inventory store; the caller closes it.
func (g *Globals) store(ctx context.Context) (*zkstore.Store, error) {
	return g.OpenStore(ctx)
}

// load returns the stored inventory.
func (g *Globals) load(ctx context.Context) (*model.Inventory, int64, error) {
	s, err := g.store(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	inv, gen, err := s.Load(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return nil, 0, fmt.Errorf("%w (import one with kook-import)", err)
	}
	return inv, gen, err
}

// dialJones opens the Jones config store under the same root.
func (g *Globals) dialJones(ctx context.Context) (*jones.Store, func(), error) {
	conn, err := g.Dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	return jones.NewStore(conn, g.Root), conn.Close, nil
}

// edit applies fn as one atomic change, or shows it with dryRun, and prints
// the changes and what became of them.
func (g *Globals) edit(ctx context.Context, dryRun bool, fn func(*model.Inventory) error) error {
	s, err := g.store(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := model.Edit(ctx, s, dryRun, fn)
	if err != nil {
		return err
	}
	if err := model.WriteChanges(g.stdout, res.Changes); err != nil {
		return err
	}
	switch {
	case dryRun:
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

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// StatusCmd is `kook status`.
type StatusCmd struct {
	Output string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`
}

// Help implements kong.HelpProvider.
func (c *StatusCmd) Help() string {
	return "Example:\n  kook status -o json"
}

// Run prints the generation and the counts of hosts and groups.
func (c *StatusCmd) Run(ctx context.Context, g *Globals) error {
	inv, gen, err := g.load(ctx)
	if err != nil {
		return err
	}
	if c.Output == "json" {
		return writeJSON(g.stdout, model.Map{
			{Key: "zk", Value: g.ZK}, {Key: "root", Value: g.Root}, {Key: "generation", Value: gen},
			{Key: "hosts", Value: int64(len(inv.Hosts))}, {Key: "groups", Value: int64(len(inv.Groups))},
		})
	}
	_, err = fmt.Fprintf(g.stdout, "%s%s: generation %d, %d hosts, %d groups\n", g.ZK, g.Root, gen, len(inv.Hosts), len(inv.Groups))
	return err
}

// RebuildCmd is `kook rebuild`.
type RebuildCmd struct{}

// Help implements kong.HelpProvider.
func (c *RebuildCmd) Help() string {
	return strings.TrimSpace(`
The per-entity znodes (<root>/inventory/trees/<tree>/hosts/<name>, .../groups/<name>)
are the source of truth; kook-inventory reads views rendered from them at each write.
After editing those znodes by hand (zkCli.sh), run rebuild to render the views again.
It fails, writing nothing, if the edited entities do not form a valid inventory.

Example:
  kook --zk zk1:2181/ops rebuild`)
}

// Run rewrites the views and prints the new generation.
func (c *RebuildCmd) Run(ctx context.Context, g *Globals) error {
	s, err := g.store(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	gen, err := s.Rebuild(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.stdout, "views rebuilt (generation %d)\n", gen)
	return err
}
