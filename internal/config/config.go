// Package config resolves how kook's commands reach ZooKeeper: flags, then
// environment, then a config file, then defaults. Ansible runs
// kook-inventory with no arguments but --list or --host, so the environment
// and the file are how it is configured.
package config

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
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
	ZK       string        `name:"zk" env:"KOOK_ZK" placeholder:"HOST:PORT[,...][/CHROOT]" help:"ZooKeeper connect string (default 127.0.0.1:2181)."`
	Root     string        `env:"KOOK_ROOT" placeholder:"PATH" help:"Znode under which kook keeps its data (default /kook)."`
	Timeout  time.Duration `env:"KOOK_TIMEOUT" placeholder:"DURATION" help:"Give up connecting to ZooKeeper after this long (default 10s)."`
	Auth     string        `env:"KOOK_ZK_AUTH" placeholder:"USER:PASSWORD" help:"ZooKeeper digest credentials. On the command line every user of the machine sees them (ps): set KOOK_ZK_AUTH, --auth-file or the config file instead."`
	AuthFile string        `name:"auth-file" env:"KOOK_ZK_AUTH_FILE" placeholder:"FILE" help:"File holding the digest credentials, USER:PASSWORD on one line; it must not be readable by group or others."`
	TLSCA    string        `name:"tls-ca" env:"KOOK_TLS_CA" placeholder:"FILE" help:"Connect over TLS (ZooKeeper's secureClientPort), verifying the servers' certificates with these CA certificates (PEM)."`
	TLSCert  string        `name:"tls-cert" env:"KOOK_TLS_CERT" placeholder:"FILE" help:"TLS client certificate (PEM): the session gets the x509 identity of its subject."`
	TLSKey   string        `name:"tls-key" env:"KOOK_TLS_KEY" placeholder:"FILE" help:"Key of the TLS client certificate (PEM)."`
	Config   string        `env:"KOOK_CONFIG" placeholder:"FILE" help:"Config file (default ~/.config/kook/config.yml, then /etc/kook/config.yml)."`

	// Warn receives warnings: znodes whose ACLs are weaker than the
	// configured roles. Nil means os.Stderr.
	Warn io.Writer `kong:"-"`

	file     File
	resolved bool
	tls      *tls.Config

	// history is the file's history retention (see File).
	historyKeep, historyDays int
	minimalHistory           bool
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

// Resolve fills empty fields from the config file, then from defaults. The
// file is g.Config if set (it must exist), else the first of
// ~/.config/kook/config.yml and /etc/kook/config.yml that exists. Paths in
// the file are relative to its directory. Credentials come from Auth, then
// AuthFile, then the file's auth, then its auth_file; a file holding them
// must not be readable by group or others.
func (g *Globals) Resolve() error {
	if g.resolved {
		return nil
	}
	f, err := g.readFile()
	if err != nil {
		return UsageError{err}
	}
	g.file = f
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) || g.Config == "" {
			return p
		}
		return filepath.Join(filepath.Dir(g.Config), p)
	}
	fill := func(field *string, value string) {
		if *field == "" {
			*field = value
		}
	}
	fill(&g.ZK, f.ZK)
	fill(&g.Root, f.Root)
	fill(&g.TLSCA, rel(f.TLSCA))
	fill(&g.TLSCert, rel(f.TLSCert))
	fill(&g.TLSKey, rel(f.TLSKey))
	if g.Timeout == 0 {
		g.Timeout = f.Timeout
	}
	g.historyKeep, g.historyDays, g.minimalHistory = f.HistoryKeep, f.HistoryDays, f.MinimalHistory
	switch {
	case g.Auth != "":
	case g.AuthFile != "":
		if g.Auth, err = readAuthFile(g.AuthFile); err != nil {
			return err
		}
	case f.Auth != "":
		g.Auth = f.Auth
	case f.AuthFile != "":
		if g.Auth, err = readAuthFile(rel(f.AuthFile)); err != nil {
			return err
		}
	}
	fill(&g.ZK, zkconn.DefaultConnect)
	fill(&g.Root, zkstore.DefaultRoot)
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
	if g.TLSCA != "" || g.TLSCert != "" || g.TLSKey != "" {
		if g.tls, err = zkconn.LoadTLS(g.TLSCA, g.TLSCert, g.TLSKey); err != nil {
			return err
		}
	}
	g.resolved = true
	return nil
}

func (g *Globals) readFile() (File, error) {
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
			return File{}, fmt.Errorf("config: %w", err)
		}
		g.Config = p
		f, err := ParseFile(p, data)
		if err != nil {
			return File{}, err
		}
		if f.Auth != "" {
			if err := checkPrivate(p, "config file", "it holds a password (auth); chmod 600 it, or move the password to an auth_file"); err != nil {
				return File{}, err
			}
		}
		return f, nil
	}
	return File{}, nil
}

// checkPrivate refuses a file holding a secret that users other than its
// owner may read or change.
func checkPrivate(path, what, why string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	mode := fi.Mode().Perm()
	switch {
	case mode&0o044 != 0:
		return fmt.Errorf("%s %s is readable by group or others (mode %04o): refused, %s", what, path, mode, why)
	case mode&0o022 != 0:
		return fmt.Errorf("%s %s is writable by group or others (mode %04o): refused, %s", what, path, mode, why)
	}
	return nil
}

// readAuthFile reads USER:PASSWORD from the first line of path, which
// must be private to its owner.
func readAuthFile(path string) (string, error) {
	if err := checkPrivate(path, "auth file", "it holds a password; chmod 600 it"); err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("auth file: %w", err)
	}
	line, rest, _ := strings.Cut(string(data), "\n")
	line = strings.TrimRight(line, "\r")
	if user, _, ok := strings.Cut(line, ":"); !ok || user == "" || strings.TrimSpace(rest) != "" {
		return "", fmt.Errorf("auth file %s: want USER:PASSWORD on one line (the content is not shown)", path)
	}
	return line, nil
}

// ACL returns the config file's acl section (after Resolve); nil when the
// file has none.
func (g *Globals) ACL() *ACL { return g.file.ACL }

// ZKConfig returns the connection settings (after Resolve). With an acl
// section in the config file, the znodes the connection creates carry its
// roles (see Policy).
func (g *Globals) ZKConfig() zkconn.Config {
	cfg := zkconn.Config{Connect: g.ZK, ConnectTimeout: g.Timeout, Auth: g.Auth, TLS: g.tls, Policy: g.unconfigured()}
	if a := g.file.ACL; a != nil {
		if p, err := Policy(*a, g.Root); err == nil {
			p.Check, p.Weaker = g.Root, g.warnWeak
			cfg.Policy = p
		}
	}
	return cfg
}

// checkACL reports an acl section that gives no valid ACL; ZKConfig
// cannot return the error.
func (g *Globals) checkACL() error {
	if a := g.file.ACL; a != nil {
		if _, err := Policy(*a, g.Root); err != nil {
			return fmt.Errorf("config %s: acl: %w", g.Config, err)
		}
	}
	return nil
}

// Dial resolves g and opens a ZooKeeper session.
func (g *Globals) Dial(ctx context.Context) (*zkconn.Conn, error) {
	if err := g.Resolve(); err != nil {
		return nil, err
	}
	if err := g.checkACL(); err != nil {
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
	if err := g.checkACL(); err != nil {
		return nil, err
	}
	return kook.Open(ctx, kook.Config{Conn: g.ZKConfig(), Root: g.Root, Tool: tool,
		HistoryKeep: g.historyKeep, HistoryDays: g.historyDays, MinimalHistory: g.minimalHistory})
}

func (g *Globals) warn() io.Writer {
	if g.Warn == nil {
		return os.Stderr
	}
	return g.Warn
}

// warnWeak is the warning of a session with roles that finds znodes
// granting more than them at the top of its root.
func (g *Globals) warnWeak(weak []zkconn.ACLDiff) {
	d := weak[0]
	fmt.Fprintf(g.warn(), "kook: warning: znodes under %s grant more than the configured roles (%s grants %s, and %d more at the top levels): run 'kook acl apply' to give every znode under %s the roles\n",
		g.Root, d.Path, zkconn.FormatACL(zkconn.Extra(d.ACL, d.Want)), len(weak)-1, g.Root)
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

// History returns the history retention the config file sets (0: the
// defaults). Resolve reads it.
func (g *Globals) History() (keep, days int) { return g.historyKeep, g.historyDays }
