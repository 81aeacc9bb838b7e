package jones

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// Create creates env in svc with conf as its own config (nil: {}), and its
// view. Creating the root environment ("" or "/") creates the service. It
// returns model.ErrExists if env exists and model.ErrNotFound if its parent
// does not: environments are created one level at a time. A name holding
// " -> " is refused: Jones would misread the nodemaps that name it.
func (s *Store) Create(ctx context.Context, svc, env string, conf model.Map) error {
	env, err := checkArgs(svc, env)
	if err != nil {
		return err
	}
	if err := checkNewName("service", svc); err != nil {
		return err
	}
	if err := checkNewName("environment", env); err != nil {
		return err
	}
	if conf == nil {
		conf = model.Map{}
	}
	if err := model.CheckValue(conf); err != nil {
		return fmt.Errorf("create %s %s: %w", svc, displayEnv(env), err)
	}
	data := model.MarshalJSON(conf)
	what := fmt.Sprintf("create %s %s", svc, displayEnv(env))
	if env == "" {
		return s.createService(ctx, svc, conf, data, what)
	}
	var markers []string
	_, err = s.commit(ctx, what, func() (*zkconn.Txn, error) {
		sn, err := s.load(ctx, svc, parentEnv(env), false)
		if err != nil {
			return nil, err
		}
		markers = sn.meta.markers
		// A view or record left behind by another tool is overwritten,
		// not an error.
		var old [3]znode
		paths := [3]string{s.confPath(svc, env), s.viewPath(svc, env), s.recordPath(svc, env)}
		if err := each(len(paths), func(i int) (err error) { old[i], err = s.get(ctx, paths[i]); return err }); err != nil {
			return nil, err
		}
		if old[0].ok {
			return nil, fmt.Errorf("environment %q: %w", env, model.ErrExists)
		}
		sn.nodes[env] = &envNode{conf: conf, view: old[1], rec: old[2]}
		sn.order = append(sn.order, env)
		t := s.conn.NewTxn()
		s.checkConfs(t, sn, 0, sn.nchain)
		t.Create(paths[0], data)
		s.planViews(t, sn, sn.nchain-1, len(sn.order), parentEnv(env))
		ch := &Change{Op: "create", Env: displayEnv(env), Configs: []ConfigChange{diffConfig(env, nil, conf, false, true)}}
		if _, err := s.record(ctx, t, svc, ch, room(t)); err != nil {
			return nil, err
		}
		return t, nil
	})
	if err != nil {
		return err
	}
	return s.finish(ctx, svc, what, markers)
}

// createService creates the service znode with its root config, root view
// and its record, an empty nodemap and kook's own znodes. Pieces already
// there (a tree another Jones tool started) are kept, except that the root
// config must not exist yet. Znodes without content get empty data, never
// null, which Jones's /export cannot print.
func (s *Store) createService(ctx context.Context, svc string, rootConf model.Map, data []byte, what string) error {
	if err := s.ensurePath(ctx, s.servicesPath()); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, err := s.commit(ctx, what, func() (*zkconn.Txn, error) {
		paths := []string{s.svcPath(svc), s.confPath(svc, ""), s.viewPath(svc, ""), s.nodemapsPath(svc),
			s.sourcesPath(svc), s.pendingPath(svc), s.recordPath(svc, "")}
		z := make([]znode, len(paths))
		if err := each(len(paths), func(i int) (err error) { z[i], err = s.get(ctx, paths[i]); return err }); err != nil {
			return nil, err
		}
		top, conf, view, nm, sources, pending, rec := z[0], z[1], z[2], z[3], z[4], z[5], z[6]
		if conf.ok {
			return nil, fmt.Errorf("service %q: %w", svc, model.ErrExists)
		}
		t := s.conn.NewTxn()
		if !top.ok {
			t.Create(paths[0], []byte{})
		}
		t.Create(paths[1], data)
		if view.ok {
			t.Set(paths[2], data, view.version)
		} else {
			t.Create(paths[2], data)
		}
		if !nm.ok {
			t.Create(paths[3], []byte("{}"))
		}
		if !sources.ok {
			t.Create(paths[4], []byte{})
		}
		if !pending.ok {
			t.Create(paths[5], []byte{})
		}
		if record := []byte(`{"/":0}`); rec.ok {
			t.Set(paths[6], record, rec.version)
		} else {
			t.Create(paths[6], record)
		}
		ch := &Change{Op: "create", Env: Root, Configs: []ConfigChange{diffConfig("", nil, rootConf, false, true)}}
		if _, err := s.record(ctx, t, svc, ch, room(t)); err != nil {
			return nil, err
		}
		return t, nil
	})
	return err
}

// Set sets each key of kv in env's own config, keeping the other keys, and
// rewrites the views of env and its descendants in the same transaction. It
// returns the config's new version, and model.ErrNotFound for a missing
// environment.
func (s *Store) Set(ctx context.Context, svc, env string, kv model.Map) (int32, error) {
	if err := model.CheckValue(kv); err != nil {
		return 0, fmt.Errorf("set %s %s: %w", svc, displayEnv(env), err)
	}
	return s.update(ctx, svc, env, "set", func(conf model.Map, _ int32) (model.Map, error) {
		conf.Update(kv)
		return conf, nil
	})
}

// Replace replaces env's whole config with conf. With version >= 0 it
// refuses, with an error wrapping model.ErrConflict, if the stored config
// is at another version (someone else saved since it was read); -1 replaces
// whatever is there. It returns the new version.
func (s *Store) Replace(ctx context.Context, svc, env string, conf model.Map, version int32) (int32, error) {
	if conf == nil {
		conf = model.Map{}
	}
	if err := model.CheckValue(conf); err != nil {
		return 0, fmt.Errorf("replace %s %s: %w", svc, displayEnv(env), err)
	}
	return s.update(ctx, svc, env, "replace", func(_ model.Map, stored int32) (model.Map, error) {
		if version >= 0 && stored != version {
			return nil, fmt.Errorf("config is at version %d, not %d: it changed since it was read: %w",
				stored, version, model.ErrConflict)
		}
		return conf, nil
	})
}

// Unset removes keys from env's own config; keys it does not set are an
// error wrapping model.ErrNotFound, and nothing is written. It returns the
// config's new version.
func (s *Store) Unset(ctx context.Context, svc, env string, keys ...string) (int32, error) {
	return s.update(ctx, svc, env, "unset", func(conf model.Map, _ int32) (model.Map, error) {
		var missing []string
		for _, k := range keys {
			if !conf.Delete(k) {
				missing = append(missing, fmt.Sprintf("%q", k))
			}
		}
		if missing != nil {
			return nil, fmt.Errorf("key %s not set: %w", strings.Join(missing, ", "), model.ErrNotFound)
		}
		return conf, nil
	})
}

// update applies fn to a fresh copy of env's config and commits the result
// with the views of env and all its descendants, checking the versions of
// every config those views were computed from. When the views do not fit
// in one request with the config, the config and a marker (and env's own
// view if it fits with them) are written in one, and the views are
// rewritten after it (see rewrite.go).
func (s *Store) update(ctx context.Context, svc, env, verb string, fn func(conf model.Map, version int32) (model.Map, error)) (int32, error) {
	env, err := checkArgs(svc, env)
	if err != nil {
		return 0, err
	}
	what := fmt.Sprintf("%s %s %s", verb, svc, displayEnv(env))
	var version int32
	var markers []string
	setOp, markOp := -1, -1
	res, err := s.commit(ctx, what, func() (*zkconn.Txn, error) {
		sn, err := s.load(ctx, svc, env, true)
		if err != nil {
			return nil, err
		}
		markers = sn.meta.markers
		node := sn.nodes[env]
		before := node.conf
		conf, err := fn(node.conf.Clone(), node.version)
		if err != nil {
			return nil, err
		}
		version, setOp, markOp = node.version, -1, -1
		changed := !model.EqualOrdered(conf, node.conf)
		confData := model.MarshalJSON(conf)
		if changed {
			node.conf, node.after = conf, node.version+1
		}
		head := func(t *zkconn.Txn) {
			s.checkConfs(t, sn, 0, sn.nchain-1)
			if changed {
				setOp = t.Len()
				t.Set(s.confPath(svc, env), confData, node.version)
			} else {
				t.Check(s.confPath(svc, env), node.version)
			}
		}
		// The change record goes in the request that writes the config.
		record := func(t *zkconn.Txn) (bool, error) {
			if !changed {
				return true, nil
			}
			ch := &Change{Op: verb, Env: displayEnv(env), Configs: []ConfigChange{diffConfig(env, before, conf, true, true)}}
			return s.record(ctx, t, svc, ch, room(t))
		}
		t := s.conn.NewTxn()
		head(t)
		s.checkConfs(t, sn, sn.nchain, len(sn.order))
		writes, fits := s.planViews(t, sn, sn.nchain-1, len(sn.order), "")
		if fits {
			if writes == 0 && !changed {
				return nil, nil
			}
			withRecord := t.Clone()
			if ok, err := record(withRecord); err != nil {
				return nil, err
			} else if ok && withRecord.Fits() {
				return withRecord, nil
			}
		}
		if err := s.checkEachFits(sn, what); err != nil {
			return nil, err
		}
		t = s.conn.NewTxn()
		head(t)
		markOp = s.planMarker(t, sn, env)
		// env's own view goes with its config if both fit in one request.
		withView := t.Clone()
		if _, fits := s.planViews(withView, sn, sn.nchain-1, sn.nchain, ""); fits {
			t = withView
		}
		if _, err := record(t); err != nil {
			return nil, err
		}
		return t, nil
	})
	if err != nil {
		return 0, err
	}
	if setOp >= 0 && res != nil && res[setOp].Stat != nil {
		version = res[setOp].Stat.Version
	}
	if markOp >= 0 && res != nil {
		err := s.rewriteMarked(ctx, svc, env, res[markOp].String, &markers)
		if err != nil {
			return version, fmt.Errorf("%s: the config is saved (version %d), but views of %s and below may be stale until the next change to %s, or Repair, rewrites them: %w",
				what, version, displayEnv(env), svc, err)
		}
	}
	return version, s.finish(ctx, svc, what, markers)
}

// rewriteMarked rewrites the views below env after a change that left the
// marker made ("" when the change's reply was lost and it was read back:
// which marker is its own is unknown then, so every marker now pending is
// added to markers, for finish to complete).
func (s *Store) rewriteMarked(ctx context.Context, svc, env, made string, markers *[]string) error {
	if made != "" {
		return s.rewrite(ctx, svc, env, path.Base(made))
	}
	var m meta
	if err := s.retry(ctx, func() error { return s.readMeta(ctx, svc, &m) }); err != nil {
		return err
	}
	*markers = m.markers
	return nil
}

// Edit shows env's own config to edit as indented JSON text and saves what
// edit returns, unless someone else changed the config meanwhile: then it
// fails with an error wrapping model.ErrConflict and saves nothing, so the
// other change is not silently undone. Text that parses to the same config
// writes nothing. It returns the config's version after the edit.
func (s *Store) Edit(ctx context.Context, svc, env string, edit func(text []byte) ([]byte, error)) (int32, error) {
	shown, err := s.Show(ctx, svc, env)
	if err != nil {
		return 0, err
	}
	text := model.MarshalJSON(shown.Config)
	var buf bytes.Buffer
	// json.Indent works on the text, so 1.0 stays 1.0; it refuses only
	// NaN and Infinity, which then stay on one line.
	if json.Indent(&buf, text, "", "  ") == nil {
		text = append(buf.Bytes(), '\n')
	}
	out, err := edit(text)
	if err != nil {
		return 0, fmt.Errorf("edit %s %s: %w", svc, shown.Env, err)
	}
	conf, err := ParseConfig(out)
	if err != nil {
		return 0, fmt.Errorf("edit %s %s: %w", svc, shown.Env, err)
	}
	if model.EqualOrdered(conf, shown.Config) {
		return shown.Version, nil
	}
	return s.Replace(ctx, svc, env, conf, shown.Version)
}
