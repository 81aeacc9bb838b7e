package jones_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkconn"
)

// TestIntegration_Stress has writers change random configs at every depth of one tree
// while another creates and deletes leaves and moves hosts, and a reader
// checks every view it can pin down. At the end every view must equal the
// inheritance of the configs, recomputed here with encoding/json maps
// (independently of the package).
func TestIntegration_Stress(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	envs := []string{"/", "a", "b", "a/x", "a/y", "b/z", "a/x/k"}
	for _, e := range envs {
		mustCreate(t, s, "svc", e, `{"k0": 0}`)
	}
	const writers, writes = 6, 60
	var conflicts, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range writes {
				env := envs[r.IntN(len(envs))]
				var err error
				switch r.IntN(4) {
				case 0:
					conf := model.Map{}
					for k := range 5 {
						if r.IntN(2) == 0 {
							conf.Set(fmt.Sprintf("k%d", k), fmt.Sprintf("w%d-%d", w, i))
						}
					}
					_, err = s.Replace(ctx, "svc", env, conf, -1)
				case 1:
					_, err = s.Unset(ctx, "svc", env, fmt.Sprintf("k%d", r.IntN(5)))
					if errors.Is(err, model.ErrNotFound) {
						err = nil
					}
				default:
					_, err = s.Set(ctx, "svc", env, model.Map{{Key: fmt.Sprintf("k%d", r.IntN(5)), Value: int64(w*1000 + i)}})
				}
				if errors.Is(err, model.ErrConflict) {
					conflicts.Add(1)
				} else if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				done.Add(1)
			}
		}()
	}
	// Shape changes and associations race with the writers.
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Add(2)
	leaves := []string{"a/y/tmp", "b/z/tmp", "a/x/k/tmp", "b/new"}
	go func() {
		defer side.Done()
		r := rand.New(rand.NewPCG(99, 1))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Each leaf is created and deleted in turn, living across
			// many writes above it.
			leaf := leaves[r.IntN(len(leaves))]
			err := s.Create(ctx, "svc", leaf, model.Map{{Key: "k1", Value: int64(i)}})
			switch {
			case errors.Is(err, model.ErrExists):
				if err := s.Assoc(ctx, "svc", fmt.Sprintf("h%d", i%4), leaf); err != nil {
					errs <- fmt.Errorf("assoc: %w", err)
					return
				}
				if _, err := s.Delete(ctx, "svc", leaf, true); err != nil {
					errs <- fmt.Errorf("delete %s: %w", leaf, err)
					return
				}
			case err != nil:
				errs <- fmt.Errorf("create %s: %w", leaf, err)
				return
			}
			time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
		}
	}()
	var pinned atomic.Int64
	go func() {
		defer side.Done()
		reader := dial(t)
		for {
			select {
			case <-stop:
				return
			default:
			}
			all := append(envs[:len(envs):len(envs)], leaves...)
			ok, err := checkPinnedView(reader, all[rand.IntN(len(all))])
			if err != nil {
				errs <- err
				return
			}
			if ok {
				pinned.Add(1)
			}
		}
	}()
	wg.Wait()
	close(stop)
	side.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d writes, %d gave up on conflicts, %d views checked while writing", done.Load(), conflicts.Load(), pinned.Load())
	if conflicts.Load() > done.Load()/10 {
		t.Errorf("%d of %d writes gave up on conflicts", conflicts.Load(), done.Load())
	}
	if pinned.Load() == 0 {
		t.Error("the reader never pinned a view down")
	}
	checkAllViews(t, conn)
}

// chainOf returns the conf znodes a view of env inherits from, root first.
func chainOf(env string) []string {
	paths := []string{"/kook/services/svc/conf"}
	if env == "/" {
		return paths
	}
	parts := strings.Split(env, "/")
	for i := range parts {
		paths = append(paths, "/kook/services/svc/conf/"+strings.Join(parts[:i+1], "/"))
	}
	return paths
}

func viewOf(env string) string {
	if env == "/" {
		return "/kook/services/svc/views"
	}
	return "/kook/services/svc/views/" + env
}

var errGone = errors.New("environment deleted")

// checkPinnedView reads env's chain of configs, its view, and the chain
// again. When no config changed across the three steps (same mzxid), the
// configs held those values when the view was read, so the view must be
// their inheritance. ok is false when a config changed and nothing could be
// concluded.
func checkPinnedView(conn *zkconn.Conn, env string) (ok bool, err error) {
	ctx := context.Background()
	chainPaths := chainOf(env)
	read := func() ([][]byte, []int64, error) {
		datas := make([][]byte, len(chainPaths))
		zxids := make([]int64, len(chainPaths))
		for i, p := range chainPaths {
			data, st, err := conn.Get(ctx, p)
			if errors.Is(err, zk.ErrNoNode) {
				return nil, nil, errGone
			}
			if err != nil {
				return nil, nil, fmt.Errorf("reader: %s: %w", p, err)
			}
			datas[i], zxids[i] = data, st.Mzxid
		}
		return datas, zxids, nil
	}
	before, z1, err := read()
	if errors.Is(err, errGone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	view, _, err := conn.Get(ctx, viewOf(env))
	if errors.Is(err, zk.ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reader: view of %s: %w", env, err)
	}
	_, z2, err := read()
	if errors.Is(err, errGone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !reflect.DeepEqual(z1, z2) {
		return false, nil
	}
	want, got := inherit(before), decode(view)
	if !reflect.DeepEqual(want, got) {
		return false, fmt.Errorf("reader saw view of %s = %s while its configs make %v", env, view, want)
	}
	return true, nil
}

// inherit is Jones's view algorithm on plain maps: d = {}; d.update(c).
func inherit(confs [][]byte) map[string]any {
	view := map[string]any{}
	for _, c := range confs {
		for k, v := range decode(c) {
			view[k] = v
		}
	}
	return view
}

// decode keeps numbers as their text, so 1 and 1.0 stay different.
func decode(data []byte) map[string]any {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return map[string]any{"undecodable": string(data)}
	}
	return m
}

// checkAllViews walks the whole conf tree and compares every view with the
// inheritance of its chain.
func checkAllViews(t *testing.T, conn *zkconn.Conn) {
	t.Helper()
	ctx := context.Background()
	var walk func(env string, chain [][]byte)
	n := 0
	walk = func(env string, chain [][]byte) {
		confPath := "/kook/services/svc/conf"
		if env != "/" {
			confPath += "/" + env
		}
		data, _, err := conn.Get(ctx, confPath)
		if err != nil {
			t.Fatalf("%s: %v", confPath, err)
		}
		chain = append(chain[:len(chain):len(chain)], data)
		view, _, err := conn.Get(ctx, viewOf(env))
		if errors.Is(err, zk.ErrNoNode) {
			t.Errorf("view of %s is missing", env)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if want, got := inherit(chain), decode(view); !reflect.DeepEqual(want, got) {
			t.Errorf("view of %s = %s, want %v", env, view, want)
		}
		n++
		kids, _, err := conn.Children(ctx, confPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range kids {
			child := k
			if env != "/" {
				child = env + "/" + k
			}
			walk(child, chain)
		}
	}
	walk("/", nil)
	if n < 7 {
		t.Errorf("checked %d views, want at least 7", n)
	}
}
