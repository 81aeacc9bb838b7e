package zkstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"sync/atomic"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/segment"
)

// DefaultRoot is where kook keeps its data unless told otherwise.
const DefaultRoot = "/kook"

// History retention defaults: the last DefaultHistoryKeep changes are
// kept, and any younger than DefaultHistoryDays days.
const (
	DefaultHistoryKeep = 10000
	DefaultHistoryDays = 90
)

// Options say how a Store writes.
type Options struct {
	// Renderer renders the view tables on every change. A Store without
	// one can read but not write.
	Renderer model.Renderer
	// HistoryKeep and HistoryDays bound the change records kept: the last
	// HistoryKeep changes, and every change younger than HistoryDays days
	// whatever their number. Zero means the defaults; a negative
	// HistoryDays keeps no record for its age alone.
	HistoryKeep int
	HistoryDays int
	// MinimalHistory writes change records without the nodes changed: who,
	// when, why and the writer only. It is for measuring what full records
	// cost (the benchmark): such changes cannot be shown, blamed or undone,
	// and they break each node's chain of changes. Big changes record their
	// nodes anyway, since finishing one after a crash needs them.
	MinimalHistory bool
	// Tool is recorded as the tool of every change made without one in
	// model.UpdateOptions ("" means a Go program using the library).
	Tool string
}

// Store is a model.Store in ZooKeeper. A Store is safe for concurrent use.
type Store struct {
	conn  *zkconn.Conn
	owned bool // Close closes conn
	root  string
	opts  Options

	// unfoldable is the index whose dropped segments a commit could not
	// delete in its own multi (one was gone already): see commit.
	unfoldable atomic.Pointer[string]
}

var _ model.Store = (*Store)(nil)

// Open dials ZooKeeper and returns a Store under root (DefaultRoot if "").
func Open(ctx context.Context, cfg zkconn.Config, root string, opts Options) (*Store, error) {
	conn, err := zkconn.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s, err := New(conn, root, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a Store using an open connection, which the caller keeps.
func New(conn *zkconn.Conn, root string, opts Options) (*Store, error) {
	root, err := CleanRoot(root)
	if err != nil {
		return nil, err
	}
	if opts.HistoryKeep <= 0 {
		opts.HistoryKeep = DefaultHistoryKeep
	}
	if opts.HistoryDays == 0 {
		opts.HistoryDays = DefaultHistoryDays
	}
	return &Store{conn: conn, root: root, opts: opts}, nil
}

// CleanRoot checks a root znode path; "" means DefaultRoot and "/" the top
// of the connect string's chroot.
func CleanRoot(root string) (string, error) {
	if root == "" {
		return DefaultRoot, nil
	}
	if err := zkconn.ValidatePath(root); err != nil {
		return "", fmt.Errorf("root: %w", err)
	}
	return root, nil
}

// Close closes the connection if Open made it.
func (s *Store) Close() {
	if s.owned {
		s.conn.Close()
	}
}

// Conn returns the store's connection.
func (s *Store) Conn() *zkconn.Conn { return s.conn }

// Root returns the root znode.
func (s *Store) Root() string { return s.root }

// The znodes of the layout (see the package doc). HeadPath, HostPath,
// GroupPath and HistoryPath are exported for readers of history and for
// tools; everything else is the store's own.
func (s *Store) base() string        { return path.Join(s.root, "inventory") }
func (s *Store) lockPath() string    { return path.Join(s.base(), "lock") }
func (s *Store) hostsDir() string    { return path.Join(s.base(), "hosts") }
func (s *Store) groupsDir() string   { return path.Join(s.base(), "groups") }
func (s *Store) segmentsDir() string { return path.Join(s.base(), "segments") }
func (s *Store) historyDir() string  { return path.Join(s.base(), "history") }

func (s *Store) segmentPath(id string) string { return path.Join(s.segmentsDir(), id) }

// HeadPath is the head znode: the generation, the index of the views and
// the counts, written by every change.
func (s *Store) HeadPath() string { return path.Join(s.base(), "head") }

// HostPath is the znode of the named host.
func (s *Store) HostPath(name string) string { return path.Join(s.hostsDir(), EncodeName(name)) }

// GroupPath is the znode of the named group.
func (s *Store) GroupPath(name string) string { return path.Join(s.groupsDir(), EncodeName(name)) }

// HistoryPath names generation gen's change record; part > 0 names its
// part-th continuation.
func (s *Store) HistoryPath(gen int64, part int) string {
	name := fmt.Sprintf("%012d", gen)
	if part > 0 {
		name += "." + strconv.Itoa(part)
	}
	return path.Join(s.historyDir(), name)
}

// errOldFormat is a head written by kook before format 2.
var errOldFormat = errors.New("written by an older kook (format 1)")

// readHead returns head and its stat; ErrNotFound if nothing is stored.
func (s *Store) readHead(ctx context.Context) (*head, *zk.Stat, error) {
	data, st, err := s.conn.Get(ctx, s.HeadPath())
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil, fmt.Errorf("no inventory stored at %s: %w", s.root, model.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", s.HeadPath(), err)
	}
	h, err := parseHead(data)
	if errors.Is(err, errOldFormat) {
		return nil, nil, fmt.Errorf("%s: %w: import the inventory again with kook-import, which replaces it", s.HeadPath(), err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w (kook repair can rebuild it)", s.HeadPath(), err)
	}
	return h, st, nil
}

// Generation implements model.Store.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	h, _, err := s.readHead(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return h.Generation, nil
}

// readIndex reads the index segment id.
func (s *Store) readIndex(ctx context.Context, id string) (*segment.Index, error) {
	if id == "" {
		return &segment.Index{Tables: map[string][]segment.Ref{}}, nil
	}
	data, _, err := s.conn.Get(ctx, s.segmentPath(id))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, &goneError{what: "index " + id}
	}
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", id, err)
	}
	x, err := segment.DecodeIndex(data)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", s.segmentPath(id), err)
	}
	return x, nil
}

// newWriterID returns an id for one attempt at writing generation gen:
// the generation in hex and a random part.
func newWriterID(gen int64) string {
	var b [4]byte
	rand.Read(b[:])
	return strconv.FormatInt(gen, 16) + "-" + hex.EncodeToString(b[:])
}

// idGeneration returns the generation a writer or segment id was made for.
func idGeneration(id string) (int64, bool) {
	i := 0
	for i < len(id) && id[i] != '-' {
		i++
	}
	g, err := strconv.ParseInt(id[:i], 16, 64)
	return g, err == nil && i < len(id)
}
