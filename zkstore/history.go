package zkstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore/record"
)

// who fills a commit's user fields from the process and the session.
func (s *Store) who(c *model.Commit) {
	if u, err := user.Current(); err == nil {
		c.OSUser = u.Username
	} else if name := os.Getenv("USER"); name != "" {
		c.OSUser = name
	}
	c.Machine, _ = os.Hostname()
	c.Identity = s.conn.Identity()
}

// addHistory adds the creation of c's record to txn.
func (s *Store) addHistory(txn *zkconn.Txn, c *model.Commit, writer string, prevs map[string]int64, minimal bool) {
	first, parts := record.EncodeChange(c, writer, prevs, minimal)
	txn.Create(s.HistoryPath(c.Generation, 0), first)
	for i, p := range parts {
		txn.Create(s.HistoryPath(c.Generation, i+1), p)
	}
}

// History returns the first generation whose change record is kept and
// the current generation (0, 0 when nothing is stored).
func (s *Store) History(ctx context.Context) (start, last int64, err error) {
	h, _, err := s.readHead(ctx)
	if errors.Is(err, model.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return max(h.HistoryStart, 1), h.Generation, nil
}

// WatchHistory is History with a watch on head: ch fires once head next
// changes, or is created when nothing is stored yet.
func (s *Store) WatchHistory(ctx context.Context) (start, last int64, ch <-chan zk.Event, err error) {
	for {
		data, _, ch, err := s.conn.GetW(ctx, s.HeadPath())
		if errors.Is(err, zk.ErrNoNode) {
			var ok bool
			if ok, _, ch, err = s.conn.ExistsW(ctx, s.HeadPath()); err == nil && ok {
				continue // made meanwhile
			}
			return 0, 0, ch, err
		}
		if err != nil {
			return 0, 0, nil, err
		}
		h, err := parseHead(data)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("%s: %w", s.HeadPath(), err)
		}
		return max(h.HistoryStart, 1), h.Generation, ch, nil
	}
}

// ErrPruned is returned for a generation whose change record retention
// has removed.
var ErrPruned = errors.New("history pruned")

// Commit returns generation gen's change record: ErrNotFound if it was
// never written, wrapping ErrPruned if retention removed it.
func (s *Store) Commit(ctx context.Context, gen int64) (*model.Commit, error) {
	c, _, err := s.readCommit(ctx, gen, true)
	return c, err
}

// readCommit reads generation gen's record and, with full, its parts; it
// returns the writer id too.
func (s *Store) readCommit(ctx context.Context, gen int64, full bool) (*model.Commit, string, error) {
	r, err := s.ReadRecord(ctx, gen, full)
	if err != nil {
		return nil, "", err
	}
	return r.Commit, r.Writer, nil
}

// ReadRecord reads generation gen's record and, with full, its parts (a
// big change's nodes): ErrNotFound if it was never written, wrapping
// ErrPruned if retention removed it.
func (s *Store) ReadRecord(ctx context.Context, gen int64, full bool) (*record.Change, error) {
	data, _, err := s.conn.Get(ctx, s.HistoryPath(gen, 0))
	if errors.Is(err, zk.ErrNoNode) {
		h, _, herr := s.readHead(ctx)
		if herr == nil && gen >= 1 && gen < h.HistoryStart {
			return nil, fmt.Errorf("generation %d: %w (history starts at generation %d)", gen, ErrPruned, h.HistoryStart)
		}
		return nil, fmt.Errorf("change record of generation %d: %w", gen, model.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read change record of generation %d: %w", gen, err)
	}
	r, err := record.DecodeChange(data)
	if err != nil {
		return nil, fmt.Errorf("change record %s: %w", s.HistoryPath(gen, 0), err)
	}
	if full && r.Parts > 0 {
		parts := make([]*record.Change, r.Parts)
		err := zkconn.Parallel(ctx, r.Parts, 8, func(i int) error {
			p := s.HistoryPath(gen, i+1)
			data, _, err := s.conn.Get(ctx, p)
			if err != nil {
				return fmt.Errorf("read change record %s: %w", p, err)
			}
			if parts[i], err = record.DecodeChange(data); err != nil {
				return fmt.Errorf("change record %s: %w", p, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			r.AddPart(p)
		}
	}
	return r, nil
}

// prune adds to txn the removal of the oldest change records beyond
// retention (a few per change, so that its cost stays small) and returns
// the new first generation kept. While fewer than HistoryKeep records are
// kept it reads nothing; past that, one stat of the oldest record (its
// creation time), and each record it removes (for its parts).
func (s *Store) prune(ctx context.Context, txn *zkconn.Txn, start, gen int64) int64 {
	if start < 1 {
		start = 1
	}
	const perChange = 4
	for i := 0; i < perChange && gen-start >= int64(s.opts.HistoryKeep); i++ {
		ok, st, err := s.conn.Exists(ctx, s.HistoryPath(start, 0))
		if err != nil {
			break
		}
		if !ok {
			start++
			continue
		}
		if s.opts.HistoryDays > 0 && time.Since(time.UnixMilli(st.Ctime)) < time.Duration(s.opts.HistoryDays)*24*time.Hour {
			break
		}
		parts := 0
		if data, _, err := s.conn.Get(ctx, s.HistoryPath(start, 0)); err != nil {
			break
		} else if r, err := record.DecodeChange(data); err == nil {
			parts = r.Parts
		}
		for p := parts; p >= 0; p-- {
			txn.Delete(s.HistoryPath(start, p), -1)
		}
		start++
	}
	return start
}
