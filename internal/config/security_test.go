package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kook-project/kook/zkconn"
)

var (
	adminID  = zkconn.DigestID("admin", "a")
	writerID = zkconn.DigestID("deploy", "d")
	readerID = zkconn.DigestID("ansible", "r")
)

func TestParseFileACL(t *testing.T) {
	tests := []struct {
		name, in string
		want     *ACL
		wantErr  string
	}{
		{name: "Inline", in: "acl:\n  readers: " + readerID + ", x509:CN=runner,O=example\n  writers: " + writerID + "\n  admins: " + adminID + "\n",
			want: &ACL{Roles: zkconn.Roles{Readers: []string{readerID, "x509:CN=runner,O=example"}, Writers: []string{writerID}, Admins: []string{adminID}}, JonesWorldRead: true}},
		{name: "BlockAndFlow", in: "zk: a\nacl:\n    # who reads\n    readers:\n      - " + readerID + "\n      - 'x509:CN=runner, O=example'\n    writers: [" + writerID + ", \"ip:10.0.0.0/8\"]\n    admins:\n    - " + adminID + "\n    world_read: true\n    jones_world_read: false\nroot: /r\n",
			want: &ACL{Roles: zkconn.Roles{Readers: []string{readerID, "x509:CN=runner, O=example"}, Writers: []string{writerID, "ip:10.0.0.0/8"}, Admins: []string{adminID}, WorldRead: true}}},
		{name: "Empty", in: "acl:\n", want: &ACL{JonesWorldRead: true}},
		{name: "ErrUnknownKey", in: "acl:\n  reader: " + readerID + "\n", wantErr: "config f.yml:2: unknown key \"acl.reader\""},
		{name: "ErrBadID", in: "acl:\n  readers: digest:ansible:hunter2\n", wantErr: "config f.yml:2: acl.readers: identity \"digest:ansible:…\""},
		{name: "ErrBadItem", in: "acl:\n  admins:\n    - nobody\n  writers: " + writerID + "\n", wantErr: "config f.yml:3: acl.admins: identity \"nobody\""},
		{name: "ErrMisaligned", in: "acl:\n  readers: " + readerID + "\n   writers: " + writerID + "\n", wantErr: "config f.yml:3: unexpected indentation"},
		{name: "ErrItemNoList", in: "acl:\n  world_read: true\n  - " + readerID + "\n", wantErr: "config f.yml:3: unexpected list item"},
		{name: "ErrBool", in: "acl:\n  world_read: yes\n", wantErr: "config f.yml:2: acl.world_read: \"yes\": want true or false"},
		{name: "ErrInline", in: "acl: readers\n", wantErr: "config f.yml:1: acl: want a section"},
		{name: "ErrIndentOutside", in: "root: /r\n  readers: x\n", wantErr: "config f.yml:2: unexpected indentation"},
		{name: "ErrTab", in: "acl:\n\treaders: x\n", wantErr: "config f.yml:2: tabs in indentation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFile("f.yml", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error shows a password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.ACL, tt.want) {
				t.Fatalf("got %+v, want %+v", got.ACL, tt.want)
			}
		})
	}
}

func TestParseFileTLS(t *testing.T) {
	f, err := ParseFile("f.yml", []byte("tls_ca: ca.pem\ntls_cert: /etc/kook/c.pem\ntls_key: c.key\nauth_file: auth\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (File{TLSCA: "ca.pem", TLSCert: "/etc/kook/c.pem", TLSKey: "c.key", AuthFile: "auth"}); !reflect.DeepEqual(f, want) {
		t.Errorf("got %+v, want %+v", f, want)
	}
}

// No error about a config file shows the password it holds.
func TestParseFileHidesPassword(t *testing.T) {
	for _, in := range []string{"auth: kook: hunter2\n", "auth:hunter2\n", "auth: 'hunter2\n", "auth: \"hunter2\" x\n", "auth: [hunter2]\n"} {
		_, err := ParseFile("f.yml", []byte(in))
		if err == nil {
			t.Errorf("%q accepted", in)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error shows the password: %v", in, err)
		}
	}
}

func write(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return p
}

// Secrets: an auth file, or a config file holding a password, readable by
// group or others is refused, saying why; credentials come from Auth
// (flag or KOOK_ZK_AUTH), then --auth-file, then the file.
func TestResolveSecrets(t *testing.T) {
	dir := t.TempDir()
	authFile := write(t, dir, "auth", "kook:s3cret\n", 0o600)
	openAuth := write(t, dir, "auth-open", "kook:s3cret\n", 0o640)
	cfgOpen := write(t, dir, "open.yml", "auth: kook:s3cret\n", 0o644)
	cfgPrivate := write(t, dir, "private.yml", "auth: kook:fromfile\n", 0o600)
	cfgAuthFile := write(t, dir, "authfile.yml", "auth_file: auth\n", 0o644)
	cfgNoSecret := write(t, dir, "plain.yml", "root: /r\n", 0o644)

	tests := []struct {
		name     string
		g        Globals
		wantAuth string
		wantErr  string
	}{
		{name: "FlagOrEnv", g: Globals{Auth: "kook:flag", AuthFile: authFile, Config: cfgPrivate}, wantAuth: "kook:flag"},
		{name: "AuthFile", g: Globals{AuthFile: authFile, Config: cfgPrivate}, wantAuth: "kook:s3cret"},
		{name: "ConfigAuth", g: Globals{Config: cfgPrivate}, wantAuth: "kook:fromfile"},
		{name: "ConfigAuthFileRelative", g: Globals{Config: cfgAuthFile}, wantAuth: "kook:s3cret"},
		{name: "NoSecretAnyMode", g: Globals{Config: cfgNoSecret}},
		{name: "ErrOpenAuthFile", g: Globals{AuthFile: openAuth, Config: cfgNoSecret},
			wantErr: "auth file " + openAuth + " is readable by group or others (mode 0640): refused, it holds a password; chmod 600 it"},
		{name: "ErrOpenConfig", g: Globals{Config: cfgOpen},
			wantErr: "config file " + cfgOpen + " is readable by group or others (mode 0644): refused, it holds a password (auth)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.g
			err := g.Resolve()
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Auth != tt.wantAuth {
				t.Errorf("Auth = %q, want %q", g.Auth, tt.wantAuth)
			}
		})
	}
	bad := write(t, dir, "bad", "kook\n", 0o600)
	g := Globals{AuthFile: bad, Config: cfgNoSecret}
	if err := g.Resolve(); err == nil || !strings.Contains(err.Error(), "want USER:PASSWORD on one line") {
		t.Errorf("auth file without a colon: %v", err)
	}
}

func TestResolveTLS(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, dir, "c.yml", "tls_ca: ca.pem\n", 0o644)
	g := Globals{Config: cfg}
	err := g.Resolve()
	if want := filepath.Join(dir, "ca.pem"); g.TLSCA != want || err == nil || !strings.Contains(err.Error(), "tls ca") {
		t.Errorf("TLSCA = %q, err %v; want %s, relative to the config file, and an error for the missing file", g.TLSCA, err, want)
	}
	g = Globals{Config: os.DevNull, TLSCert: "c.pem"}
	if err := g.Resolve(); err == nil || !strings.Contains(err.Error(), "--tls-cert and --tls-key") {
		t.Errorf("a certificate without its key: %v", err)
	}
}

func TestPolicy(t *testing.T) {
	a := ACL{Roles: zkconn.Roles{Admins: []string{adminID}, Readers: []string{readerID}}, JonesWorldRead: true}
	p, err := Policy(a, "/kook")
	if err != nil {
		t.Fatal(err)
	}
	if got := zkconn.FormatACL(p.For("/kook/inventory/head")); got != adminID+" cdrwa, "+readerID+" r" {
		t.Errorf("inventory: %s", got)
	}
	if got := zkconn.FormatACL(p.For("/kook/services/svc/conf")); got != adminID+" cdrwa, "+readerID+" r, world:anyone r" {
		t.Errorf("jones: %s", got)
	}
	a.JonesWorldRead = false
	p, _ = Policy(a, "/")
	if got := zkconn.FormatACL(p.For("/services/svc")); got != adminID+" cdrwa, "+readerID+" r" {
		t.Errorf("jones without world read: %s", got)
	}
}
