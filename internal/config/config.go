// Package config resolves how kook's commands reach ZooKeeper: flags, then
// environment, then a config file, then defaults. Ansible runs
// kook-inventory with no arguments but --list or --host, so the environment
// and the file are how it is configured.
package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
)

// Globals are the connection settings every kook command takes. Empty
// fields are filled by Resolve. Embed it in a kong CLI struct.
type Globals struct {
	ZK      string        `name:"zk" env:"KOOK_ZK" placeholder:"HOST:PORT[,...][/CHROOT]" help:"ZooKeeper connect string (default 127.0.0.1:2181)."`
	Root    string        `env:"KOOK_ROOT" placeholder:"PATH" help:"Znode under which kook keeps its data (default /kook)."`
	Timeout time.Duration `env:"KOOK_TIMEOUT" placeholder:"DURATION" help:"Give up connecting to ZooKeeper after this long (default 10s)."`
	Auth    string        `env:"KOOK_ZK_AUTH" placeholder:"USER:PASSWORD" help:"ZooKeeper digest credentials."`
	Config  string        `env:"KOOK_CONFIG" placeholder:"FILE" help:"Config file (default ~/.config/kook/config.yml, then /etc/kook/config.yml)."`

	resolved bool
}

// File is the config file's content (see [ParseFile]):
//
//	zk: zk1:2181,zk2:2181,zk3:2181/prod
//	root: /kook
//	timeout: 10s
//	auth: kook:secret
type File struct {
	ZK      string
	Root    string
	Timeout time.Duration // 0 when not set
	Auth    string
}

// DefaultTimeout bounds the wait for a ZooKeeper session.
const DefaultTimeout = 10 * time.Second

// UsageError is a mistake in how a command was invoked (a flag, the
// environment, the config file): every kook command exits with status 2 for
// it, before connecting to anything. It implements kong's ExitCoder.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// ExitCode is 2, the status of a usage error.
func (e UsageError) ExitCode() int { return 2 }

func usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// ExitCode is the status a command exits with after err: 0 for none, 2 for
// a usage error (UsageError, a kong parse error, or anything else whose
// ExitCode says 2), 1 otherwise.
func ExitCode(err error) int {
	var u interface{ ExitCode() int }
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u) && u.ExitCode() == 2:
		return 2
	}
	var pe *kong.ParseError
	if errors.As(err, &pe) {
		return 2
	}
	return 1
}

// AfterApply is called by kong once flags and the environment are set: a
// setting given explicitly but empty or not positive (--zk "",
// --timeout 0, KOOK_TIMEOUT=-1s) is a usage error rather than a silent
// fall back to the default. An empty KOOK_ZK means unset, as in shells.
func (g *Globals) AfterApply(kctx *kong.Context) error {
	if given(kctx.Args, "zk") && g.ZK == "" {
		return usagef("--zk is empty: give a ZooKeeper connect string (host:port[,host:port...][/chroot]), or leave it out for %s", zkconn.DefaultConnect)
	}
	if v, env := os.LookupEnv("KOOK_TIMEOUT"); (given(kctx.Args, "timeout") || env && v != "") && g.Timeout <= 0 {
		return usagef("--timeout %s: the connect deadline must be positive (e.g. 10s)", g.Timeout)
	}
	return nil
}

// given reports whether args set the flag --name (kong also marks a flag
// set from the environment).
func given(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			return true
		}
	}
	return false
}

// Resolve fills empty fields from the config file, then from defaults, and
// checks the result: errors are UsageErrors (a bad connect string, a port
// outside 1-65535, a bad config file). The file is g.Config if set (it
// must exist), else the first of ~/.config/kook/config.yml and
// /etc/kook/config.yml that exists. Resolving twice does nothing more.
func (g *Globals) Resolve() error {
	if g.resolved {
		return nil
	}
	f, err := g.readFile()
	if err != nil {
		return UsageError{err}
	}
	if g.ZK == "" {
		g.ZK = f.ZK
	}
	if g.Root == "" {
		g.Root = f.Root
	}
	if g.Auth == "" {
		g.Auth = f.Auth
	}
	if g.Timeout == 0 {
		g.Timeout = f.Timeout
	}
	if g.ZK == "" {
		g.ZK = zkconn.DefaultConnect
	}
	if g.Root == "" {
		g.Root = zkstore.DefaultRoot
	}
	switch {
	case g.Timeout < 0:
		return usagef("timeout %s: the connect deadline must be positive (e.g. 10s)", g.Timeout)
	case g.Timeout == 0:
		g.Timeout = DefaultTimeout
	}
	if _, _, err := zkconn.ParseConnect(g.ZK); err != nil {
		return UsageError{err}
	}
	if _, err := zkstore.CleanRoot(g.Root); err != nil {
		return UsageError{err}
	}
	g.resolved = true
	return nil
}

func (g *Globals) readFile() (File, error) {
	var f File
	paths := []string{g.Config}
	if g.Config == "" {
		paths = nil
		if home, err := os.UserHomeDir(); err == nil {
			paths = append(paths, filepath.Join(home, ".config", "kook", "config.yml"))
		}
		paths = append(paths, "/etc/kook/config.yml")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) && g.Config == "" {
			continue
		}
		if err != nil {
			return f, fmt.Errorf("config: %w", err)
		}
		g.Config = p
		return ParseFile(p, data)
	}
	return f, nil
}

// ZKConfig returns the connection settings.
func (g *Globals) ZKConfig() zkconn.Config {
	return zkconn.Config{Connect: g.ZK, ConnectTimeout: g.Timeout, Auth: g.Auth}
}

// Dial resolves g and opens a ZooKeeper session.
func (g *Globals) Dial(ctx context.Context) (*zkconn.Conn, error) {
	if err := g.Resolve(); err != nil {
		return nil, err
	}
	return zkconn.Dial(ctx, g.ZKConfig())
}

// Open resolves g and opens a kook client; tool names the program in the
// change records it writes.
func (g *Globals) Open(ctx context.Context, tool string) (*kook.Client, error) {
	if err := g.Resolve(); err != nil {
		return nil, err
	}
	return kook.Open(ctx, kook.Config{Conn: g.ZKConfig(), Root: g.Root, Tool: tool})
}

// KongOptions are the kong options every kook command parses with. Kong
// decodes string arguments through JSON, which turns bytes that are not
// UTF-8 into U+FFFD: a file named so would then not exist. Strings are
// taken as given instead.
func KongOptions() []kong.Option {
	return []kong.Option{kong.KindMapper(reflect.String, kong.MapperFunc(func(ctx *kong.DecodeContext, target reflect.Value) error {
		t, err := ctx.Scan.PopValue("string")
		if err != nil {
			return err
		}
		switch v := t.Value.(type) {
		case string:
			target.SetString(v)
		default:
			target.SetString(fmt.Sprint(v))
		}
		return nil
	}))}
}

// ByteSize is a size in bytes given as a number with an optional unit:
// 256MiB, 1GiB, 64KiB (binary), 10MB, 1GB (decimal), 1048576.
type ByteSize int64

// Decode implements kong.MapperValue.
func (b *ByteSize) Decode(ctx *kong.DecodeContext) error {
	t, err := ctx.Scan.PopValue("size")
	if err != nil {
		return err
	}
	n, err := ParseByteSize(fmt.Sprint(t.Value))
	if err != nil {
		return err
	}
	*b = ByteSize(n)
	return nil
}

// ParseByteSize reads a ByteSize; it must be positive.
func ParseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, with a unit if you like (256MiB, 1GiB, 10MB)", s)
	}
	return n * mult, nil
}
