package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/zkstore"
)

// History is what the history pages need of the inventory's history:
// the change log, filtered, and the revert of one change. The default
// reads the change records zkstore writes with every change (Store.Commit)
// and reverts by putting back what a change replaced; a history library
// can take its place through Options.History.
type History interface {
	// Log returns up to limit changes, newest first, older than
	// generation before (0: from the newest), touching f's host or group
	// (both "": every change).
	Log(ctx context.Context, f HistoryFilter, before int64, limit int) ([]*model.Commit, error)
	// Change returns generation gen's change: model.ErrNotFound if there
	// is no record of it.
	Change(ctx context.Context, gen int64) (*model.Commit, error)
	// Revert undoes generation gen's change as a new change, refusing
	// with model.ErrConflict if a node it touched changed since.
	Revert(ctx context.Context, gen int64, opts kook.EditOptions) (kook.Result, error)
}

// HistoryFilter picks the changes of one host or one group.
type HistoryFilter struct{ Host, Group string }

func (f HistoryFilter) match(c *model.Commit) bool {
	if f.Host == "" && f.Group == "" {
		return true
	}
	if f.Host != "" {
		for _, h := range c.Hosts {
			if (h.Before != nil && h.Before.Name == f.Host) || (h.After != nil && h.After.Name == f.Host) {
				return true
			}
		}
	}
	if f.Group != "" {
		for _, g := range c.Groups {
			if (g.Before != nil && g.Before.Name == f.Group) || (g.After != nil && g.After.Name == f.Group) {
				return true
			}
		}
		// A membership is kept on the host: joining or leaving the group
		// changes the host's edges.
		for _, h := range c.Hosts {
			if h.Before.Edges() != nil || h.After.Edges() != nil {
				if slices.ContainsFunc(h.Before.Edges(), func(e model.Edge) bool { return e.Name == f.Group }) !=
					slices.ContainsFunc(h.After.Edges(), func(e model.Edge) bool { return e.Name == f.Group }) {
					return true
				}
			}
		}
	}
	return false
}

// ConfigHistory is the history of services and environments, which the
// Jones store does not keep yet: the pages say so while it is nil.
type ConfigHistory interface {
	// Log returns up to limit changes of svc (env "" for all of it),
	// newest first.
	Log(ctx context.Context, svc, env string, limit int) ([]ConfigChange, error)
}

// ConfigChange is one change to a service's configuration.
type ConfigChange struct {
	Time                 string
	Who, Why, Env        string
	Before, After        model.Map
	Version, Association string
}

// historyScan bounds how many change records one history page reads.
const historyScan = 2000

// storeHistory reads zkstore's change records: the ones the server applied
// from memory, the older ones from ZooKeeper.
type storeHistory struct {
	client *kook.Client
	live   *Live
}

func (h *storeHistory) Change(ctx context.Context, gen int64) (*model.Commit, error) {
	for _, c := range h.live.Recent() {
		if c.Generation == gen {
			return c, nil
		}
	}
	c, err := h.client.Store().Commit(ctx, gen)
	if errors.Is(err, zkstore.ErrPruned) {
		return nil, fmt.Errorf("%w: %w", err, model.ErrNotFound)
	}
	return c, err
}

func (h *storeHistory) Log(ctx context.Context, f HistoryFilter, before int64, limit int) ([]*model.Commit, error) {
	st, err := h.client.Status(ctx)
	if err != nil {
		return nil, err
	}
	top := st.Generation
	if before > 0 && before-1 < top {
		top = before - 1
	}
	recent := map[int64]*model.Commit{}
	for _, c := range h.live.Recent() {
		recent[c.Generation] = c
	}
	var out []*model.Commit
	for g, n := top, 0; g >= max(st.HistoryStart, 1) && len(out) < limit && n < historyScan; g, n = g-1, n+1 {
		c := recent[g]
		if c == nil {
			c, err = h.client.Store().Commit(ctx, g)
			if errors.Is(err, model.ErrNotFound) {
				continue
			}
			if err != nil {
				return out, err
			}
		}
		if f.match(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Revert puts back every node as the change found it, if each is still as
// the change left it.
func (h *storeHistory) Revert(ctx context.Context, gen int64, opts kook.EditOptions) (kook.Result, error) {
	c, err := h.Change(ctx, gen)
	if err != nil {
		return kook.Result{}, err
	}
	if opts.Reason == "" {
		opts.Reason = fmt.Sprintf("revert generation %d", gen)
	}
	return h.client.Update(ctx, opts, func(tx model.Tx) error {
		for _, g := range c.Groups {
			if err := same("group", g.Name(), g.After, func() (any, error) { return tx.Group(g.Name()) }); err != nil {
				return err
			}
		}
		for _, hc := range c.Hosts {
			if err := same("host", hc.Name(), hc.After, func() (any, error) { return tx.Host(hc.Name()) }); err != nil {
				return err
			}
		}
		for _, g := range c.Groups {
			if g.Before != nil {
				tx.PutGroup(g.Before)
			}
		}
		for _, hc := range c.Hosts {
			if hc.Before != nil {
				tx.PutHost(hc.Before)
			} else {
				tx.DeleteHost(hc.After.Name)
			}
		}
		for _, g := range c.Groups {
			if g.Before == nil {
				tx.DeleteGroup(g.After.Name)
			}
		}
		return nil
	})
}

// same checks that a node is as a change left it (after nil: gone).
func same(kind, name string, after any, read func() (any, error)) error {
	cur, err := read()
	if errors.Is(err, model.ErrNotFound) {
		if isNil(after) {
			return nil
		}
		return fmt.Errorf("%s %q was deleted since: %w", kind, name, model.ErrConflict)
	}
	if err != nil {
		return err
	}
	ok := false
	switch a := after.(type) {
	case *model.HostNode:
		ok = a != nil && model.EqualHostNodes(a, cur.(*model.HostNode))
	case *model.GroupNode:
		ok = a != nil && model.EqualGroupNodes(a, cur.(*model.GroupNode))
	}
	if !ok {
		return fmt.Errorf("%s %q changed since: revert the later changes first: %w", kind, name, model.ErrConflict)
	}
	return nil
}

func isNil(v any) bool {
	switch a := v.(type) {
	case *model.HostNode:
		return a == nil
	case *model.GroupNode:
		return a == nil
	}
	return v == nil
}

// changeView is one change as the pages show it.
type changeView struct {
	*model.Commit
	Who     string
	Changes []model.Change
	Summary string
}

func viewChange(c *model.Commit) changeView {
	ch := model.NodeDiff(c.Hosts, c.Groups)
	return changeView{Commit: c, Who: c.Who(), Changes: ch, Summary: model.Summary(ch)}
}

func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	kind, name := r.PathValue("kind"), r.PathValue("name")
	var f HistoryFilter
	title := "History"
	switch kind {
	case "":
	case "host":
		f.Host, title = name, "History of host "+name
	case "group":
		f.Group, title = name, "History of group "+name
	case "service":
		s.configHistoryPage(w, r, name)
		return
	default:
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("no history of %q: %w", kind, model.ErrNotFound))
		return
	}
	before, _ := strconv.ParseInt(r.FormValue("before"), 10, 64)
	log, err := s.history.Log(r.Context(), f, before, 50)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	views := make([]changeView, len(log))
	for i, c := range log {
		views[i] = viewChange(c)
	}
	next := ""
	if len(log) == 50 {
		next = r.URL.Path + "?before=" + strconv.FormatInt(log[len(log)-1].Generation, 10)
	}
	s.render(w, r, "history.html", &page{Title: title, Nav: "history", Data: map[string]any{
		"Changes": views, "Kind": kind, "Name": name, "Next": next}})
}

func (s *Server) configHistoryPage(w http.ResponseWriter, r *http.Request, name string) {
	data := map[string]any{"Service": name}
	if s.opts.ConfigHistory != nil {
		log, err := s.opts.ConfigHistory.Log(r.Context(), name, r.FormValue("env"), 50)
		if err != nil {
			s.failErr(w, r, err)
			return
		}
		data["Changes"], data["Kept"] = log, true
	}
	s.render(w, r, "confighistory.html", &page{Title: "History of service " + name, Nav: "services", Data: data})
}

func (s *Server) changePage(w http.ResponseWriter, r *http.Request) {
	gen, err := strconv.ParseInt(r.PathValue("gen"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("generation %q: %w", r.PathValue("gen"), model.ErrNotFound))
		return
	}
	c, err := s.history.Change(r.Context(), gen)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.render(w, r, "change.html", &page{Title: fmt.Sprintf("Change %d", gen), Nav: "history", Data: map[string]any{
		"Change": viewChange(c), "Msg": r.FormValue("msg"), "Err": r.FormValue("err")}})
}

func (s *Server) revertPost(w http.ResponseWriter, r *http.Request) {
	gen, err := strconv.ParseInt(r.PathValue("gen"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("generation %q: %w", r.PathValue("gen"), model.ErrNotFound))
		return
	}
	res, err := s.history.Revert(r.Context(), gen, editOptions(r, r.PostFormValue("reason")))
	target := "/changes/" + strconv.FormatInt(gen, 10)
	if err != nil {
		http.Redirect(w, r, target+"?err="+urlQuery(err.Error()), http.StatusSeeOther)
		return
	}
	s.waitFor(r, res)
	if res.Written {
		target = "/changes/" + strconv.FormatInt(res.Generation, 10)
	}
	http.Redirect(w, r, target+"?msg="+urlQuery(fmt.Sprintf("reverted generation %d", gen)), http.StatusSeeOther)
}
