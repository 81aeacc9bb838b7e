package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestResolvePrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yml")
	os.WriteFile(file, []byte("zk: filehost:2181/chroot\nroot: /fromfile\ntimeout: 3s\n"), 0o644)

	// Flags/env (already in the struct) beat the file; the file beats defaults.
	g := Globals{ZK: "flaghost:2181", Config: file}
	if err := g.Resolve(); err != nil {
		t.Fatal(err)
	}
	if g.ZK != "flaghost:2181" || g.Root != "/fromfile" || g.Timeout != 3*time.Second {
		t.Fatalf("got %+v", g)
	}

	t.Setenv("HOME", t.TempDir()) // no ~/.config/kook/config.yml
	g = Globals{}
	if err := g.Resolve(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/etc/kook/config.yml"); err != nil && (g.ZK != "127.0.0.1:2181" || g.Root != "/kook" || g.Timeout != DefaultTimeout) {
		t.Fatalf("defaults: got %+v", g)
	}

	home := t.TempDir()
	t.Setenv("HOME", home)
	os.MkdirAll(filepath.Join(home, ".config", "kook"), 0o755)
	os.WriteFile(filepath.Join(home, ".config", "kook", "config.yml"), []byte("root: /home-root\n"), 0o644)
	g = Globals{}
	if err := g.Resolve(); err != nil {
		t.Fatal(err)
	}
	if g.Root != "/home-root" {
		t.Fatalf("home config not read: %+v", g)
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"unknown key": "zookeeper: x\n",
		"bad timeout": "timeout: soon\n",
	} {
		file := filepath.Join(dir, "c.yml")
		os.WriteFile(file, []byte(content), 0o644)
		g := Globals{Config: file}
		if err := g.Resolve(); err == nil {
			t.Errorf("%s: Resolve accepted %q", name, content)
		}
	}
	g := Globals{Config: filepath.Join(dir, "missing.yml")}
	if err := g.Resolve(); err == nil {
		t.Error("an explicit config file that does not exist was accepted")
	}
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name, in string
		want     File
		wantErr  string
	}{
		{name: "OK", in: "# kook\n\nzk: zk1:2181,zk2:2181/prod\nroot: /kook # the default\ntimeout: 3s\r\nauth: kook:secret\n",
			want: File{ZK: "zk1:2181,zk2:2181/prod", Root: "/kook", Timeout: 3 * time.Second, Auth: "kook:secret"}},
		{name: "Empty", in: ""},
		{name: "EmptyValues", in: "zk:\nroot: # none\ntimeout:\n"},
		{name: "Quoted", in: "auth: \"kook:p#ss \\\"x\\\"\" # comment\nroot: 'it''s # not a comment'\n",
			want: File{Auth: `kook:p#ss "x"`, Root: "it's # not a comment"}},
		{name: "HashInPlainValue", in: "auth: kook:p#ss\n", want: File{Auth: "kook:p#ss"}},
		{name: "ErrUnknownKey", in: "zk: a\nzookeeper: x\n", wantErr: "config f.yml:2: unknown key \"zookeeper\""},
		{name: "ErrTwice", in: "root: /a\nroot: /b\n", wantErr: "config f.yml:2: root set twice"},
		{name: "ErrTimeout", in: "\ntimeout: soon\n", wantErr: "config f.yml:2: timeout: "},
		{name: "ErrIndented", in: "zk: a\n  root: /b\n", wantErr: "config f.yml:2: unexpected indentation"},
		{name: "ErrNotKeyValue", in: "---\n", wantErr: "config f.yml:1: \"---\": want key: value"},
		{name: "ErrList", in: "zk: [a, b]\n", wantErr: "config f.yml:1: zk: \"[a, b]\" starts with a YAML indicator"},
		{name: "ErrBlockList", in: "zk: - a\n", wantErr: "config f.yml:1: zk: \"- a\" starts with a YAML indicator"},
		{name: "ErrNested", in: "root: a: b\n", wantErr: "config f.yml:1: root: \"a: b\" holds ': '"},
		{name: "ErrNestedAuth", in: "auth: user: pass\n", wantErr: "config f.yml:1: auth: not a valid value (quote it; the value is not shown: it holds a password)"},
		{name: "ErrUnterminated", in: "root: \"/kook\n", wantErr: "config f.yml:1: root: unterminated double-quoted value"},
		{name: "ErrAfterQuote", in: "root: '/kook' x\n", wantErr: "config f.yml:1: root: unexpected \" x\" after the quoted value"},
		{name: "ErrNoSpace", in: "root:/kook\n", wantErr: "config f.yml:1: \"root:/kook\": want key: value"},
		{name: "ErrZeroTimeout", in: "timeout: 0s\n", wantErr: "config f.yml:1: timeout 0s: the connect deadline must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFile("f.yml", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
