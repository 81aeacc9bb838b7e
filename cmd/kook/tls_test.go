package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
)

// TestIntegration_TLSRoles is issue 13's TLS acceptance through the CLI,
// on a server whose secureClientPort wants client certificates: x509
// identities as roles (an admin secures a root built without auth over
// the plain port; a writer's certificate edits, a reader's reads and may
// not edit), set up by the config file's tls_* keys and by the KOOK_TLS_*
// environment; and each TLS mistake fails within --timeout, saying which.
func TestIntegration_TLSRoles(t *testing.T) {
	srv := zktest.StartTLS(t)
	chroot := zktest.Root(t)
	plain := &kookT{t: t, zk: srv.Addr + chroot}
	buildOpenRoot(t, plain)
	secure := srv.SecureAddr + chroot

	dir := t.TempDir()
	subjects := map[string]string{}
	certs := map[string][2]string{}
	for _, role := range []string{"admin", "writer", "reader"} {
		cert, key, subject := srv.ClientCert(t, role)
		certs[role] = [2]string{cert, key}
		subjects[role] = "x509:" + subject
	}
	section := "acl:\n  admins: " + subjects["admin"] + "\n  writers: " + subjects["writer"] + "\n  readers: " + subjects["reader"] + "\n"
	cfg := func(role string) string {
		p := filepath.Join(dir, role+".yml")
		body := "zk: " + secure + "\ntls_ca: " + srv.CA.File + "\ntls_cert: " + certs[role][0] + "\ntls_key: " + certs[role][1] + "\n" + section
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kook := func(args ...string) result {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		return result{args: args, stdout: out.String(), stderr: errb.String(), code: code}
	}
	ok := func(args ...string) string {
		t.Helper()
		r := kook(args...)
		if r.code != 0 {
			t.Fatalf("%v", r)
		}
		return r.stdout
	}

	out := ok("--config", cfg("admin"), "acl", "apply")
	if !strings.Contains(out, "set /kook/inventory/head (was: world:anyone cdrwa)") {
		t.Errorf("acl apply over TLS:\n%s", out)
	}
	ok("--config", cfg("writer"), "host", "set", "web1", "http_port=8443")
	ok("--config", cfg("writer"), "config", "set", "svc", "/", "tls=true")
	if got := ok("--config", cfg("reader"), "host", "show", "web1"); !strings.Contains(got, "8443") {
		t.Errorf("reader's host show: %s", got)
	}
	r := kook("--config", cfg("reader"), "host", "set", "web1", "http_port=1")
	if want := "needs the writer role (connected as " + subjects["reader"] + ")\n"; r.code != 1 || !strings.HasPrefix(r.stderr, "kook: permission denied: ") || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("reader's host set: %v", r)
	}
	r = kook("--config", cfg("writer"), "acl", "apply")
	if r.code != 1 || !strings.Contains(r.stderr, "needs the admin role (connected as "+subjects["writer"]+")") {
		t.Errorf("writer's acl apply: %v", r)
	}
	// The environment works as the config file does.
	t.Setenv("KOOK_TLS_CA", srv.CA.File)
	t.Setenv("KOOK_TLS_CERT", certs["reader"][0])
	t.Setenv("KOOK_TLS_KEY", certs["reader"][1])
	if r := kookEnv(t, secure, "config", "get", "svc", "--host", "h1"); r.code != 0 || !strings.Contains(r.stdout, `"tls":true`) {
		t.Errorf("reader through KOOK_TLS_*: %v", r)
	}
	t.Setenv("KOOK_TLS_CA", "")
	t.Setenv("KOOK_TLS_CERT", "")
	t.Setenv("KOOK_TLS_KEY", "")

	// Mistakes.
	_, port, _ := net.SplitHostPort(srv.SecureAddr)
	other := zktest.NewCA(t, "another CA")
	const timeout = 3 * time.Second
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrPlainToTLSPort", []string{"--zk", secure}, "if this port is a secureClientPort it expects TLS"},
		{"ErrTLSToPlainPort", []string{"--zk", srv.Addr + chroot, "--tls-ca", srv.CA.File, "--tls-cert", certs["reader"][0], "--tls-key", certs["reader"][1]}, "TLS expected but 127.0.0.1:"},
		{"ErrUnknownCA", []string{"--zk", secure, "--tls-ca", other.File, "--tls-cert", certs["reader"][0], "--tls-key", certs["reader"][1]}, "unknown CA: the certificate of localhost:" + port},
		{"ErrNameMismatch", []string{"--zk", "127.0.0.1:" + port + chroot, "--tls-ca", srv.CA.File, "--tls-cert", certs["reader"][0], "--tls-key", certs["reader"][1]}, `name mismatch: the certificate of 127.0.0.1:` + port + ` is not valid for "127.0.0.1"`},
		{"ErrNoClientCert", []string{"--zk", secure, "--tls-ca", srv.CA.File}, "client certificate refused: localhost:" + port + " (127.0.0.1) requires a client certificate and none was given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := kook(append(append([]string{"--config", os.DevNull, "--timeout", timeout.String()}, tc.args...), "status")...)
			took := time.Since(start)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want one line saying %q, got %v", tc.want, r)
			}
			if took > timeout+2*time.Second {
				t.Errorf("took %v, over --timeout %v", took, timeout)
			}
		})
	}
}

// kookEnv runs kook with the connect string and the rest of its settings
// from the environment.
func kookEnv(t *testing.T, zk string, args ...string) result {
	t.Helper()
	t.Setenv("KOOK_ZK", zk)
	t.Setenv("KOOK_CONFIG", os.DevNull)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return result{args: args, stdout: out.String(), stderr: errb.String(), code: code}
}
