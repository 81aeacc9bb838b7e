package jones

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
)

// History of configuration. Every change kook makes to a service (create,
// set, replace, unset, edit, delete, assoc, unassoc, revert) writes, in
// the same multi as the change, a change record and bumps the service's own
// generation counter:
//
//	services/<svc>/kook-history        {"generation":7,"start":1}: the last
//	                                   generation and the oldest kept
//	services/<svc>/kook-history/<gen>  the change record (12 digits)
//
// The counter is set checking its version, so two changes to one service
// never take the same generation, and a record is there exactly when its
// change is. Jones never looks there: its code reads conf, views and
// nodemaps (environments are the children of conf), and its web app lists
// as services only the children of /services with a root config, so a
// znode below a service is invisible to it.
//
// A record holds who, when, the tool and why, the operation, and what it
// changed, in proportion to the change: for each environment's config the
// old and new values of the keys it changed (a whole config for an
// environment created or deleted, and the key order where it is not
// implied), and for each host whose association changed the view path
// before and after. A record that would not fit in the request beside its
// change keeps the names and drops the values ("omitted"): it is shown but
// cannot be reverted.
//
// Deleting a service keeps its service znode and kook-history, so that
// the deletion is in the log and can be reverted.

// Attribution says who makes a change, as its record keeps it.
type Attribution struct {
	// Tool names the program ("kook", "kook serve"); "" a Go program.
	Tool string
	// User is who the change is made for when a program acts for someone
	// (kook serve's logged-in user).
	User string
	// Reason is why ("" for none).
	Reason string
}

// As returns a Store that records its changes with a. The OS user, the
// host name and the ZooKeeper identity are recorded whatever a says.
func (s *Store) As(a Attribution) *Store {
	c := *s
	c.who = a
	return &c
}

// WithRetention returns a Store that keeps, per service, the last keep
// change records and any younger than days days (zkstore's defaults when
// 0; a negative days keeps none for its age alone).
func (s *Store) WithRetention(keep, days int) *Store {
	c := *s
	c.keep, c.days = keep, days
	return &c
}

func (s *Store) retention() (int64, time.Duration) {
	keep, days := s.keep, s.days
	if keep <= 0 {
		keep = zkstore.DefaultHistoryKeep
	}
	if days == 0 {
		days = zkstore.DefaultHistoryDays
	}
	return int64(keep), time.Duration(max(days, 0)) * 24 * time.Hour
}

func (s *Store) historyPath(svc string) string { return s.svcPath(svc) + "/kook-history" }

func (s *Store) changePath(svc string, gen int64) string {
	return s.historyPath(svc) + "/" + fmt.Sprintf("%012d", gen)
}

// Change is one change to a service as its history keeps it.
type Change struct {
	Service    string
	Generation int64
	Time       time.Time
	// User, OSUser, Machine and Identity are as in model.Commit.
	User, OSUser, Machine, Identity string
	Tool, Reason                    string
	// Op is what was done: "create", "set", "replace", "unset", "delete",
	// "assoc", "unassoc", "revert".
	Op string
	// Env is the environment it was done to ("/" for the root), "" for an
	// association.
	Env     string
	Configs []ConfigChange
	Assocs  []AssocChange
	// Omitted is set when the values did not fit in the record: names are
	// kept, values are not, and the change cannot be reverted.
	Omitted bool
}

// Who says who made the change, for people (see model.Commit.Who).
func (c *Change) Who() string {
	return (&model.Commit{User: c.User, OSUser: c.OSUser, Machine: c.Machine, Identity: c.Identity}).Who()
}

// ConfigChange is what a change did to one environment's own config.
type ConfigChange struct {
	Env              string // "/" for the root
	Created, Deleted bool
	// Old holds the keys changed or removed, with their values before;
	// New the keys changed or added, with their values after. A created
	// environment's New is its whole config, a deleted one's Old.
	Old, New model.Map
	// Order and NewOrder are the config's keys in order, before and after,
	// when Old and New do not imply it (keys removed, or reordered).
	Order, NewOrder []string
	// Keys names the keys changed when Omitted left the values out.
	Keys []string
}

// AssocChange is a host's association before and after: the view path as
// the nodemap holds it ("/services/<svc>/views/<env>"), "" for none.
type AssocChange struct {
	Host          string
	Before, After string
}

// BeforeEnv and AfterEnv name the environments of an association change
// ("/" for the root, the path itself when it is not a view of svc, "" for
// none).
func (a AssocChange) BeforeEnv(svc string) string { return assocEnv(svc, a.Before) }

// AfterEnv is BeforeEnv for the association after the change.
func (a AssocChange) AfterEnv(svc string) string { return assocEnv(svc, a.After) }

func assocEnv(svc, p string) string {
	if p == "" {
		return ""
	}
	return envName(svc, p)
}

// diffConfig describes the change of one config from b to a; nil stands
// for an environment that does not exist.
func diffConfig(env string, b, a model.Map, bOK, aOK bool) ConfigChange {
	cc := ConfigChange{Env: displayEnv(env), Created: !bOK, Deleted: !aOK}
	for _, e := range b {
		if v, ok := a.Get(e.Key); !ok || !model.EqualOrdered(v, e.Value) {
			cc.Old = append(cc.Old, model.Entry{Key: e.Key, Value: model.CloneValue(e.Value)})
		}
	}
	for _, e := range a {
		if v, ok := b.Get(e.Key); !ok || !model.EqualOrdered(v, e.Value) {
			cc.New = append(cc.New, model.Entry{Key: e.Key, Value: model.CloneValue(e.Value)})
		}
	}
	if bOK && aOK {
		if !model.EqualOrdered(cc.undo(a), b) {
			cc.Order = b.Keys()
		}
		if !model.EqualOrdered(cc.redo(b), a) {
			cc.NewOrder = a.Keys()
		}
	}
	return cc
}

// changed reports whether the config change changes anything.
func (cc ConfigChange) changed() bool {
	return cc.Created || cc.Deleted || len(cc.Old) > 0 || len(cc.New) > 0 || cc.Order != nil || cc.NewOrder != nil
}

// undo returns cur with the change's keys put back as they were before it.
func (cc ConfigChange) undo(cur model.Map) model.Map { return replay(cur, cc.New, cc.Old, cc.Order) }

// redo returns cur with the change's keys made as it left them.
func (cc ConfigChange) redo(cur model.Map) model.Map { return replay(cur, cc.Old, cc.New, cc.NewOrder) }

// replay returns cur with to's keys set to their values there, from's keys
// that to lacks removed, and the keys in order's order.
func replay(cur, from, to model.Map, order []string) model.Map {
	t := cur.Clone()
	if t == nil {
		t = model.Map{}
	}
	for _, e := range from {
		if !to.Has(e.Key) {
			t.Delete(e.Key)
		}
	}
	for _, e := range to {
		t.Set(e.Key, model.CloneValue(e.Value))
	}
	return reorder(t, order)
}

// keys returns the keys the change touches.
func (cc ConfigChange) keys() []string {
	if cc.Keys != nil {
		return cc.Keys
	}
	out := cc.Old.Keys()
	for _, k := range cc.New.Keys() {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// reorder puts m's keys in order's order, the others after them as they
// were.
func reorder(m model.Map, order []string) model.Map {
	if order == nil {
		return m
	}
	out := make(model.Map, 0, len(m))
	for _, k := range order {
		if v, ok := m.Get(k); ok {
			out = append(out, model.Entry{Key: k, Value: v})
		}
	}
	for _, e := range m {
		if !slices.Contains(order, e.Key) {
			out = append(out, e)
		}
	}
	return out
}

// Records as stored: the header's fields, then "configs" and "assocs".
// Values are written with model's codec (json cannot hold some, such as
// Infinity), so a record is assembled by hand and read with
// model.UnmarshalStored:
//
//	{"generation":4,"time":"...","writer":"4-1f2e3d4c","os_user":"alice",
//	 "machine":"ops1","tool":"kook","reason":"...","op":"set","env":"p",
//	 "configs":[{"env":"p","old":{"k":1},"new":{"k":2}}],
//	 "assocs":[{"host":"web1","before":null,"after":"/services/svc/views/p"}]}
type changeJSON struct {
	Generation int64     `json:"generation"`
	Time       time.Time `json:"time"`
	Writer     string    `json:"writer"`
	User       string    `json:"user,omitempty"`
	OSUser     string    `json:"os_user,omitempty"`
	Machine    string    `json:"machine,omitempty"`
	Identity   string    `json:"zk_identity,omitempty"`
	Tool       string    `json:"tool,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Op         string    `json:"op"`
	Env        string    `json:"env,omitempty"`
	Omitted    bool      `json:"omitted,omitempty"`
}

// counterJSON is the kook-history znode.
type counterJSON struct {
	Generation int64  `json:"generation"`
	Start      int64  `json:"start"`
	Writer     string `json:"writer,omitempty"`
}

// maxChangeRecord bounds one record; a record larger than this, or than the
// room its change leaves in the request, omits its values.
const maxChangeRecord = 256 << 10

func encodeChange(c *Change, writer string, omit bool) []byte {
	j := changeJSON{Generation: c.Generation, Time: c.Time.UTC(), Writer: writer, User: c.User, OSUser: c.OSUser,
		Machine: c.Machine, Identity: c.Identity, Tool: c.Tool, Reason: c.Reason, Op: c.Op, Env: c.Env, Omitted: omit || c.Omitted}
	hb, _ := json.Marshal(j)
	buf := hb[:len(hb)-1]
	strs := func(buf []byte, key string, list []string) []byte {
		if list == nil {
			return buf
		}
		buf = model.AppendString(append(buf, ','), key)
		buf = append(buf, ':', '[')
		for i, k := range list {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = model.AppendString(buf, k)
		}
		return append(buf, ']')
	}
	if len(c.Configs) > 0 {
		buf = append(buf, `,"configs":[`...)
		for i, cc := range c.Configs {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = model.AppendString(append(buf, `{"env":`...), cc.Env)
			if cc.Created {
				buf = append(buf, `,"created":true`...)
			}
			if cc.Deleted {
				buf = append(buf, `,"deleted":true`...)
			}
			if j.Omitted {
				buf = strs(buf, "keys", cc.keys())
			} else {
				if len(cc.Old) > 0 {
					buf = model.AppendStored(append(buf, `,"old":`...), cc.Old)
				}
				if len(cc.New) > 0 {
					buf = model.AppendStored(append(buf, `,"new":`...), cc.New)
				}
				buf = strs(buf, "order", cc.Order)
				buf = strs(buf, "new_order", cc.NewOrder)
				buf = strs(buf, "keys", cc.Keys)
			}
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	if len(c.Assocs) > 0 {
		path := func(buf []byte, p string) []byte {
			if p == "" {
				return append(buf, "null"...)
			}
			return model.AppendString(buf, p)
		}
		buf = append(buf, `,"assocs":[`...)
		for i, a := range c.Assocs {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = model.AppendString(append(buf, `{"host":`...), a.Host)
			buf = path(append(buf, `,"before":`...), a.Before)
			buf = path(append(buf, `,"after":`...), a.After)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	return append(buf, '}')
}

func decodeChange(svc string, data []byte) (*Change, error) {
	v, err := model.UnmarshalStored(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(model.Map)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	str := func(v model.Value) string { s, _ := v.(string); return s }
	strList := func(v model.Value) []string {
		l, ok := v.([]model.Value)
		if !ok {
			return nil
		}
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, str(x))
		}
		return out
	}
	obj := func(v model.Value) (model.Map, error) {
		if v == nil {
			return nil, nil
		}
		m, ok := v.(model.Map)
		if !ok {
			return nil, fmt.Errorf("want an object, got %s", jsonKind(v))
		}
		return m, nil
	}
	c := &Change{Service: svc}
	for _, e := range m {
		switch e.Key {
		case "generation":
			c.Generation, _ = e.Value.(int64)
		case "time":
			if c.Time, err = time.Parse(time.RFC3339Nano, str(e.Value)); err != nil {
				return nil, fmt.Errorf("time: %w", err)
			}
		case "user":
			c.User = str(e.Value)
		case "os_user":
			c.OSUser = str(e.Value)
		case "machine":
			c.Machine = str(e.Value)
		case "zk_identity":
			c.Identity = str(e.Value)
		case "tool":
			c.Tool = str(e.Value)
		case "reason":
			c.Reason = str(e.Value)
		case "op":
			c.Op = str(e.Value)
		case "env":
			c.Env = str(e.Value)
		case "omitted":
			c.Omitted, _ = e.Value.(bool)
		case "configs":
			list, _ := e.Value.([]model.Value)
			for _, x := range list {
				cm, err := obj(x)
				if err != nil {
					return nil, fmt.Errorf("configs: %w", err)
				}
				var cc ConfigChange
				for _, f := range cm {
					switch f.Key {
					case "env":
						cc.Env = str(f.Value)
					case "created":
						cc.Created, _ = f.Value.(bool)
					case "deleted":
						cc.Deleted, _ = f.Value.(bool)
					case "old":
						cc.Old, err = obj(f.Value)
					case "new":
						cc.New, err = obj(f.Value)
					case "order":
						cc.Order = strList(f.Value)
					case "new_order":
						cc.NewOrder = strList(f.Value)
					case "keys":
						cc.Keys = strList(f.Value)
					}
					if err != nil {
						return nil, fmt.Errorf("environment %s: %s: %w", cc.Env, f.Key, err)
					}
				}
				c.Configs = append(c.Configs, cc)
			}
		case "assocs":
			list, _ := e.Value.([]model.Value)
			for _, x := range list {
				am, err := obj(x)
				if err != nil {
					return nil, fmt.Errorf("assocs: %w", err)
				}
				var a AssocChange
				for _, f := range am {
					switch f.Key {
					case "host":
						a.Host = str(f.Value)
					case "before":
						a.Before = str(f.Value)
					case "after":
						a.After = str(f.Value)
					}
				}
				c.Assocs = append(c.Assocs, a)
			}
		}
	}
	return c, nil
}

// fill sets a change's who fields from the store and the process.
func (s *Store) fill(c *Change) {
	c.Time = time.Now()
	c.User, c.Tool = s.who.User, s.who.Tool
	if c.Reason == "" {
		c.Reason = s.who.Reason
	}
	if u, err := user.Current(); err == nil {
		c.OSUser = u.Username
	} else {
		c.OSUser = os.Getenv("USER")
	}
	c.Machine, _ = os.Hostname()
	c.Identity = s.conn.Identity()
}

func newWriter(gen int64) string {
	var b [4]byte
	rand.Read(b[:])
	return strconv.FormatInt(gen, 16) + "-" + hex.EncodeToString(b[:])
}

// record adds to t what records change c to svc: the counter set checking
// its version (created if missing), the record, and the removal of a few
// records beyond retention. room is the most bytes the ops may add; a
// record that does not fit omits its values. It reads the counter and, past
// retention, a stat of the oldest record. It returns false, adding nothing,
// when even a record without values does not fit.
func (s *Store) record(ctx context.Context, t *zkconn.Txn, svc string, c *Change, room int) (bool, error) {
	cp := s.historyPath(svc)
	z, err := s.get(ctx, cp)
	if err != nil {
		return false, err
	}
	var ctr counterJSON
	if z.ok && len(z.data) > 0 {
		if err := json.Unmarshal(z.data, &ctr); err != nil {
			return false, fmt.Errorf("%s: %w", cp, err)
		}
	}
	ctr.Generation++
	ctr.Start = max(ctr.Start, 1)
	keep, age := s.retention()
	u := s.conn.NewTxn()
	for i := 0; i < 4 && ctr.Generation-ctr.Start >= keep; i++ {
		ok, st, err := s.conn.Exists(ctx, s.changePath(svc, ctr.Start))
		if err != nil {
			return false, err
		}
		if ok {
			if age > 0 && time.Since(time.UnixMilli(st.Ctime)) < age {
				break
			}
			u.Delete(s.changePath(svc, ctr.Start), -1)
		}
		ctr.Start++
	}
	c.Service, c.Generation = svc, ctr.Generation
	s.fill(c)
	ctr.Writer = newWriter(ctr.Generation)
	data, _ := json.Marshal(ctr)
	if z.ok {
		u.Set(cp, data, z.version)
	} else {
		u.Create(cp, data)
	}
	rec := encodeChange(c, ctr.Writer, false)
	left := min(room-u.Size()-len(s.changePath(svc, 0))-64, maxChangeRecord)
	if len(rec) > left {
		rec = encodeChange(c, ctr.Writer, true)
		c.Omitted = true
		if len(rec) > left {
			c.Configs, c.Assocs = nil, nil
			rec = encodeChange(c, ctr.Writer, true)
		}
		if len(rec) > left {
			return false, nil
		}
	}
	u.Create(s.changePath(svc, ctr.Generation), rec)
	t.Append(u)
	return true, nil
}

// room is what t leaves of one request.
func room(t *zkconn.Txn) int { return zkconn.MaxRequestBytes - t.Size() - 64 }

// History returns the oldest generation of svc's history kept and the
// last one (0, 0 when svc has none).
func (s *Store) History(ctx context.Context, svc string) (start, last int64, err error) {
	if err := checkService(svc); err != nil {
		return 0, 0, err
	}
	z, err := s.get(ctx, s.historyPath(svc))
	if err != nil || !z.ok || len(z.data) == 0 {
		return 0, 0, err
	}
	var ctr counterJSON
	if err := json.Unmarshal(z.data, &ctr); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", s.historyPath(svc), err)
	}
	return max(ctr.Start, 1), ctr.Generation, nil
}

// ErrPruned is zkstore's: retention removed the record asked for.
var ErrPruned = zkstore.ErrPruned

// Change returns generation gen of svc's history: model.ErrNotFound if
// there is none, an error wrapping ErrPruned if retention removed it.
func (s *Store) Change(ctx context.Context, svc string, gen int64) (*Change, error) {
	if err := checkService(svc); err != nil {
		return nil, err
	}
	p := s.changePath(svc, gen)
	data, _, err := s.conn.Get(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		start, last, herr := s.History(ctx, svc)
		if herr == nil && gen >= 1 && gen < start && gen <= last {
			return nil, fmt.Errorf("generation %d of %s: %w (history starts at generation %d)", gen, svc, ErrPruned, start)
		}
		return nil, fmt.Errorf("generation %d of %s's history: %w", gen, svc, model.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	c, err := decodeChange(svc, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return c, nil
}

// Changes calls fn with generations from to to of svc's history, in that
// order (from > to goes newest first), until fn returns false or an error.
// Records are small and read several at a time.
func (s *Store) Changes(ctx context.Context, svc string, from, to int64, fn func(*Change) (bool, error)) error {
	step := int64(1)
	if from > to {
		step = -1
	}
	n := (to-from)*step + 1
	const window = 32
	for i := int64(0); i < n; i += window {
		m := min(window, n-i)
		cs := make([]*Change, m)
		err := each(int(m), func(j int) error {
			var err error
			cs[j], err = s.Change(ctx, svc, from+(i+int64(j))*step)
			return err
		})
		for _, c := range cs {
			if c == nil {
				return err
			}
			more, ferr := fn(c)
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

// Touches reports whether the change concerns env: its config, or an
// association with it.
func (c *Change) Touches(env string) bool {
	if e, err := cleanEnv(env); err == nil {
		env = e
	}
	env = displayEnv(env)
	for _, cc := range c.Configs {
		if cc.Env == env {
			return true
		}
	}
	for _, a := range c.Assocs {
		if a.BeforeEnv(c.Service) == env || a.AfterEnv(c.Service) == env {
			return true
		}
	}
	return false
}
