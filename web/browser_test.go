package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kook-project/kook/model"
)

// The UI in a real browser: Debian's chromium, driven over the DevTools
// protocol. These tests fail, never skip, where chromium is missing: make
// test must not pass without them. With KOOK_SCREENSHOTS=DIR they also
// write PNGs of the main pages to DIR (make screenshots).

// chromiumPath finds the browser, failing the test with how to install it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: apt-get install -y chromium (scripts/install-deps does it)")
	return ""
}

// tab is one browser tab on a test server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string // screenshot directory, "" for none
}

func newTab(t *testing.T, e *env) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1400, 1000),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	tb := &tab{t: t, ctx: ctx, base: e.ts.URL, shot: os.Getenv("KOOK_SCREENSHOTS")}
	tb.do(chromedp.Navigate("about:blank"))
	return tb
}

func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

func (tb *tab) open(path string) { tb.t.Helper(); tb.do(chromedp.Navigate(tb.base + path)) }

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// eval runs JavaScript in the page (the DevTools protocol is not bound by
// the page's Content-Security-Policy).
func (tb *tab) eval(js string) bool {
	tb.t.Helper()
	ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		tb.t.Fatalf("eval %s: %v", js, err)
	}
	return ok
}

// until waits for a JavaScript condition.
func (tb *tab) until(what, js string) {
	tb.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
			body, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 1500) : ""`))
			tb.t.Fatalf("waited for %s (%s) at %s: %v\npage:\n%s", what, js, loc, err, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// at waits until the page is path and loaded.
func (tb *tab) at(path string) {
	tb.t.Helper()
	tb.until("page "+path, `location.pathname === `+jsString(path)+` && document.readyState === "complete"`)
}

// typeIn sets an input's value and tells the page, as typing would.
func (tb *tab) typeIn(sel, value string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value))
	tb.eval(`document.querySelector(` + jsString(sel) + `).dispatchEvent(new Event("input", {bubbles: true})), true`)
}

func (tb *tab) click(sel string) { tb.t.Helper(); tb.do(chromedp.Click(chromedp.CSS(sel))) }

// clickLoad clicks and waits for the page it leads to (or reloads) to load.
func (tb *tab) clickLoad(sel string) {
	tb.t.Helper()
	tb.eval(`window.__kookOld = true`)
	tb.click(sel)
	tb.until("a new page after "+sel, `window.__kookOld === undefined && document.readyState === "complete"`)
}

// confirmAll answers yes to the page's confirm() and prompt() dialogs.
func (tb *tab) confirmAll(promptAnswer string) {
	tb.eval(`window.confirm = () => true, window.prompt = () => ` + jsString(promptAnswer) + `, true`)
}

func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	if tb.shot == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(tb.shot, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

func jsString(s string) string { return string(model.MarshalJSON(s)) }

func (tb *tab) login(user string) {
	tb.t.Helper()
	tb.open("/login?next=" + url.QueryEscape("/"))
	tb.screenshot("login")
	tb.typeIn("#user", user)
	tb.typeIn("#password", user)
	tb.click("#login")
	tb.at("/")
}

func TestIntegrationBrowserConfig(t *testing.T) {
	e := newEnv(t)
	tb := newTab(t, e)
	tb.login("admin")

	// A service and two environments, from the pages.
	tb.typeIn("#new-service", "shop")
	tb.click("#create-service")
	tb.at("/service/shop/")
	tb.typeIn("#child-name", "prod")
	tb.click("#add-env-button")
	tb.at("/service/shop/prod/")
	tb.typeIn("#child-name", "eu")
	tb.click("#add-env-button")
	tb.at("/service/shop/prod/eu/")
	if got := e.rawConf("shop", "prod/eu"); got != "{}" {
		t.Fatalf("prod/eu config %q", got)
	}

	// The root's config, then prod's, typed as text: types kept exactly.
	tb.open("/service/shop/")
	tb.typeIn("#config", "{\n  \"name\": \"shop\",\n  \"ratio\": 1.0,\n  \"timeout\": 30\n}")
	tb.clickLoad("#save")
	tb.until("version 1", `document.getElementById("version").textContent === "1"`)
	tb.open("/service/shop/prod/")
	typed := "{\n  \"zeta\": 1,\n  \"one\": 1.0,\n  \"big\": 12345678901234567890123,\n  \"neg\": -0.0,\n  \"ünï\": \"cödé ✓\",\n  \"timeout\": 60,\n  \"nested\": {\"b\": 2, \"a\": [1, 2.50]}\n}"
	tb.typeIn("#config", typed)
	// Before saving: which environments the change reaches.
	tb.click("#check")
	tb.until("the reach", `!document.getElementById("reach").hidden && document.getElementById("reach").textContent.includes("prod/eu")`)
	tb.screenshot("service-check")
	tb.clickLoad("#save")
	tb.until("version 1", `document.getElementById("version").textContent === "1"`)
	want := `{"zeta":1,"one":1.0,"big":12345678901234567890123,"neg":-0.0,"ünï":"cödé ✓","timeout":60,"nested":{"b":2,"a":[1,2.5]}}`
	if got := e.rawConf("shop", "prod"); got != want {
		t.Fatalf("stored config:\n got %s\nwant %s", got, want)
	}
	// The editor shows it back as stored, and the inherited view marks
	// timeout as prod's, overriding the root's.
	shown, err := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#config")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown, "12345678901234567890123") || !strings.Contains(shown, "1.0") || !strings.Contains(shown, "-0.0") {
		t.Errorf("editor shows %s", shown)
	}
	view := tb.text("#view")
	if !strings.Contains(view, "timeout\t60\n/: 30\tprod") && !(strings.Contains(view, "/: 30") && strings.Contains(view, "60")) {
		t.Errorf("view does not show timeout overriding the root's: %q", view)
	}
	// Saving with no edit keeps the text: key order and types as they were.
	tb.clickLoad("#save")
	tb.until("version 1 again", `document.getElementById("version").textContent === "1"`)
	if got := e.rawConf("shop", "prod"); got != want {
		t.Errorf("a save without edits changed the config to %s", got)
	}

	// Invalid input is shown before saving, and cannot be saved.
	tb.typeIn("#config", `{"a": 1,}`)
	tb.until("the error", `!document.getElementById("config-error").hidden && document.getElementById("save").disabled`)
	tb.screenshot("service-invalid")

	// A stale version: someone saves meanwhile; both versions are shown
	// and the user can retry.
	tb.open("/service/shop/prod/")
	e.must(http.StatusOK, req{method: "PUT", path: "/service/shop/prod/", user: "writer",
		form: url.Values{"data": {`{"other":12345678901234567890123}`}, "version": {"-1"}}})
	tb.typeIn("#config", `{"mine": 2.0}`)
	tb.click("#save")
	tb.until("the conflict", `!document.getElementById("conflict").hidden`)
	if theirs := tb.text("#theirs"); !strings.Contains(theirs, "12345678901234567890123") {
		t.Errorf("conflict shows theirs as %q", theirs)
	}
	tb.screenshot("service-conflict")
	tb.clickLoad("#retry")
	tb.until("version 3", `document.getElementById("version").textContent === "3"`)
	if got := e.rawConf("shop", "prod"); got != `{"mine":2.0}` {
		t.Errorf("after retry: %s", got)
	}

	// Associate a host with prod/eu, then move it to prod.
	tb.open("/service/shop/prod/eu/")
	tb.typeIn("#assoc-host", "web-01.example.com")
	tb.click("#assoc-button")
	tb.until("the association", `document.querySelector('#assocs li[data-host="web-01.example.com"]') !== null`)
	as, err := e.jones.Assocs(t.Context(), "shop")
	if err != nil || len(as) != 1 || as[0].Host != "web-01.example.com" || as[0].Env != "prod/eu" {
		t.Fatalf("associations %+v, %v", as, err)
	}
	tb.screenshot("service")
	tb.confirmAll("")
	tb.eval(`(() => { const s = document.querySelector('#assocs li[data-host="web-01.example.com"] input.move'); s.value = "prod"; s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
	tb.until("the move", `document.querySelector('#assocs li[data-host="web-01.example.com"]') === null`)
	as, _ = e.jones.Assocs(t.Context(), "shop")
	if len(as) != 1 || as[0].Env != "prod" {
		t.Errorf("after the move: %+v", as)
	}

	// Delete prod/eu after confirming, then the service.
	tb.confirmAll("shop")
	tb.click("#delete-env")
	tb.at("/service/shop/prod/")
	if tree, err := e.jones.Envs(t.Context(), "shop"); err != nil || strings.Contains(string(model.MarshalJSON(tree)), "eu") {
		t.Errorf("after deleting eu: %v %v", string(model.MarshalJSON(tree)), err)
	}
	tb.confirmAll("shop")
	tb.click("#delete-service")
	tb.at("/")
	if svcs, _ := e.jones.Services(t.Context()); len(svcs) != 0 {
		t.Errorf("services after delete: %v", svcs)
	}
}

func TestIntegrationBrowserInventory(t *testing.T) {
	e := newEnv(t)
	tb := newTab(t, e)
	tb.login("writer")
	before, err := e.client.Host(t.Context(), "web-01.example.com")
	if err != nil {
		t.Fatal(err)
	}
	oldPort, _ := before.Vars.Get("http_port")

	tb.open("/hosts?pattern=" + url.QueryEscape("prod:!db"))
	tb.until("the host list", `document.querySelectorAll("#hosts tbody tr").length === 3`)
	tb.screenshot("hosts")
	tb.open("/groups/web")
	tb.screenshot("group")
	tb.open("/graph?vars=1")
	tb.screenshot("graph")

	// Edit a host var from its page.
	tb.open("/hosts/web-01.example.com")
	tb.typeIn("#var-key", "http_port")
	tb.typeIn("#var-value", "8081")
	tb.typeIn("#var-reason", "browser test")
	tb.click("#set-var-button")
	tb.until("the flash", `document.getElementById("flash") !== null`)
	tb.screenshot("host")
	after, err := e.client.Host(t.Context(), "web-01.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := after.Vars.Get("http_port"); v != int64(8081) {
		t.Fatalf("http_port = %#v after the edit, want 8081", v)
	}

	// See it in the host's history, and revert it.
	tb.click("#host-history")
	tb.at("/history/host/web-01.example.com")
	row := tb.text("#history tbody tr:first-child")
	if !strings.Contains(row, "browser test") || !strings.Contains(row, "writer") {
		t.Fatalf("first history row: %q", row)
	}
	tb.screenshot("history")
	tb.click("#history tbody tr:first-child td a")
	tb.until("the change page", `document.getElementById("revert") !== null`)
	tb.screenshot("change")
	tb.confirmAll("")
	tb.typeIn("#revert-reason", "undo browser test")
	tb.click("#revert")
	tb.until("the revert", `document.getElementById("flash") !== null && document.getElementById("flash").textContent.includes("reverted")`)
	reverted, err := e.client.Host(t.Context(), "web-01.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := reverted.Vars.Get("http_port"); !model.Equal(v, oldPort) {
		t.Errorf("http_port = %#v after the revert, want %#v", v, oldPort)
	}
	if !model.EqualOrdered(reverted.OwnVars, before.OwnVars) || !model.EqualOrdered(reverted.FileVars, before.FileVars) {
		t.Errorf("own vars after revert %s, before %s", model.MarshalJSON(reverted.OwnVars), model.MarshalJSON(before.OwnVars))
	}
	st, _ := e.client.Status(t.Context())
	c, err := e.client.Store().Commit(t.Context(), st.Generation)
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "writer" || c.Tool != "kook serve" || c.Reason != fmt.Sprintf("revert of %d: undo browser test", st.Generation-1) {
		t.Errorf("revert recorded as user %q reason %q", c.User, c.Reason)
	}
}

// TestIntegrationBrowserConfigHistory: a config saved in the editor shows
// in the service's history as the logged-in user's, with the reason typed;
// reverting it from its page puts the stored config back byte for byte.
func TestIntegrationBrowserConfigHistory(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/service/shop/", "/service/shop/prod/"} {
		e.must(http.StatusCreated, req{method: "POST", path: p, accept: jsonAccept, user: "writer"})
	}
	e.must(http.StatusOK, req{method: "PUT", path: "/service/shop/prod/", user: "writer",
		form: url.Values{"data": {`{"timeout": 30, "ratio": 1.0, "big": 12345678901234567890123}`}, "version": {"0"}}})
	before := e.rawConf("shop", "prod")
	tb := newTab(t, e)
	tb.login("alice")

	tb.open("/service/shop/prod/")
	tb.typeIn("#config", `{"timeout": 60, "ratio": 1.0}`)
	tb.typeIn("#config-reason", "slower backend")
	tb.clickLoad("#save")
	tb.until("version 2", `document.getElementById("version").textContent === "2"`)
	if got := e.rawConf("shop", "prod"); got != `{"timeout":60,"ratio":1.0}` {
		t.Fatalf("saved %s", got)
	}

	tb.click("#env-history")
	tb.at("/history/service/shop")
	row := tb.text("#history tbody tr:first-child")
	for _, want := range []string{"alice", "kook serve", "slower backend", "replace prod", "timeout: 30 → 60", "big: 12345678901234567890123 → absent"} {
		if !strings.Contains(row, want) {
			t.Errorf("the newest change lacks %q: %q", want, row)
		}
	}
	tb.screenshot("service-history")
	tb.clickLoad("#history tbody tr:first-child td a")
	tb.until("the change page", `document.getElementById("revert") !== null`)
	if who := tb.text("#change-who"); !strings.HasPrefix(who, "alice") {
		t.Errorf("change page: who %q", who)
	}
	tb.clickLoad("#preview-revert")
	tb.until("the preview", `document.getElementById("preview") !== null`)
	if p := tb.text("#preview"); !strings.Contains(p, "timeout: 60 -> 30") || !strings.Contains(p, "big = 12345678901234567890123") {
		t.Errorf("preview %q", p)
	}
	if got := e.rawConf("shop", "prod"); got != `{"timeout":60,"ratio":1.0}` {
		t.Fatalf("the preview wrote %s", got)
	}
	tb.screenshot("service-change")
	tb.confirmAll("")
	tb.typeIn("#revert-reason", "back to 30")
	tb.clickLoad("#revert")
	tb.until("the revert", `document.getElementById("flash") !== null && document.getElementById("flash").textContent.includes("reverted")`)
	if got := e.rawConf("shop", "prod"); got != before {
		t.Errorf("after the revert prod holds %s, want %s", got, before)
	}
	if who := tb.text("#change-who"); !strings.HasPrefix(who, "alice") || !strings.Contains(tb.text("#change-why"), "back to 30") {
		t.Errorf("the revert's page: who %q, why %q", who, tb.text("#change-why"))
	}
	tb.open("/service/shop/prod/")
	shown, err := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#config")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown, `"timeout": 30`) || !strings.Contains(shown, "12345678901234567890123") {
		t.Errorf("the editor shows %s after the revert", shown)
	}
}

func TestIntegrationBrowserAuth(t *testing.T) {
	e := newEnv(t)
	tb := newTab(t, e)
	// No login: sent to the login page.
	tb.open("/hosts/web-01.example.com")
	tb.at("/login")
	// The read role sees no edit form.
	tb.login("reader")
	tb.open("/hosts/web-01.example.com")
	tb.until("the host page", `document.getElementById("host-name") !== null`)
	if tb.eval(`document.getElementById("set-var") !== null`) {
		t.Error("a reader sees the edit form")
	}
	// And a forged form without a token is refused.
	tb.eval(`(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/hosts/web-01.example.com/edit";
		for (const [k, v] of [["action", "set"], ["key", "x"], ["value", "1"]]) { const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i) }
		document.body.appendChild(f); f.submit(); return true })()`)
	tb.until("the refusal", `document.body.innerText.includes("403")`)
	h, _ := e.client.Host(t.Context(), "web-01.example.com")
	if _, ok := h.Vars.Get("x"); ok {
		t.Error("the forged edit was written")
	}
}
