package config

import (
	"os"
	"path/filepath"
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
