package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kook-project/kook/model"
)

// pages holds the parsed templates, one set per page.
type pages struct {
	sets map[string]*template.Template
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string // which menu entry is current
	User  Identity
	Data  any
	Gen   int64
}

// CanWrite reports whether the user may edit.
func (p *page) CanWrite() bool { return p.User.Role >= RoleWrite }

// CanAdmin reports whether the user is an admin.
func (p *page) CanAdmin() bool { return p.User.Role >= RoleAdmin }

var funcs = template.FuncMap{
	"json":   func(v model.Value) string { return string(model.MarshalJSON(v)) },
	"pretty": prettyJSON,
	"short":  shortJSON,
	"esc":    url.PathEscape,
	"query":  url.QueryEscape,
	"svcURL": serviceURL,
	"time":   func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
	"ago":    since,
	"add":    func(a, b int) int { return a + b },
	"indent": func(depth int) string { return strings.Repeat("  ", depth) },
	"depth":  func(depth int) string { return "d" + strconv.Itoa(min(depth, 12)) },
	"level":  levelName,
	"join":   strings.Join,
}

// prettyJSON indents JSON text without parsing its numbers, so 1.0 and
// 12345678901234567890123 are shown as stored.
func prettyJSON(v model.Value) string {
	text := model.MarshalJSON(v)
	var buf bytes.Buffer
	if json.Indent(&buf, text, "", "  ") != nil {
		return string(text)
	}
	return buf.String()
}

func shortJSON(v model.Value) string {
	s, ok := v.(string)
	if ok && !strings.ContainsAny(s, "\"\n") {
		return s
	}
	text := string(model.MarshalJSON(v))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return text
}

func levelName(level int) string {
	switch level {
	case 1:
		return "group vars (inventory)"
	case 2:
		return "group_vars/all"
	case 3:
		return "group_vars/<group>"
	case 4:
		return "host vars (inventory)"
	case 5:
		return "host_vars/<host>"
	}
	return strconv.Itoa(level)
}

func loadPages() (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// layout.html and the parts (*.part.html) go with every page.
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" || strings.HasSuffix(base, ".part.html") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/*.part.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		p.sets[base] = t
	}
	return p, nil
}

// render writes a page; the status must already be set if not 200.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p *page) {
	p.User = identityOf(r)
	p.Gen = s.live.Snap().Gen
	t := s.pages.sets[name]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		if s.opts.Log != nil {
			s.opts.Log.Printf("render %s: %v", name, err)
		}
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "login.html", &page{Title: "Log in", Data: map[string]any{"Next": safeNext(r.FormValue("next")),
		"Users": s.auth.users != nil, "Error": r.FormValue("error")}})
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	if crossSite(r) {
		s.fail(w, r, http.StatusForbidden, fmt.Errorf("cross-site login refused"))
		return
	}
	next := safeNext(r.PostFormValue("next"))
	id, role := s.auth.login(r.PostFormValue("user"), r.PostFormValue("password"))
	if role == RoleNone {
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, "login.html", &page{Title: "Log in", Data: map[string]any{"Next": next, "Users": s.auth.users != nil,
			"Error": "Wrong user name or password."}})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logoutPost(w http.ResponseWriter, r *http.Request) {
	id, _ := s.auth.identify(r)
	if id.Via == "session" && !checkCSRF(r, id) {
		s.fail(w, r, http.StatusForbidden, fmt.Errorf("missing or wrong CSRF token"))
		return
	}
	s.auth.logout(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// index is the start page: Jones's service list, and the inventory.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	svcs, err := s.jones.Services(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if wantsJSON(r) {
		list := make([]model.Value, len(svcs))
		for i, v := range svcs {
			list[i] = v
		}
		writeJSON(w, http.StatusOK, list)
		return
	}
	sn := s.live.Snap()
	s.render(w, r, "index.html", &page{Title: "kook", Nav: "services", Data: map[string]any{
		"Services": svcs, "Hosts": sn.HostCount(), "Groups": len(sn.Groups), "Gen": sn.Gen, "Time": sn.Time}})
}

// pageSize bounds what one page lists.
const pageSize = 100

// pager is one page of a long list.
type pager struct {
	Offset, Total, Size int
	Prev, Next          string // links, "" when none
}

func paginate(r *http.Request, total int) pager {
	off, _ := strconv.Atoi(r.FormValue("offset"))
	size, _ := strconv.Atoi(r.FormValue("limit"))
	if size <= 0 || size > 1000 {
		size = pageSize
	}
	off = max(0, min(off, total))
	p := pager{Offset: off, Total: total, Size: size}
	q := r.URL.Query()
	if off > 0 {
		q.Set("offset", strconv.Itoa(max(0, off-size)))
		p.Prev = r.URL.Path + "?" + q.Encode()
	}
	if off+size < total {
		q.Set("offset", strconv.Itoa(off+size))
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	return p
}

// End is one past the page's last index.
func (p pager) End() int { return min(p.Offset+p.Size, p.Total) }

// First is the page's first position, counting from 1.
func (p pager) First() int {
	if p.Total == 0 {
		return 0
	}
	return p.Offset + 1
}
