package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// This file wires `kook revert` and `kook rollback`.

// RevertCmd is `kook revert GEN`.
type RevertCmd struct {
	Gen   int64 `arg:"" name:"gen" help:"The generation to undo."`
	Force bool  `help:"Revert even when later changes touched the same vars or memberships (undoing their changes to them too)."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *RevertCmd) Help() string {
	return strings.TrimSpace(`
Makes a new change that undoes one change: each var, membership or other part
of a host or group that GEN changed goes back to what it was before GEN;
everything else stays as it is now. If a later change touched the same vars
or memberships, revert refuses, naming those generations, and writes
nothing (--force reverts anyway). The new change is recorded in history
with the reason "revert of GEN".

Examples:
  kook revert 42 --dry-run
  kook revert 42 --reason "port change broke the health checks"`)
}

// Run reverts and prints what changed.
func (c *RevertCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	res, err := client.Revert(ctx, c.Gen, kook.RevertOptions{EditOptions: kook.EditOptions{DryRun: c.DryRun, Reason: c.Reason}, Force: c.Force})
	if err != nil {
		return err
	}
	return printUndo(g, res, c.DryRun, "revert of "+strconv.FormatInt(c.Gen, 10))
}

// RollbackCmd is `kook rollback --to GEN`.
type RollbackCmd struct {
	To int64 `required:"" placeholder:"GEN" help:"The generation to go back to."`
	EditFlags
}

// Help implements kong.HelpProvider.
func (c *RollbackCmd) Help() string {
	return strings.TrimSpace(`
Makes a new change that undoes every change after GEN at once: each host and
group changed since goes back to what it was at GEN. It is one atomic change
(a big one, applied in batches, when it does not fit in one ZooKeeper
request), recorded in history with the reason "rollback to GEN". It reads the
change record of every generation after GEN.

Examples:
  kook rollback --to 40 --dry-run
  kook rollback --to 40 --reason "bad import"`)
}

// Run rolls back and prints what changed.
func (c *RollbackCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	res, err := client.Rollback(ctx, c.To, kook.EditOptions{DryRun: c.DryRun, Reason: c.Reason})
	if err != nil {
		return err
	}
	return printUndo(g, res, c.DryRun, "rollback to "+strconv.FormatInt(c.To, 10))
}

func printUndo(g *Globals, res kook.Result, dryRun bool, what string) error {
	if err := model.WriteChanges(g.stdout, res.Changes); err != nil {
		return err
	}
	var err error
	switch {
	case dryRun:
		_, err = fmt.Fprintf(g.stdout, "dry run: %s: %s (nothing written)\n", what, model.Summary(res.Changes))
	case !res.Written:
		_, err = fmt.Fprintf(g.stdout, "%s: no changes (generation %d)\n", what, res.Generation)
	default:
		_, err = fmt.Fprintf(g.stdout, "%s: %s (generation %d)\n", what, model.Summary(res.Changes), res.Generation)
	}
	return err
}
