package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/model"
)

// The inventory's pages. Every read comes from the in-memory snapshot.

// search runs a host search on the current snapshot, cached per
// generation so that turning pages costs nothing.
func (s *Server) search(q Query) ([]string, *Snap, error) {
	sn := s.live.Snap()
	key := q.key(sn.Gen)
	if hosts, ok := s.queries.get(key); ok {
		return hosts, sn, nil
	}
	// The pattern's hosts are cached on their own: a new --where on the
	// same pattern filters them again without selecting them again.
	pkey := Query{Pattern: q.Pattern}.key(sn.Gen)
	hosts, ok := s.queries.get(pkey)
	if !ok {
		var err error
		if hosts, err = sn.Select(q.Pattern); err != nil {
			return nil, sn, badRequest{err}
		}
		s.queries.put(pkey, hosts)
	}
	hosts, err := sn.Filter(hosts, q.Where)
	if err != nil {
		return nil, sn, badRequest{err}
	}
	s.queries.put(key, hosts)
	return hosts, sn, nil
}

func queryOf(r *http.Request) Query {
	q := Query{Pattern: strings.TrimSpace(r.FormValue("pattern"))}
	for _, w := range r.Form["where"] {
		for _, part := range strings.Split(w, ",") {
			if part = strings.TrimSpace(part); part != "" {
				q.Where = append(q.Where, part)
			}
		}
	}
	return q
}

func (s *Server) hostsPage(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	q := queryOf(r)
	hosts, sn, err := s.search(q)
	data := map[string]any{"Pattern": q.Pattern, "Where": strings.Join(q.Where, ", ")}
	if err != nil {
		data["Error"] = err.Error()
		hosts = nil
	}
	p := paginate(r, len(hosts))
	type row struct {
		Name   string
		Groups []string
	}
	rows := make([]row, 0, p.End()-p.Offset)
	for _, h := range hosts[p.Offset:p.End()] {
		rw := row{Name: h}
		if n := sn.HostNode(h); n != nil {
			rw.Groups = n.GroupNames()
		}
		rows = append(rows, rw)
	}
	data["Rows"], data["Page"], data["Total"] = rows, p, sn.HostCount()
	s.render(w, r, "hosts.html", &page{Title: "Hosts", Nav: "hosts", Data: data})
}

func (s *Server) hostPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, err := s.live.Snap().Host(name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	s.render(w, r, "host.html", &page{Title: name, Nav: "hosts", Data: map[string]any{"Host": d,
		"Msg": r.FormValue("msg"), "Err": r.FormValue("err"), "AllGroups": s.live.Snap().GroupNames("")}})
}

// editPost applies an edit form and sends the browser back to back with
// what happened.
func (s *Server) editPost(w http.ResponseWriter, r *http.Request, kind, name, back string) {
	ops, err := formOps(kind, name, r.PostFormValue)
	var res model.Result
	if err == nil {
		res, err = s.client.Edit(r.Context(), editOptions(r, r.PostFormValue("reason")), ops...)
	}
	q := url.Values{}
	if err != nil {
		q.Set("err", err.Error())
	} else {
		s.waitFor(r, res)
		if res.Written {
			q.Set("msg", model.Summary(res.Changes)+" (generation "+itoa(res.Generation)+")")
		} else {
			q.Set("msg", "no change")
		}
	}
	http.Redirect(w, r, back+"?"+q.Encode(), http.StatusSeeOther)
}

func (s *Server) hostEdit(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.editPost(w, r, "host", name, "/hosts/"+url.PathEscape(name))
}

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request) {
	sn := s.live.Snap()
	filter := strings.TrimSpace(r.FormValue("filter"))
	names := sn.GroupNames(filter)
	p := paginate(r, len(names))
	type row struct {
		Name            string
		Parents         []string
		Hosts, Children int
	}
	rows := make([]row, 0, p.End()-p.Offset)
	for _, n := range names[p.Offset:p.End()] {
		g := sn.Inv.Group(n)
		rw := row{Name: n, Hosts: len(g.Hosts), Children: len(g.Children)}
		if node := sn.Groups[n]; node != nil {
			rw.Parents = node.ParentNames()
		}
		rows = append(rows, rw)
	}
	s.render(w, r, "groups.html", &page{Title: "Groups", Nav: "groups", Data: map[string]any{"Rows": rows, "Page": p, "Filter": filter}})
}

func (s *Server) groupPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	sn := s.live.Snap()
	d, err := sn.Group(name)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p := paginate(r, len(d.Hosts))
	s.render(w, r, "group.html", &page{Title: name, Nav: "groups", Data: map[string]any{"Group": d, "Page": p,
		"Hosts": d.Hosts[p.Offset:p.End()], "Msg": r.FormValue("msg"), "Err": r.FormValue("err")}})
}

func (s *Server) groupEdit(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.editPost(w, r, "group", name, "/groups/"+url.PathEscape(name))
}

// graph is ansible-inventory --graph; with vars, of an inventory built
// afresh, whose host vars are current.
func (s *Server) graph(group string, withVars bool) (string, error) {
	sn := s.live.Snap()
	inv := sn.Inv
	if withVars {
		inv = buildInventory(sn.hosts.flatten(), sn.Groups)
	}
	return export.Graph(inv, group, withVars)
}

func (s *Server) graphPage(w http.ResponseWriter, r *http.Request) {
	group := r.FormValue("group")
	if group == "" {
		group = "all"
	}
	withVars := r.FormValue("vars") != ""
	text, err := s.graph(group, withVars)
	// A graph of 100,000 hosts is megabytes: the page shows its start.
	const maxGraph = 1 << 20
	if len(text) > maxGraph {
		cut := strings.LastIndexByte(text[:maxGraph], '\n') + 1
		text = text[:cut] + "… (cut: the whole graph is at /api/v1/graph)\n"
	}
	data := map[string]any{"Group": group, "Vars": withVars, "Graph": text}
	if err != nil {
		data["Error"] = err.Error()
	}
	s.render(w, r, "graph.html", &page{Title: "Graph", Nav: "graph", Data: data})
}
