package web

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"path"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/precedence"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkstore"
)

// Live is the server's copy of the inventory: one snapshot in memory, kept
// current by watching head and applying each new generation's change
// record. A record that is missing (retention pruned it, or it cannot be
// read) makes it load the whole inventory again. Requests read snapshots,
// which never change once published, so they need no lock and never read
// the inventory from ZooKeeper.
type Live struct {
	store *zkstore.Store
	log   *log.Logger
	cur   atomic.Pointer[Snap]

	mu      sync.Mutex
	changed chan struct{} // closed and replaced each time a snapshot is published
	kick    chan struct{} // asks the follower to look at head now
	recent  []*model.Commit
	stop    context.CancelFunc
	done    chan struct{}
	reloads atomic.Int64
}

// Snap is one generation of the inventory, in memory. Nothing in it is
// modified once published.
type Snap struct {
	Gen    int64
	Time   time.Time
	hosts  hostMap
	Groups map[string]*model.GroupNode
	// Inv is the inventory as Ansible builds it from kook-inventory's
	// --list (its order), each level of vars kept apart; it shares the
	// nodes' vars. Its structure and group vars are current; its host vars
	// may be older than the nodes' (read those with HostNode).
	Inv *model.Inventory

	// merger is shared by the snapshots that share Inv.
	merger *sharedMerger
}

// sharedMerger computes what groups give their hosts for --where
// searches, caching it per group set; it is not safe for concurrent use.
type sharedMerger struct {
	mu sync.Mutex
	m  *precedence.Merger
}

// recentKeep is how many change records Live keeps for the history pages.
const recentKeep = 2000

// NewLive loads the inventory and follows it until Close.
func NewLive(ctx context.Context, store *zkstore.Store, logger *log.Logger) (*Live, error) {
	l := &Live{store: store, log: logger, changed: make(chan struct{}), kick: make(chan struct{}, 1), done: make(chan struct{})}
	if err := l.reload(ctx); err != nil {
		return nil, err
	}
	fctx, cancel := context.WithCancel(context.Background())
	l.stop = cancel
	go l.follow(fctx)
	return l, nil
}

// Close stops following.
func (l *Live) Close() {
	l.stop()
	<-l.done
}

// Snap returns the current snapshot.
func (l *Live) Snap() *Snap { return l.cur.Load() }

// Reloads says how many times the whole inventory was read.
func (l *Live) Reloads() int64 { return l.reloads.Load() }

// Recent returns the change records applied since the server started (and
// the generation the first load read), newest last.
func (l *Live) Recent() []*model.Commit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.recent)
}

// WaitFor waits until the snapshot is at generation gen or newer, asking
// the follower to look at head at once: a page shown after an edit shows
// the edit.
func (l *Live) WaitFor(ctx context.Context, gen int64) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		l.mu.Lock()
		ch := l.changed
		l.mu.Unlock()
		if l.Snap().Gen >= gen {
			return nil
		}
		select {
		case l.kick <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for generation %d: %w", gen, ctx.Err())
		}
	}
}

func (l *Live) publish(sn *Snap) {
	l.cur.Store(sn)
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// reload reads every node.
func (l *Live) reload(ctx context.Context) error {
	var n *model.Nodes
	var gen int64
	var t time.Time
	err := l.store.Read(ctx, true, func(sn *zkstore.Snapshot) error {
		var err error
		n, err = sn.LoadNodes()
		gen, t = sn.Generation(), sn.Time()
		return err
	})
	if errors.Is(err, model.ErrNotFound) {
		n, err = model.NewNodes(0), nil
	}
	if err != nil {
		return fmt.Errorf("load inventory: %w", err)
	}
	l.reloads.Add(1)
	sn := &Snap{Gen: gen, Time: t, hosts: hostMap{base: n.Hosts}, Groups: n.Groups, merger: &sharedMerger{}}
	sn.Inv = buildInventory(sn.hosts.base, sn.Groups)
	l.publish(sn)
	debug.FreeOSMemory() // what loading took beyond the snapshot goes back

	return nil
}

// follow watches head and brings the snapshot up to each new generation.
func (l *Live) follow(ctx context.Context) {
	defer close(l.done)
	headPath := path.Join(l.store.Root(), "inventory", "head")
	conn := l.store.Conn()
	// One watch armed at a time: it is set again only once it fired, so
	// the periodic looks do not pile up watches on head.
	var ev <-chan zk.Event
	for ctx.Err() == nil {
		var err error
		if ev == nil {
			_, _, ev, err = conn.ExistsW(ctx, headPath)
		}
		if err == nil {
			err = l.catchUp(ctx)
		}
		if err != nil && ctx.Err() == nil {
			l.logf("follow inventory: %v", err)
		}
		// A periodic look covers a watch lost with the session.
		select {
		case <-ctx.Done():
			return
		case <-ev:
			ev = nil
		case <-l.kick:
		case <-time.After(5 * time.Second):
		}
	}
}

func (l *Live) logf(format string, args ...any) {
	if l.log != nil {
		l.log.Printf(format, args...)
	}
}

// catchUp applies the change records between the snapshot and head, or
// reloads when one cannot be read.
func (l *Live) catchUp(ctx context.Context) error {
	gen, err := l.store.Generation(ctx)
	if err != nil {
		return err
	}
	cur := l.Snap()
	if gen == cur.Gen {
		return nil
	}
	if gen < cur.Gen || gen-cur.Gen > 500 {
		return l.reload(ctx)
	}
	for g := cur.Gen + 1; g <= gen; g++ {
		c, err := l.store.Commit(ctx, g)
		if err != nil {
			l.logf("generation %d: %v: reloading the inventory", g, err)
			return l.reload(ctx)
		}
		l.apply(c)
	}
	return nil
}

// apply publishes the snapshot after commit c.
func (l *Live) apply(c *model.Commit) {
	old := l.Snap()
	sn := &Snap{Gen: c.Generation, Time: c.Time, hosts: old.hosts.edit(), Groups: maps.Clone(old.Groups)}
	// A change that moves nothing and sets only host vars keeps the
	// inventory's structure and its groups: host vars are read from the
	// nodes. Any other change rebuilds it.
	structural := len(c.Groups) > 0
	for _, h := range c.Hosts {
		if h.After == nil {
			sn.hosts.put(h.Before.Name, nil)
		} else {
			sn.hosts.put(h.After.Name, h.After)
		}
		if h.Before == nil || h.After == nil || !slices.Equal(h.Before.Groups, h.After.Groups) || h.Before.Slot != h.After.Slot {
			structural = true
		}
	}
	for _, g := range c.Groups {
		if g.After == nil {
			delete(sn.Groups, g.Before.Name)
		} else {
			sn.Groups[g.After.Name] = g.After
		}
		if g.Before == nil || g.After == nil || !slices.Equal(g.Before.Parents, g.After.Parents) ||
			g.Before.Seq != g.After.Seq || g.Before.ListLast != g.After.ListLast {
			structural = true
		}
	}
	if structural {
		sn.hosts = hostMap{base: sn.hosts.flatten()}
		sn.Inv, sn.merger = buildInventory(sn.hosts.base, sn.Groups), &sharedMerger{}
	} else {
		sn.hosts.compact()
		sn.Inv, sn.merger = old.Inv, old.merger
	}
	l.mu.Lock()
	l.recent = append(l.recent, c)
	if len(l.recent) > recentKeep {
		l.recent = slices.Delete(l.recent, 0, len(l.recent)-recentKeep)
	}
	l.mu.Unlock()
	l.publish(sn)
}

// buildInventory makes the inventory Ansible sees from the nodes, sharing
// their vars rather than copying them: script.Inventory copies what it is
// given, so it is given nodes without vars.
func buildInventory(hosts map[string]*model.HostNode, groups map[string]*model.GroupNode) *model.Inventory {
	bare := &model.Nodes{Hosts: make(map[string]*model.HostNode, len(hosts)), Groups: make(map[string]*model.GroupNode, len(groups))}
	for name, h := range hosts {
		bare.Hosts[name] = &model.HostNode{Host: model.Host{Name: h.Name}, Groups: h.Groups, Slot: h.Slot}
	}
	for name, g := range groups {
		bare.Groups[name] = &model.GroupNode{Group: model.Group{Name: g.Name, Priority: g.Priority}, Seq: g.Seq, ListLast: g.ListLast, Parents: g.Parents}
	}
	inv := script.Inventory(bare)
	for _, h := range inv.Hosts {
		if n := hosts[h.Name]; n != nil {
			shareHost(h, n)
		}
	}
	for _, g := range inv.Groups {
		if n := groups[g.Name]; n != nil {
			shareGroup(g, n)
		}
	}
	inv.Host("") // builds the lookup indexes before readers share it
	return inv
}

func shareHost(h *model.Host, n *model.HostNode) {
	h.Vars, h.FileVars, h.Source, h.VarSources, h.FileVarSources = n.Vars, n.FileVars, n.Source, n.VarSources, n.FileVarSources
}

func shareGroup(g *model.Group, n *model.GroupNode) {
	g.Vars, g.FileVars, g.Priority = n.Vars, n.FileVars, n.Priority
	g.Source, g.VarSources, g.FileVarSources = n.Source, n.VarSources, n.FileVarSources
}

// hostMap is the snapshot's hosts: a map shared by many snapshots and the
// few hosts changed since, so that a change does not copy 100,000 entries.
type hostMap struct {
	base map[string]*model.HostNode
	over map[string]*model.HostNode // a nil value: deleted
	n    int                        // hosts in all
}

// overMax is how many changed hosts a snapshot keeps apart before they
// are merged into a new base: a copy of the whole map per overMax hosts
// changed.
const overMax = 4096

// HostNode returns the named host's node, nil if there is none.
func (sn *Snap) HostNode(name string) *model.HostNode { return sn.hosts.get(name) }

// HostCount returns the number of hosts.
func (sn *Snap) HostCount() int { return sn.hosts.len() }

func (m *hostMap) get(name string) *model.HostNode {
	if h, ok := m.over[name]; ok {
		return h
	}
	return m.base[name]
}

func (m *hostMap) len() int {
	if m.over == nil {
		return len(m.base)
	}
	return m.n
}

// edit returns a copy to change: the base shared, the changes copied.
func (m hostMap) edit() hostMap {
	c := hostMap{base: m.base, over: maps.Clone(m.over), n: m.len()}
	if c.over == nil {
		c.over = map[string]*model.HostNode{}
	}
	return c
}

func (m *hostMap) put(name string, h *model.HostNode) {
	had := m.get(name) != nil
	m.over[name] = h
	switch {
	case had && h == nil:
		m.n--
	case !had && h != nil:
		m.n++
	}
}

// flatten returns every host in one new map.
func (m *hostMap) flatten() map[string]*model.HostNode {
	out := make(map[string]*model.HostNode, m.len())
	for k, v := range m.base {
		out[k] = v
	}
	for k, v := range m.over {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// compact merges the changes into a new base once they are many.
func (m *hostMap) compact() {
	if len(m.over) > overMax {
		*m = hostMap{base: m.flatten()}
	}
}
