package kook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kook-project/kook/jones"
)

// Jones returns the service configuration store under the client's root,
// on the client's connection. Its changes are recorded with who (a Tool
// left "" is the client's Config.Tool) and kept as the client's history
// retention says.
func (c *Client) Jones(who jones.Attribution) *jones.Store {
	if who.Tool == "" {
		who.Tool = c.cfg.Tool
	}
	return jones.NewStore(c.store.Conn(), c.store.Root()).As(who).WithRetention(c.cfg.HistoryKeep, c.cfg.HistoryDays)
}

// ConfigChange is one change to a service's configuration as its history
// keeps it.
type ConfigChange = jones.Change

// ConfigLogOptions say which changes ConfigLog lists.
type ConfigLogOptions struct {
	// Env, when set, lists only the changes of that environment's own
	// config and of the associations with it.
	Env string
	// Since stops at the first change older than it.
	Since time.Time
	// Limit is the most changes listed; 0 lists all.
	Limit int
	// Before, when > 0, lists only changes older than generation Before
	// (the next page); reading starts there.
	Before int64
}

// ConfigLog is a list of changes to one service, newest first.
type ConfigLog struct {
	Service string
	Entries []*ConfigChange
	// Start is the oldest generation kept, Last the service's last one.
	Start, Last int64
	More        bool // Limit left older changes out
}

// ConfigLog lists the changes to svc, newest first. Its records are small
// and read several at a time; with opts.Env it reads every record kept
// until Limit changes of that environment are found (at most the
// service's retention, 10,000 by default).
func (c *Client) ConfigLog(ctx context.Context, svc string, opts ConfigLogOptions) (*ConfigLog, error) {
	s := c.Jones(jones.Attribution{})
	start, last, err := s.History(ctx, svc)
	if err != nil {
		return nil, err
	}
	l := &ConfigLog{Service: svc, Start: start, Last: last}
	top := last
	if opts.Before > 0 {
		top = min(last, opts.Before-1)
	}
	if top == 0 || top < start {
		return l, nil
	}
	err = s.Changes(ctx, svc, top, start, func(ch *ConfigChange) (bool, error) {
		if !opts.Since.IsZero() && ch.Time.Before(opts.Since) {
			return false, nil
		}
		if opts.Env != "" && !ch.Touches(opts.Env) {
			return true, nil
		}
		if opts.Limit > 0 && len(l.Entries) == opts.Limit {
			l.More = true
			return false, nil
		}
		l.Entries = append(l.Entries, ch)
		return true, nil
	})
	if errors.Is(err, ErrPruned) {
		err = nil // pruned while being read
	}
	return l, err
}

// ConfigDiff is what a change to a service, or a run of them, did.
type ConfigDiff struct {
	Service  string
	From, To int64
	Changes  []*ConfigChange // oldest first
	// Squashed is all of them as one change: each key before the first and
	// after the last.
	Squashed *ConfigChange
}

// ConfigDiff returns what the changes to svc after generation from up to
// to did (from = to-1 for one change).
func (c *Client) ConfigDiff(ctx context.Context, svc string, from, to int64) (*ConfigDiff, error) {
	if from < 0 || to <= from {
		return nil, fmt.Errorf("diff %d..%d: want 0 <= FROM < TO", from, to)
	}
	d := &ConfigDiff{Service: svc, From: from, To: to}
	err := c.Jones(jones.Attribution{}).Changes(ctx, svc, from+1, to, func(ch *ConfigChange) (bool, error) {
		d.Changes = append(d.Changes, ch)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	d.Squashed = jones.SquashChanges(d.Changes)
	return d, nil
}

// ConfigRevert makes a new change to svc that undoes generation gen of its
// history (see jones.Store.Revert); opts.Force goes ahead despite later
// changes to the same keys or associations, opts.DryRun writes nothing.
// It returns the change made, or that would be made.
func (c *Client) ConfigRevert(ctx context.Context, svc string, gen int64, opts RevertOptions) (*ConfigChange, error) {
	s := c.Jones(jones.Attribution{Tool: opts.Tool, User: opts.User, Reason: opts.Reason})
	return s.Revert(ctx, svc, gen, jones.RevertOptions{Force: opts.Force, DryRun: opts.DryRun})
}
