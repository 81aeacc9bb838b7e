package model

// Views are what readers read instead of nodes: tables of entries sorted
// by key, rendered from the nodes on every change and stored alongside
// them. A store keeps tables as opaque bytes; what they hold (Ansible's
// script-protocol JSON) is decided by a Renderer, which the writers hand to
// the store.

// KV is one entry of a view table. A nil Value in TableEdits deletes the
// entry.
type KV struct {
	Key, Value []byte
}

// TableReader reads one view table of the stored generation.
type TableReader interface {
	// Get returns the value stored under key.
	Get(key []byte) (value []byte, ok bool, err error)
	// Scan calls fn for each entry with from <= key < to, in key order,
	// until fn returns false. A nil from or to is unbounded.
	Scan(from, to []byte, fn func(key, value []byte) bool) error
}

// ViewSource is what a Renderer reads while it renders one change: nodes
// as the change leaves them, tables as they were before it.
type ViewSource interface {
	// Host returns the named host after the change; ErrNotFound if none.
	Host(name string) (*HostNode, error)
	// Group returns the named group after the change; ErrNotFound if none.
	Group(name string) (*GroupNode, error)
	// Hosts returns many hosts after the change, at once; nil for those
	// that do not exist.
	Hosts(names []string) ([]*HostNode, error)
	// Table returns a table as it was before the change.
	Table(name string) TableReader
}

// HostChange is one host a change creates (Before nil), removes (After
// nil) or replaces.
type HostChange struct{ Before, After *HostNode }

// Name is the host's name (a change never renames).
func (c HostChange) Name() string {
	if c.After != nil {
		return c.After.Name
	}
	return c.Before.Name
}

// GroupChange is one group a change creates, removes or replaces.
type GroupChange struct{ Before, After *GroupNode }

// Name is the group's name.
func (c GroupChange) Name() string {
	if c.After != nil {
		return c.After.Name
	}
	return c.Before.Name
}

// TableEdits are the entries one change puts into each table, in any
// order; a nil value deletes the entry.
type TableEdits map[string][]KV

// Renderer renders the view tables of an inventory.
type Renderer interface {
	// Tables renders every table of a whole inventory, each sorted by key.
	Tables(n *Nodes) (map[string][]KV, error)
	// Update renders what one change does to the tables, reading only what
	// the change touches.
	Update(src ViewSource, hosts []HostChange, groups []GroupChange) (TableEdits, error)
	// Members returns a group's member hosts as the tables list them, with
	// the keys of their edges, in order.
	Members(tables func(name string) TableReader, g *GroupNode) ([]Edge, error)
	// Children returns a group's child groups as the tables list them, in
	// order.
	Children(tables func(name string) TableReader, g *GroupNode) ([]string, error)
}
