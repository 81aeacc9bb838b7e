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
	// ErrCycle: a group would become its own ancestor.
	ErrCycle = errors.New("group membership cycle")
	// ErrTooLarge: an entity does not fit in one ZooKeeper znode.
	ErrTooLarge = errors.New("too large for one znode")
	// ErrNotEmpty: a group or environment still has members or children and
	// removing it was not forced.
	ErrNotEmpty = errors.New("not empty")
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
