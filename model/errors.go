package model

import "errors"

// Errors that callers act on. Stores and parsers wrap them with what they were
// doing and on what, so test with errors.Is.
var (
	// ErrNotFound: the host, group or stored inventory does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a host or group of that name already exists.
	ErrExists = errors.New("already exists")
	// ErrConflict: another writer changed the inventory between this writer's
	// read and its write, and retrying did not get through.
	ErrConflict = errors.New("concurrent modification")
	// ErrMoved: a change asked to be made on top of one generation
	// (UpdateOptions.At) found the inventory at another.
	ErrMoved = errors.New("the inventory moved on")
	// ErrMinimal: a change recorded without its nodes (a store's minimal
	// history option) can be neither shown in full nor undone.
	ErrMinimal = errors.New("the change record holds no nodes (written with minimal history)")
	// ErrCycle: a group would become its own ancestor.
	ErrCycle = errors.New("group membership cycle")
	// ErrTooLarge: an entity does not fit in one ZooKeeper znode.
	ErrTooLarge = errors.New("too large for one znode")
	// ErrNotEmpty: a group or environment still has members or children and
	// removing it was not forced.
	ErrNotEmpty = errors.New("not empty")
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
