package web_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/web"
)

func TestLoadUsersRefusesOpenFile(t *testing.T) {
	h, err := web.HashPassword("x")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(p, []byte("a:"+h+":read\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := web.LoadUsers(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadUsers of a 0644 file: %v, want a refusal", err)
	}
	os.Chmod(p, 0o600)
	u, err := web.LoadUsers(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Check("a", "x"); got != web.RoleRead {
		t.Errorf("Check(a, x) = %v", got)
	}
	if got := u.Check("a", "y"); got != web.RoleNone {
		t.Errorf("Check(a, y) = %v", got)
	}
	for _, bad := range []string{"a:notahash:read", "a:" + h + ":root", "a:" + h} {
		if _, err := web.ParseUsers("f", []byte(bad)); err == nil {
			t.Errorf("ParseUsers(%q) accepted", bad)
		}
	}
}

func TestIntegrationAuth(t *testing.T) {
	e := newEnv(t)
	edit := url.Values{"action": {"set"}, "key": {"x"}, "value": {"1"}}
	host := "/hosts/web-01.example.com"

	t.Run("NoLogin", func(t *testing.T) {
		r := e.must(http.StatusSeeOther, req{path: "/hosts", accept: "text/html"})
		if !strings.HasPrefix(r.header.Get("Location"), "/login?next=") {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
		e.must(http.StatusUnauthorized, req{path: "/api/v1/hosts"})
		e.must(http.StatusUnauthorized, req{method: "POST", path: host + "/edit", form: edit})
		e.must(http.StatusUnauthorized, req{method: "POST", path: "/service/s/", accept: jsonAccept})
		e.must(http.StatusUnauthorized, req{method: "POST", path: "/api/v1/edit", body: `{"ops":[{"op":"host.set","host":"web-01.example.com","vars":{"x":1}}]}`})
	})
	t.Run("WrongPassword", func(t *testing.T) {
		r := e.do(req{path: "/api/v1/hosts", header: map[string]string{"Authorization": "Basic " + "YWRtaW46bm9wZQ=="}}) // admin:nope
		if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("wrong password: %v", r)
		}
		e.must(http.StatusUnauthorized, req{method: "POST", path: "/login", form: url.Values{"user": {"admin"}, "password": {"nope"}}})
	})
	t.Run("ReadRoleCannotEdit", func(t *testing.T) {
		e.must(http.StatusOK, req{path: "/api/v1/hosts", user: "reader"})
		e.must(http.StatusForbidden, req{method: "POST", path: "/api/v1/edit", user: "reader",
			body: `{"ops":[{"op":"host.set","host":"web-01.example.com","vars":{"x":1}}]}`})
		e.must(http.StatusForbidden, req{method: "POST", path: "/service/s/", accept: jsonAccept, user: "reader"})
		c, token := e.browser("reader")
		f := url.Values{"csrf_token": {token}}
		for k, v := range edit {
			f[k] = v
		}
		e.must(http.StatusForbidden, req{method: "POST", path: host + "/edit", form: f, client: c})
	})
	t.Run("CSRF", func(t *testing.T) {
		c, token := e.browser("writer")
		// Without the token: refused, nothing written.
		e.must(http.StatusForbidden, req{method: "POST", path: host + "/edit", form: edit, client: c})
		e.must(http.StatusForbidden, req{method: "POST", path: "/service/s/", accept: jsonAccept, client: c})
		bad := url.Values{"csrf_token": {"wrong"}}
		for k, v := range edit {
			bad[k] = v
		}
		e.must(http.StatusForbidden, req{method: "POST", path: host + "/edit", form: bad, client: c})
		h, err := e.client.Host(t.Context(), "web-01.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := h.Vars.Get("x"); ok {
			t.Fatal("an edit without a CSRF token was written")
		}
		// With it (form field or header): done.
		good := url.Values{"csrf_token": {token}}
		for k, v := range edit {
			good[k] = v
		}
		e.must(http.StatusSeeOther, req{method: "POST", path: host + "/edit", form: good, client: c})
		e.must(http.StatusCreated, req{method: "POST", path: "/service/s/", accept: jsonAccept, client: c, header: map[string]string{"X-CSRF-Token": token}})
		h, err = e.client.Host(t.Context(), "web-01.example.com")
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := h.Vars.Get("x"); v != int64(1) {
			t.Errorf("x = %v after the edit", v)
		}
		// Basic auth needs no token, but not from another site's page.
		e.must(http.StatusOK, req{method: "POST", path: "/api/v1/edit", user: "writer",
			body: `{"ops":[{"op":"host.unset","host":"web-01.example.com","keys":["x"]}]}`})
		e.must(http.StatusForbidden, req{method: "POST", path: "/api/v1/edit", user: "writer", header: map[string]string{"Origin": "https://evil.example"},
			body: `{"ops":[{"op":"host.unset","host":"web-01.example.com","keys":["x"]}]}`})
	})
	t.Run("WhoIsRecorded", func(t *testing.T) {
		e.must(http.StatusOK, req{method: "POST", path: "/api/v1/edit", user: "writer",
			body: `{"reason":"test who","ops":[{"op":"host.set","host":"web-02.example.com","vars":{"who":1}}]}`})
		st, err := e.client.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.client.Store().Commit(t.Context(), st.Generation)
		if err != nil {
			t.Fatal(err)
		}
		if c.User != "writer" || c.Tool != web.Tool || c.Reason != "test who" {
			t.Errorf("change record: user %q tool %q reason %q", c.User, c.Tool, c.Reason)
		}
	})
	t.Run("SecurityHeaders", func(t *testing.T) {
		r := e.must(http.StatusOK, req{path: "/hosts", accept: "text/html", user: "reader"})
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q", csp)
		}
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers %v", r.header)
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "onclick=") {
			t.Error("a page holds inline script or style, which the CSP blocks")
		}
	})
}

func TestIntegrationAuthTrustedHeader(t *testing.T) {
	e := newEnv(t, func(o *web.Options) {
		o.TrustedHeader = "X-Forwarded-User"
		o.TrustedRole = web.RoleWrite
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	hdr := map[string]string{"X-Forwarded-User": "alice"}
	r := e.must(http.StatusOK, req{path: "/api/v1/status", header: hdr})
	if !strings.Contains(r.body, `"user":"alice","role":"write"`) {
		t.Errorf("status as alice: %s", r.body)
	}
	// A user the users file lists gets their role from it.
	r = e.must(http.StatusOK, req{path: "/api/v1/status", header: map[string]string{"X-Forwarded-User": "reader"}})
	if !strings.Contains(r.body, `"role":"read"`) {
		t.Errorf("status as reader: %s", r.body)
	}

	other := newEnv(t, func(o *web.Options) {
		o.TrustedHeader = "X-Forwarded-User"
		o.TrustedRole = web.RoleAdmin
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.9.9.9/32")}
	})
	// From an address that is not a trusted proxy the header is ignored.
	other.must(http.StatusUnauthorized, req{path: "/api/v1/status", header: hdr})
	other.must(http.StatusUnauthorized, req{method: "POST", path: "/service/s/", accept: jsonAccept, header: hdr})
}

func TestIntegrationAnonymousRead(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.AnonymousRead = true })
	e.must(http.StatusOK, req{path: "/hosts", accept: "text/html"})
	e.must(http.StatusOK, req{path: "/api/v1/hosts/web-01.example.com"})
	e.must(http.StatusUnauthorized, req{method: "POST", path: "/service/s/", accept: jsonAccept})
	e.must(http.StatusUnauthorized, req{method: "POST", path: "/api/v1/edit", body: `{"ops":[]}`})
}
