package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// Jones 1.0's HTTP interface (jones/web.py), answered the same way: the
// same URLs, methods, form fields, JSON shapes and status codes. Where
// Jones fails with 500 (a stale version, an unknown name, a host without
// an association) kook answers 404, 409 or 400 with a message.

// serviceURL is the page of an environment, as Jones's url_for makes it.
func serviceURL(svc, env string) string {
	u := "/service/" + url.PathEscape(svc) + "/"
	if env != "" && env != "/" {
		for _, part := range strings.Split(strings.Trim(env, "/"), "/") {
			u += url.PathEscape(part) + "/"
		}
	}
	return u
}

// jonesService dispatches /service/<svc>/[<env>/] and
// /service/<svc>/association/<host>.
func (s *Server) jonesService(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/service/")
	svc, tail, slash := strings.Cut(rest, "/")
	if svc == "" {
		s.fail(w, r, http.StatusNotFound, errors.New("no service named"))
		return
	}
	if !slash {
		redirectSlash(w, r)
		return
	}
	if host, ok := strings.CutPrefix(tail, "association/"); ok && host != "" && !strings.Contains(host, "/") {
		s.jonesAssociation(w, r, svc, host)
		return
	}
	env := ""
	if tail != "" {
		if !strings.HasSuffix(tail, "/") {
			redirectSlash(w, r)
			return
		}
		env = strings.TrimSuffix(tail, "/")
		if strings.HasPrefix(env, "/") || strings.Contains(env, "//") {
			s.fail(w, r, http.StatusNotFound, fmt.Errorf("environment %q: not a valid name: %w", env, model.ErrNotFound))
			return
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.jonesGet(w, r, svc, env)
	case http.MethodPost:
		s.jonesPost(w, r, svc, env)
	case http.MethodPut:
		s.jonesPut(w, r, svc, env)
	case http.MethodDelete:
		s.jonesDelete(w, r, svc, env)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, PUT, DELETE")
		s.fail(w, r, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed", r.Method))
	}
}

// redirectSlash is werkzeug's strict_slashes redirect.
func redirectSlash(w http.ResponseWriter, r *http.Request) {
	u := *r.URL
	u.Path += "/"
	u.RawPath = ""
	if r.URL.RawPath != "" {
		u.RawPath = r.URL.RawPath + "/"
	}
	code := http.StatusMovedPermanently
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		code = http.StatusPermanentRedirect
	}
	http.Redirect(w, r, u.String(), code)
}

// envEntry is one environment of a service, as the pages and Jones's
// "children" list it.
type envEntry struct {
	Env    string // "" for the root
	Name   string // last component, "/" for the root
	Depth  int
	IsLeaf bool
}

// flattenEnvs lists the tree jones.Store.Envs returns, parents first.
func flattenEnvs(tree model.Map) []envEntry {
	out := []envEntry{{Env: "", Name: "/", IsLeaf: len(tree) == 0}}
	var walk func(prefix string, m model.Map, depth int)
	walk = func(prefix string, m model.Map, depth int) {
		for _, e := range m {
			sub, _ := e.Value.(model.Map)
			env := e.Key
			if prefix != "" {
				env = prefix + "/" + e.Key
			}
			out = append(out, envEntry{Env: env, Name: e.Key, Depth: depth, IsLeaf: len(sub) == 0})
			walk(env, sub, depth+1)
		}
	}
	walk("", tree, 1)
	return out
}

// envState is what Jones's GET shows of one environment.
type envState struct {
	svc, env     string
	version      int32
	config, view model.Map
	envs         []envEntry
	assocs       jones.Assocs // of the whole service
}

// readEnv reads an environment, its service's tree and associations.
func (s *Server) readEnv(ctx context.Context, svc, env string) (*envState, error) {
	st := &envState{svc: svc, env: env}
	var tree model.Map
	var shown *jones.EnvConfig
	errs := make([]error, 3)
	done := make(chan int, 3)
	go func() { tree, errs[0] = s.envs.Envs(ctx, svc); done <- 0 }()
	go func() { shown, errs[1] = s.jones.Show(ctx, svc, env); done <- 1 }()
	go func() { st.assocs, errs[2] = s.jones.Assocs(ctx, svc); done <- 2 }()
	for range 3 {
		<-done
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	st.envs = flattenEnvs(tree)
	st.version, st.config, st.view = shown.Version, shown.Config, shown.View
	return st, nil
}

// hostsOf returns the hosts associated with exactly env.
func (st *envState) hostsOf(env string) []string {
	want := "/"
	if env != "" {
		want = env
	}
	var out []string
	for _, a := range st.assocs {
		if a.Env == want {
			out = append(out, a.Host)
		}
	}
	return out
}

func (s *Server) jonesGet(w http.ResponseWriter, r *http.Request, svc, env string) {
	st, err := s.readEnv(r.Context(), svc, env)
	if errors.Is(err, model.ErrNotFound) && !wantsJSON(r) && bestType(r) != "text/plain" {
		// Jones sends browsers to the service list, or to the service.
		if env == "" {
			http.Redirect(w, r, "/", http.StatusFound)
		} else {
			http.Redirect(w, r, serviceURL(svc, ""), http.StatusFound)
		}
		return
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if !wantsJSON(r) {
		s.servicePage(w, r, st)
		return
	}
	children := make([]model.Value, len(st.envs))
	for i, e := range st.envs {
		children[i] = model.Map{{Key: "env", Value: e.Env}, {Key: "is_leaf", Value: e.Env != "" && e.IsLeaf}}
	}
	var assocs model.Value
	if env != "" {
		list := []model.Value{}
		for _, h := range st.hostsOf(env) {
			list = append(list, h)
		}
		assocs = list
	}
	var view model.Value
	if st.view != nil {
		view = st.view
	}
	writeJSON(w, http.StatusOK, model.Map{
		{Key: "env", Value: env},
		{Key: "version", Value: int64(st.version)},
		{Key: "children", Value: children},
		{Key: "config", Value: st.config},
		{Key: "view", Value: view},
		{Key: "service", Value: svc},
		{Key: "associations", Value: assocs},
	})
}

func (s *Server) jonesPost(w http.ResponseWriter, r *http.Request, svc, env string) {
	err := s.configStore(r).Create(r.Context(), svc, env, nil)
	s.envs.drop(svc)
	if err != nil {
		s.failErr(w, r, configError(err))
		return
	}
	if t := bestType(r); t == "application/json" || t == "text/plain" {
		writeJSON(w, http.StatusCreated, model.Map{{Key: "service", Value: svc}})
		return
	}
	http.Redirect(w, r, serviceURL(svc, env), http.StatusFound)
}

// configError marks the errors jones returns for names it refuses as the
// client's.
func configError(err error) error {
	if err == nil || statusOf(err) != http.StatusInternalServerError {
		return err
	}
	msg := err.Error()
	for _, s := range []string{"name", "contains", "must be a JSON object", "json line", "not valid UTF-8", "empty"} {
		if strings.Contains(msg, s) {
			return badRequest{err}
		}
	}
	return err
}

func (s *Server) jonesPut(w http.ResponseWriter, r *http.Request, svc, env string) {
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	data, okData := r.Form["data"]
	ver, okVer := r.Form["version"]
	if !okData || !okVer {
		s.fail(w, r, http.StatusBadRequest, errors.New("form fields data (a JSON object) and version (-1 to force) are required"))
		return
	}
	version, err := strconv.ParseInt(strings.TrimSpace(ver[0]), 10, 32)
	if err != nil || version < -1 {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("version %q: want the config's version, or -1 to force", ver[0]))
		return
	}
	conf, err := jones.ParseConfig([]byte(data[0]))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("data: %w", err))
		return
	}
	newVersion, err := s.configStore(r).Replace(r.Context(), svc, env, conf, int32(version))
	if errors.Is(err, model.ErrConflict) {
		body := model.Map{{Key: "error", Value: err.Error()}, {Key: "status", Value: int64(http.StatusConflict)}}
		if cur, serr := s.jones.Show(r.Context(), svc, env); serr == nil {
			body = append(body, model.Entry{Key: "version", Value: int64(cur.Version)}, model.Entry{Key: "config", Value: cur.Config})
		}
		writeJSON(w, http.StatusConflict, body)
		return
	}
	if err != nil {
		s.failErr(w, r, configError(err))
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, model.Map{{Key: "env", Value: env}, {Key: "version", Value: int64(newVersion)}})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(env))
}

func (s *Server) jonesDelete(w http.ResponseWriter, r *http.Request, svc, env string) {
	ctx := r.Context()
	store := s.configStore(r)
	defer s.envs.drop(svc)
	if env == "" {
		if identityOf(r).Role < RoleAdmin {
			s.fail(w, r, http.StatusForbidden, errors.New("deleting a whole service needs the admin role"))
			return
		}
		// Deleting a service that is not there succeeds, as with Jones
		// (kazoo's recursive delete): scripts delete idempotently.
		if _, err := store.Delete(ctx, svc, "", true); err != nil && !errors.Is(err, model.ErrNotFound) {
			s.failErr(w, r, err)
			return
		}
	} else {
		_, err := store.Delete(ctx, svc, env, false)
		if errors.Is(err, model.ErrNotEmpty) {
			// Jones deletes a leaf with its associations, leaving them
			// dangling; kook moves them to the parent. An environment with
			// children stays.
			tree, terr := s.jones.Envs(ctx, svc)
			if terr != nil {
				s.failErr(w, r, terr)
				return
			}
			for _, e := range flattenEnvs(tree) {
				if e.Env == env && e.IsLeaf {
					_, err = store.Delete(ctx, svc, env, true)
				}
			}
		}
		if err != nil {
			s.failErr(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(env))
}

// jonesAssociation is GET|PUT|DELETE /service/<svc>/association/<host>.
func (s *Server) jonesAssociation(w http.ResponseWriter, r *http.Request, svc, host string) {
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		as, err := s.jones.Assocs(ctx, svc)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		i := slices.IndexFunc(as, func(a jones.Assoc) bool { return a.Host == host })
		if i < 0 {
			s.fail(w, r, http.StatusNotFound, fmt.Errorf("host %q has no association in %s: %w", host, svc, model.ErrNotFound))
			return
		}
		if wantsHTML(r) && as[i].Env != "" {
			http.Redirect(w, r, serviceURL(svc, as[i].Env), http.StatusFound)
			return
		}
		view, _, err := s.jones.ViewFor(ctx, svc, host)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, view)
	case http.MethodPut:
		if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			s.fail(w, r, http.StatusBadRequest, err)
			return
		}
		env, ok := r.Form["env"]
		if !ok {
			s.fail(w, r, http.StatusBadRequest, errors.New("form field env is required"))
			return
		}
		if err := s.configStore(r).Assoc(ctx, svc, host, env[0]); err != nil {
			s.failErr(w, r, configError(err))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(svc))
	case http.MethodDelete:
		if err := s.configStore(r).Unassoc(ctx, svc, host); err != nil {
			s.failErr(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(svc))
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		s.fail(w, r, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed", r.Method))
	}
}

// jonesExport is GET /export: zkutil.export_tree of the tree Jones sees
// with kook's root as its chroot. The inventory's znodes (compressed
// views, change records) are left out: only "/" and the services.
func (s *Server) jonesExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conn := s.client.Store().Conn()
	root := strings.TrimRight(s.client.Store().Root(), "/")
	var out []string
	var walk func(rel string) error
	walk = func(rel string) error {
		spacing := strings.Repeat("  ", strings.Count(rel, "/")-1)
		out = append(out, spacing+rel)
		data, _, err := conn.Get(ctx, root+strings.TrimSuffix(rel, "/"))
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(data) > 0 {
			var b strings.Builder
			for _, line := range splitLinesKeep(data) {
				b.WriteString(spacing + "  " + line)
			}
			out = append(out, b.String())
		}
		kids, _, err := conn.Children(ctx, root+strings.TrimSuffix(rel, "/"))
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return err
		}
		slices.Sort(kids)
		if rel == "/" {
			kids = slices.DeleteFunc(kids, func(k string) bool { return k != "services" })
		}
		for _, k := range kids {
			if err := walk(path.Join(rel, k)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("/"); err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(strings.Join(out, "\n")))
}

// splitLinesKeep is Python 2's str.splitlines(True): lines with their
// endings, split at \n, \r\n and \r.
func splitLinesKeep(data []byte) []string {
	var out []string
	for len(data) > 0 {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			out = append(out, string(data))
			break
		}
		end := i + 1
		if data[i] == '\r' && end < len(data) && data[end] == '\n' {
			end++
		}
		out = append(out, string(data[:end]))
		data = data[end:]
	}
	return out
}
