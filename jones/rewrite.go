package jones

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/model"
)

// A change whose views do not fit in one request with it (a large config
// high in a large tree) is written in several:
//
//  1. the config and a marker naming the environment (with the
//     environment's own view when it fits), in one multi that checks the
//     configs above it;
//  2. the views below, in as many multis as they need, parents first. Each
//     multi checks the version of every config the views it writes were
//     computed from, and writes with each view its record: the versions
//     of those configs. A multi that loses a race is planned again from
//     fresh reads;
//  3. the marker is deleted.
//
// Between 1 and 3 some views show the new config and some the old, but
// each view is the inheritance of the configs as they were at one moment,
// and its record says which. If the writer stops before 3, the marker stays:
// the next change to the service, Check and Repair find it, and the next
// change or Repair finishes the rewrite.

// batchBytes is the size rewrite aims at for each request; a view larger
// than that goes alone. ZooKeeper 3.8 keeps its last 500 write requests in
// memory (zookeeper.commitLogCount cannot be set lower), at about three
// times their size: measured with 1,000 views of 64 KiB, requests of 1 MiB
// made a 512 MiB server run out of heap on the third root change, requests
// of 128 KiB passed ten (and held at most ~200 MB), for 8% more time.
const batchBytes = 128 << 10

// markerSeq is the length of the counter ZooKeeper appends to a sequential
// znode's name.
const markerSeq = 10

// planMarker adds the creation of a marker for a rewrite of env's subtree
// and returns the op's index; the response names the marker. Markers are
// sequential so that writers never share one.
func (s *Store) planMarker(t *txn, sn *snapshot, env string) int {
	if !sn.meta.pending {
		t.create(s.pendingPath(sn.svc), []byte{})
		sn.meta.pending = true
	}
	return t.createSeq(s.pendingPath(sn.svc)+"/"+escapeEnv(env)+"#", []byte{})
}

// markerEnv returns the environment a marker names.
func markerEnv(name string) (env string, ok bool) {
	i := len(name) - markerSeq - 1
	if i < 0 || name[i] != '#' {
		return "", false
	}
	return unescapeEnv(name[:i])
}

// checkEachFits refuses, before anything is written, a change with a view
// that cannot be written even alone.
func (s *Store) checkEachFits(sn *snapshot, what string) error {
	var err error
	sn.eachView(len(sn.order), func(i int, e string, data, rec []byte) bool {
		t := s.newTxn()
		for _, c := range chain(e) {
			t.check(s.confPath(sn.svc, c), 0)
		}
		t.create(s.sourcesPath(sn.svc), nil)
		t.create(s.viewPath(sn.svc, e), data)
		t.create(s.recordPath(sn.svc, e), rec)
		if !t.fits() {
			err = fmt.Errorf("%s: the view of %s would take %d bytes, too many for one request of at most %d: %w",
				what, displayEnv(e), len(data), t.limit, model.ErrTooLarge)
			return false
		}
		return true
	})
	return err
}

// rewrite brings the views of env and its descendants, and their records,
// up to date with the configs as they are, in as many requests as they
// need, then deletes marker ("" for none). An env that no longer exists
// needs nothing.
func (s *Store) rewrite(ctx context.Context, svc, env, marker string) error {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		sn, err := s.load(svc, env, true)
		if errors.Is(err, model.ErrNotFound) {
			return s.dropMarker(svc, marker)
		}
		if err == nil {
			err = s.sendViews(ctx, sn)
		}
		if err == nil {
			return s.dropMarker(svc, marker)
		}
		if !isConflict(err) || ctx.Err() != nil {
			return fmt.Errorf("rewrite views of %s %s: %w", svc, displayEnv(env), err)
		}
		if attempt == maxAttempts {
			return fmt.Errorf("rewrite views of %s %s: other writers kept changing the service (%d attempts, last: %v): %w",
				svc, displayEnv(env), attempt, err, model.ErrConflict)
		}
		d := backoff/2 + rand.N(backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// sendViews writes every view of sn whose content or record is not what
// the configs in sn make, packed into multis in sn's order. Ancestors'
// views are only created if missing. The first multi that fails ends it,
// and so does ctx.
func (s *Store) sendViews(ctx context.Context, sn *snapshot) error {
	t := s.newTxn()
	checked := map[string]bool{}
	var err error
	flush := func() {
		if err = ctx.Err(); err == nil && len(t.ops) > 0 {
			_, err = s.conn.Multi(t.ops...)
		}
		t = s.newTxn()
		clear(checked)
	}
	sn.eachView(len(sn.order), func(i int, e string, data, rec []byte) bool {
		node := sn.nodes[e]
		mine := i >= sn.nchain-1
		writeView := !node.view.ok || (mine && !bytes.Equal(node.view.data, data))
		writeRec := writeView || (mine && !(node.rec.ok && bytes.Equal(node.rec.data, rec)))
		if !writeView && !writeRec {
			return true
		}
		n := s.itemSize(t, sn, e, data, rec, writeView, checked)
		if t.size+n > batchBytes && len(t.ops) > 0 {
			if flush(); err != nil {
				return false
			}
			n = s.itemSize(t, sn, e, data, rec, writeView, checked)
		}
		if t.size+n > t.limit {
			err = fmt.Errorf("the view of %s takes %d bytes, too many for one request: %w", displayEnv(e), len(data), model.ErrTooLarge)
			return false
		}
		for _, c := range chain(e) {
			if !checked[c] {
				t.check(s.confPath(sn.svc, c), sn.nodes[c].version)
				checked[c] = true
			}
		}
		if p := s.viewPath(sn.svc, e); writeView && node.view.ok {
			t.set(p, data, node.view.version)
		} else if writeView {
			t.create(p, data)
		}
		s.planRecord(t, sn, e, rec)
		return true
	})
	if err == nil {
		flush()
	}
	return err
}

// itemSize is how many bytes the writes of one view add to t.
func (s *Store) itemSize(t *txn, sn *snapshot, e string, data, rec []byte, writeView bool, checked map[string]bool) int {
	n := 0
	for _, c := range chain(e) {
		if !checked[c] {
			n += multiHeader + t.checkSize(s.confPath(sn.svc, c))
		}
	}
	if writeView {
		n += multiHeader + t.createSize(s.viewPath(sn.svc, e), data)
	}
	n += multiHeader + t.createSize(s.recordPath(sn.svc, e), rec)
	if !sn.meta.sources {
		n += multiHeader + t.createSize(s.sourcesPath(sn.svc), nil)
	}
	return n
}

// dropMarker deletes a marker; one already gone was finished by another
// writer.
func (s *Store) dropMarker(svc, marker string) error {
	if marker == "" {
		return nil
	}
	err := s.conn.Delete(s.pendingPath(svc)+"/"+marker, -1)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("delete marker %s: %w", marker, err)
	}
	return nil
}

// finish completes the rewrites whose markers a change found: their writers
// stopped before the end, or are still at it (then both write the same
// views, and the checks keep them consistent). what is the change, for
// errors: it is saved either way.
func (s *Store) finish(ctx context.Context, svc, what string, markers []string) error {
	var errs []error
	for _, m := range markers {
		env, ok := markerEnv(m)
		if !ok {
			continue // not kook's: Check reports it
		}
		if err := s.rewrite(ctx, svc, env, m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: done, but finishing an interrupted rewrite failed: %w", what, err)
	}
	return nil
}

// markerText describes a marker for people.
func markerText(name string) string {
	if env, ok := markerEnv(name); ok {
		return fmt.Sprintf("a rewrite of the views of %s and below did not finish", displayEnv(env))
	}
	return fmt.Sprintf("%q is not a marker kook writes", strings.TrimSpace(name))
}
