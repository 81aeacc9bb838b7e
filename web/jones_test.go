package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Jones 1.0's HTTP interface, endpoint by endpoint, as its Flask app
// answers (jones/web.py), errors included.

const jsonAccept = "application/json"

func TestIntegrationJonesCreate(t *testing.T) {
	e := newEnv(t)
	// POST on the root creates the service; JSON or text (curl's */*)
	// answers 201 {"service": ...}.
	r := e.must(http.StatusCreated, req{method: "POST", path: "/service/web/", accept: jsonAccept, user: "writer"})
	if r.body != `{"service":"web"}`+"\n" {
		t.Errorf("POST service: body %q", r.body)
	}
	e.must(http.StatusCreated, req{method: "POST", path: "/service/web/prod/", accept: "*/*", user: "writer"})
	if got := e.rawConf("web", "prod"); got != "{}" {
		t.Errorf("new env config = %q, want {}", got)
	}
	// A browser is redirected to the new environment's page.
	r = e.must(http.StatusFound, req{method: "POST", path: "/service/web/prod/eu/", accept: "text/html", user: "writer"})
	if loc := r.header.Get("Location"); loc != "/service/web/prod/eu/" {
		t.Errorf("redirect to %q", loc)
	}
	r = e.must(http.StatusFound, req{method: "POST", path: "/service/other/", accept: "text/html", user: "writer"})
	if loc := r.header.Get("Location"); loc != "/service/other/" {
		t.Errorf("redirect to %q", loc)
	}

	t.Run("ErrExists", func(t *testing.T) {
		e.must(http.StatusConflict, req{method: "POST", path: "/service/web/", accept: jsonAccept, user: "writer"})
		r := e.must(http.StatusConflict, req{method: "POST", path: "/service/web/prod/", accept: jsonAccept, user: "writer"})
		if !strings.Contains(r.body, "already exists") {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("ErrNoParent", func(t *testing.T) {
		e.must(http.StatusNotFound, req{method: "POST", path: "/service/web/a/b/", accept: jsonAccept, user: "writer"})
		e.must(http.StatusNotFound, req{method: "POST", path: "/service/none/x/", accept: jsonAccept, user: "writer"})
	})
	t.Run("ErrBadName", func(t *testing.T) {
		e.must(http.StatusBadRequest, req{method: "POST", path: "/service/web/" + url.PathEscape("a -> b") + "/", accept: jsonAccept, user: "writer"})
	})
	t.Run("TrailingSlash", func(t *testing.T) {
		r := e.must(http.StatusMovedPermanently, req{path: "/service/web", user: "reader"})
		if r.header.Get("Location") != "/service/web/" {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
		e.must(http.StatusPermanentRedirect, req{method: "POST", path: "/service/web/prod", user: "writer"})
	})
}

func TestIntegrationJonesGet(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/service/web/", "/service/web/prod/", "/service/web/prod/eu/", "/service/web/dev/"} {
		e.must(http.StatusCreated, req{method: "POST", path: p, accept: jsonAccept, user: "writer"})
	}
	e.must(http.StatusOK, req{method: "PUT", path: "/service/web/", user: "writer",
		form: url.Values{"data": {`{"b":1,"a":"x"}`}, "version": {"0"}}})
	e.must(http.StatusOK, req{method: "PUT", path: "/service/web/prod/", user: "writer",
		form: url.Values{"data": {`{"a":2.0}`}, "version": {"0"}}})
	e.must(http.StatusCreated, req{method: "PUT", path: "/service/web/association/h1", user: "writer", form: url.Values{"env": {"prod"}}})
	e.must(http.StatusCreated, req{method: "PUT", path: "/service/web/association/h2", user: "writer", form: url.Values{"env": {"prod/eu"}}})

	r := e.must(http.StatusOK, req{path: "/service/web/prod/", accept: jsonAccept, user: "reader"})
	want := `{"env":"prod","version":1,"children":[{"env":"","is_leaf":false},{"env":"dev","is_leaf":true},` +
		`{"env":"prod","is_leaf":false},{"env":"prod/eu","is_leaf":true}],"config":{"a":2.0},"view":{"b":1,"a":2.0},` +
		`"service":"web","associations":["h1"]}` + "\n"
	if r.body != want {
		t.Errorf("GET prod:\n got %s\nwant %s", r.body, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	r = e.must(http.StatusOK, req{path: "/service/web/", accept: jsonAccept, user: "reader"})
	if !strings.Contains(r.body, `"associations":null`) || !strings.HasPrefix(r.body, `{"env":"","version":1,`) {
		t.Errorf("GET root: %s", r.body)
	}
	// Without a JSON Accept it is the page.
	r = e.must(http.StatusOK, req{path: "/service/web/prod/", accept: "text/html,*/*;q=0.8", user: "reader"})
	if !strings.Contains(r.body, `id="config"`) {
		t.Errorf("GET prod as HTML: no editor in %.300s", r.body)
	}

	t.Run("ErrNotFound", func(t *testing.T) {
		// Jones redirects browsers; scripts get 404 with a message.
		e.must(http.StatusNotFound, req{path: "/service/nope/", accept: jsonAccept, user: "reader"})
		r := e.must(http.StatusNotFound, req{path: "/service/web/nope/", accept: jsonAccept, user: "reader"})
		if !strings.Contains(r.body, `"error"`) {
			t.Errorf("404 body %s", r.body)
		}
		r = e.must(http.StatusFound, req{path: "/service/nope/", accept: "text/html", user: "reader"})
		if r.header.Get("Location") != "/" {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
		r = e.must(http.StatusFound, req{path: "/service/web/nope/", accept: "text/html", user: "reader"})
		if r.header.Get("Location") != "/service/web/" {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
	})
}

func TestIntegrationJonesPut(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusCreated, req{method: "POST", path: "/service/s/", accept: jsonAccept, user: "writer"})
	e.must(http.StatusCreated, req{method: "POST", path: "/service/s/e/", accept: jsonAccept, user: "writer"})
	exact := `{"z":1,"one":1.0,"big":12345678901234567890123,"neg":-0.0,"é":"ü","list":[1,2.5]}`
	r := e.must(http.StatusOK, req{method: "PUT", path: "/service/s/e/", user: "writer", form: url.Values{"data": {exact}, "version": {"0"}}})
	if r.body != "e" {
		t.Errorf("PUT body %q, want the env", r.body)
	}
	if got := e.rawConf("s", "e"); got != exact {
		t.Errorf("stored %s, want %s", got, exact)
	}
	// The view below changes with it: the root's keys, then e's.
	e.must(http.StatusOK, req{method: "PUT", path: "/service/s/", user: "writer", form: url.Values{"data": {`{"root":true}`}, "version": {"-1"}}})
	r = e.must(http.StatusOK, req{path: "/service/s/e/", accept: jsonAccept, user: "reader"})
	if !strings.Contains(r.body, `"view":{"root":true,"z":1,"one":1.0,"big":12345678901234567890123,"neg":-0.0`) {
		t.Errorf("view after root change: %s", r.body)
	}
	// version -1 forces.
	e.must(http.StatusOK, req{method: "PUT", path: "/service/s/e/", user: "writer", form: url.Values{"data": {`{}`}, "version": {"-1"}}})

	t.Run("ErrStale", func(t *testing.T) {
		r := e.must(http.StatusConflict, req{method: "PUT", path: "/service/s/e/", user: "writer",
			form: url.Values{"data": {`{"x":1}`}, "version": {"0"}}})
		if !strings.Contains(r.body, `"version":2`) || !strings.Contains(r.body, `"config":{}`) {
			t.Errorf("409 should carry the stored version and config: %s", r.body)
		}
		if got := e.rawConf("s", "e"); got != "{}" {
			t.Errorf("stale PUT wrote %s", got)
		}
	})
	t.Run("ErrBadData", func(t *testing.T) {
		for _, data := range []string{`{"a":`, `[1]`, `"x"`} {
			e.must(http.StatusBadRequest, req{method: "PUT", path: "/service/s/e/", user: "writer", form: url.Values{"data": {data}, "version": {"-1"}}})
		}
		e.must(http.StatusBadRequest, req{method: "PUT", path: "/service/s/e/", user: "writer", form: url.Values{"data": {"{}"}}})
		e.must(http.StatusBadRequest, req{method: "PUT", path: "/service/s/e/", user: "writer", form: url.Values{"version": {"1"}}})
		e.must(http.StatusBadRequest, req{method: "PUT", path: "/service/s/e/", user: "writer", form: url.Values{"data": {"{}"}, "version": {"x"}}})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e.must(http.StatusNotFound, req{method: "PUT", path: "/service/s/none/", user: "writer", form: url.Values{"data": {"{}"}, "version": {"-1"}}})
	})
}

func TestIntegrationJonesDelete(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/service/s/", "/service/s/a/", "/service/s/a/b/", "/service/s/c/"} {
		e.must(http.StatusCreated, req{method: "POST", path: p, accept: jsonAccept, user: "writer"})
	}
	e.must(http.StatusCreated, req{method: "PUT", path: "/service/s/association/h", user: "writer", form: url.Values{"env": {"a/b"}}})
	// An environment with children stays (Jones: 500).
	e.must(http.StatusConflict, req{method: "DELETE", path: "/service/s/a/", user: "writer"})
	// A leaf goes; its host moves to the parent instead of dangling.
	r := e.must(http.StatusOK, req{method: "DELETE", path: "/service/s/a/b/", user: "writer"})
	if r.body != "a/b" {
		t.Errorf("DELETE body %q", r.body)
	}
	r = e.must(http.StatusOK, req{path: "/service/s/association/h", accept: jsonAccept, user: "reader"})
	as := e.must(http.StatusOK, req{path: "/service/s/a/", accept: jsonAccept, user: "reader"})
	if !strings.Contains(as.body, `"associations":["h"]`) {
		t.Errorf("h should have moved to a: %s", as.body)
	}
	e.must(http.StatusNotFound, req{method: "DELETE", path: "/service/s/none/", user: "writer"})
	// The whole service needs an admin.
	e.must(http.StatusForbidden, req{method: "DELETE", path: "/service/s/", user: "writer"})
	e.must(http.StatusOK, req{method: "DELETE", path: "/service/s/", user: "admin"})
	e.must(http.StatusNotFound, req{path: "/service/s/", accept: jsonAccept, user: "reader"})
	e.must(http.StatusOK, req{method: "DELETE", path: "/service/s/", user: "admin"}) // gone already: 200, as Jones
}

func TestIntegrationJonesAssociation(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/service/s/", "/service/s/a/", "/service/s/b/"} {
		e.must(http.StatusCreated, req{method: "POST", path: p, accept: jsonAccept, user: "writer"})
	}
	e.must(http.StatusOK, req{method: "PUT", path: "/service/s/a/", user: "writer", form: url.Values{"data": {`{"k":1.0}`}, "version": {"0"}}})
	r := e.must(http.StatusCreated, req{method: "PUT", path: "/service/s/association/web-01", user: "writer", form: url.Values{"env": {"a"}}})
	if r.body != "s" {
		t.Errorf("PUT association body %q", r.body)
	}
	r = e.must(http.StatusOK, req{path: "/service/s/association/web-01", accept: jsonAccept, user: "reader"})
	if r.body != `{"k":1.0}`+"\n" {
		t.Errorf("GET association = %q", r.body)
	}
	// Moving is a PUT with another env; root is "".
	e.must(http.StatusCreated, req{method: "PUT", path: "/service/s/association/web-01", user: "writer", form: url.Values{"env": {"b"}}})
	r = e.must(http.StatusOK, req{path: "/service/s/b/", accept: jsonAccept, user: "reader"})
	if !strings.Contains(r.body, `"associations":["web-01"]`) {
		t.Errorf("after move: %s", r.body)
	}
	r = e.must(http.StatusOK, req{method: "DELETE", path: "/service/s/association/web-01", user: "writer"})
	if r.body != "s" {
		t.Errorf("DELETE association body %q", r.body)
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		e.must(http.StatusNotFound, req{path: "/service/s/association/web-01", accept: jsonAccept, user: "reader"})
		e.must(http.StatusNotFound, req{method: "DELETE", path: "/service/s/association/web-01", user: "writer"})
		e.must(http.StatusNotFound, req{method: "PUT", path: "/service/s/association/x", user: "writer", form: url.Values{"env": {"none"}}})
		e.must(http.StatusNotFound, req{method: "PUT", path: "/service/none/association/x", user: "writer", form: url.Values{"env": {""}}})
	})
	t.Run("ErrNoEnvField", func(t *testing.T) {
		e.must(http.StatusBadRequest, req{method: "PUT", path: "/service/s/association/x", user: "writer", form: url.Values{}})
	})
	t.Run("ErrMethod", func(t *testing.T) {
		e.must(http.StatusMethodNotAllowed, req{method: "POST", path: "/service/s/association/x", user: "writer"})
		e.must(http.StatusMethodNotAllowed, req{method: "PATCH", path: "/service/s/", user: "writer"})
	})
}

func TestIntegrationJonesExport(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusCreated, req{method: "POST", path: "/service/s/", accept: jsonAccept, user: "writer"})
	e.must(http.StatusOK, req{method: "PUT", path: "/service/s/", user: "writer", form: url.Values{"data": {"{\"a\":1}"}, "version": {"0"}}})
	r := e.must(http.StatusOK, req{path: "/export", user: "reader"})
	for _, want := range []string{"/\n/services\n  /services/s\n    /services/s/conf\n      {\"a\":1}\n", "    /services/s/nodemaps\n      {}"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("export lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "/inventory") {
		t.Errorf("export shows the inventory's znodes:\n%s", r.body)
	}
}

func TestIntegrationJonesIndex(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusCreated, req{method: "POST", path: "/service/b/", accept: jsonAccept, user: "writer"})
	e.must(http.StatusCreated, req{method: "POST", path: "/service/a/", accept: jsonAccept, user: "writer"})
	r := e.must(http.StatusOK, req{path: "/", accept: "text/html", user: "reader"})
	if !strings.Contains(r.body, `href="/service/a/"`) || !strings.Contains(r.body, `href="/service/b/"`) {
		t.Errorf("index lacks the services: %.500s", r.body)
	}
	r = e.must(http.StatusOK, req{path: "/", accept: jsonAccept, user: "reader"})
	if r.body != `["a","b"]`+"\n" {
		t.Errorf("index as JSON: %q", r.body)
	}
}
