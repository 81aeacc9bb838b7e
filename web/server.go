package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

//go:embed static templates
var files embed.FS

// Tool is recorded as the tool of every change the server makes.
const Tool = "kook serve"

// Options configure a Server.
type Options struct {
	// Client is the inventory and, under the same root, the service
	// configuration (Client.Jones) and both histories.
	Client *kook.Client
	// Users is the users file; nil when logins come only from a trusted
	// header.
	Users *Users
	// TrustedHeader names the header a reverse proxy puts the logged-in
	// user in; it is believed only from TrustedProxies. TrustedRole is the
	// role of such a user the users file does not list (default read).
	TrustedHeader  string
	TrustedProxies []netip.Prefix
	TrustedRole    Role
	// AnonymousRead lets requests without credentials read.
	AnonymousRead bool
	// Log receives one line per error the server answers with 500; nil
	// logs nothing.
	Log *log.Logger
}

// Server is kook serve: Jones's HTTP interface, the web UI and the JSON
// API over one inventory and its service configuration.
type Server struct {
	opts   Options
	client *kook.Client
	// jones reads the configuration; writes go through configStore, which
	// records who asked for them.
	jones   *jones.Store
	live    *Live
	auth    *auth
	queries *queryCache
	envs    *envCache
	pages   *pages
	mux     *http.ServeMux
}

// New loads the inventory and starts following it. Close stops that.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Client == nil {
		return nil, errors.New("web: Options.Client is required")
	}
	if o.Users == nil && o.TrustedHeader == "" && !o.AnonymousRead {
		return nil, errors.New("no way to log in: give a users file, a trusted header, or allow anonymous reads")
	}
	live, err := NewLive(ctx, o.Client.Store(), o.Log)
	if err != nil {
		return nil, err
	}
	pg, err := loadPages()
	if err != nil {
		live.Close()
		return nil, err
	}
	s := &Server{opts: o, client: o.Client, jones: o.Client.Jones(jones.Attribution{Tool: Tool}), live: live, auth: newAuth(o),
		queries: newQueryCache(), pages: pg, envs: newEnvCache(o.Client.Store().Conn(), o.Client.Store().Root())}
	s.routes()
	return s, nil
}

// Close stops following the inventory.
func (s *Server) Close() { s.live.Close() }

// Live returns the server's in-memory inventory.
func (s *Server) Live() *Live { return s.live }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if s.auth.trustedHeader != "" && !s.auth.fromTrustedProxy(r) {
		r.Header.Del(s.auth.trustedHeader)
	}
	s.mux.ServeHTTP(w, r)
}

// access wraps a handler with who may call it: need is the role for safe
// methods, needUnsafe for the others.
func (s *Server) access(need, needUnsafe Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.auth.identify(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="kook", charset="UTF-8"`)
			s.fail(w, r, http.StatusUnauthorized, err)
			return
		}
		r = withIdentity(r, id)
		want := need
		if isUnsafe(r.Method) {
			want = needUnsafe
		}
		if id.Role < want {
			if id.Via == "" || id.Via == "anonymous" {
				if wantsHTML(r) && r.Method == http.MethodGet {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="kook", charset="UTF-8"`)
				s.fail(w, r, http.StatusUnauthorized, errors.New("log in first"))
				return
			}
			s.fail(w, r, http.StatusForbidden, fmt.Errorf("user %q has the %s role; this needs %s", id.User, id.Role, want))
			return
		}
		if isUnsafe(r.Method) && !checkCSRF(r, id) {
			s.fail(w, r, http.StatusForbidden, errors.New("missing or wrong CSRF token (reload the page)"))
			return
		}
		if !isUnsafe(r.Method) {
			w.Header().Set("Cache-Control", "no-store")
		}
		h(w, r)
	}
}

func (s *Server) routes() {
	m := http.NewServeMux()
	s.mux = m
	static, _ := fs.Sub(files, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static))
	m.HandleFunc("GET /static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.loginPost)
	m.HandleFunc("POST /logout", s.logoutPost)

	read, write, admin := RoleRead, RoleWrite, RoleAdmin
	// Jones 1.0's interface and its pages.
	m.HandleFunc("GET /{$}", s.access(read, write, s.index))
	m.HandleFunc("/service/", s.access(read, write, s.jonesService))
	m.HandleFunc("GET /export", s.access(read, write, s.jonesExport))
	m.HandleFunc("GET /services", s.access(read, write, s.index))

	// Inventory pages.
	m.HandleFunc("GET /hosts", s.access(read, write, s.hostsPage))
	m.HandleFunc("GET /hosts/{name}", s.access(read, write, s.hostPage))
	m.HandleFunc("POST /hosts/{name}/edit", s.access(read, write, s.hostEdit))
	m.HandleFunc("GET /groups", s.access(read, write, s.groupsPage))
	m.HandleFunc("GET /groups/{name}", s.access(read, write, s.groupPage))
	m.HandleFunc("POST /groups/{name}/edit", s.access(read, write, s.groupEdit))
	m.HandleFunc("GET /graph", s.access(read, write, s.graphPage))

	// History.
	m.HandleFunc("GET /history", s.access(read, write, s.historyPage("")))
	m.HandleFunc("GET /history/host/{name}", s.access(read, write, s.historyPage("host")))
	m.HandleFunc("GET /history/group/{name}", s.access(read, write, s.historyPage("group")))
	m.HandleFunc("GET /changes/{gen}", s.access(read, write, s.changePage))
	m.HandleFunc("POST /changes/{gen}/revert", s.access(read, write, s.revertPost))
	m.HandleFunc("GET /history/service/{svc}", s.access(read, write, s.configHistoryPage))
	m.HandleFunc("GET /history/service/{svc}/{gen}", s.access(read, write, s.configChangePage))
	m.HandleFunc("POST /history/service/{svc}/{gen}/revert", s.access(read, write, s.configRevertPost))

	// The JSON API.
	m.HandleFunc("GET /api/v1/status", s.access(read, write, s.apiStatus))
	m.HandleFunc("GET /api/v1/hosts", s.access(read, write, s.apiHosts))
	m.HandleFunc("GET /api/v1/hosts/{name}", s.access(read, write, s.apiHost))
	m.HandleFunc("GET /api/v1/hosts/{name}/explain", s.access(read, write, s.apiExplain))
	m.HandleFunc("GET /api/v1/groups", s.access(read, write, s.apiGroups))
	m.HandleFunc("GET /api/v1/groups/{name}", s.access(read, write, s.apiGroup))
	m.HandleFunc("GET /api/v1/graph", s.access(read, write, s.apiGraph))
	m.HandleFunc("POST /api/v1/edit", s.access(read, write, s.apiEdit))
	m.HandleFunc("GET /api/v1/history", s.access(read, write, s.apiHistory))
	m.HandleFunc("GET /api/v1/history/{gen}", s.access(read, write, s.apiChange))
	m.HandleFunc("POST /api/v1/history/{gen}/revert", s.access(read, write, s.apiRevert))
	m.HandleFunc("GET /api/v1/services", s.access(read, write, s.apiServices))
	m.HandleFunc("GET /api/v1/services/{svc}", s.access(read, write, s.apiService))
	m.HandleFunc("GET /api/v1/services/{svc}/envs/{env...}", s.access(read, write, s.apiEnv))
	m.HandleFunc("POST /api/v1/services/{svc}/preview/{env...}", s.access(read, write, s.apiPreview))
	m.HandleFunc("GET /api/v1/services/{svc}/history", s.access(read, write, s.apiConfigHistory))
	m.HandleFunc("GET /api/v1/services/{svc}/history/{gen}", s.access(read, write, s.apiConfigChange))
	m.HandleFunc("POST /api/v1/services/{svc}/history/{gen}/revert", s.access(read, write, s.apiConfigRevert))
	_ = admin
}

// statusOf maps an error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, model.ErrNotFound), errors.Is(err, kook.ErrPruned):
		return http.StatusNotFound
	case errors.Is(err, model.ErrExists), errors.Is(err, model.ErrConflict), errors.Is(err, model.ErrNotEmpty),
		errors.Is(err, model.ErrCycle), errors.Is(err, model.ErrMoved):
		return http.StatusConflict
	case errors.Is(err, model.ErrMinimal):
		return http.StatusUnprocessableEntity // a change recorded without what undoing it needs
	case errors.Is(err, model.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	var bad badRequest
	if errors.As(err, &bad) {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// badRequest is an error in what the client sent.
type badRequest struct{ error }

func badf(format string, args ...any) error { return badRequest{fmt.Errorf(format, args...)} }

// fail answers an error: JSON for scripts, a page for people.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status == 0 {
		status = statusOf(err)
	}
	if status >= 500 && s.opts.Log != nil {
		s.opts.Log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	if !wantsHTML(r) || strings.HasPrefix(r.URL.Path, "/api/") {
		// A refused revert names the later changes in its own fields too.
		body := model.Map{{Key: "error", Value: err.Error()}, {Key: "status", Value: int64(status)}}
		writeJSON(w, status, append(body, conflictJSON(err)...))
		return
	}
	w.WriteHeader(status)
	s.render(w, r, "error.html", &page{Title: http.StatusText(status), Data: map[string]any{"Status": status, "Error": err.Error()}})
}

// failErr answers err with the status it maps to.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) { s.fail(w, r, 0, err) }

func writeJSON(w http.ResponseWriter, status int, v model.Value) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(model.MarshalJSON(v), '\n'))
}

// bestType is werkzeug's MIMEAccept.best_match over the types Jones's
// request_wants offers, in its order: text/plain, text/html,
// application/json. Ties go to the first, so curl's "*/*" is text/plain;
// no Accept header matches none.
func bestType(r *http.Request) string {
	offers := []string{"text/plain", "text/html", "application/json"}
	best, bestQ := "", -1.0
	type item struct {
		typ string
		q   float64
	}
	var items []item
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		fields := strings.Split(part, ";")
		typ := strings.ToLower(strings.TrimSpace(fields[0]))
		if typ == "" {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), "q="); ok {
				fmt.Sscanf(v, "%g", &q)
			}
		}
		items = append(items, item{typ, q})
	}
	for _, o := range offers {
		for _, it := range items {
			if it.q <= 0 || it.q <= bestQ {
				continue
			}
			if it.typ == o || it.typ == "*/*" || (strings.HasSuffix(it.typ, "/*") && strings.HasPrefix(o, strings.TrimSuffix(it.typ, "*"))) {
				best, bestQ = o, it.q
			}
		}
	}
	return best
}

// wantsHTML reports whether the client is a browser: it prefers HTML.
func wantsHTML(r *http.Request) bool { return bestType(r) == "text/html" }

// wantsJSON is Jones's request_wants('application/json').
func wantsJSON(r *http.Request) bool { return bestType(r) == "application/json" }

// waitFor brings the in-memory inventory up to an edit's generation.
func (s *Server) waitFor(r *http.Request, res kook.Result) {
	if res.Written {
		_ = s.live.WaitFor(r.Context(), res.Generation)
	}
}

// editOptions records who makes a change.
func editOptions(r *http.Request, reason string) kook.EditOptions {
	return kook.EditOptions{User: identityOf(r).User, Tool: Tool, Reason: reason}
}

// configStore is the configuration store for a change r asks for: its
// record names the logged-in user, the tool kook serve and why (the form
// field or query parameter reason, as for the inventory's edits).
func (s *Server) configStore(r *http.Request) *jones.Store {
	return s.jones.As(jones.Attribution{Tool: Tool, User: identityOf(r).User, Reason: r.FormValue("reason")})
}

func since(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}
