package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// The history of a service's configuration, read and undone with the
// history library (kook.Client.ConfigLog, ConfigRevert): each change with
// who, when, the tool and why, the keys it changed before and after, and
// the hosts it moved.

// configChangeView is one change to a service as the pages show it.
type configChangeView struct {
	*jones.Change
	Who, What string // what: the op and the environment ("set prod")
	Summary   string
	Configs   []configEnvView
	Assocs    []assocView
}

// configEnvView is what a change did to one environment's own config.
type configEnvView struct {
	Env              string
	Created, Deleted bool
	Keys             []keyView
	// Unrecorded names the keys changed whose values the record could
	// not hold.
	Unrecorded []string
	Reordered  bool
}

// keyView is one key before and after, as JSON text as stored; Before or
// After "" when the key was absent.
type keyView struct{ Key, Before, After string }

// assocView is a host's association before and after ("" for none).
type assocView struct{ Host, Before, After string }

func viewConfigChange(ch *jones.Change) configChangeView {
	v := configChangeView{Change: ch, Who: ch.Who(), What: ch.Op, Summary: kook.Summarize(ch.Lines())}
	if ch.Env != "" {
		v.What += " " + ch.Env
	}
	text := func(m model.Map, k string) string {
		if val, ok := m.Get(k); ok {
			return string(model.MarshalJSON(val))
		}
		return ""
	}
	for _, cc := range ch.Configs {
		ev := configEnvView{Env: cc.Env, Created: cc.Created, Deleted: cc.Deleted, Unrecorded: cc.Keys,
			Reordered: len(cc.Old) == 0 && len(cc.New) == 0 && (cc.Order != nil || cc.NewOrder != nil)}
		for _, e := range cc.Old {
			ev.Keys = append(ev.Keys, keyView{Key: e.Key, Before: text(cc.Old, e.Key), After: text(cc.New, e.Key)})
		}
		for _, e := range cc.New {
			if !cc.Old.Has(e.Key) {
				ev.Keys = append(ev.Keys, keyView{Key: e.Key, After: text(cc.New, e.Key)})
			}
		}
		v.Configs = append(v.Configs, ev)
	}
	for _, a := range ch.Assocs {
		v.Assocs = append(v.Assocs, assocView{Host: a.Host, Before: a.BeforeEnv(ch.Service), After: a.AfterEnv(ch.Service)})
	}
	return v
}

func configChangeURL(svc string, gen int64) string {
	return "/history/service/" + url.PathEscape(svc) + "/" + strconv.FormatInt(gen, 10)
}

// configHistoryPage is GET /history/service/{svc}[?env=&before=].
func (s *Server) configHistoryPage(w http.ResponseWriter, r *http.Request) {
	svc, env := r.PathValue("svc"), r.FormValue("env")
	before, _ := strconv.ParseInt(r.FormValue("before"), 10, 64)
	l, err := s.client.ConfigLog(r.Context(), svc, kook.ConfigLogOptions{Env: env, Before: before, Limit: historyPageSize})
	if err != nil {
		s.failErr(w, r, configError(err))
		return
	}
	views := make([]configChangeView, len(l.Entries))
	for i, ch := range l.Entries {
		views[i] = viewConfigChange(ch)
	}
	next := ""
	if l.More {
		q := url.Values{"before": {strconv.FormatInt(l.Entries[len(l.Entries)-1].Generation, 10)}}
		if env != "" {
			q.Set("env", env)
		}
		next = r.URL.Path + "?" + q.Encode()
	}
	// The environments to pick from; a deleted service has none, and
	// still has its history.
	var envs []string
	if tree, err := s.envs.Envs(r.Context(), svc); err == nil {
		for _, e := range flattenEnvs(tree) {
			envs = append(envs, displayEnv(e.Env))
		}
	}
	title := "History of service " + svc
	if env != "" {
		title += ", environment " + env
	}
	s.render(w, r, "confighistory.html", &page{Title: title, Nav: "services", Data: map[string]any{
		"Service": svc, "Env": env, "Envs": envs, "Changes": views, "Next": next, "Start": l.Start, "Last": l.Last}})
}

// configChangePage is GET /history/service/{svc}/{gen}[?preview=1]: one
// change, and with preview what reverting it would do.
func (s *Server) configChangePage(w http.ResponseWriter, r *http.Request) {
	svc := r.PathValue("svc")
	gen, err := parseGen(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data := map[string]any{"Msg": r.FormValue("msg")}
	if r.FormValue("preview") != "" {
		ch, err := s.client.ConfigRevert(r.Context(), svc, gen, kook.RevertOptions{EditOptions: kook.EditOptions{DryRun: true}})
		if err != nil {
			data["Err"], data["Conflicts"] = err.Error(), conflictsOf(err)
		} else {
			data["Previewed"], data["Preview"] = true, ch.Lines()
		}
	}
	s.renderConfigChange(w, r, svc, gen, http.StatusOK, data)
}

// renderConfigChange shows generation gen of svc's history with data
// (Msg, Err, Conflicts, Preview), answering status.
func (s *Server) renderConfigChange(w http.ResponseWriter, r *http.Request, svc string, gen int64, status int, data map[string]any) {
	ch, err := s.jones.Change(r.Context(), svc, gen)
	if err != nil {
		s.failErr(w, r, configError(err))
		return
	}
	data["Change"] = viewConfigChange(ch)
	w.WriteHeader(status)
	s.render(w, r, "configchange.html", &page{Title: fmt.Sprintf("%s: change %d", svc, gen), Nav: "services", Data: data})
}

// configRevert undoes generation gen of svc's history for r (see
// kook.Client.ConfigRevert). made is nil when there was nothing left to
// undo.
func (s *Server) configRevert(r *http.Request, svc string, gen int64, u undoRequest) (made *jones.Change, err error) {
	opts := editOptions(r, u.Reason)
	opts.DryRun = u.DryRun
	ch, err := s.client.ConfigRevert(r.Context(), svc, gen, kook.RevertOptions{EditOptions: opts, Force: u.Force})
	if !u.DryRun {
		s.envs.drop(svc) // a revert can create or delete environments
	}
	if err != nil || ch == nil || (!u.DryRun && ch.Generation == 0) {
		return nil, err
	}
	return ch, nil
}

// configRevertPost is POST /history/service/{svc}/{gen}/revert, from the
// change page's form (reason).
func (s *Server) configRevertPost(w http.ResponseWriter, r *http.Request) {
	svc := r.PathValue("svc")
	gen, err := parseGen(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	made, err := s.configRevert(r, svc, gen, undoRequest{Reason: r.PostFormValue("reason")})
	if err != nil {
		s.renderConfigChange(w, r, svc, gen, statusOf(err), map[string]any{"Err": err.Error(), "Conflicts": conflictsOf(err)})
		return
	}
	if made == nil {
		http.Redirect(w, r, configChangeURL(svc, gen)+"?msg="+urlQuery("nothing to revert: the configuration is already as before it"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, configChangeURL(svc, made.Generation)+"?msg="+urlQuery(fmt.Sprintf("reverted generation %d", gen)), http.StatusSeeOther)
}

// configChangeJSON is a change to a service for the API, in the shape of
// `kook config log -o json`.
func configChangeJSON(ch *jones.Change) model.Map {
	configs := []model.Value{}
	for _, cc := range ch.Configs {
		m := model.Map{{Key: "env", Value: cc.Env}, {Key: "created", Value: cc.Created}, {Key: "deleted", Value: cc.Deleted},
			{Key: "old", Value: orEmpty(cc.Old)}, {Key: "new", Value: orEmpty(cc.New)}}
		if cc.Keys != nil {
			m.Set("keys", strList(cc.Keys))
		}
		configs = append(configs, m)
	}
	assocs := []model.Value{}
	for _, a := range ch.Assocs {
		assocs = append(assocs, model.Map{{Key: "host", Value: a.Host}, {Key: "before", Value: a.BeforeEnv(ch.Service)},
			{Key: "after", Value: a.AfterEnv(ch.Service)}})
	}
	m := model.Map{{Key: "service", Value: ch.Service}, {Key: "generation", Value: ch.Generation}, {Key: "op", Value: ch.Op},
		{Key: "env", Value: ch.Env}}
	if !ch.Time.IsZero() {
		m = append(m, model.Entry{Key: "time", Value: ch.Time.UTC().Format(time.RFC3339Nano)})
	}
	return append(m, model.Entry{Key: "who", Value: ch.Who()}, model.Entry{Key: "user", Value: ch.User},
		model.Entry{Key: "tool", Value: ch.Tool}, model.Entry{Key: "reason", Value: ch.Reason},
		model.Entry{Key: "omitted", Value: ch.Omitted}, model.Entry{Key: "changes", Value: changesJSON(ch.Lines())},
		model.Entry{Key: "configs", Value: configs}, model.Entry{Key: "assocs", Value: assocs})
}

// apiConfigHistory is GET /api/v1/services/{svc}/history?env=&before=&limit=.
func (s *Server) apiConfigHistory(w http.ResponseWriter, r *http.Request) {
	svc := r.PathValue("svc")
	before, _ := strconv.ParseInt(r.FormValue("before"), 10, 64)
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 || limit > 500 {
		limit = historyPageSize
	}
	l, err := s.client.ConfigLog(r.Context(), svc, kook.ConfigLogOptions{Env: r.FormValue("env"), Before: before, Limit: limit})
	if err != nil {
		s.failErr(w, r, configError(err))
		return
	}
	list := make([]model.Value, len(l.Entries))
	for i, ch := range l.Entries {
		list[i] = configChangeJSON(ch)
	}
	writeJSON(w, http.StatusOK, model.Map{{Key: "service", Value: svc}, {Key: "history_start", Value: l.Start},
		{Key: "generation", Value: l.Last}, {Key: "more", Value: l.More}, {Key: "changes", Value: list}})
}

// apiConfigChange is GET /api/v1/services/{svc}/history/{gen}.
func (s *Server) apiConfigChange(w http.ResponseWriter, r *http.Request) {
	gen, err := parseGen(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	ch, err := s.jones.Change(r.Context(), r.PathValue("svc"), gen)
	if err != nil {
		s.failErr(w, r, configError(err))
		return
	}
	writeJSON(w, http.StatusOK, configChangeJSON(ch))
}

// apiConfigRevert is POST /api/v1/services/{svc}/history/{gen}/revert:
// body {"reason", "dry_run", "force"} as for the inventory's revert; 409
// naming the later changes that touched the same keys or associations.
func (s *Server) apiConfigRevert(w http.ResponseWriter, r *http.Request) {
	svc := r.PathValue("svc")
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
	made, err := s.configRevert(r, svc, gen, u)
	if err != nil {
		s.failErr(w, r, configError(err))
		return
	}
	body := model.Map{{Key: "written", Value: made != nil && !u.DryRun}}
	if made == nil {
		writeJSON(w, http.StatusOK, append(body, model.Entry{Key: "changes", Value: []model.Value{}}))
		return
	}
	writeJSON(w, http.StatusOK, append(body, model.Entry{Key: "generation", Value: made.Generation},
		model.Entry{Key: "changes", Value: changesJSON(made.Lines())}, model.Entry{Key: "change", Value: configChangeJSON(made)}))
}
