package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
	"github.com/kook-project/kook/zkstore/record"
)

// Reading history. Records are read whole: a change's record holds the
// nodes it changed, so reading one costs that change's size. What each
// reader costs:
//
//   - Commits: the records asked for, a few at a time.
//   - EntityLog (one host or group): one record per change listed, found
//     by following the node's chain (see package record): the node's mzxid
//     names the transaction that last wrote it, the record of that change
//     is the last one created at or before that zxid (a search of the
//     records' creation zxids, a few stats, no data), and each record
//     names the mzxid the node had before. Where the chain is broken (a
//     node deleted, written by hand or by kook repair, or a minimal
//     record) the walk reads records one by one, newest first, at most
//     ScanLimit of them, until it finds one that changed the node.
//   - Follow: each record once, as head moves.

// DefaultScanLimit bounds how many records EntityLog reads one by one
// where a node's chain of changes is broken.
const DefaultScanLimit = 1000

// Commits calls fn with the change records of generations from to to,
// both included, in that order (from > to goes newest first), until fn
// returns false or an error. Records are read a few at a time ahead of
// fn. A record retention removed is an error wrapping zkstore.ErrPruned; one never
// written, model.ErrNotFound.
func Commits(ctx context.Context, s *zkstore.Store, from, to int64, fn func(*model.Commit) (bool, error)) error {
	step := int64(1)
	if from > to {
		step = -1
	}
	n := (to-from)*step + 1
	const window = 8
	for i := int64(0); i < n; i += window {
		m := min(window, n-i)
		recs := make([]*record.Change, m)
		err := zkconn.Parallel(ctx, int(m), window, func(j int) error {
			var err error
			recs[j], err = s.ReadRecord(ctx, from+(i+int64(j))*step, true)
			return err
		})
		// Records before a failed one are still given to fn.
		for _, r := range recs {
			if r == nil {
				return err
			}
			more, ferr := fn(r.Commit)
			if ferr != nil || !more {
				return ferr
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// EntityLog calls fn with each change record that changed the named host
// (or group, with group set), newest first, until fn returns false, the
// change that created it, or the start of history. It returns notes for
// people on how the walk ended (history pruned, the node written outside
// kook, a scan that found nothing). Its cost is described above.
// model.ErrNotFound: nothing stored.
func EntityLog(ctx context.Context, s *zkstore.Store, group bool, name string, scanLimit int, fn func(*model.Commit) (bool, error)) ([]string, error) {
	if scanLimit <= 0 {
		scanLimit = DefaultScanLimit
	}
	lo, hi, err := s.History(ctx)
	if err != nil {
		return nil, err
	}
	if hi == 0 {
		return nil, fmt.Errorf("no inventory at %s: %w", s.Root(), model.ErrNotFound)
	}
	kind, p := "host", s.HostPath(name)
	if group {
		kind, p = "group", s.GroupPath(name)
	}
	key := record.PrevKey(group, name)
	data, st, err := s.Conn().Get(ctx, p)
	var z int64 // the mzxid to find the change of; 0: scan
	switch {
	case errors.Is(err, zk.ErrNoNode):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", p, err)
	default:
		z = st.Mzxid
	}
	w := &walker{s: s, ctx: ctx, czxids: map[int64]int64{}}
	var notes []string
	first := true
	scanned := 0
	for hi >= lo {
		var r *record.Change
		var g int64
		if z != 0 {
			g, err = w.find(z, lo, hi)
			if err != nil {
				return notes, err
			}
			if g == 0 {
				break // before the oldest record kept
			}
			if r, err = s.ReadRecord(ctx, g, true); err != nil {
				return notes, err
			}
			c := findChange(r.Commit, group, name)
			switch {
			case c == nil:
				notes = append(notes, fmt.Sprintf("%s %s was written outside any recorded change after generation %d (by hand, or by kook repair); older changes were found by reading records one by one", kind, name, g))
				z, hi = 0, g
				continue
			case first && w.czxids[g] != z && !bytes.Equal(c.after, data):
				notes = append(notes, fmt.Sprintf("%s %s was edited outside kook after generation %d (by hand, or by kook repair)", kind, name, g))
			}
		} else {
			for g = hi; g >= lo; g-- {
				if scanned >= scanLimit {
					notes = append(notes, fmt.Sprintf("stopped after reading %d records one by one (generations %d to %d) without finding a change to %s %s", scanned, g+1, hi, kind, name))
					return notes, nil
				}
				scanned++
				if r, err = s.ReadRecord(ctx, g, true); err != nil {
					return notes, err
				}
				if findChange(r.Commit, group, name) != nil {
					break
				}
			}
			if g < lo {
				break
			}
		}
		first = false
		more, err := fn(r.Commit)
		if err != nil || !more {
			return notes, err
		}
		if c := findChange(r.Commit, group, name); c.before == nil {
			return notes, nil // created here
		}
		z, hi = r.Prevs[key], g-1
	}
	if lo > 1 {
		notes = append(notes, fmt.Sprintf("history starts at generation %d: older changes were pruned", lo))
	}
	return notes, nil
}

// change is one node's change found in a record, as encoded.
type change struct {
	before, after []byte // nil: absent
}

// findChange returns the change c made to the named node, nil if none.
func findChange(c *model.Commit, group bool, name string) *change {
	if group {
		for _, gc := range c.Groups {
			if gc.Name() == name {
				return &change{before: encodeOrNil(gc.Before), after: encodeOrNil(gc.After)}
			}
		}
		return nil
	}
	for _, hc := range c.Hosts {
		if hc.Name() == name {
			return &change{before: encodeOrNil(hc.Before), after: encodeOrNil(hc.After)}
		}
	}
	return nil
}

func encodeOrNil[N *model.HostNode | *model.GroupNode](n N) []byte {
	switch n := any(n).(type) {
	case *model.HostNode:
		if n != nil {
			return record.Host(n)
		}
	case *model.GroupNode:
		if n != nil {
			return record.Group(n)
		}
	}
	return nil
}

// walker finds the record of the change that wrote a zxid: the last record
// created at or before it. Records are created in generation order, each
// in the same transaction as its change's nodes (a big change applies its
// nodes after creating its record, before the next record), so their
// creation zxids grow with the generation.
type walker struct {
	s      *zkstore.Store
	ctx    context.Context
	czxids map[int64]int64 // generation -> its record's czxid; -1: missing
}

// czxid returns generation g's record's creation zxid, -1 if it has none.
func (w *walker) czxid(g int64) (int64, error) {
	if z, ok := w.czxids[g]; ok {
		return z, nil
	}
	ok, st, err := w.s.Conn().Exists(w.ctx, w.s.HistoryPath(g, 0))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", w.s.HistoryPath(g, 0), err)
	}
	z := int64(-1)
	if ok {
		z = st.Czxid
	}
	w.czxids[g] = z
	return z, nil
}

// find returns the last generation in [lo, hi] whose record was created at
// or before zxid z, 0 if none. It searches down from hi by doubling steps
// (the change sought is most often recent), then halves. A missing record
// counts as created after z.
func (w *walker) find(z, lo, hi int64) (int64, error) {
	at := func(g int64) (bool, error) {
		cz, err := w.czxid(g)
		return cz >= 0 && cz <= z, err
	}
	bad := hi + 1 // the least generation known to be after z
	good := int64(0)
	for step := int64(1); ; step *= 2 {
		g := max(bad-step, lo)
		ok, err := at(g)
		if err != nil {
			return 0, err
		}
		if ok {
			good = g
			break
		}
		bad = g
		if g == lo {
			return 0, nil
		}
	}
	for bad-good > 1 {
		mid := good + (bad-good)/2
		ok, err := at(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			good = mid
		} else {
			bad = mid
		}
	}
	return good, nil
}

// Gap is a run of generations whose records a follower could not read:
// retention removed them before it got to them.
type Gap struct{ From, To int64 }

func (g *Gap) Error() string {
	if g.From == g.To {
		return fmt.Sprintf("generation %d was pruned from history before it could be read", g.From)
	}
	return fmt.Sprintf("generations %d to %d were pruned from history before they could be read", g.From, g.To)
}

// Follow calls fn with each change record from generation from on, in
// order, each once, as changes commit, until fn returns an error or ctx
// ends; from <= 0 starts after the current generation. It watches head and
// reads each new generation's record; a lost connection or an expired
// session is waited out, and the walk goes on from the next generation it
// has not given, so none is skipped or given twice. Generations retention
// removed before they were read are given as a *Gap (c nil), after which
// the walk goes on. A change is given once head names it: a big change
// being applied is given when it is done.
func Follow(ctx context.Context, s *zkstore.Store, from int64, fn func(c *model.Commit, gap *Gap) error) error {
	next := from
	for attempt := 0; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		start, last, ch, err := s.WatchHistory(ctx)
		if err != nil {
			if !zkconn.IsTransient(err) {
				return err
			}
			if err := waitAfter(ctx, s, attempt); err != nil {
				return err
			}
			attempt++
			continue
		}
		if next <= 0 {
			next = last + 1
		}
		reread := false
		for next <= last && err == nil && !reread {
			if next < start {
				if err = fn(nil, &Gap{From: next, To: start - 1}); err != nil {
					return err
				}
				next = start
				continue
			}
			var r *record.Change
			r, err = s.ReadRecord(ctx, next, true)
			switch {
			case err == nil:
				if err = fn(r.Commit, nil); err != nil {
					return err
				}
				next++
			case errors.Is(err, zkstore.ErrPruned):
				// Pruned since head was read: read head again.
				err, reread = nil, true
			case errors.Is(err, model.ErrNotFound):
				// Never written, or deleted by hand: nothing to give.
				if err = fn(nil, &Gap{From: next, To: next}); err != nil {
					return err
				}
				next++
			}
		}
		if err != nil {
			if !zkconn.IsTransient(err) {
				return err
			}
			if err := waitAfter(ctx, s, attempt); err != nil {
				return err
			}
			attempt++
			continue
		}
		attempt = 0
		if reread {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitAfter waits for a session after a transient failure, backing off.
func waitAfter(ctx context.Context, s *zkstore.Store, attempt int) error {
	if err := s.Conn().WaitSession(ctx); err != nil {
		return err
	}
	return zkconn.Backoff(ctx, min(attempt, 4))
}
