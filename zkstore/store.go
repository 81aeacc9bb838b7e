package zkstore

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
)

// DefaultRoot is where kook keeps its data unless told otherwise.
const DefaultRoot = "/kook"

// ZooKeeper refuses a request over jute.maxbuffer (1 MiB less one byte by
// default), a multi included, and drops the connection. kook stays well
// under it. ZooKeeper also keeps its last 500 write requests in memory (its
// commit log, for syncing followers), in more than one form each: bulk
// writes (blob chunks, a new tree) go in small requests, so that the log
// stays in the low hundreds of megabytes however many large imports came
// before. With 768 kB requests, repeated 100,000-host imports ran a 1 GB
// server out of heap.
const (
	maxRecord   = 1000 * 1000 // one host or group record
	maxChunk    = 128 * 1024  // one piece of a view blob
	maxMulti    = 768 * 1024  // the ops of the one multi of an in-place change, estimated
	maxBatch    = 128 * 1024  // the ops of one multi writing a new tree, estimated
	maxMultiOps = 4000
	opOverhead  = 64  // bytes a multi op adds beyond its path and data, estimated
	maxAttempts = 100 // optimistic retries before ErrConflict (with backoff: tens of seconds)
)

// Store is a model.Store in ZooKeeper. Layout under the root (see README.md):
//
//	<root>/inventory/head                 {"generation":N,"tree":T,"blob":B,"views":{...}}
//	<root>/inventory/trees/T/hosts/<name> one host record each (source of truth)
//	<root>/inventory/trees/T/groups/<name> one group record each
//	<root>/inventory/trees/T/members/<name>~<i> parts of a long member list
//	<root>/inventory/blobs/B.<view>.<i>   gzip'd materialized views, in chunks
//
// Every change is one multi that sets head with a version check; a change too
// big for one multi writes a whole new tree first and switches head to it.
// A Store is safe for concurrent use.
type Store struct {
	conn  *Conn
	owned bool    // Close closes conn
	cfg   *Config // how Open dialled conn, for more sessions; nil from New
	root  string

	mu     sync.Mutex
	cached *snapshot // last snapshot read or written
}

var _ model.Store = (*Store)(nil)

// Open dials ZooKeeper and returns a Store under root (DefaultRoot if "").
func Open(ctx context.Context, cfg Config, root string) (*Store, error) {
	conn, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s, err := New(conn, root)
	if err != nil {
		conn.Close()
		return nil, err
	}
	s.owned = true
	s.cfg = &cfg
	return s, nil
}

// New returns a Store using an open connection, which the caller keeps.
func New(conn *Conn, root string) (*Store, error) {
	if root == "" {
		root = DefaultRoot
	}
	if err := validatePath(root); err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	return &Store{conn: conn, root: root}, nil
}

// Close closes the connection if Open made it.
func (s *Store) Close() {
	if s.owned {
		s.conn.Close()
	}
}

// Conn returns the store's connection.
func (s *Store) Conn() *Conn { return s.conn }

func (s *Store) base() string     { return path.Join(s.root, "inventory") }
func (s *Store) headPath() string { return path.Join(s.base(), "head") }
func (s *Store) treePath(tree string) string {
	return path.Join(s.base(), "trees", tree)
}
func (s *Store) hostPath(tree, name string) string {
	return path.Join(s.treePath(tree), "hosts", EncodeName(name))
}
func (s *Store) groupPath(tree, name string) string {
	return path.Join(s.treePath(tree), "groups", EncodeName(name))
}

// memberPath names part i of a group's member list. '~' never appears in
// an encoded name, so the part cannot clash with another group's.
func (s *Store) memberPath(tree, group string, i int) string {
	return path.Join(s.treePath(tree), "members", fmt.Sprintf("%s~%d", EncodeName(group), i))
}
func (s *Store) chunkPath(blob, view string, i int64) string {
	return path.Join(s.base(), "blobs", fmt.Sprintf("%s.%s.%d", blob, view, i))
}

// readHead returns the head and its znode version; ErrNotFound if none.
func (s *Store) readHead() (head, int32, error) {
	data, st, err := s.conn.Get(s.headPath())
	if errors.Is(err, zk.ErrNoNode) {
		return head{}, -1, fmt.Errorf("no inventory stored at %s: %w", s.root, model.ErrNotFound)
	}
	if err != nil {
		return head{}, 0, fmt.Errorf("read %s: %w", s.headPath(), err)
	}
	h, err := parseHead(data)
	if err != nil {
		return head{}, 0, fmt.Errorf("read %s: %w", s.headPath(), err)
	}
	return h, st.Version, nil
}

// errStale means a blob or tree vanished under a reader: a newer generation
// replaced it. The reader starts again from head.
var errStale = errors.New("snapshot replaced while reading")

// readView returns the named view of the generation h points at.
func (s *Store) readView(h head, view string) ([]byte, error) {
	v, err := s.readChunks(h, view)
	if err != nil {
		return nil, err
	}
	return v.Bytes()
}

// readChunks reads every chunk of the named view of the generation h points
// at, in parallel, and returns the view still compressed.
func (s *Store) readChunks(h head, view string) (*View, error) {
	n, ok := h.Views[view]
	if !ok {
		return nil, fmt.Errorf("view %q is not materialized at %s (written by an older kook? run kook rebuild)", view, s.root)
	}
	chunks := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range chunks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			chunks[i], _, errs[i] = s.conn.Get(s.chunkPath(h.Blob, view, int64(i)))
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, zk.ErrNoNode) {
			return nil, errStale
		}
		if err != nil {
			return nil, fmt.Errorf("read view %s: %w", view, err)
		}
	}
	return &View{Name: view, Generation: h.Generation, chunks: chunks}, nil
}

// View returns a materialized view ("list": the --list JSON, "model": the
// whole inventory) of the current generation. It costs one read of head and
// one per chunk, in parallel; the View holds every chunk, so it needs the
// connection no more.
func (s *Store) View(ctx context.Context, name string) (*View, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, _, err := s.readHead()
		if err != nil {
			return nil, err
		}
		v, err := s.readChunks(h, name)
		if errors.Is(err, errStale) && attempt < maxAttempts {
			continue
		}
		return v, err
	}
}

// ReadView returns a materialized view of the current generation,
// decompressed, and that generation.
func (s *Store) ReadView(ctx context.Context, name string) ([]byte, int64, error) {
	v, err := s.View(ctx, name)
	if err != nil {
		return nil, 0, err
	}
	data, err := v.Bytes()
	return data, v.Generation, err
}

// Generation returns the current generation, 0 when nothing is stored.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	h, _, err := s.readHead()
	if errors.Is(err, model.ErrNotFound) {
		return 0, nil
	}
	return h.Generation, err
}

// load returns the current snapshot, from cache when head has not moved.
func (s *Store) load(ctx context.Context) (*snapshot, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, ver, err := s.readHead()
		if errors.Is(err, model.ErrNotFound) {
			return emptySnapshot(), nil
		}
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		c := s.cached
		s.mu.Unlock()
		if c != nil && c.head.Generation == h.Generation && c.headVersion == ver {
			return c, nil
		}
		data, err := s.readView(h, "model")
		if errors.Is(err, errStale) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		snap := emptySnapshot()
		snap.head, snap.headVersion = h, ver
		if err := decodeModelBlob(data, snap); err != nil {
			return nil, fmt.Errorf("generation %d: %w", h.Generation, err)
		}
		s.mu.Lock()
		s.cached = snap
		s.mu.Unlock()
		return snap, nil
	}
}

// Load implements model.Store: one read of head and of the model blob's
// chunks. The caller owns the returned inventory.
func (s *Store) Load(ctx context.Context) (*model.Inventory, int64, error) {
	snap, err := s.load(ctx)
	if err != nil {
		return nil, 0, err
	}
	if snap.headVersion < 0 {
		return nil, 0, fmt.Errorf("no inventory stored at %s: %w", s.root, model.ErrNotFound)
	}
	return snap.inv.Clone(), snap.head.Generation, nil
}

// Update implements model.Store. See write for how a change is applied.
func (s *Store) Update(ctx context.Context, fn func(*model.Inventory) error) (int64, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		snap, err := s.load(ctx)
		if err != nil {
			return 0, err
		}
		next := snap.inv.Clone()
		if err := fn(next); err != nil {
			return snap.head.Generation, err
		}
		if err := next.Validate(); err != nil {
			return snap.head.Generation, err
		}
		if snap.headVersion >= 0 && model.EqualInventories(snap.inv, next) {
			return snap.head.Generation, nil
		}
		gen, err := s.write(ctx, snap, next)
		if errors.Is(err, model.ErrConflict) {
			s.forget(snap)
			backoff(attempt)
			continue
		}
		return gen, err
	}
	return 0, fmt.Errorf("update inventory at %s: gave up after %d attempts: %w", s.root, maxAttempts, model.ErrConflict)
}

// forget drops the cached snapshot if it is snap, so the next load rereads.
func (s *Store) forget(snap *snapshot) {
	s.mu.Lock()
	if s.cached == snap {
		s.cached = nil
	}
	s.mu.Unlock()
}

// backoff sleeps a random time that grows with each lost race, up to about
// half a second, so that contending writers spread out instead of colliding
// again.
func backoff(attempt int) {
	d := time.Duration(1+rand.IntN(4<<min(attempt, 7))) * time.Millisecond
	time.Sleep(d)
}

func newID(gen int64) string {
	var b [4]byte
	crand.Read(b[:])
	return fmt.Sprintf("%012d-%s", gen, hex.EncodeToString(b[:]))
}
