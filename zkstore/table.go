package zkstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/zkstore/segment"
)

// The view tables are kept in segments (package segment), one znode each
// under <root>/inventory/segments, named by the change that wrote them.

// fetchSegment reads one segment's znode. A missing one is a *goneError.
func (s *Store) fetchSegment(ctx context.Context, id string) ([]byte, error) {
	data, _, err := s.conn.Get(ctx, s.segmentPath(id))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, &goneError{what: "segment " + id}
	}
	if err != nil {
		return nil, fmt.Errorf("read segment %s: %w", id, err)
	}
	return data, nil
}

func (s *Store) newTableReader(ctx context.Context, x *segment.Index, name string) *segment.Table {
	return segment.NewTable(ctx, s.fetchSegment, x, name, nil)
}

// goneError is a segment or index a reader was told of but did not find:
// a newer generation replaced it (the reader starts again), or it was lost
// (repair must rebuild the views).
type goneError struct{ what string }

func (e *goneError) Error() string { return e.what + " does not exist" }
func (e *goneError) Unwrap() error { return segment.ErrGone }
