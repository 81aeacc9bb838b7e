package config

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// cmd is a command line with Globals, as every kook command has.
type cmd struct {
	Globals
	Files []string `arg:"" optional:""`
	ran   bool
	got   *cmd
}

func (c *cmd) Run(ctx context.Context) error {
	c.ran = true
	return c.Resolve()
}

// TestUsageErrors: a setting given explicitly but empty or not positive,
// or a connect string ZooKeeper cannot use, is a usage error (status 2,
// one line), found before anything connects.
func TestUsageErrors(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string // "" when the command runs
	}{
		{"EmptyZK", []string{"--zk", ""}, nil, "--zk is empty"},
		{"EmptyZKEquals", []string{"--zk="}, nil, "--zk is empty"},
		{"ZeroTimeout", []string{"--timeout", "0"}, nil, "--timeout 0s: the connect deadline must be positive"},
		{"NegativeTimeout", []string{"--timeout=-1s"}, nil, "must be positive"},
		{"ZeroTimeoutEnv", nil, map[string]string{"KOOK_TIMEOUT": "0s"}, "must be positive"},
		{"PortTooLarge", []string{"--zk", "zk1:65536"}, nil, `port "65536" is not a number from 1 to 65535`},
		{"PortZero", []string{"--zk", "zk1:2181,zk2:0"}, nil, `port "0"`},
		{"PortEnv", nil, map[string]string{"KOOK_ZK": "zk1:x"}, `port "x"`},
		{"EmptyServer", []string{"--zk", "zk1:2181,,zk2"}, nil, "empty server"},
		{"BadRoot", []string{"--root", "kook"}, nil, "must start with /"},
		{"UnknownFlag", []string{"--nope"}, nil, "unknown flag --nope"},
		{"BadDuration", []string{"--timeout", "soon"}, nil, "--timeout"},
		{"EmptyZKEnvIsUnset", nil, map[string]string{"KOOK_ZK": ""}, ""},
		{"OK", []string{"--zk", "zk1:2181/chroot", "--timeout", "2s"}, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c := &cmd{}
			var out, errb bytes.Buffer
			code := Run(context.Background(), "kook-test", "", c, append([]string{"--config", "/dev/null"}, tt.args...), &out, &errb)
			if tt.want == "" {
				if code != 0 || !c.ran {
					t.Fatalf("exit %d, ran %v, stderr %q", code, c.ran, errb.String())
				}
				return
			}
			if code != 2 || !strings.Contains(errb.String(), tt.want) || strings.Count(errb.String(), "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line saying %q", code, errb.String(), tt.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	if ExitCode(nil) != 0 || ExitCode(errors.New("x")) != 1 || ExitCode(usagef("y")) != 2 {
		t.Fatal("ExitCode")
	}
	if got := ExitCode(wrapped{UsageError{errors.New("z")}}); got != 2 {
		t.Fatalf("wrapped usage error: %d", got)
	}
}

type wrapped struct{ error }

func (w wrapped) Unwrap() error { return w.error }

// TestRawStrings: arguments are taken byte for byte, not through JSON,
// which would turn bytes that are not UTF-8 into U+FFFD.
func TestRawStrings(t *testing.T) {
	c := &cmd{}
	name := "bad\xff.ini"
	var out, errb bytes.Buffer
	if code := Run(context.Background(), "kook-test", "", c, []string{"--config", "/dev/null", "--auth", "u:\xfe", name}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if len(c.Files) != 1 || c.Files[0] != name || c.Auth != "u:\xfe" {
		t.Fatalf("got %q, auth %q", c.Files, c.Auth)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "64 KiB": 64 << 10, "10MB": 10e6, "1048576": 1 << 20, "5B": 5} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "lots", "1.5GiB", "99999999999TiB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", in)
		}
	}
}
