package model

import (
	"context"
	"time"
)

// Tx is one atomic change being made to a stored inventory. Reads see the
// change's own writes; nothing is stored until the function given to
// Store.Update returns nil, and then all of it is, or none.
//
// A Tx reads only what it is asked for: changing one host costs reading
// that host and what it touches, whatever the size of the inventory.
type Tx interface {
	// Host returns a copy of the named host; ErrNotFound if there is none.
	Host(name string) (*HostNode, error)
	// Group returns a copy of the named group; ErrNotFound if there is none.
	Group(name string) (*GroupNode, error)
	// Members returns a group's direct member hosts, in order ('ungrouped':
	// the hosts in no other group). It costs in proportion to the group.
	Members(group string) ([]string, error)
	// Children returns a group's direct child groups, in order.
	Children(group string) ([]string, error)
	// PutHost stores a copy of h, creating or replacing the host.
	PutHost(h *HostNode)
	// PutGroup stores a copy of g, creating or replacing the group.
	PutGroup(g *GroupNode)
	// DeleteHost removes the named host's node. Its edges go with it.
	DeleteHost(name string)
	// DeleteGroup removes the named group's node. The caller first removes
	// the edges of its members and children.
	DeleteGroup(name string)
	// NewKey returns a key greater than every key stored and every key it
	// returned before: an edge or a group made with it comes last.
	NewKey() int64
}

// Op is one typed edit of an inventory, applied inside a Tx. Several ops
// given to one Store.Update are one atomic change.
type Op interface {
	Apply(tx Tx) error
	// String describes the op for people: "host set web1 http_port=8080".
	String() string
}

// UpdateOptions say how Store.Update records and applies a change.
type UpdateOptions struct {
	// DryRun computes the change and writes nothing.
	DryRun bool
	// Reason is why the change is made, kept in history ("" for none).
	Reason string
	// Tool names the program making the change ("kook", "kook-import",
	// "kook serve"); "" means a Go program using the library.
	Tool string
	// User is who makes the change when a program acts for someone else
	// (kook serve's logged-in user); the OS user and the ZooKeeper identity
	// are recorded anyway.
	User string
	// At, when not 0, makes the change only on top of generation At: if
	// the inventory is at another generation, Update and Replace fail
	// with ErrMoved before calling fn. Undo uses it to make a change from
	// records it read, which a change made since would make wrong.
	At int64
}

// Result says what an Update changed, or would change.
type Result struct {
	Changes    []Change // for people, in the order made
	Generation int64    // generation stored after the update
	Written    bool     // false for a dry run or when nothing changed
	Time       time.Time
}

// Store keeps one inventory: nodes read one at a time, views read whole,
// changes made as atomic, version-checked transactions.
type Store interface {
	// Update runs fn inside one transaction and stores what it did as one
	// atomic change, retrying fn from fresh reads when another writer got in
	// first. An error from fn writes nothing. A change that leaves every
	// node as it was writes nothing either.
	Update(ctx context.Context, opts UpdateOptions, fn func(Tx) error) (Result, error)
	// Generation returns the current generation, 0 when nothing is stored.
	Generation(ctx context.Context) (int64, error)
}

// Apply returns fn for Store.Update that applies ops in order.
func Apply(ops ...Op) func(Tx) error {
	return func(tx Tx) error {
		for _, op := range ops {
			if err := op.Apply(tx); err != nil {
				return err
			}
		}
		return nil
	}
}
