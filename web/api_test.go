package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

func TestIntegrationAPIReads(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/hosts?pattern=web", `"total":3,"offset":0,"hosts":["web-01.example.com","web-02.example.com","web-03.example.com"]`},
		{"/api/v1/hosts?pattern=prod:!db&where=http_port=9090", `"hosts":["web-01.example.com"]`},
		{"/api/v1/hosts?pattern=all&limit=2&offset=1", `"total":5,"offset":1,"hosts":["db-02.example.com","web-01.example.com"]`},
		{"/api/v1/hosts/web-01.example.com", `"name":"web-01.example.com"`},
		{"/api/v1/hosts/web-01.example.com/explain?var=http_port", `"var":"http_port","value":9090`},
		{"/api/v1/groups", `"groups":["all","ungrouped"`},
		{"/api/v1/groups/web", `"name":"web","parents":["eu"]`},
		{"/api/v1/graph", "@all:\n"},
		{"/api/v1/history", `"reason":"import"`},
	} {
		r := e.must(http.StatusOK, req{path: tc.path, user: "reader"})
		if !strings.Contains(r.body, tc.want) {
			t.Errorf("GET %s:\n got %s\nwant it to hold %s", tc.path, r.body, tc.want)
		}
	}
	e.must(http.StatusNotFound, req{path: "/api/v1/hosts/nope", user: "reader"})
	e.must(http.StatusNotFound, req{path: "/api/v1/groups/nope", user: "reader"})
	e.must(http.StatusBadRequest, req{path: "/api/v1/hosts?pattern=~(", user: "reader"})
}

func TestIntegrationAPIEdit(t *testing.T) {
	e := newEnv(t)
	body := `{"reason":"types","ops":[{"op":"host.set","host":"web-01.example.com","vars":{"big":12345678901234567890123,"f":1.0,"z":-0.0,"s":"010"}},` +
		`{"op":"group.add","name":"canary","parents":["web"]},{"op":"group.add-host","group":"canary","host":"web-02.example.com"}]}`
	r := e.must(http.StatusOK, req{method: "POST", path: "/api/v1/edit", user: "writer", body: body})
	if !strings.Contains(r.body, `"written":true`) {
		t.Fatalf("edit: %s", r.body)
	}
	h, err := e.client.Host(t.Context(), "web-01.example.com")
	if err != nil {
		t.Fatal(err)
	}
	got := string(model.MarshalJSON(h.OwnVars))
	if !strings.Contains(got, `"big":12345678901234567890123,"f":1.0,"z":-0.0,"s":"010"`) {
		t.Errorf("stored own vars %s", got)
	}
	// The server's copy follows at once.
	r = e.must(http.StatusOK, req{path: "/api/v1/hosts?pattern=canary", user: "reader"})
	if !strings.Contains(r.body, `"hosts":["web-02.example.com"]`) {
		t.Errorf("canary: %s", r.body)
	}
	e.must(http.StatusNotFound, req{method: "POST", path: "/api/v1/edit", user: "writer", body: `{"ops":[{"op":"host.set","host":"nope","vars":{"a":1}}]}`})
	e.must(http.StatusBadRequest, req{method: "POST", path: "/api/v1/edit", user: "writer", body: `{"ops":[{"op":"bogus"}]}`})
	e.must(http.StatusConflict, req{method: "POST", path: "/api/v1/edit", user: "writer", body: `{"ops":[{"op":"group.add","name":"web"}]}`})
}

func TestIntegrationFollowsOtherWriters(t *testing.T) {
	e := newEnv(t)
	gen := e.srv.Live().Snap().Gen
	reloads := e.srv.Live().Reloads()
	res, err := e.client.Edit(t.Context(), kook.EditOptions{Reason: "outside"},
		kook.SetHostVars{Host: "db-01.example.com", Vars: model.Map{{Key: "outside", Value: int64(7)}}},
		kook.CreateHost{Name: "new-01", Groups: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.Live().Snap().Gen < res.Generation {
		if time.Now().After(deadline) {
			t.Fatalf("the server stayed at generation %d, want %d", e.srv.Live().Snap().Gen, res.Generation)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res.Generation != gen+1 {
		t.Errorf("generation %d -> %d", gen, res.Generation)
	}
	if got := e.srv.Live().Reloads(); got != reloads {
		t.Errorf("the server reloaded the inventory (%d -> %d) instead of applying the change record", reloads, got)
	}
	r := e.must(http.StatusOK, req{path: "/api/v1/hosts/db-01.example.com", user: "reader"})
	if !strings.Contains(r.body, `"outside":7`) {
		t.Errorf("db-01 after an outside edit: %s", r.body)
	}
	r = e.must(http.StatusOK, req{path: "/api/v1/hosts?pattern=web", user: "reader"})
	if !strings.Contains(r.body, `"new-01"`) {
		t.Errorf("web after an outside host add: %s", r.body)
	}
}

func TestIntegrationPages(t *testing.T) {
	e := newEnv(t)
	c, token := e.browser("writer")
	for _, tc := range []struct{ path, want string }{
		{"/hosts?pattern=web&where=http_port%3D9090", "web-01.example.com"},
		{"/hosts/web-01.example.com", "http_port"},
		{"/groups", "prod"},
		{"/groups/web", "web-03.example.com"},
		{"/graph?vars=1", "@web:"},
		{"/history", "import"},
		{"/history/host/web-01.example.com", "import"},
		{"/history/group/web", "import"},
		{"/changes/1", "Revert this change"},
		{"/", "Services"},
	} {
		r := e.must(http.StatusOK, req{path: tc.path, accept: "text/html", client: c})
		if !strings.Contains(r.body, tc.want) {
			t.Errorf("%s lacks %q", tc.path, tc.want)
		}
	}
	e.must(http.StatusNotFound, req{path: "/hosts/nope", accept: "text/html", client: c})
	// An edit form: the value is typed as YAML, as on the command line.
	r := e.must(http.StatusSeeOther, req{method: "POST", path: "/hosts/web-01.example.com/edit", client: c,
		form: url.Values{"csrf_token": {token}, "action": {"set"}, "key": {"port"}, "value": {"8080"}, "reason": {"form"}}})
	if !strings.Contains(r.header.Get("Location"), "msg=") {
		t.Errorf("redirect %q", r.header.Get("Location"))
	}
	h, err := e.client.Host(t.Context(), "web-01.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := h.OwnVars.Get("port"); v != int64(8080) {
		t.Errorf("port = %#v", v)
	}
	r = e.must(http.StatusSeeOther, req{method: "POST", path: "/hosts/web-01.example.com/edit", client: c,
		form: url.Values{"csrf_token": {token}, "action": {"join"}, "name": {"nope"}}})
	if !strings.Contains(r.header.Get("Location"), "err=") {
		t.Errorf("join of a missing group: redirect %q", r.header.Get("Location"))
	}
}
