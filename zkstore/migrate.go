package zkstore

import (
	"context"
	"errors"
)

// migrate converts a store written by kook before format 2 (whole trees
// under inventory/trees, materialized blobs) into format 2.
func (s *Store) migrate(ctx context.Context) error {
	return errors.New("a store written by kook before format 2 is not migrated in place: import the inventory again with kook-import (from its files, or from 'kook export --format json' run with the kook that wrote it), which replaces it whole")
}
