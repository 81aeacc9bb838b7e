package kook

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
	"github.com/kook-project/kook/zkstore"
	"github.com/kook-project/kook/zkstore/history"
)

// History: every change to the inventory is kept with who made it, when,
// with which tool and why, and every node it changed, before and after
// (see package zkstore). These read it back and undo changes.

// Commit is one change as history keeps it.
type Commit = model.Commit

// Errors of history.
var (
	// ErrPruned: retention removed the change record asked for.
	ErrPruned = zkstore.ErrPruned
	// ErrMinimal: the change was recorded without its nodes.
	ErrMinimal = model.ErrMinimal
)

// ConflictError is a revert refused because later changes touched what it
// would undo; Generations names them. It wraps ErrConflict.
type ConflictError = model.ConflictError

// Gap reports generations a follower could not read: retention removed
// them first. Watch yields it as an error and goes on.
type Gap = history.Gap

// LogOptions say which changes Log lists.
type LogOptions struct {
	// Entity, when set, lists only the changes of that host or, if there
	// is no such host, that group (with Group, of that group even when a
	// host has the same name). A host's log holds its vars and its
	// memberships (held by the host); a group's its vars, priority and
	// parents (members are in their hosts' logs).
	Entity string
	Group  bool
	// Since stops at the first change older than it.
	Since time.Time
	// Limit is the most changes listed; 0 lists all.
	Limit int
	// Before, when > 0, lists only changes older than generation Before:
	// the next page after a page whose oldest change is Before. The whole
	// inventory's log starts reading there, at no extra cost; an entity's
	// log still follows the entity's chain from its newest change, so it
	// also reads one record per change of the entity at or after Before
	// (a page deep in a long log costs the pages before it).
	Before int64
	// ScanLimit bounds the records an entity's log reads one by one where
	// its chain of changes is broken (a host removed, a hand edit); 0
	// means history.DefaultScanLimit.
	ScanLimit int
}

// LogEntry is one change in a log.
type LogEntry struct {
	*Commit
	// Changes are what it did, for people (of the entity only, for an
	// entity's log).
	Changes []model.Change
}

// Summary is the change on one line: "~web-01 http_port 8080→9090".
func (e LogEntry) Summary() string { return Summarize(e.Changes) }

// Log is a list of changes, newest first.
type Log struct {
	Entries []LogEntry
	// Start is the oldest generation history keeps, Last the current one.
	Start, Last int64
	// More is set when Limit left older changes out.
	More bool
	// Notes say, for people, where an entity's log ended early or how it
	// was found (history pruned, a hand edit).
	Notes []string
}

// Log lists changes newest first. The whole inventory's log reads one
// record per change listed. An entity's log follows the entity's own chain
// of changes, one record per change listed plus a few stats (see
// zkstore.Store.EntityLog); where that chain is broken it reads records
// one by one, at most opts.ScanLimit.
func (c *Client) Log(ctx context.Context, opts LogOptions) (*Log, error) {
	start, last, err := c.store.History(ctx)
	if err != nil {
		return nil, err
	}
	l := &Log{Start: start, Last: last}
	if last == 0 {
		return l, nil
	}
	seen := 0 // changes of the entity found, listed or not
	add := func(cm *Commit, changes []model.Change) bool {
		seen++
		if opts.Before > 0 && cm.Generation >= opts.Before {
			return true
		}
		if !opts.Since.IsZero() && cm.Time.Before(opts.Since) {
			return false
		}
		if opts.Limit > 0 && len(l.Entries) == opts.Limit {
			l.More = true
			return false
		}
		l.Entries = append(l.Entries, LogEntry{Commit: cm, Changes: changes})
		return true
	}
	if opts.Entity == "" {
		top := last
		if opts.Before > 0 {
			top = min(last, opts.Before-1)
		}
		if top < start {
			return l, nil
		}
		err := history.Commits(ctx, c.store, top, start, func(cm *Commit) (bool, error) {
			return add(cm, model.NodeDiff(cm.Hosts, cm.Groups)), nil
		})
		if errors.Is(err, ErrPruned) {
			err = nil // pruned while being read
		}
		return l, err
	}
	group := opts.Group
	if !group {
		var err error
		if group, err = c.entityKind(ctx, opts.Entity); err != nil {
			return nil, err
		}
	}
	walk := func(group bool) error {
		notes, err := history.EntityLog(ctx, c.store, group, opts.Entity, opts.ScanLimit, func(cm *Commit) (bool, error) {
			return add(cm, entityChanges(cm, group, opts.Entity)), nil
		})
		l.Notes = append(l.Notes, notes...)
		return err
	}
	if err := walk(group); err != nil {
		return nil, err
	}
	if seen == 0 && !group {
		// No host of that name was ever found: a removed group?
		l.Notes, group = nil, true
		if err := walk(true); err != nil {
			return nil, err
		}
	}
	if group && len(l.Entries) > 0 {
		l.Notes = append(l.Notes, "a group's members join and leave in their hosts' logs (kook log HOST)")
	}
	return l, nil
}

// entityKind says whether name is a group: it is if no host has that name
// and a group does.
func (c *Client) entityKind(ctx context.Context, name string) (bool, error) {
	if _, err := c.Host(ctx, name); err == nil || !errors.Is(err, ErrNotFound) {
		return false, ignoreNotFound(err)
	}
	_, err := c.Group(ctx, name)
	if err == nil {
		return true, nil
	}
	return false, ignoreNotFound(err)
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// entityChanges lists what cm did to one host or group.
func entityChanges(cm *Commit, group bool, name string) []model.Change {
	if group {
		for _, gc := range cm.Groups {
			if (gc.After != nil && gc.After.Name == name) || (gc.After == nil && gc.Before.Name == name) {
				return model.NodeDiff(nil, []model.GroupChange{gc})
			}
		}
		return nil
	}
	for _, hc := range cm.Hosts {
		if (hc.After != nil && hc.After.Name == name) || (hc.After == nil && hc.Before.Name == name) {
			return model.NodeDiff([]model.HostChange{hc}, nil)
		}
	}
	return nil
}

// Summarize puts changes on one line, the way kook log shows them:
// "~web-01 http_port 8080→9090, +web: member web-04". Past three changes it
// counts them by kind ("+1000 hosts, +20 groups").
func Summarize(changes []model.Change) string {
	if len(changes) == 0 {
		return "no node changes"
	}
	if len(changes) > 3 {
		return model.Summary(changes)
	}
	parts := make([]string, len(changes))
	for i, ch := range changes {
		parts[i] = summarizeOne(ch)
	}
	return strings.Join(parts, ", ")
}

func summarizeOne(ch model.Change) string {
	_, name, _ := strings.Cut(ch.Entity, " ")
	d := ch.Detail
	switch ch.Kind {
	case "host", "group", "environment":
		return fmt.Sprintf("%c%s", ch.Op, ch.Entity)
	case "var", "file var":
		prefix := ""
		if ch.Kind == "file var" {
			prefix = "file:"
		}
		switch ch.Op {
		case '~':
			if k, rest, ok := strings.Cut(d, ": "); ok {
				d = k + " " + strings.Replace(rest, " -> ", "→", 1)
			}
		case '+':
			d = strings.Replace(d, " = ", "=", 1)
		}
		return fmt.Sprintf("%c%s %s%s", ch.Op, name, prefix, d)
	case "priority":
		return fmt.Sprintf("~%s priority %s", name, strings.Replace(d, " -> ", "→", 1))
	}
	return fmt.Sprintf("%c%s: %s %s", ch.Op, name, ch.Kind, d)
}

// Diff is what a change, or a run of changes, did.
type Diff struct {
	// From and To bound the changes shown: those after From up to To.
	From, To int64
	// Commits are their records, oldest first.
	Commits []*Commit
	// Hosts and Groups are every node touched, before the first change
	// and after the last; Changes the same for people.
	Hosts   []model.HostChange
	Groups  []model.GroupChange
	Changes []model.Change
}

// Diff returns what the changes after generation from up to to did, as
// `git diff FROM..TO` does: Diff(ctx, g-1, g) is generation g alone. It
// reads their records.
func (c *Client) Diff(ctx context.Context, from, to int64) (*Diff, error) {
	if from < 0 || to <= from {
		return nil, fmt.Errorf("diff %d..%d: want 0 <= FROM < TO", from, to)
	}
	d := &Diff{From: from, To: to}
	err := history.Commits(ctx, c.store, from+1, to, func(cm *Commit) (bool, error) {
		if cm.Minimal {
			return false, fmt.Errorf("generation %d: %w", cm.Generation, ErrMinimal)
		}
		d.Commits = append(d.Commits, cm)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	d.Hosts, d.Groups = model.Squash(d.Commits)
	d.Changes = model.NodeDiff(d.Hosts, d.Groups)
	return d, nil
}

// Blame is where one of a host's effective vars comes from and which
// change set it there.
type Blame struct {
	Explanation
	// Winner is the layer whose value wins (Explain's last layer).
	Winner Layer
	// Commit is the change that last set the winning value in that layer;
	// nil when history does not hold it (pruned, or set outside kook), as
	// Note then says.
	Commit *Commit
	Note   string
}

// Blame returns, for each of a host's effective vars (only name, if not
// ""), the layer whose value wins, as Explain finds it, and the change
// that last set that value there. It follows the history of each host and
// group that holds a winning value, newest first, until it finds the
// change: one record per change of that entity it passes.
func (c *Client) Blame(ctx context.Context, host, name string) ([]Blame, error) {
	expl, err := c.Explain(ctx, host, name)
	if err != nil {
		return nil, err
	}
	out := make([]Blame, 0, len(expl))
	type pending struct {
		i     int
		level int
	}
	byEntity := map[string][]pending{} // "h/name" or "g/name"
	var order []string
	for _, e := range expl {
		b := Blame{Explanation: e}
		if len(e.Layers) > 0 && !e.Internal {
			b.Winner = e.Layers[len(e.Layers)-1]
			key := "g/" + b.Winner.Name
			if b.Winner.Kind == "host" {
				key = "h/" + b.Winner.Name
			}
			if byEntity[key] == nil {
				order = append(order, key)
			}
			byEntity[key] = append(byEntity[key], pending{len(out), b.Winner.Level})
		}
		out = append(out, b)
	}
	for _, key := range order {
		group, ent := key[0] == 'g', key[2:]
		left := byEntity[key]
		notes, err := history.EntityLog(ctx, c.store, group, ent, 0, func(cm *Commit) (bool, error) {
			before, after := levelVars(cm, group, ent)
			left = keepPending(left, func(p pending) bool {
				v := out[p.i].Var
				b, a := before(p.level), after(p.level)
				bv, bok := b.Get(v)
				av, aok := a.Get(v)
				if bok == aok && model.EqualOrdered(bv, av) {
					return true
				}
				out[p.i].Commit = cm
				return false
			})
			return len(left) > 0, nil
		})
		if err != nil {
			return nil, err
		}
		for _, p := range left {
			out[p.i].Note = "not set by any change history keeps"
			if len(notes) > 0 {
				out[p.i].Note += " (" + strings.Join(notes, "; ") + ")"
			}
		}
	}
	return out, nil
}

func keepPending[T any](list []T, keep func(T) bool) []T {
	var out []T
	for _, x := range list {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// levelVars returns, for the change cm made to an entity, its vars at a
// precedence level before and after.
func levelVars(cm *Commit, group bool, name string) (before, after func(level int) model.Map) {
	var hb, ha *model.HostNode
	var gb, ga *model.GroupNode
	if group {
		for _, gc := range cm.Groups {
			if (gc.After != nil && gc.After.Name == name) || (gc.After == nil && gc.Before.Name == name) {
				gb, ga = gc.Before, gc.After
			}
		}
	} else {
		for _, hc := range cm.Hosts {
			if (hc.After != nil && hc.After.Name == name) || (hc.After == nil && hc.Before.Name == name) {
				hb, ha = hc.Before, hc.After
			}
		}
	}
	pick := func(h *model.HostNode, g *model.GroupNode) func(int) model.Map {
		return func(level int) model.Map {
			switch {
			case h != nil && level == precedence.LevelHost:
				return h.Vars
			case h != nil && level == precedence.LevelHostFile:
				return h.FileVars
			case g != nil && level == precedence.LevelGroup:
				return g.Vars
			case g != nil && (level == precedence.LevelAllFile || level == precedence.LevelGroupFile):
				return g.FileVars
			}
			return nil
		}
	}
	return pick(hb, gb), pick(ha, ga)
}

// RevertOptions say how Revert records and applies its change.
type RevertOptions struct {
	EditOptions
	// Force reverts even when later changes touched what the change
	// changed; their changes to those vars and memberships are undone too.
	Force bool
}

// Revert makes a new change that undoes generation gen: each var,
// membership or other part of a node gen changed goes back to what it was
// before gen; everything else stays. Unless opts.Force, it refuses, writing
// nothing, when a later change touched the same parts: the error is a
// *ConflictError naming the generations. The change is recorded with the
// reason "revert of GEN" (then opts.Reason).
func (c *Client) Revert(ctx context.Context, gen int64, opts RevertOptions) (Result, error) {
	return history.Revert(ctx, c.store, c.opts(opts.EditOptions), gen, opts.Force)
}

// Rollback makes a new change that makes the inventory what it was at
// generation to: every node changed since goes back to its value then,
// as one change (a big one when it does not fit in one transaction).
// Its reason is "rollback to GEN" (then opts.Reason).
func (c *Client) Rollback(ctx context.Context, to int64, opts EditOptions) (Result, error) {
	return history.Rollback(ctx, c.store, c.opts(opts), to)
}

// Watch yields each change from generation from on, in order and once
// each, as it commits, until ctx ends or the loop stops; from <= 0 starts
// with the next change. It rides out lost connections and expired
// sessions. Generations retention removed before they were read are
// yielded as a *Gap error, and the changes after them follow; any other
// error ends it.
//
//	for c, err := range client.Watch(ctx, 0) {
//		var gap *kook.Gap
//		if errors.As(err, &gap) { log.Print(gap); continue }
//		if err != nil { return err }
//		fmt.Println(c.Generation, c.Who())
//	}
func (c *Client) Watch(ctx context.Context, from int64) iter.Seq2[*Commit, error] {
	return func(yield func(*Commit, error) bool) {
		stop := errors.New("stopped")
		err := history.Follow(ctx, c.store, from, func(cm *Commit, gap *history.Gap) error {
			ok := true
			if gap != nil {
				ok = yield(nil, gap)
			} else {
				ok = yield(cm, nil)
			}
			if !ok {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(nil, err)
		}
	}
}
