package model

import (
	"context"
	"sync"
)

// Store keeps one inventory and hands out consistent snapshots of it.
type Store interface {
	// Load returns a consistent snapshot of the stored inventory and its
	// generation, which every change increases. It returns ErrNotFound if no
	// inventory was ever stored.
	Load(ctx context.Context) (*Inventory, int64, error)

	// Update reads the current inventory (New() if none is stored), lets fn
	// change a private copy of it, validates the result and stores it as one
	// atomic change. If another writer got in first, Update re-reads and calls
	// fn again; ErrConflict means it gave up. An error from fn, or a result
	// that fails Validate, writes nothing. A result equal to what is stored
	// writes nothing either. It returns the generation now stored.
	Update(ctx context.Context, fn func(*Inventory) error) (int64, error)
}

// MemStore is a Store in memory, for tests and dry runs. The zero value is
// an empty store.
type MemStore struct {
	mu  sync.Mutex
	inv *Inventory
	gen int64
}

var _ Store = (*MemStore)(nil)

// Load implements Store.
func (s *MemStore) Load(ctx context.Context) (*Inventory, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inv == nil {
		return nil, 0, ErrNotFound
	}
	return s.inv.Clone(), s.gen, nil
}

// Update implements Store.
func (s *MemStore) Update(ctx context.Context, fn func(*Inventory) error) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return s.gen, err
	}
	old := s.inv
	if old == nil {
		old = New()
	}
	next := old.Clone()
	if err := fn(next); err != nil {
		return s.gen, err
	}
	if err := next.Validate(); err != nil {
		return s.gen, err
	}
	if s.inv != nil && EqualInventories(old, next) {
		return s.gen, nil
	}
	s.inv = next
	s.gen++
	return s.gen, nil
}
