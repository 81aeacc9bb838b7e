package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kook serve's flags are checked before it connects.
func TestServeFlags(t *testing.T) {
	open := filepath.Join(t.TempDir(), "users")
	os.WriteFile(open, []byte("# none\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"serve", "--trusted-header", "X-User"}, 2, "--trusted-header needs --trusted-proxy"},
		{[]string{"serve", "--trusted-header", "X-User", "--trusted-proxy", "nope"}, 2, "--trusted-proxy"},
		{[]string{"serve", "--users", open}, 1, "chmod 600"},
		{[]string{"serve", "--users", filepath.Join(t.TempDir(), "missing")}, 1, "users file"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"--config", os.DevNull}, tc.args...), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("kook %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errb.String(), tc.code, tc.msg)
		}
	}
}
