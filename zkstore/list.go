package zkstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

// ReadOptions say how kook-inventory reads.
type ReadOptions struct {
	// Limit is an Ansible host pattern ("web:&prod:!canary"). Only the hosts
	// it selects are returned, each with all its groups and their ancestors,
	// so their effective vars are exactly as without the limit. Ansible then
	// processes only those hosts. Empty means every host.
	Limit string
	// FromEntities reads the per-entity znodes instead of the materialized
	// views: the slow path, for checking the views and for benchmarks.
	FromEntities bool
}

// ListJSON returns what kook-inventory --list prints. With no options it is
// the materialized "list" view as stored: one read of head and one per chunk,
// no parsing.
func (s *Store) ListJSON(ctx context.Context, opts ReadOptions) ([]byte, error) {
	if opts.Limit == "" && !opts.FromEntities {
		data, _, err := s.ReadView(ctx, "list")
		return data, err
	}
	inv, err := s.read(ctx, opts)
	if err != nil {
		return nil, err
	}
	return inventory.List(inv), nil
}

// HostJSON returns what kook-inventory --host prints for name: its vars as
// in --list's _meta.hostvars, {} for a host kook does not know (what the
// script protocol expects).
func (s *Store) HostJSON(ctx context.Context, name string, opts ReadOptions) ([]byte, error) {
	if opts.Limit == "" && !opts.FromEntities {
		return s.hostFromBucket(ctx, name)
	}
	inv, err := s.read(ctx, opts)
	if err != nil {
		return nil, err
	}
	if out := inventory.Host(inv, name); out != nil {
		return out, nil
	}
	return []byte("{}\n"), nil
}

func (s *Store) read(ctx context.Context, opts ReadOptions) (*model.Inventory, error) {
	load := s.Load
	if opts.FromEntities {
		load = s.LoadEntities
	}
	inv, _, err := load(ctx)
	if err != nil {
		return nil, err
	}
	if opts.Limit == "" {
		return inv, nil
	}
	limited, err := inventory.Limit(inv, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("KOOK_LIMIT %q: %w", opts.Limit, err)
	}
	return limited, nil
}

// hostFromBucket reads a host's --host output from its materialized bucket:
// one read of head and one of the bucket.
func (s *Store) hostFromBucket(ctx context.Context, name string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		h, _, err := s.readHead()
		if err != nil {
			return nil, err
		}
		if h.HostBuckets == 0 {
			return nil, fmt.Errorf("host views are not materialized at %s (written by an older kook? run kook rebuild)", s.root)
		}
		data, err := s.readView(h, fmt.Sprintf("host.%d", bucketOf(name, h.HostBuckets)))
		if errors.Is(err, errStale) && attempt < maxAttempts && ctx.Err() == nil {
			continue
		}
		if err != nil {
			return nil, err
		}
		prefix := append(model.AppendString(nil, name), '\t')
		for len(data) > 0 {
			line, rest, _ := bytes.Cut(data, []byte{'\n'})
			if bytes.HasPrefix(line, prefix) {
				return append(line[len(prefix):], '\n'), nil
			}
			data = rest
		}
		return []byte("{}\n"), nil
	}
}
