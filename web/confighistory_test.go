package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// The history of service configuration through the server: who made each
// change, and reverts made with the history library.

// configLog is the service's log as the library reads it, newest first.
func (e *env) configLog(svc string) *kook.ConfigLog {
	e.t.Helper()
	l, err := e.client.ConfigLog(e.t.Context(), svc, kook.ConfigLogOptions{})
	if err != nil {
		e.t.Fatalf("config log of %s: %v", svc, err)
	}
	return l
}

// TestIntegrationConfigHistoryAPI: changes made through Jones's interface
// are recorded with the logged-in user, the tool kook serve and the
// reason; a revert over the API gives back the stored bytes exactly; a
// revert over a later change to the same key answers 409 naming it and
// writes nothing.
func TestIntegrationConfigHistoryAPI(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusCreated, req{method: "POST", path: "/service/shop/", accept: jsonAccept, user: "alice", form: url.Values{"reason": {"new service"}}})
	e.must(http.StatusCreated, req{method: "POST", path: "/service/shop/prod/", accept: jsonAccept, user: "alice"})
	exact := `{"big":12345678901234567890123,"f":1.0,"z":-0.0,"u":"ü","k":"v1"}`
	e.must(http.StatusOK, req{method: "PUT", path: "/service/shop/prod/", user: "alice",
		form: url.Values{"data": {exact}, "version": {"0"}, "reason": {"first config"}}})
	e.must(http.StatusCreated, req{method: "PUT", path: "/service/shop/association/web-01", user: "alice", form: url.Values{"env": {"prod"}}})
	e.must(http.StatusOK, req{method: "DELETE", path: "/service/shop/association/web-01?reason=gone", user: "alice"})

	l := e.configLog("shop")
	if len(l.Entries) != 5 {
		t.Fatalf("%d changes in shop's log, want 5", len(l.Entries))
	}
	for i, want := range []struct{ op, env, reason string }{
		{"unassoc", "", "gone"}, {"assoc", "", ""}, {"replace", "prod", "first config"}, {"create", "prod", ""}, {"create", "/", "new service"},
	} {
		ch := l.Entries[i]
		if ch.User != "alice" || ch.Tool != "kook serve" || ch.Op != want.op || ch.Env != want.env || ch.Reason != want.reason {
			t.Errorf("change %d: user %q tool %q op %q env %q reason %q; want alice, kook serve, %s %q, %q",
				ch.Generation, ch.User, ch.Tool, ch.Op, ch.Env, ch.Reason, want.op, want.env, want.reason)
		}
	}
	if as := l.Entries[1].Assocs; len(as) != 1 || as[0].Host != "web-01" || as[0].AfterEnv("shop") != "prod" || as[0].Before != "" {
		t.Errorf("assoc recorded as %+v", as)
	}
	if v, _ := l.Entries[2].Configs[0].New.Get("big"); string(model.MarshalJSON(v)) != "12345678901234567890123" {
		t.Errorf("replace recorded big as %s", model.MarshalJSON(v))
	}

	// The API lists the same, with the user and tool.
	var log struct {
		Generation int64
		More       bool
		Changes    []struct {
			Generation       int64
			User, Tool, Op   string
			Reason, Env, Who string
			Changes          []string
		}
	}
	r := e.must(http.StatusOK, req{path: "/api/v1/services/shop/history?env=prod&limit=2", user: "reader"})
	if err := json.Unmarshal([]byte(r.body), &log); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	if len(log.Changes) != 2 || !log.More || log.Changes[0].Op != "unassoc" || log.Changes[1].Op != "assoc" ||
		log.Changes[0].User != "alice" || log.Changes[0].Tool != "kook serve" || log.Generation != 5 {
		t.Errorf("prod's history, 2 at a time: %s", r.body)
	}
	r = e.must(http.StatusOK, req{path: "/api/v1/services/shop/history/3", user: "reader"})
	if !strings.Contains(r.body, `"op":"replace","env":"prod"`) || !strings.Contains(r.body, `"new":{"big":12345678901234567890123,"f":1.0,"z":-0.0`) {
		t.Errorf("change 3: %s", r.body)
	}
	e.must(http.StatusNotFound, req{path: "/api/v1/services/shop/history/999", user: "reader"})

	// A revert over the API gives back the bytes stored before.
	e.must(http.StatusOK, req{method: "PUT", path: "/service/shop/prod/", user: "writer",
		form: url.Values{"data": {`{"big":1,"k":"v2","new":true}`}, "version": {"-1"}}})
	g := e.configLog("shop").Last
	r = e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/services/shop/history/%d/revert", g), user: "alice", body: `{"reason":"undo"}`})
	if got := e.rawConf("shop", "prod"); got != exact {
		t.Errorf("after the revert prod holds\n %s\nwant\n %s", got, exact)
	}
	if !strings.Contains(r.body, `"written":true,"generation":`+strconv.FormatInt(g+1, 10)) {
		t.Errorf("revert answered %s", r.body)
	}
	if ch := e.configLog("shop").Entries[0]; ch.Op != "revert" || ch.User != "alice" || ch.Tool != "kook serve" || ch.Reason != fmt.Sprintf("revert of %d: undo", g) {
		t.Errorf("the revert recorded as op %q user %q tool %q reason %q", ch.Op, ch.User, ch.Tool, ch.Reason)
	}

	// Two later changes to k: reverting the first is refused, naming the
	// second, and writes nothing.
	for _, v := range []string{"v3", "v4"} {
		e.must(http.StatusOK, req{method: "PUT", path: "/service/shop/prod/", user: "writer",
			form: url.Values{"data": {`{"k":"` + v + `"}`}, "version": {"-1"}}})
	}
	last := e.configLog("shop").Last
	conf, confVersion := e.znode("/services/shop/conf/prod")
	view, viewVersion := e.znode("/services/shop/views/prod")
	r = e.must(http.StatusConflict, req{method: "POST", path: fmt.Sprintf("/api/v1/services/shop/history/%d/revert", last-1), user: "alice"})
	if !strings.Contains(r.body, fmt.Sprintf(`"generations":[%d]`, last)) || !strings.Contains(r.body, fmt.Sprintf("generation %d: environment prod (k)", last)) {
		t.Errorf("409 does not name generation %d: %s", last, r.body)
	}
	// A dry run says what it would do, and writes nothing either.
	r = e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/services/shop/history/%d/revert", last), user: "alice", body: `{"dry_run":true}`})
	if !strings.Contains(r.body, `"written":false`) || !strings.Contains(r.body, `k: \"v4\" -> \"v3\"`) {
		t.Errorf("dry run answered %s", r.body)
	}
	if c, v := e.znode("/services/shop/conf/prod"); c != conf || v != confVersion {
		t.Errorf("a refused revert or a dry run wrote prod's config: version %d -> %d, %s", confVersion, v, c)
	}
	if c, v := e.znode("/services/shop/views/prod"); c != view || v != viewVersion {
		t.Errorf("a refused revert or a dry run wrote prod's view: version %d -> %d", viewVersion, v)
	}
	if got := e.configLog("shop").Last; got != last {
		t.Errorf("the service's history went from %d to %d", last, got)
	}
	// Forced, it goes ahead.
	e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/services/shop/history/%d/revert", last-1), user: "alice", body: `{"force":true}`})
	if got := e.rawConf("shop", "prod"); !strings.Contains(got, `"k":"v1"`) {
		t.Errorf("after a forced revert of %d: %s", last-1, got)
	}
	e.must(http.StatusForbidden, req{method: "POST", path: "/api/v1/services/shop/history/3/revert", user: "reader"})
	e.must(http.StatusNotFound, req{method: "POST", path: "/api/v1/services/shop/history/999/revert", user: "alice"})
}

// TestIntegrationConfigHistoryPages: the service's history page, filtered
// by environment, and a revert from a change page refused with the later
// change linked.
func TestIntegrationConfigHistoryPages(t *testing.T) {
	e := newEnv(t)
	browser, token := e.browser("alice")
	for _, p := range []string{"/service/shop/", "/service/shop/prod/", "/service/shop/dev/"} {
		e.must(http.StatusCreated, req{method: "POST", path: p, accept: jsonAccept, user: "writer"})
	}
	put := func(env, data string) {
		e.must(http.StatusOK, req{method: "PUT", path: "/service/shop/" + env + "/", client: browser, header: map[string]string{"X-CSRF-Token": token},
			form: url.Values{"data": {data}, "version": {"-1"}, "reason": {"why " + env}}})
	}
	put("prod", `{"k":1}`) // 4
	put("dev", `{"k":1}`)  // 5
	put("prod", `{"k":2}`) // 6

	page := e.must(http.StatusOK, req{path: "/history/service/shop", accept: "text/html", client: browser})
	if got := fmt.Sprint(gensIn(t, page.body)); got != "[6 5 4 3 2 1]" {
		t.Errorf("shop's history lists %s", got)
	}
	for _, want := range []string{`<td class="who">alice`, `<td class="tool">kook serve</td>`, `<td class="why">why prod</td>`, `<code>k</code>: <code>1</code> → <code>2</code>`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("shop's history lacks %s", want)
		}
	}
	page = e.must(http.StatusOK, req{path: "/history/service/shop?env=prod", accept: "text/html", client: browser})
	if got := fmt.Sprint(gensIn(t, page.body)); got != "[6 4 2]" {
		t.Errorf("prod's history lists %s", got)
	}
	// The service page links to both.
	page = e.must(http.StatusOK, req{path: "/service/shop/prod/", accept: "text/html", client: browser})
	if !strings.Contains(page.body, `href="/history/service/shop?env=prod" id="env-history"`) {
		t.Errorf("the service page does not link prod's history")
	}

	before := e.rawConf("shop", "prod")
	r := e.must(http.StatusConflict, req{method: "POST", path: "/history/service/shop/4/revert", accept: "text/html", client: browser,
		form: url.Values{"csrf_token": {token}}})
	if !strings.Contains(r.body, `id="conflicts"`) || !strings.Contains(r.body, `<a href="/history/service/shop/6">generation 6</a>: environment prod (k)`) {
		t.Errorf("the refused revert's page does not link generation 6: %s", r.body)
	}
	if got := e.rawConf("shop", "prod"); got != before {
		t.Errorf("a refused revert wrote %s", got)
	}
	page = e.must(http.StatusOK, req{path: "/history/service/shop/6?preview=1", accept: "text/html", client: browser})
	if !strings.Contains(page.body, `id="preview"`) || !strings.Contains(page.body, "k: 2 -&gt; 1") {
		t.Errorf("the preview of reverting 6 lacks k: 2 -> 1")
	}
	e.must(http.StatusForbidden, req{method: "POST", path: "/history/service/shop/6/revert", accept: "text/html", client: browser, form: url.Values{}})
	r = e.must(http.StatusSeeOther, req{method: "POST", path: "/history/service/shop/6/revert", client: browser,
		form: url.Values{"csrf_token": {token}, "reason": {"page"}}})
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/history/service/shop/7?msg=") {
		t.Errorf("after the revert: redirect to %q", loc)
	}
	if got := e.rawConf("shop", "prod"); got != `{"k":1}` {
		t.Errorf("after reverting 6: %s", got)
	}
}
