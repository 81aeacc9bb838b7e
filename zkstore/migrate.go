package zkstore

import (
	"context"
	"errors"
)

// migrate converts a store written by kook before format 2 (whole trees
// under inventory/trees, materialized blobs) into format 2.
func (s *Store) migrate(ctx context.Context) error {
	return errors.New("migrating a format 1 store is not supported yet: export it with the kook that wrote it (kook export --format json) and import the backup")
}
