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
	"os"
	"path/filepath"
	"time"

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

	// history is the file's history retention (see File).
	historyKeep, historyDays int
}

// File is the config file's content (see [ParseFile]):
//
//	zk: zk1:2181,zk2:2181,zk3:2181/prod
//	root: /kook
//	timeout: 10s
//	auth: kook:secret
//	history_keep: 10000
//	history_days: 90
type File struct {
	ZK      string
	Root    string
	Timeout time.Duration // 0 when not set
	Auth    string
	// HistoryKeep and HistoryDays are history's retention: the last
	// history_keep changes and any younger than history_days days are kept.
	// 0 when not set (the defaults, 10,000 and 90); history_days: 0 keeps
	// none for its age alone, which HistoryDays holds as -1.
	HistoryKeep, HistoryDays int
}

// DefaultTimeout bounds the wait for a ZooKeeper session.
const DefaultTimeout = 10 * time.Second

// Resolve fills empty fields from the config file, then from defaults. The
// file is g.Config if set (it must exist), else the first of
// ~/.config/kook/config.yml and /etc/kook/config.yml that exists.
func (g *Globals) Resolve() error {
	f, err := g.readFile()
	if err != nil {
		return err
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
	g.historyKeep, g.historyDays = f.HistoryKeep, f.HistoryDays
	if g.ZK == "" {
		g.ZK = zkconn.DefaultConnect
	}
	if g.Root == "" {
		g.Root = zkstore.DefaultRoot
	}
	if g.Timeout <= 0 {
		g.Timeout = DefaultTimeout
	}
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
	return kook.Open(ctx, kook.Config{Conn: g.ZKConfig(), Root: g.Root, Tool: tool,
		HistoryKeep: g.historyKeep, HistoryDays: g.historyDays})
}

// History returns the history retention the config file sets (0: the
// defaults). Resolve reads it.
func (g *Globals) History() (keep, days int) { return g.historyKeep, g.historyDays }
