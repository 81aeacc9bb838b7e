package kook

import (
	"context"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkstore"
)

// EditOptions say how an edit is recorded: DryRun computes it and writes
// nothing; Reason, Tool and User go into its change record.
type EditOptions = model.UpdateOptions

// Result says what a change did, or would do.
type Result = model.Result

// The edits, applied in order by Edit as one change.
type (
	CreateHost     = model.CreateHost
	DeleteHost     = model.DeleteHost
	CreateGroup    = model.CreateGroup
	DeleteGroup    = model.DeleteGroup
	AddMember      = model.AddMember
	RemoveMember   = model.RemoveMember
	Attach         = model.Attach
	Detach         = model.Detach
	SetPriority    = model.SetPriority
	SetHostVars    = model.SetHostVars
	SetGroupVars   = model.SetGroupVars
	UnsetHostVars  = model.UnsetHostVars
	UnsetGroupVars = model.UnsetGroupVars
	Merge          = model.Merge
	Op             = model.Op
)

// Edit applies ops, in order, as one atomic, version-checked change: all
// of them or none. A change whose ops read what another writer changed
// meanwhile is redone from fresh reads; it never overwrites that change.
// It costs what the ops touch.
func (c *Client) Edit(ctx context.Context, opts EditOptions, ops ...Op) (Result, error) {
	return c.store.Update(ctx, c.opts(opts), model.Apply(ops...))
}

// Update runs fn on a transaction and stores what it did as one change,
// for edits the ops do not cover.
func (c *Client) Update(ctx context.Context, opts EditOptions, fn func(model.Tx) error) (Result, error) {
	return c.store.Update(ctx, c.opts(opts), fn)
}

// Replace makes the stored inventory exactly inv (a parsed source) as one
// change, however large: readers see the inventory before or after, never
// a mix. Hosts and groups that do not change are not written. It costs the
// whole inventory, on purpose.
func (c *Client) Replace(ctx context.Context, opts EditOptions, inv *model.Inventory) (Result, error) {
	return c.store.Replace(ctx, c.opts(opts), func(base *model.Nodes) (*model.Nodes, error) {
		return script.Nodes(inv, base), nil
	})
}

func (c *Client) opts(o EditOptions) EditOptions {
	if o.Tool == "" {
		o.Tool = c.cfg.Tool
	}
	return o
}

// Problem is one thing Check found wrong.
type Problem = zkstore.Problem

// Check verifies what is stored (head, views, nodes, orphans) and returns
// the problems found. It reads everything.
func (c *Client) Check(ctx context.Context) ([]Problem, error) { return c.store.Check(ctx) }

// Repair mends what Check finds and can mend, and says what it did.
func (c *Client) Repair(ctx context.Context, opts EditOptions) ([]string, error) {
	return c.store.Repair(ctx, c.opts(opts))
}

// Rebuild renders the views anew from the nodes, as a new generation
// touching no node: after hand edits of the nodes.
func (c *Client) Rebuild(ctx context.Context, opts EditOptions) (Result, error) {
	return c.store.RebuildViews(ctx, c.opts(opts))
}
