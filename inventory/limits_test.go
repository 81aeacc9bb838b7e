package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/model"
)

// TestLoadSourceTooLarge: no source is read past Options.MaxSourceBytes,
// whatever it is: a file, a device that never ends, a vars file, a script
// that never stops printing. The error names the file.
func TestLoadSourceTooLarge(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string, mode os.FileMode) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big.ini", "h1\n"+strings.Repeat("# padding\n", 200), 0o644)
	vars := write("v/hosts", "h1\n", 0o644)
	write("v/host_vars/h1.yml", "x: "+strings.Repeat("y", 5000)+"\n", 0o644)
	endless := write("endless.sh", "#!/bin/sh\nexec yes '{}'\n", 0o755)
	for _, tt := range []struct {
		name, src, file string
	}{
		{"file", big, big},
		{"device", "/dev/zero", "/dev/zero"},
		{"vars file", vars, filepath.Join(dir, "v/host_vars/h1.yml")},
		{"script output", endless, endless},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := LoadWith(Options{MaxSourceBytes: 1000}, tt.src)
			if !errors.Is(err, ErrSourceTooLarge) || !strings.Contains(err.Error(), tt.file) {
				t.Fatalf("err = %v, want ErrSourceTooLarge naming %s", err, tt.file)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	if _, err := LoadWith(Options{MaxSourceBytes: 4 << 10}, big); err != nil {
		t.Errorf("under the limit: %v", err)
	}
}

// TestLoadValueTooLarge: a value no store record could hold is refused at
// its file and line, and so is a host whose vars together could not fit,
// naming where it was declared.
func TestLoadValueTooLarge(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("x", model.MaxRecordBytes)
	half := strings.Repeat("x", model.MaxRecordBytes/2+10)
	for _, tt := range []struct {
		name, file, data string
		want             string
	}{
		{"ini host var", "a.ini", "h1 a=1\nh2 big=" + huge + "\n", "a.ini:2: var \"big\": its value alone is over"},
		{"ini group var", "b.ini", "[g]\nh1\n[g:vars]\nbig=" + huge + "\n", "b.ini:4: var \"big\""},
		{"yaml var", "c.yml", "g:\n  hosts:\n    h1:\n      big: " + huge + "\n", "c.yml:4: var \"big\""},
		{"escapes count", "d.yml", "g:\n  vars:\n    big: \"" + strings.Repeat(`\x01`, model.MaxRecordBytes/5) + "\"\n", "d.yml:3: var \"big\""},
		{"host total", "e.ini", "h1 a=" + half + "\nh1 b=" + half + "\n", "e.ini:1: host \"h1\": its vars come to over"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %.300v, want %q", err, tt.want)
			}
		})
	}
}
