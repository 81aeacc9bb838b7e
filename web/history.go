package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// The inventory's history pages, read with the history library (package
// kook: Log, Revert). A host's or group's log follows that entity's own
// chain of change records; the whole log is served from the change
// records the server has applied when it holds them (see recentLog).

// historyPageSize is how many changes one history page lists.
const historyPageSize = 50

// changeView is one change as the pages show it.
type changeView struct {
	*model.Commit
	Who     string
	Changes []model.Change
	Summary string
}

// viewChange shows c with changes, what it did (all of it, or for an
// entity's log what it did to that entity).
func viewChange(c *model.Commit, changes []model.Change) changeView {
	return changeView{Commit: c, Who: c.Who(), Changes: changes, Summary: kook.Summarize(changes)}
}

// viewCommit shows all that c did.
func viewCommit(c *model.Commit) changeView { return viewChange(c, model.NodeDiff(c.Hosts, c.Groups)) }

// inventoryLog lists up to limit changes older than generation before (0:
// from the newest), of the host or group entity ("" for all; group says
// which). The Log is
// nil when the page came from memory.
func (s *Server) inventoryLog(ctx context.Context, entity string, group bool, before int64, limit int) ([]changeView, *kook.Log, error) {
	if entity == "" {
		if views, ok := s.recentLog(before, limit); ok {
			return views, nil, nil
		}
	}
	l, err := s.client.Log(ctx, kook.LogOptions{Entity: entity, Group: group, Before: before, Limit: limit})
	if err != nil {
		return nil, nil, err
	}
	views := make([]changeView, len(l.Entries))
	for i, e := range l.Entries {
		views[i] = viewChange(e.Commit, e.Changes)
	}
	return views, l, nil
}

// recentLog is a page of the whole log made from the change records the
// server applied (Live.Recent), which costs no read: ok is false unless
// they hold every generation the page lists.
func (s *Server) recentLog(before int64, limit int) ([]changeView, bool) {
	recent := s.live.Recent()
	top := s.live.Snap().Gen
	if before > 0 {
		top = min(top, before-1)
	}
	byGen := make(map[int64]*model.Commit, len(recent))
	for _, c := range recent {
		byGen[c.Generation] = c
	}
	var out []changeView
	for g := top; g >= 1 && len(out) < limit; g-- {
		c := byGen[g]
		if c == nil {
			return nil, false
		}
		out = append(out, viewCommit(c))
	}
	return out, true
}

// change returns generation gen's change record: from memory when the
// server applied it, else from ZooKeeper.
func (s *Server) change(ctx context.Context, gen int64) (*model.Commit, error) {
	for _, c := range s.live.Recent() {
		if c.Generation == gen {
			return c, nil
		}
	}
	return s.client.Store().Commit(ctx, gen)
}

// historyPage is the log of every change (kind ""), or of the host or
// group named in the path (kind "host" or "group").
func (s *Server) historyPage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.showHistory(w, r, kind, r.PathValue("name")) }
}

func (s *Server) showHistory(w http.ResponseWriter, r *http.Request, kind, name string) {
	title := "History"
	if kind != "" {
		title = "History of " + kind + " " + name
	}
	before, _ := strconv.ParseInt(r.FormValue("before"), 10, 64)
	views, l, err := s.inventoryLog(r.Context(), name, kind == "group", before, historyPageSize)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	next := ""
	if (l == nil && len(views) == historyPageSize && views[len(views)-1].Generation > 1) || (l != nil && l.More) {
		next = r.URL.Path + "?before=" + strconv.FormatInt(views[len(views)-1].Generation, 10)
	}
	var notes []string
	if l != nil {
		notes = l.Notes
	}
	s.render(w, r, "history.html", &page{Title: title, Nav: "history", Data: map[string]any{
		"Changes": views, "Kind": kind, "Name": name, "Next": next, "Notes": notes}})
}

// parseGen reads the generation in the path.
func parseGen(r *http.Request) (int64, error) {
	gen, err := strconv.ParseInt(r.PathValue("gen"), 10, 64)
	if err != nil || gen < 1 {
		return 0, fmt.Errorf("generation %q: %w", r.PathValue("gen"), model.ErrNotFound)
	}
	return gen, nil
}

// changePage is GET /changes/{gen}[?preview=1]: one change, and with
// preview what reverting it would do.
func (s *Server) changePage(w http.ResponseWriter, r *http.Request) {
	gen, err := parseGen(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data := map[string]any{"Msg": r.FormValue("msg")}
	if r.FormValue("preview") != "" {
		res, err := s.client.Revert(r.Context(), gen, kook.RevertOptions{EditOptions: kook.EditOptions{DryRun: true}})
		if err != nil {
			data["Err"], data["Conflicts"] = err.Error(), conflictsOf(err)
		} else {
			data["Previewed"], data["Preview"] = true, res.Changes
		}
	}
	s.renderChange(w, r, gen, http.StatusOK, data)
}

// renderChange shows generation gen's change with data (Msg, Err,
// Conflicts, Previewed, Preview), answering status.
func (s *Server) renderChange(w http.ResponseWriter, r *http.Request, gen int64, status int, data map[string]any) {
	c, err := s.change(r.Context(), gen)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data["Change"] = viewCommit(c)
	w.WriteHeader(status)
	s.render(w, r, "change.html", &page{Title: fmt.Sprintf("Change %d", gen), Nav: "history", Data: data})
}

// revertPost is POST /changes/{gen}/revert, from the change page's form
// (reason). A refusal shows the change again with the later changes that
// stop it.
func (s *Server) revertPost(w http.ResponseWriter, r *http.Request) {
	gen, err := parseGen(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	res, err := s.client.Revert(r.Context(), gen, kook.RevertOptions{EditOptions: editOptions(r, r.PostFormValue("reason"))})
	if err != nil {
		s.renderChange(w, r, gen, statusOf(err), map[string]any{"Err": err.Error(), "Conflicts": conflictsOf(err)})
		return
	}
	s.waitFor(r, res)
	target := "/changes/" + strconv.FormatInt(gen, 10)
	if res.Written {
		target = "/changes/" + strconv.FormatInt(res.Generation, 10)
	}
	http.Redirect(w, r, target+"?msg="+urlQuery(fmt.Sprintf("reverted generation %d", gen)), http.StatusSeeOther)
}

// conflictView is one later change that stops a revert, as the pages
// show it.
type conflictView struct {
	Generation int64 // 0: a change outside kook
	What       string
}

// conflictsOf lists the later changes a *kook.ConflictError names, nil
// for any other error.
func conflictsOf(err error) []conflictView {
	var ce *kook.ConflictError
	if !errors.As(err, &ce) {
		return nil
	}
	out := make([]conflictView, 0, len(ce.Conflicts))
	for _, c := range ce.Conflicts {
		what := c.Entity
		if len(c.Aspects) > 0 {
			what += " (" + strings.Join(c.Aspects, ", ") + ")"
		}
		out = append(out, conflictView{Generation: c.Generation, What: what})
	}
	return out
}

// conflictJSON is a *kook.ConflictError for the API: each later change,
// what it touched, and the generations; nil for any other error.
func conflictJSON(err error) model.Map {
	var ce *kook.ConflictError
	if !errors.As(err, &ce) {
		return nil
	}
	list := make([]model.Value, 0, len(ce.Conflicts))
	for _, c := range ce.Conflicts {
		list = append(list, model.Map{{Key: "generation", Value: c.Generation}, {Key: "entity", Value: c.Entity},
			{Key: "aspects", Value: strList(c.Aspects)}})
	}
	gens := []model.Value{}
	for _, g := range ce.Generations() {
		gens = append(gens, g)
	}
	return model.Map{{Key: "conflicts", Value: list}, {Key: "generations", Value: gens}}
}
