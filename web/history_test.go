package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/model"
)

// The inventory's history through the server: a host's log, and reverts
// made with the history library.

// gensIn lists the generations a history page's table links to, in order.
func gensIn(t *testing.T, body string) []int64 {
	t.Helper()
	i := strings.Index(body, `id="history"`)
	if i < 0 {
		t.Fatalf("no history table in %.500s", body)
	}
	var out []int64
	for _, m := range regexp.MustCompile(`<tr><td><a href="[^"]*/(\d+)">`).FindAllStringSubmatch(body[i:], -1) {
		g, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, g)
	}
	return out
}

var generationRE = regexp.MustCompile(`"generation":(\d+)`)

// generationOf is the first "generation" of a JSON answer.
func generationOf(t *testing.T, r resp) int64 {
	t.Helper()
	m := generationRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no generation in %s", r.body)
	}
	g, _ := strconv.ParseInt(m[1], 10, 64)
	return g
}

// TestIntegrationHostHistory: a host's history page and the API list that
// host's changes, and only them, whoever made them: the API, the pages,
// and a writer outside the server.
func TestIntegrationHostHistory(t *testing.T) {
	e := newEnv(t) // generation 1: the import, which created web-01
	ctx := t.Context()
	browser, token := e.browser("writer")
	other, err := kook.Open(ctx, kook.Config{ZK: e.zk, Tool: "other-tool"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	const host = "web-01.example.com"
	mine := []int64{1} // host's changes, oldest first
	api := func(h string, v int) int64 {
		t.Helper()
		r := e.must(http.StatusOK, req{method: "POST", path: "/api/v1/edit", user: "alice",
			body: fmt.Sprintf(`{"reason":"api %d","ops":[{"op":"host.set","host":%q,"vars":{"n":%d}}]}`, v, h, v)})
		return generationOf(t, r)
	}
	outside := func(ops ...kook.Op) int64 {
		t.Helper()
		res, err := other.Edit(ctx, kook.EditOptions{Reason: "outside"}, ops...)
		if err != nil || !res.Written {
			t.Fatalf("outside edit: %+v, %v", res, err)
		}
		return res.Generation
	}
	mine = append(mine, api(host, 1))
	api("db-01.example.com", 2)
	mine = append(mine, outside(kook.SetHostVars{Host: host, Vars: model.Map{{Key: "outside", Value: int64(1)}}}))
	groupGen := outside(kook.SetGroupVars{Group: "web", Vars: model.Map{{Key: "tier", Value: "front"}}})
	outside(kook.CreateHost{Name: "new-01", Groups: []string{"web"}})
	e.must(http.StatusSeeOther, req{method: "POST", path: "/hosts/" + host + "/edit", client: browser,
		form: url.Values{"csrf_token": {token}, "action": {"set"}, "key": {"port"}, "value": {"8080"}, "reason": {"form"}}})
	st, err := e.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine = append(mine, st.Generation)
	mine = append(mine, outside(kook.AddMember{Group: "db", Host: host})) // a membership is the host's
	api("db-02.example.com", 3)
	slices.Reverse(mine)

	page := e.must(http.StatusOK, req{path: "/history/host/" + host, accept: "text/html", client: browser})
	if got := gensIn(t, page.body); !slices.Equal(got, mine) {
		t.Errorf("host history page lists generations %v, want %v", got, mine)
	}
	for _, who := range []string{"alice", "writer", "other-tool", "kook serve", "outside", "form"} {
		if !strings.Contains(page.body, who) {
			t.Errorf("host history page lacks %q", who)
		}
	}
	var list []struct {
		Generation int64
		User, Tool string
		Changes    []string
	}
	r := e.must(http.StatusOK, req{path: "/api/v1/history?host=" + host, user: "reader"})
	if err := json.Unmarshal([]byte(r.body), &list); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	var gens []int64
	for _, c := range list {
		gens = append(gens, c.Generation)
		for _, ch := range c.Changes {
			if !strings.Contains(ch, host) {
				t.Errorf("generation %d: the host's log shows another's change %q", c.Generation, ch)
			}
		}
	}
	if !slices.Equal(gens, mine) {
		t.Errorf("API host history: %v, want %v", gens, mine)
	}
	// Pages of 2, each after the last one's oldest.
	gens = nil
	for before := ""; len(gens) < 20; {
		r := e.must(http.StatusOK, req{path: "/api/v1/history?limit=2&host=" + host + before, user: "reader"})
		page := regexp.MustCompile(`\{"generation":(\d+)`).FindAllStringSubmatch(r.body, -1)
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			g, _ := strconv.ParseInt(m[1], 10, 64)
			gens = append(gens, g)
		}
		before = "&before=" + strconv.FormatInt(gens[len(gens)-1], 10)
	}
	if !slices.Equal(gens, mine) {
		t.Errorf("API host history in pages of 2: %v, want %v", gens, mine)
	}
	// The whole log, in pages of 3: the first from the records the server
	// applied, the last from ZooKeeper; the same as the library's.
	head, err := e.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Live().WaitFor(ctx, head.Generation); err != nil {
		t.Fatal(err)
	}
	all, err := e.client.Log(ctx, kook.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, en := range all.Entries {
		want = append(want, en.Generation)
	}
	gens = nil
	for before := ""; len(gens) < 50; {
		r := e.must(http.StatusOK, req{path: "/api/v1/history?limit=3" + before, user: "reader"})
		page := regexp.MustCompile(`\{"generation":(\d+)`).FindAllStringSubmatch(r.body, -1)
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			g, _ := strconv.ParseInt(m[1], 10, 64)
			gens = append(gens, g)
		}
		before = "&before=" + strconv.FormatInt(gens[len(gens)-1], 10)
	}
	if !slices.Equal(gens, want) || len(want) != int(head.Generation) {
		t.Errorf("the whole log in pages of 3: %v, want %v", gens, want)
	}

	// A group's log holds its own changes, not its members' vars.
	page = e.must(http.StatusOK, req{path: "/history/group/web", accept: "text/html", client: browser})
	if got := gensIn(t, page.body); !slices.Equal(got, []int64{groupGen, 1}) {
		t.Errorf("group web's history: %v, want [%d 1]", got, groupGen)
	}
}

// TestIntegrationAPIRevert: the API's revert is the library's: refused
// with 409, naming the later change and writing nothing, when a later
// change touched the same var; a dry run writes nothing; force goes ahead.
func TestIntegrationAPIRevert(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const host = "db-01.example.com"
	set := func(v int) int64 {
		t.Helper()
		return generationOf(t, e.must(http.StatusOK, req{method: "POST", path: "/api/v1/edit", user: "writer",
			body: `{"reason":"r","ops":[{"op":"host.set","host":"` + host + `","vars":{"role":` + strconv.Itoa(v) + `}}]}`}))
	}
	role := func() model.Value {
		t.Helper()
		h, err := e.client.Host(ctx, host)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := h.Vars.Get("role")
		return v
	}
	revert := func(gen int64) string { return "/api/v1/history/" + strconv.FormatInt(gen, 10) + "/revert" }
	a := set(1)
	b := set(2)
	data, version := e.hostZnode(host)
	r := e.must(http.StatusConflict, req{method: "POST", path: revert(a), user: "writer"})
	if !strings.Contains(r.body, fmt.Sprintf(`"generations":[%d]`, b)) || !strings.Contains(r.body, fmt.Sprintf("generation %d: host %s (var role)", b, host)) {
		t.Errorf("409 does not name generation %d: %s", b, r.body)
	}
	// The change page's form shows the same refusal, linking the change.
	browser, token := e.browser("writer")
	r = e.must(http.StatusConflict, req{method: "POST", path: fmt.Sprintf("/changes/%d/revert", a), accept: "text/html", client: browser,
		form: url.Values{"csrf_token": {token}}})
	if !strings.Contains(r.body, fmt.Sprintf(`<a href="/changes/%d">generation %d</a>: host %s (var role)`, b, b, host)) {
		t.Errorf("the refused revert's page does not link generation %d: %s", b, r.body)
	}
	r = e.must(http.StatusOK, req{method: "POST", path: revert(b), user: "writer", body: `{"dry_run":true}`})
	if !strings.Contains(r.body, `"written":false`) || !strings.Contains(r.body, "role") {
		t.Errorf("dry run: %s", r.body)
	}
	if d, v := e.hostZnode(host); d != data || v != version {
		t.Fatalf("a refused revert or a dry run wrote the host: version %d -> %d", version, v)
	}
	if st, _ := e.client.Status(ctx); st.Generation != b {
		t.Fatalf("generation %d after a refused revert and a dry run, want %d", st.Generation, b)
	}

	// As curl -d sends it: JSON, labelled as a form.
	r = e.must(http.StatusOK, req{method: "POST", path: revert(b), user: "writer", body: `{"reason":"back to 1"}`,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if got := role(); got != int64(1) {
		t.Errorf("role = %#v after reverting %d, want 1", got, b)
	}
	c, err := e.client.Store().Commit(ctx, generationOf(t, r))
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "writer" || c.Tool != "kook serve" || c.Reason != fmt.Sprintf("revert of %d: back to 1", b) {
		t.Errorf("revert recorded as user %q tool %q reason %q", c.User, c.Tool, c.Reason)
	}
	// Forced, it undoes the later changes to the var too.
	e.must(http.StatusOK, req{method: "POST", path: revert(a), user: "writer", form: url.Values{"force": {"1"}, "reason": {"forced"}}})
	if got := role(); got != "primary" {
		t.Errorf("role = %#v after a forced revert of %d, want the imported primary", got, a)
	}
	e.must(http.StatusNotFound, req{method: "POST", path: revert(999999), user: "writer"})
	e.must(http.StatusNotFound, req{path: "/api/v1/history/999999", user: "reader"})
	e.must(http.StatusForbidden, req{method: "POST", path: revert(a), user: "reader"})
}
