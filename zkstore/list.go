package zkstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/pattern"
	"github.com/kook-project/kook/script"
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

// List returns what kook-inventory --list prints, to be written with
// WriteTo. With no options it is the materialized "list" view, read whole
// but still compressed: one read of head and one per chunk, no parsing.
// Either way the result no longer needs the store.
func (s *Store) List(ctx context.Context, opts ReadOptions) (io.WriterTo, error) {
	if opts.Limit == "" && !opts.FromEntities {
		return s.View(ctx, "list")
	}
	inv, err := s.read(ctx, opts)
	if err != nil {
		return nil, err
	}
	return bytes.NewBuffer(script.List(inv)), nil
}

// Host returns what kook-inventory --host prints for name, to be written
// with WriteTo: its vars as in --list's _meta.hostvars, {} for a host kook
// does not know (what the script protocol expects). With no options it
// reads head and the host's materialized bucket.
func (s *Store) Host(ctx context.Context, name string, opts ReadOptions) (io.WriterTo, error) {
	if opts.Limit == "" && !opts.FromEntities {
		return s.hostBucket(ctx, name)
	}
	inv, err := s.read(ctx, opts)
	if err != nil {
		return nil, err
	}
	if out := script.Host(inv, name); out != nil {
		return bytes.NewBuffer(out), nil
	}
	return bytes.NewBufferString("{}\n"), nil
}

// ListJSON returns what List writes.
func (s *Store) ListJSON(ctx context.Context, opts ReadOptions) ([]byte, error) {
	return collect(s.List(ctx, opts))
}

// HostJSON returns what Host writes.
func (s *Store) HostJSON(ctx context.Context, name string, opts ReadOptions) ([]byte, error) {
	return collect(s.Host(ctx, name, opts))
}

func collect(w io.WriterTo, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
	limited, err := pattern.Limit(inv, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("KOOK_LIMIT %q: %w", opts.Limit, err)
	}
	return limited, nil
}

// hostBucket reads the bucket holding name's --host output: one read of
// head and one of the bucket.
func (s *Store) hostBucket(ctx context.Context, name string) (io.WriterTo, error) {
	for attempt := 0; ; attempt++ {
		h, _, err := s.readHead()
		if err != nil {
			return nil, err
		}
		if h.HostBuckets == 0 {
			return nil, fmt.Errorf("host views are not materialized at %s (written by an older kook? run kook rebuild)", s.root)
		}
		v, err := s.readChunks(h, fmt.Sprintf("host.%d", bucketOf(name, h.HostBuckets)))
		if errors.Is(err, errStale) && attempt < maxAttempts && ctx.Err() == nil {
			continue
		}
		if err != nil {
			return nil, err
		}
		return hostLine{v, name}, nil
	}
}

// hostLine is one host's line of a bucket, found when written.
type hostLine struct {
	bucket *View
	name   string
}

func (l hostLine) WriteTo(w io.Writer) (int64, error) {
	data, err := l.bucket.Bytes()
	if err != nil {
		return 0, err
	}
	out := []byte("{}\n")
	prefix := append(model.AppendString(nil, l.name), '\t')
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		if bytes.HasPrefix(line, prefix) {
			out = append(line[len(prefix):], '\n')
			break
		}
		data = rest
	}
	n, err := w.Write(out)
	return int64(n), err
}
