package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// The configuration pages: Jones's service page done properly, and what
// the editor asks before saving.

// chainOf returns env and its ancestors, root ("") first.
func chainOf(env string) []string {
	out := []string{""}
	if env == "" {
		return out
	}
	parts := strings.Split(env, "/")
	for i := range parts {
		out = append(out, strings.Join(parts[:i+1], "/"))
	}
	return out
}

// showAll reads the configs of envs, 16 at a time.
func (s *Server) showAll(ctx context.Context, svc string, envs []string) (map[string]*jones.EnvConfig, error) {
	out := make(map[string]*jones.EnvConfig, len(envs))
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := s.jones.Show(ctx, svc, e)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			out[e] = c
		}()
	}
	wg.Wait()
	return out, first
}

// viewKey is one key of an inherited view, with where it comes from.
type viewKey struct {
	Key, Value, Origin string
	Own                bool
	Overridden         []overridden
}

type overridden struct{ Env, Value string }

// inherited explains each key of the view of chain's last env.
func inherited(chain []string, confs map[string]*jones.EnvConfig) []viewKey {
	var view model.Map
	for _, e := range chain {
		if c := confs[e]; c != nil {
			view.Update(c.Config)
		}
	}
	last := chain[len(chain)-1]
	out := make([]viewKey, 0, len(view))
	for _, kv := range view {
		vk := viewKey{Key: kv.Key, Value: string(model.MarshalJSON(kv.Value))}
		for _, e := range chain {
			c := confs[e]
			if c == nil {
				continue
			}
			if v, ok := c.Config.Get(kv.Key); ok {
				if vk.Origin != "" {
					vk.Overridden = append(vk.Overridden, overridden{Env: vk.Origin, Value: vk.Value})
				}
				vk.Origin, vk.Value = displayEnv(e), string(model.MarshalJSON(v))
			}
		}
		vk.Own = vk.Origin == displayEnv(last)
		out = append(out, vk)
	}
	return out
}

func displayEnv(env string) string {
	if env == "" {
		return "/"
	}
	return env
}

func (s *Server) servicePage(w http.ResponseWriter, r *http.Request, st *envState) {
	chain := chainOf(st.env)
	confs, err := s.showAll(r.Context(), st.svc, chain[:len(chain)-1])
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	confs[st.env] = &jones.EnvConfig{Service: st.svc, Env: displayEnv(st.env), Version: st.version, Config: st.config, View: st.view}
	type treeRow struct {
		envEntry
		URL     string
		Current bool
		Hosts   int
	}
	count := map[string]int{}
	for _, a := range st.assocs {
		count[a.Env]++
	}
	rows := make([]treeRow, len(st.envs))
	for i, e := range st.envs {
		rows[i] = treeRow{envEntry: e, URL: serviceURL(st.svc, e.Env), Current: e.Env == st.env, Hosts: count[displayEnv(e.Env)]}
	}
	var crumbs []map[string]string
	for _, e := range chain {
		name := "/"
		if e != "" {
			name = e[strings.LastIndexByte(e, '/')+1:]
		}
		crumbs = append(crumbs, map[string]string{"Name": name, "URL": serviceURL(st.svc, e)})
	}
	unassociated := 0
	if st.env == "" {
		unassociated = -1
	}
	s.render(w, r, "service.html", &page{Title: st.svc + " " + displayEnv(st.env), Nav: "services", Data: map[string]any{
		"Service": st.svc, "Env": st.env, "EnvName": displayEnv(st.env), "Version": st.version,
		"ConfigText": prettyJSON(st.config), "Tree": rows, "Crumbs": crumbs,
		"View": inherited(chain, confs), "Hosts": st.hostsOf(st.env), "AllAssocs": len(st.assocs),
		"URL": serviceURL(st.svc, st.env), "IsRoot": st.env == "", "Unassociated": unassociated,
	}})
}

// preview says which environments and hosts a new config for env
// reaches: every environment at or below env whose view would change, the
// keys that change in each, and the hosts associated with them.
func (s *Server) preview(ctx context.Context, svc, env string, conf model.Map) (model.Map, error) {
	tree, err := s.envs.Envs(ctx, svc)
	if err != nil {
		return nil, err
	}
	var below []string
	for _, e := range flattenEnvs(tree) {
		if e.Env != env && (env == "" || strings.HasPrefix(e.Env, env+"/")) {
			below = append(below, e.Env)
		}
	}
	chain := chainOf(env)
	confs, err := s.showAll(ctx, svc, append(append([]string{}, chain...), below...))
	if err != nil {
		return nil, err
	}
	if confs[env] == nil {
		return nil, errors.New("environment vanished while reading")
	}
	views := func(replace bool) map[string]model.Map {
		out := map[string]model.Map{}
		get := func(e string) model.Map {
			if replace && e == env {
				return conf
			}
			if c := confs[e]; c != nil {
				return c.Config
			}
			return nil
		}
		var base model.Map
		for _, e := range chain {
			base.Update(get(e))
		}
		out[env] = base
		for _, e := range below { // parents come first
			parent := ""
			if i := strings.LastIndexByte(e, '/'); i >= 0 {
				parent = e[:i]
			}
			v := append(model.Map{}, out[parent]...)
			v.Update(get(e))
			out[e] = v
		}
		return out
	}
	before, after := views(false), views(true)
	assocs, err := s.jones.Assocs(ctx, svc)
	if err != nil {
		return nil, err
	}
	var envList []model.Value
	reached := map[string]bool{}
	for _, e := range append([]string{env}, below...) {
		changed := diffKeys(before[e], after[e])
		if len(changed) == 0 {
			continue
		}
		reached[displayEnv(e)] = true
		keys := make([]model.Value, len(changed))
		for i, k := range changed {
			keys[i] = k
		}
		envList = append(envList, model.Map{{Key: "env", Value: displayEnv(e)}, {Key: "keys", Value: keys}})
	}
	hosts := []model.Value{}
	for _, a := range assocs {
		if reached[a.Env] {
			hosts = append(hosts, a.Host)
		}
	}
	if envList == nil {
		envList = []model.Value{}
	}
	return model.Map{{Key: "envs", Value: envList}, {Key: "hosts", Value: hosts},
		{Key: "unassociated", Value: env == "" && reached["/"]}}, nil
}

// diffKeys lists the keys whose values differ between a and b, in b's
// order then a's removed ones.
func diffKeys(a, b model.Map) []string {
	var out []string
	for _, e := range b {
		v, ok := a.Get(e.Key)
		if !ok || !model.EqualOrdered(v, e.Value) || jsonText(v) != jsonText(e.Value) {
			out = append(out, e.Key)
		}
	}
	for _, e := range a {
		if !b.Has(e.Key) {
			out = append(out, e.Key)
		}
	}
	return out
}

func jsonText(v model.Value) string { return string(model.MarshalJSON(v)) }

// apiPreview is POST /api/v1/services/{svc}/preview/{env...}: the body is
// the environment's new config, as JSON text.
func (s *Server) apiPreview(w http.ResponseWriter, r *http.Request) {
	svc, env := r.PathValue("svc"), strings.Trim(r.PathValue("env"), "/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	conf, err := jones.ParseConfig(body)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	out, err := s.preview(r.Context(), svc, env, conf)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
