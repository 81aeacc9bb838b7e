// Package kook is the front door to kook: an Ansible inventory and Jones
// service configuration kept in ZooKeeper. Open a Client, then ask it what
// Ansible would see, or change it:
//
//	c, err := kook.Open(ctx, kook.Config{ZK: "127.0.0.1:2181", Root: "/kook"})
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	names, err := c.Hosts(ctx, "web:&prod")      // as `ansible 'web:&prod' --list-hosts`
//	h, err := c.Host(ctx, "web-01.example.com")   // its groups and effective vars
//	port, ok := h.Vars.Get("http_port")
//	_, err = c.Edit(ctx, kook.EditOptions{Reason: "new port"},
//		kook.SetHostVars{Host: "web-01.example.com", Vars: kook.Vars{{Key: "http_port", Value: int64(8080)}}})
//
// Reads of one host or group cost that host or group and the groups above
// it, whatever the size of the inventory; reads that match patterns read
// the whole inventory's views. Every edit is one atomic, version-checked
// change, recorded in history.
package kook

import (
	"context"
	"errors"
	"time"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/script"
	"github.com/kook-project/kook/zkconn"
	"github.com/kook-project/kook/zkstore"
)

// Config says where kook's data is and how to reach it. The zero value
// reaches 127.0.0.1:2181 under /kook.
type Config struct {
	// ZK is ZooKeeper's connect string, "h1:2181,h2:2181/chroot".
	ZK string
	// Root is the znode under which kook keeps its data; "" means /kook.
	Root string
	// Timeout bounds the wait for a ZooKeeper session; 0 means 10s.
	Timeout time.Duration
	// Auth is digest credentials, "user:password", or "".
	Auth string
	// Conn, when set, is everything else about the connection (TLS, ACLs);
	// ZK, Timeout and Auth override its fields when set.
	Conn zkconn.Config
	// Tool names the program in the change records ("kook", "kook-import");
	// "" records a Go program using this package.
	Tool string
	// HistoryKeep and HistoryDays are history's retention (see
	// zkstore.Options); 0 means the defaults, 10,000 changes and 90 days.
	HistoryKeep, HistoryDays int
	// MinimalHistory records changes without their nodes (see
	// zkstore.Options): for measuring what history costs, not for use.
	MinimalHistory bool
}

// Client reads and changes one inventory and its service configuration. A
// Client is safe for concurrent use.
type Client struct {
	store *zkstore.Store
	cfg   Config
}

// Errors a caller acts on (model's, shared by every package).
var (
	ErrNotFound = model.ErrNotFound
	ErrExists   = model.ErrExists
	ErrConflict = model.ErrConflict
	ErrCycle    = model.ErrCycle
	ErrNotEmpty = model.ErrNotEmpty
	ErrTooLarge = model.ErrTooLarge
)

// Open connects to ZooKeeper. It fails within cfg.Timeout, with one line,
// if no server answers.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	zc := cfg.Conn
	if cfg.ZK != "" {
		zc.Connect = cfg.ZK
	}
	if cfg.Timeout != 0 {
		zc.ConnectTimeout = cfg.Timeout
	}
	if cfg.Auth != "" {
		zc.Auth = cfg.Auth
	}
	s, err := zkstore.Open(ctx, zc, cfg.Root, zkstore.Options{Renderer: script.Renderer{}, Tool: cfg.Tool,
		HistoryKeep: cfg.HistoryKeep, HistoryDays: cfg.HistoryDays, MinimalHistory: cfg.MinimalHistory})
	if err != nil {
		return nil, err
	}
	return &Client{store: s, cfg: cfg}, nil
}

// Close ends the ZooKeeper session.
func (c *Client) Close() { c.store.Close() }

// Store returns the inventory store the client uses, for what this package
// does not offer.
func (c *Client) Store() *zkstore.Store { return c.store }

// Status is what `kook status` shows.
type Status struct {
	Generation   int64
	Time         time.Time // when it was written
	Hosts        int64
	Groups       int64
	HistoryStart int64 // oldest generation whose change record is kept
}

// Status returns the stored generation and counts: one read.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.store.Read(ctx, false, func(sn *zkstore.Snapshot) error {
		st.Generation, st.Time, st.HistoryStart = sn.Generation(), sn.Time(), sn.HistoryStart()
		st.Hosts, st.Groups = sn.Counts()
		return nil
	})
	if errors.Is(err, model.ErrNotFound) {
		return Status{}, nil
	}
	return st, err
}
