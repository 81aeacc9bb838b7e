package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// The JSON API under /api/v1/: the same reads and edits as the pages.
// Values are written and read with kook's JSON codec, so their types and
// key order survive.

func strList(names []string) []model.Value {
	out := make([]model.Value, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	sn := s.live.Snap()
	writeJSON(w, http.StatusOK, model.Map{{Key: "generation", Value: sn.Gen}, {Key: "hosts", Value: int64(sn.HostCount())},
		{Key: "groups", Value: int64(len(sn.Groups))}, {Key: "user", Value: identityOf(r).User}, {Key: "role", Value: identityOf(r).Role.String()}})
}

// apiHosts is GET /api/v1/hosts?pattern=&where=&offset=&limit=.
func (s *Server) apiHosts(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	hosts, sn, err := s.search(queryOf(r))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p := paginate(r, len(hosts))
	writeJSON(w, http.StatusOK, model.Map{{Key: "generation", Value: sn.Gen}, {Key: "total", Value: int64(len(hosts))},
		{Key: "offset", Value: int64(p.Offset)}, {Key: "hosts", Value: strList(hosts[p.Offset:p.End()])}})
}

func hostJSON(d *HostDetail) model.Map {
	return model.Map{{Key: "name", Value: d.Name}, {Key: "groups", Value: strList(d.Groups)},
		{Key: "group_names", Value: strList(d.GroupNames)}, {Key: "vars", Value: d.Vars},
		{Key: "own_vars", Value: orEmpty(d.OwnVars)}, {Key: "file_vars", Value: orEmpty(d.FileVars)},
		{Key: "source", Value: d.Source}, {Key: "generation", Value: d.Generation}}
}

func orEmpty(m model.Map) model.Map {
	if m == nil {
		return model.Map{}
	}
	return m
}

func (s *Server) apiHost(w http.ResponseWriter, r *http.Request) {
	d, err := s.live.Snap().Host(r.PathValue("name"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, hostJSON(d))
}

func explainJSON(ex []kook.Explanation) []model.Value {
	out := make([]model.Value, 0, len(ex))
	for _, e := range ex {
		layers := make([]model.Value, len(e.Layers))
		for i, l := range e.Layers {
			layers[i] = model.Map{{Key: "level", Value: int64(l.Level)}, {Key: "kind", Value: l.Kind}, {Key: "name", Value: l.Name},
				{Key: "value", Value: l.Value}, {Key: "source", Value: l.Source}}
		}
		out = append(out, model.Map{{Key: "var", Value: e.Var}, {Key: "value", Value: e.Value}, {Key: "layers", Value: layers}})
	}
	return out
}

func (s *Server) apiExplain(w http.ResponseWriter, r *http.Request) {
	d, err := s.live.Snap().Host(r.PathValue("name"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	ex := d.Explain
	if v := r.FormValue("var"); v != "" {
		ex = nil
		for _, e := range d.Explain {
			if e.Var == v {
				ex = append(ex, e)
			}
		}
		if ex == nil {
			s.fail(w, r, http.StatusNotFound, errors.New("host "+d.Name+" has no var "+v))
			return
		}
	}
	writeJSON(w, http.StatusOK, explainJSON(ex))
}

func (s *Server) apiGroups(w http.ResponseWriter, r *http.Request) {
	sn := s.live.Snap()
	names := sn.GroupNames(r.FormValue("filter"))
	p := paginate(r, len(names))
	writeJSON(w, http.StatusOK, model.Map{{Key: "generation", Value: sn.Gen}, {Key: "total", Value: int64(len(names))},
		{Key: "offset", Value: int64(p.Offset)}, {Key: "groups", Value: strList(names[p.Offset:p.End()])}})
}

func (s *Server) apiGroup(w http.ResponseWriter, r *http.Request) {
	d, err := s.live.Snap().Group(r.PathValue("name"))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p := paginate(r, len(d.Hosts))
	writeJSON(w, http.StatusOK, model.Map{{Key: "name", Value: d.Name}, {Key: "parents", Value: strList(d.Parents)},
		{Key: "children", Value: strList(d.Children)}, {Key: "hosts_total", Value: int64(len(d.Hosts))},
		{Key: "offset", Value: int64(p.Offset)}, {Key: "hosts", Value: strList(d.Hosts[p.Offset:p.End()])},
		{Key: "vars", Value: orEmpty(d.Vars)}, {Key: "file_vars", Value: orEmpty(d.FileVars)},
		{Key: "priority", Value: int64(d.Priority)}, {Key: "generation", Value: d.Generation}})
}

func (s *Server) apiGraph(w http.ResponseWriter, r *http.Request) {
	group := r.FormValue("group")
	if group == "" {
		group = "all"
	}
	text, err := s.graph(group, r.FormValue("vars") != "")
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, text)
}

// apiEdit is POST /api/v1/edit: {"reason": "...", "dry_run": false,
// "ops": [...]} as one atomic change (see edit.go for the ops).
func (s *Server) apiEdit(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	v, err := model.UnmarshalJSON(body)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	req, ok := v.(model.Map)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, errors.New(`want {"ops": [...]}`))
		return
	}
	list, _ := req.Get("ops")
	items, ok := list.([]model.Value)
	if !ok || len(items) == 0 {
		s.fail(w, r, http.StatusBadRequest, errors.New(`"ops" must be a non-empty list`))
		return
	}
	ops := make([]kook.Op, 0, len(items))
	for _, it := range items {
		op, err := parseOp(it)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		ops = append(ops, op)
	}
	reason, _ := req.Get("reason")
	dry, _ := req.Get("dry_run")
	opts := editOptions(r, "")
	opts.Reason, _ = reason.(string)
	opts.DryRun = dry == true
	res, err := s.client.Edit(r.Context(), opts, ops...)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.waitFor(r, res)
	writeJSON(w, http.StatusOK, model.Map{{Key: "written", Value: res.Written}, {Key: "generation", Value: res.Generation},
		{Key: "changes", Value: changesJSON(res.Changes)}})
}

func changesJSON(changes []model.Change) []model.Value {
	out := make([]model.Value, len(changes))
	for i, ch := range changes {
		out[i] = ch.String()
	}
	return out
}

func commitJSON(cv changeView) model.Map {
	c := cv.Commit
	return model.Map{{Key: "generation", Value: c.Generation}, {Key: "time", Value: c.Time.UTC().Format("2006-01-02T15:04:05.000Z")},
		{Key: "who", Value: c.Who()}, {Key: "user", Value: c.User}, {Key: "tool", Value: c.Tool}, {Key: "reason", Value: c.Reason},
		{Key: "changes", Value: changesJSON(cv.Changes)}}
}

// apiHistory is GET /api/v1/history?host=|group=&before=&limit=: changes
// newest first; a host's or group's hold what they did to it.
func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.FormValue("before"), 10, 64)
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 || limit > 500 {
		limit = historyPageSize
	}
	entity, group := r.FormValue("host"), false
	if entity == "" {
		entity, group = r.FormValue("group"), true
	}
	views, _, err := s.inventoryLog(r.Context(), entity, group, before, limit)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	out := make([]model.Value, len(views))
	for i, cv := range views {
		out[i] = commitJSON(cv)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiChange(w http.ResponseWriter, r *http.Request) {
	gen, err := parseGen(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	c, err := s.change(r.Context(), gen)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, commitJSON(viewCommit(c)))
}

// undoRequest is what a revert over the API asks: a JSON body
// {"reason": "...", "dry_run": false, "force": false}, as /api/v1/edit
// takes (whatever its Content-Type says: curl -d sends it as a form), or
// the same as form fields or query parameters.
type undoRequest struct {
	Reason        string
	DryRun, Force bool
}

func parseUndo(r *http.Request) (undoRequest, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return undoRequest{}, badf("read request: %v", err)
	}
	if text := strings.TrimSpace(string(body)); strings.HasPrefix(text, "{") {
		v, err := model.UnmarshalJSON(body)
		m, ok := v.(model.Map)
		if err != nil || !ok {
			return undoRequest{}, badf(`want {"reason": "...", "dry_run": false, "force": false}`)
		}
		var u undoRequest
		reason, _ := m.Get("reason")
		u.Reason, _ = reason.(string)
		dry, _ := m.Get("dry_run")
		force, _ := m.Get("force")
		u.DryRun, u.Force = dry == true, force == true
		return u, nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	flag := func(name string) bool { v, _ := strconv.ParseBool(r.FormValue(name)); return v }
	return undoRequest{Reason: r.FormValue("reason"), DryRun: flag("dry_run"), Force: flag("force")}, nil
}

// apiRevert is POST /api/v1/history/{gen}/revert: a new change that undoes
// generation gen; 409 naming the later changes that touched the same vars
// or memberships (unless force).
func (s *Server) apiRevert(w http.ResponseWriter, r *http.Request) {
	gen, err := parseGen(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	u, err := parseUndo(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	opts := editOptions(r, u.Reason)
	opts.DryRun = u.DryRun
	res, err := s.client.Revert(r.Context(), gen, kook.RevertOptions{EditOptions: opts, Force: u.Force})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.waitFor(r, res)
	writeJSON(w, http.StatusOK, model.Map{{Key: "written", Value: res.Written}, {Key: "generation", Value: res.Generation},
		{Key: "changes", Value: changesJSON(res.Changes)}})
}

func (s *Server) apiServices(w http.ResponseWriter, r *http.Request) {
	svcs, err := s.jones.Services(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, strList(svcs))
}

// apiService is GET /api/v1/services/{svc}: the environment tree and the
// associations.
func (s *Server) apiService(w http.ResponseWriter, r *http.Request) {
	svc := r.PathValue("svc")
	tree, err := s.jones.Envs(r.Context(), svc)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	as, err := s.jones.Assocs(r.Context(), svc)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	assocs, _ := as.MarshalJSON()
	av, _ := model.UnmarshalJSON(assocs)
	writeJSON(w, http.StatusOK, model.Map{{Key: "service", Value: svc}, {Key: "envs", Value: tree}, {Key: "associations", Value: av}})
}

// apiEnv is GET /api/v1/services/{svc}/envs/{env...}: the config, its
// version, the view, and where each key of the view comes from.
func (s *Server) apiEnv(w http.ResponseWriter, r *http.Request) {
	svc, env := r.PathValue("svc"), strings.Trim(r.PathValue("env"), "/")
	chain := chainOf(env)
	confs, err := s.showAll(r.Context(), svc, chain)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	c := confs[env]
	origins := model.Map{}
	for _, k := range inherited(chain, confs) {
		origins = append(origins, model.Entry{Key: k.Key, Value: k.Origin})
	}
	var view model.Value
	if c.View != nil {
		view = c.View
	}
	writeJSON(w, http.StatusOK, model.Map{{Key: "service", Value: svc}, {Key: "env", Value: displayEnv(env)},
		{Key: "version", Value: int64(c.Version)}, {Key: "config", Value: c.Config}, {Key: "view", Value: view},
		{Key: "origins", Value: origins}})
}

// urlQuery escapes a query value.
func urlQuery(s string) string { return url.QueryEscape(s) }
