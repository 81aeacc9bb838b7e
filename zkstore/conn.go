package zkstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// Defaults for Config fields left zero.
const (
	DefaultConnect        = "127.0.0.1:2181"
	DefaultSessionTimeout = 10 * time.Second
	DefaultConnectTimeout = 10 * time.Second
)

// Config says how to reach ZooKeeper. The zero value connects to
// 127.0.0.1:2181 with the default timeouts.
type Config struct {
	// Connect is a connect string as ZooKeeper users write it:
	// "h1:2181,h2:2181,h3:2181/chroot". Ports default to 2181. The optional
	// chroot suffix prefixes every path; it is created on the first write.
	Connect string
	// SessionTimeout is the ZooKeeper session timeout.
	SessionTimeout time.Duration
	// ConnectTimeout bounds the wait for a session. Dial also honours its
	// context's deadline, whichever comes first.
	ConnectTimeout time.Duration
	// Auth is optional digest credentials, "user:password". When set, znodes
	// kook creates are readable and writable by that identity only.
	Auth string
	// OnEvent, if set, is called for every session event (state changes,
	// expiry). It must not block.
	OnEvent func(zk.Event)
}

// Conn is one ZooKeeper session whose paths are relative to the connect
// string's chroot. Its methods mirror zk.Conn's; use Raw for anything else
// (paths given to Raw are not chrooted).
type Conn struct {
	zk     *zk.Conn
	chroot string // "" or "/a/b"
	acl    []zk.ACL

	mu       sync.Mutex
	rootMade bool // chroot known to exist
}

// ParseConnect splits a connect string into servers (each with a port) and
// chroot ("" when absent).
func ParseConnect(s string) (servers []string, chroot string, err error) {
	if s == "" {
		s = DefaultConnect
	}
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := validatePath(chroot); err != nil {
			return nil, "", fmt.Errorf("connect string %q: chroot: %w", s, err)
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, "", fmt.Errorf("connect string %q: empty server", s)
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "2181")
		}
		servers = append(servers, h)
	}
	return servers, chroot, nil
}

// validatePath checks an absolute znode path as ZooKeeper would.
func validatePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q must start with /", p)
	}
	if p != "/" && strings.HasSuffix(p, "/") {
		return fmt.Errorf("path %q must not end with /", p)
	}
	for _, part := range strings.Split(p[1:], "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("path %q has an empty, '.' or '..' component", p)
		}
	}
	return nil
}

// Dial opens a session and waits for it, up to cfg.ConnectTimeout or ctx's
// deadline. When no server answers it fails with one line naming the
// servers, never hangs.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	servers, chroot, err := ParseConnect(cfg.Connect)
	if err != nil {
		return nil, err
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()

	ready := make(chan struct{})
	var once sync.Once
	onEvent := func(ev zk.Event) {
		if ev.Type == zk.EventSession && ev.State == zk.StateHasSession {
			once.Do(func() { close(ready) })
		}
		if cfg.OnEvent != nil {
			cfg.OnEvent(ev)
		}
	}
	// Connect is asynchronous; it only fails on a malformed server list.
	// Its logger writes to stderr, which Ansible reads as an error, so it
	// is silenced.
	zc, _, err := zk.Connect(servers, cfg.SessionTimeout,
		zk.WithLogger(quietLogger{}), zk.WithLogInfo(false), zk.WithEventCallback(onEvent))
	if err != nil {
		return nil, fmt.Errorf("connect to zookeeper %s: %w", strings.Join(servers, ","), err)
	}
	select {
	case <-ready:
	case <-ctx.Done():
		zc.Close()
		why := "timed out"
		if errors.Is(ctx.Err(), context.Canceled) {
			why = "canceled"
		}
		return nil, fmt.Errorf("connect to zookeeper %s: %s after %s with no session (is ZooKeeper running there?)",
			strings.Join(servers, ","), why, cfg.ConnectTimeout)
	}
	c := &Conn{zk: zc, chroot: chroot, acl: zk.WorldACL(zk.PermAll)}
	if cfg.Auth != "" {
		user, pass, ok := strings.Cut(cfg.Auth, ":")
		if !ok {
			zc.Close()
			return nil, errors.New("zookeeper auth must be user:password")
		}
		if err := zc.AddAuth("digest", []byte(cfg.Auth)); err != nil {
			zc.Close()
			return nil, fmt.Errorf("zookeeper digest auth as %q: %w", user, err)
		}
		c.acl = zk.DigestACL(zk.PermAll, user, pass)
	}
	return c, nil
}

// Close ends the session.
func (c *Conn) Close() { c.zk.Close() }

// Raw returns the underlying connection. Its paths are not chrooted.
func (c *Conn) Raw() *zk.Conn { return c.zk }

// Chroot returns the chroot prefix, "" when there is none.
func (c *Conn) Chroot() string { return c.chroot }

// ACL returns the ACL kook puts on the znodes it creates.
func (c *Conn) ACL() []zk.ACL { return c.acl }

func (c *Conn) abs(p string) string {
	if c.chroot == "" {
		return p
	}
	if p == "/" {
		return c.chroot
	}
	return c.chroot + p
}

func (c *Conn) rel(p string) string {
	if c.chroot == "" {
		return p
	}
	p = strings.TrimPrefix(p, c.chroot)
	if p == "" {
		return "/"
	}
	return p
}

// Get returns a znode's data and stat.
func (c *Conn) Get(p string) ([]byte, *zk.Stat, error) { return c.zk.Get(c.abs(p)) }

// GetW is Get with a watch.
func (c *Conn) GetW(p string) ([]byte, *zk.Stat, <-chan zk.Event, error) {
	data, st, ch, err := c.zk.GetW(c.abs(p))
	return data, st, c.relEvents(ch), err
}

// Children lists a znode's children.
func (c *Conn) Children(p string) ([]string, *zk.Stat, error) { return c.zk.Children(c.abs(p)) }

// ChildrenW is Children with a watch.
func (c *Conn) ChildrenW(p string) ([]string, *zk.Stat, <-chan zk.Event, error) {
	kids, st, ch, err := c.zk.ChildrenW(c.abs(p))
	return kids, st, c.relEvents(ch), err
}

// Exists reports whether a znode exists.
func (c *Conn) Exists(p string) (bool, *zk.Stat, error) { return c.zk.Exists(c.abs(p)) }

// ExistsW is Exists with a watch.
func (c *Conn) ExistsW(p string) (bool, *zk.Stat, <-chan zk.Event, error) {
	ok, st, ch, err := c.zk.ExistsW(c.abs(p))
	return ok, st, c.relEvents(ch), err
}

// Create creates a persistent znode with kook's ACL.
func (c *Conn) Create(p string, data []byte) error {
	_, err := c.zk.Create(c.abs(p), data, 0, c.acl)
	return err
}

// Set writes a znode's data if its version matches (-1: any).
func (c *Conn) Set(p string, data []byte, version int32) (*zk.Stat, error) {
	return c.zk.Set(c.abs(p), data, version)
}

// Delete removes a znode if its version matches (-1: any).
func (c *Conn) Delete(p string, version int32) error { return c.zk.Delete(c.abs(p), version) }

// Multi runs ops (zk.CreateRequest, SetDataRequest, DeleteRequest,
// CheckVersionRequest with chroot-relative paths) as one transaction. Creates
// with a nil ACL get kook's.
func (c *Conn) Multi(ops ...any) ([]zk.MultiResponse, error) {
	abs := make([]any, len(ops))
	for i, op := range ops {
		switch op := op.(type) {
		case *zk.CreateRequest:
			r := *op
			r.Path = c.abs(r.Path)
			if r.Acl == nil {
				r.Acl = c.acl
			}
			abs[i] = &r
		case *zk.SetDataRequest:
			r := *op
			r.Path = c.abs(r.Path)
			abs[i] = &r
		case *zk.DeleteRequest:
			r := *op
			r.Path = c.abs(r.Path)
			abs[i] = &r
		case *zk.CheckVersionRequest:
			r := *op
			r.Path = c.abs(r.Path)
			abs[i] = &r
		default:
			return nil, fmt.Errorf("zkstore: unknown multi op %T", op)
		}
	}
	res, err := c.zk.Multi(abs...)
	for i := range res {
		if res[i].String != "" {
			res[i].String = c.rel(res[i].String)
		}
	}
	return res, err
}

// EnsurePath creates p and its missing ancestors (the chroot included) with
// empty data. Existing znodes are left alone.
func (c *Conn) EnsurePath(p string) error {
	c.mu.Lock()
	rootMade := c.rootMade
	c.mu.Unlock()
	full := c.abs(p)
	start := 0
	if rootMade {
		start = len(c.chroot)
	}
	for i := start + 1; i <= len(full); i++ {
		if i == len(full) || full[i] == '/' {
			_, err := c.zk.Create(full[:i], nil, 0, c.acl)
			if err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return fmt.Errorf("create %s: %w", full[:i], err)
			}
		}
	}
	c.mu.Lock()
	c.rootMade = true
	c.mu.Unlock()
	return nil
}

// DeleteAll deletes p and everything below it. A missing p is not an error.
func (c *Conn) DeleteAll(p string) error {
	kids, _, err := c.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := c.DeleteAll(path.Join(p, k)); err != nil {
			return err
		}
	}
	err = c.Delete(p, -1)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	return err
}

// relEvents rewrites watch event paths to be chroot-relative.
func (c *Conn) relEvents(ch <-chan zk.Event) <-chan zk.Event {
	if ch == nil || c.chroot == "" {
		return ch
	}
	out := make(chan zk.Event, 1)
	go func() {
		for ev := range ch {
			ev.Path = c.rel(ev.Path)
			out <- ev
		}
		close(out)
	}()
	return out
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
