package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/web"
	"github.com/kook-project/kook/zkstore"
)

func TestMain(m *testing.M) { zktest.Main(m) }

// testUsers are the users every test server knows, password = name.
var testUsers = map[string]string{"admin": "admin", "writer": "write", "alice": "write", "reader": "read"}

var usersFile = func() func(t testing.TB) *web.Users {
	var data string
	return func(t testing.TB) *web.Users {
		t.Helper()
		if data == "" {
			for name, role := range testUsers {
				h, err := web.HashPassword(name)
				if err != nil {
					t.Fatal(err)
				}
				data += name + ":" + h + ":" + role + "\n"
			}
		}
		p := filepath.Join(t.TempDir(), "users")
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		u, err := web.LoadUsers(p)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
}()

// env is a kook serve over its own root of the shared ZooKeeper, with the
// example inventory imported.
type env struct {
	t      *testing.T
	zk     string
	client *kook.Client
	jones  *jones.Store
	srv    *web.Server
	ts     *httptest.Server
}

func newEnv(t *testing.T, opts ...func(*web.Options)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := &env{t: t, zk: zktest.Shared(t).Addr + zktest.Root(t)}
	c, err := kook.Open(ctx, kook.Config{ZK: e.zk, Tool: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	inv, err := inventory.Load("../testdata/example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Replace(ctx, kook.EditOptions{Reason: "import"}, inv); err != nil {
		t.Fatal(err)
	}
	e.client, e.jones = c, c.Jones(jones.Attribution{})
	o := web.Options{Client: c, Users: usersFile(t)}
	for _, f := range opts {
		f(&o)
	}
	e.srv, err = web.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.srv.Close)
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	return e
}

// resp is one answer.
type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// req is one request to make.
type req struct {
	method, path string
	form         url.Values // sent form-encoded
	body         string     // sent as is when form is nil
	accept       string
	user         string // basic auth as this user ("" none)
	header       map[string]string
	client       *http.Client
}

func (e *env) do(r req) resp {
	e.t.Helper()
	var body io.Reader
	ctype := ""
	switch {
	case r.form != nil:
		body, ctype = strings.NewReader(r.form.Encode()), "application/x-www-form-urlencoded"
	case r.body != "":
		body, ctype = strings.NewReader(r.body), "application/json"
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr, err := http.NewRequest(r.method, e.ts.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if r.accept != "" {
		hr.Header.Set("Accept", r.accept)
	}
	if r.user != "" {
		hr.SetBasicAuth(r.user, r.user)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	c := r.client
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	res, err := c.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(data)}
}

// must makes a request and fails unless it answers status.
func (e *env) must(status int, r req) resp {
	e.t.Helper()
	got := e.do(r)
	if got.status != status {
		e.t.Fatalf("%s %s: got %v, want status %d", r.method, r.path, got, status)
	}
	return got
}

// browser is an HTTP client with a cookie jar, logged in as user.
func (e *env) browser(user string) (*http.Client, string) {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := e.do(req{method: "POST", path: "/login", form: url.Values{"user": {user}, "password": {user}}, client: c})
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("login as %s: %v", user, r)
	}
	page := e.do(req{path: "/hosts", accept: "text/html", client: c})
	m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		e.t.Fatalf("no CSRF token in %s", page.body)
	}
	return c, m[1]
}

// rawConf reads an environment's config znode as stored.
func (e *env) rawConf(svc, env string) string {
	e.t.Helper()
	p := "/kook/services/" + svc + "/conf"
	if env != "" {
		p += "/" + env
	}
	data, _, err := e.client.Store().Conn().Get(context.Background(), p)
	if err != nil {
		e.t.Fatalf("read %s: %v", p, err)
	}
	return string(data)
}

// znode reads a znode under the server's root ("/kook"): its data and
// version.
func (e *env) znode(p string) (string, int32) {
	e.t.Helper()
	data, st, err := e.client.Store().Conn().Get(context.Background(), "/kook"+p)
	if err != nil {
		e.t.Fatalf("read /kook%s: %v", p, err)
	}
	return string(data), st.Version
}

// hostZnode is a host's node as stored: data and version.
func (e *env) hostZnode(name string) (string, int32) {
	e.t.Helper()
	return e.znode("/inventory/hosts/" + zkstore.EncodeName(name))
}
