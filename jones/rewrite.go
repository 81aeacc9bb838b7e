package jones

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
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

// Each request of a rewrite aims at zkconn.BatchRequest bytes; a view
// larger than that goes alone. ZooKeeper 3.8 keeps its last 500 write
// requests in memory (zookeeper.commitLogCount cannot be set lower), at
// about three times their size: measured with 1,000 views of 64 KiB,
// requests of 1 MiB made a 512 MiB server run out of heap on the third
// root change, requests of 128 KiB passed ten (and held at most ~200 MB),
// for 8% more time.

// markerSeq is the length of the counter ZooKeeper appends to a sequential
// znode's name.
const markerSeq = 10

// planMarker adds the creation of a marker for a rewrite of env's subtree
// and returns the op's index; the response names the marker. Markers are
// sequential so that writers never share one.
func (s *Store) planMarker(t *zkconn.Txn, sn *snapshot, env string) int {
	if !sn.meta.pending {
		t.Create(s.pendingPath(sn.svc), []byte{})
		sn.meta.pending = true
	}
	i := t.Len()
	t.CreateSequential(s.pendingPath(sn.svc)+"/"+escapeEnv(env)+"#", []byte{})
	return i
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
		t := s.conn.NewTxn()
		for _, c := range chain(e) {
			t.Check(s.confPath(sn.svc, c), 0)
		}
		t.Create(s.sourcesPath(sn.svc), nil)
		t.Create(s.viewPath(sn.svc, e), data)
		t.Create(s.recordPath(sn.svc, e), rec)
		if !t.Fits() {
			err = fmt.Errorf("%s: the view of %s would take %d bytes, too many for one request of at most %d: %w",
				what, displayEnv(e), len(data), t.Limit(), model.ErrTooLarge)
			return false
		}
		return true
	})
	return err
}

// rewrite brings the views of env and its descendants, and their records,
// up to date with the configs as they are, in as many requests as they
// need, then deletes marker ("" for none). An env that no longer exists
// needs nothing. A request whose reply is lost needs nothing special:
// the next pass plans from fresh reads and writes only what it finds
// stale.
func (s *Store) rewrite(ctx context.Context, svc, env, marker string) error {
	err := s.again(ctx, func() error {
		sn, err := s.load(ctx, svc, env, true)
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		if err == nil {
			err = s.sendViews(ctx, sn)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("rewrite views of %s %s: %w", svc, displayEnv(env), err)
	}
	return s.dropMarker(ctx, svc, marker)
}

// sendViews writes every view of sn whose content or record is not what
// the configs in sn make, packed into multis in sn's order. Ancestors'
// views are only created if missing. The first multi that fails ends it,
// and so does ctx.
func (s *Store) sendViews(ctx context.Context, sn *snapshot) error {
	t := s.conn.NewTxn()
	checked := map[string]bool{}
	var err error
	flush := func() {
		_, err = s.conn.Commit(ctx, t)
		t = s.conn.NewTxn()
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
		sources := sn.meta.sources
		item := s.planItem(sn, e, data, rec, writeView, checked)
		if t.SizeWith(item) > zkconn.BatchRequest && t.Len() > 0 {
			if flush(); err != nil {
				return false
			}
			sn.meta.sources = sources
			item = s.planItem(sn, e, data, rec, writeView, checked)
		}
		if !item.Fits() {
			err = fmt.Errorf("the view of %s takes %d bytes, too many for one request: %w", displayEnv(e), len(data), model.ErrTooLarge)
			return false
		}
		t.Append(item)
		return true
	})
	if err == nil {
		flush()
	}
	return err
}

// planItem returns the writes of env's view (with writeView) and record,
// preceded by checks of the configs it is computed from that checked does
// not list yet, and adds those to checked.
func (s *Store) planItem(sn *snapshot, env string, data, rec []byte, writeView bool, checked map[string]bool) *zkconn.Txn {
	t := s.conn.NewTxn()
	for _, c := range chain(env) {
		if !checked[c] {
			t.Check(s.confPath(sn.svc, c), sn.nodes[c].version)
			checked[c] = true
		}
	}
	node, p := sn.nodes[env], s.viewPath(sn.svc, env)
	if writeView && node.view.ok {
		t.Set(p, data, node.view.version)
	} else if writeView {
		t.Create(p, data)
	}
	s.planRecord(t, sn, env, rec)
	return t
}

// dropMarker deletes a marker; one already gone was finished by another
// writer.
func (s *Store) dropMarker(ctx context.Context, svc, marker string) error {
	if marker == "" {
		return nil
	}
	return s.removeIfThere(ctx, s.pendingPath(svc)+"/"+marker)
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
