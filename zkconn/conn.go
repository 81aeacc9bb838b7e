package zkconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// DefaultACL is the ACL of the znodes a connection without an ACL policy
// creates: every permission for the digest user of auth ("user:password"),
// or for anyone when auth is "".
func DefaultACL(auth string) []zk.ACL {
	if user, pass, ok := strings.Cut(auth, ":"); ok && user != "" {
		return zk.DigestACL(zk.PermAll, user, pass)
	}
	return zk.WorldACL(zk.PermAll)
}

// Defaults for Config fields left zero.
const (
	DefaultConnect        = "127.0.0.1:2181"
	DefaultSessionTimeout = 10 * time.Second
	DefaultConnectTimeout = 10 * time.Second
)

// Config says how to reach ZooKeeper. The zero value connects to
// 127.0.0.1:2181 with the default timeouts, anonymously.
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
	// Auth is optional digest credentials, "user:password". It never
	// appears in an error.
	Auth string
	// ACL is what every znode the connection creates carries. Nil means
	// every permission for the digest user of Auth when set, else for
	// anyone.
	ACL []zk.ACL
	// Policy, when set, replaces ACL: it can give subtrees their own ACL
	// and check the ACLs found (see Policy). Conn.SetPolicy changes it
	// later.
	Policy *Policy
	// TLS, when not nil, connects over TLS (ZooKeeper's secureClientPort),
	// verifying each server's certificate against the name in the connect
	// string. With a client certificate (see LoadTLS) the session has the
	// x509 identity of its subject.
	TLS *tls.Config
	// OnEvent, if set, is called for every session event (state changes,
	// expiry). It must not block.
	OnEvent func(zk.Event)
}

// Conn is one ZooKeeper session whose paths are relative to the connect
// string's chroot. A Conn is safe for concurrent use.
type Conn struct {
	zk         *zk.Conn
	chroot     string // "" or "/a/b"
	policy     atomic.Pointer[Policy]
	identity   string   // "digest:alice", "x509:CN=...", or "" when anonymous
	identities []string // ACL ids: "digest:alice:HASH", "x509:CN=..."
	servers    []string
	checked    sync.Once // the policy's Check, before the first write
	checkErr   error     // what it found that refuses every write

	mu       sync.Mutex
	rootMade bool          // chroot known to exist
	state    zk.State      // last session state seen
	live     chan struct{} // closed while the session is usable; replaced on loss
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
		} else if err := ValidatePath(chroot); err != nil {
			return nil, "", fmt.Errorf("connect string %q: chroot: %w", s, err)
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, "", fmt.Errorf("connect string %q: empty server", s)
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = strings.Trim(h, "[]"), "2181"
		}
		if host == "" {
			return nil, "", fmt.Errorf("connect string %q: server %q has no host", s, h)
		}
		if err := checkPort(port); err != nil {
			return nil, "", fmt.Errorf("connect string %q: server %q: %w", s, h, err)
		}
		servers = append(servers, net.JoinHostPort(host, port))
	}
	return servers, chroot, nil
}

func checkPort(p string) error {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
		n = n*10 + int(c-'0')
	}
	if p == "" || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return nil
}

// ValidatePath checks an absolute znode path as ZooKeeper would.
func ValidatePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q must start with /", p)
	}
	if p != "/" && strings.HasSuffix(p, "/") {
		return fmt.Errorf("path %q must not end with /", p)
	}
	for _, part := range strings.Split(p[1:], "/") {
		if p != "/" && (part == "" || part == "." || part == "..") {
			return fmt.Errorf("path %q has an empty, '.' or '..' component", p)
		}
	}
	return nil
}

// Dial opens a session and waits for it, up to cfg.ConnectTimeout or ctx's
// deadline. When no server answers it fails with one line naming the
// servers, never hangs. A server whose name does not resolve is skipped as
// long as another one does.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	servers, chroot, err := ParseConnect(cfg.Connect)
	if err != nil {
		return nil, err
	}
	user, pass, ok := strings.Cut(cfg.Auth, ":")
	if cfg.Auth != "" && (!ok || user == "") {
		return nil, errors.New("zookeeper auth must be USER:PASSWORD")
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()

	c := &Conn{chroot: chroot, servers: servers, live: make(chan struct{})}
	hp := &hostProvider{}
	if cfg.TLS != nil && len(cfg.TLS.Certificates) > 0 {
		if subject := certSubject(cfg.TLS.Certificates[0]); subject != "" {
			c.identity = "x509:" + subject
			c.identities = append(c.identities, c.identity)
		}
	}
	onEvent := func(ev zk.Event) {
		if ev.Type == zk.EventSession {
			c.setState(ev.State)
		}
		if cfg.OnEvent != nil {
			cfg.OnEvent(ev)
		}
	}
	// The dialer remembers why connections failed (a TLS handshake, a
	// server that hangs up), so that a connection that never gets a
	// session can say why instead of just timing out.
	dialer := &dialer{tls: cfg.TLS, names: hp.name, fatal: make(chan struct{})}
	// Connect is asynchronous; it fails at once only when no server name
	// resolves. Its logger writes to stderr, which Ansible reads as an
	// error, so it is silenced.
	zc, _, err := zk.Connect(servers, cfg.SessionTimeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false),
		zk.WithEventCallback(onEvent), zk.WithHostProvider(hp), zk.WithDialer(dialer.dial))
	if err != nil {
		return nil, fmt.Errorf("connect to zookeeper %s: %w", strings.Join(servers, ","), err)
	}
	c.zk = zc
	select {
	case <-c.liveChan():
	case <-dialer.fatal:
		// Close waits up to a second for a session it never had: not
		// within the caller's deadline.
		go zc.Close()
		return nil, fmt.Errorf("connect to zookeeper %s: %s", strings.Join(servers, ","), dialer.last())
	case <-ctx.Done():
		go zc.Close()
		why := "timed out"
		if errors.Is(ctx.Err(), context.Canceled) {
			why = "canceled"
		}
		detail := "is ZooKeeper running there?"
		if e := dialer.last(); e != "" {
			detail = e
		}
		if len(hp.unresolved) > 0 {
			detail += "; " + strings.Join(hp.unresolved, "; ")
		}
		return nil, fmt.Errorf("connect to zookeeper %s: %s after %s with no session (%s)",
			strings.Join(servers, ","), why, cfg.ConnectTimeout, detail)
	}
	acl := DefaultACL(cfg.Auth)
	if cfg.Auth != "" {
		if _, err := call(ctx, func() (struct{}, error) { return struct{}{}, zc.AddAuth("digest", []byte(cfg.Auth)) }); err != nil {
			zc.Close()
			return nil, fmt.Errorf("zookeeper digest auth as %q: %w", user, err)
		}
		// The digest identity comes first: it is the one history records.
		c.identity = "digest:" + user
		c.identities = append([]string{DigestID(user, pass)}, c.identities...)
	}
	if cfg.ACL != nil {
		acl = cfg.ACL
	}
	p := &Policy{ACL: acl}
	if cfg.Policy != nil {
		p = cfg.Policy
	}
	c.policy.Store(p)
	return c, nil
}

// SetPolicy sets the ACL policy of the znodes the connection creates from
// now on. Set it before the connection writes: the policy's Check runs
// before the first write only.
func (c *Conn) SetPolicy(p Policy) { c.policy.Store(&p) }

// Policy returns the connection's ACL policy.
func (c *Conn) Policy() *Policy { return c.policy.Load() }

// Identities returns the session's identities as ACL ids
// ("digest:alice:HASH", "x509:CN=alice,O=example"); none when anonymous.
func (c *Conn) Identities() []string { return c.identities }

func (c *Conn) setState(s zk.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = s
	usable := s == zk.StateHasSession
	select {
	case <-c.live:
		if !usable {
			c.live = make(chan struct{})
		}
	default:
		if usable {
			close(c.live)
		}
	}
}

// liveChan is closed while the session is usable.
func (c *Conn) liveChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// WaitSession waits until the connection has a usable session again (after
// a connection loss or a session expiry, which go-zookeeper repairs by
// itself), or ctx is done.
func (c *Conn) WaitSession(ctx context.Context) error {
	select {
	case <-c.liveChan():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("zookeeper %s: no session: %w", strings.Join(c.servers, ","), ctx.Err())
	}
}

// Close ends the session.
func (c *Conn) Close() { c.zk.Close() }

// Chroot returns the chroot prefix, "" when there is none.
func (c *Conn) Chroot() string { return c.chroot }

// ACL returns the ACL the connection puts on the znodes it creates, but
// for the subtrees its Policy gives an ACL of their own.
func (c *Conn) ACL() []zk.ACL { return c.policy.Load().ACL }

// Identity is the ZooKeeper identity the session authenticated as
// ("digest:alice", or "x509:SUBJECT" with a client certificate and no
// digest auth), "" when anonymous. It holds no secret.
func (c *Conn) Identity() string { return c.identity }

// SessionID returns the current session's id (it changes after expiry).
func (c *Conn) SessionID() int64 { return c.zk.SessionID() }

// Servers returns the servers of the connect string.
func (c *Conn) Servers() []string { return c.servers }

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

// call runs fn and returns its result, or ctx's error as soon as ctx is
// done: go-zookeeper's calls block until a reply or a connection loss and
// take no context. The call goes on in the background; a write abandoned
// so may still be applied.
func call[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	if ctx.Done() == nil {
		return fn()
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

type getResult struct {
	data []byte
	stat *zk.Stat
}

// Get returns a znode's data and stat.
func (c *Conn) Get(ctx context.Context, p string) ([]byte, *zk.Stat, error) {
	r, err := call(ctx, func() (getResult, error) {
		data, st, err := c.zk.Get(c.abs(p))
		return getResult{data, st}, err
	})
	return r.data, r.stat, c.denied(err, "read", p, "reader")
}

type watchResult struct {
	data []byte
	kids []string
	ok   bool
	stat *zk.Stat
	ch   <-chan zk.Event
}

// GetW is Get with a watch.
func (c *Conn) GetW(ctx context.Context, p string) ([]byte, *zk.Stat, <-chan zk.Event, error) {
	r, err := call(ctx, func() (watchResult, error) {
		data, st, ch, err := c.zk.GetW(c.abs(p))
		return watchResult{data: data, stat: st, ch: ch}, err
	})
	return r.data, r.stat, c.relEvents(r.ch), c.denied(err, "read", p, "reader")
}

// Children lists a znode's children.
func (c *Conn) Children(ctx context.Context, p string) ([]string, *zk.Stat, error) {
	r, err := call(ctx, func() (watchResult, error) {
		kids, st, err := c.zk.Children(c.abs(p))
		return watchResult{kids: kids, stat: st}, err
	})
	return r.kids, r.stat, c.denied(err, "list", p, "reader")
}

// ChildrenW is Children with a watch.
func (c *Conn) ChildrenW(ctx context.Context, p string) ([]string, *zk.Stat, <-chan zk.Event, error) {
	r, err := call(ctx, func() (watchResult, error) {
		kids, st, ch, err := c.zk.ChildrenW(c.abs(p))
		return watchResult{kids: kids, stat: st, ch: ch}, err
	})
	return r.kids, r.stat, c.relEvents(r.ch), c.denied(err, "list", p, "reader")
}

// Exists reports whether a znode exists.
func (c *Conn) Exists(ctx context.Context, p string) (bool, *zk.Stat, error) {
	r, err := call(ctx, func() (watchResult, error) {
		ok, st, err := c.zk.Exists(c.abs(p))
		return watchResult{ok: ok, stat: st}, err
	})
	return r.ok, r.stat, err
}

// ExistsW is Exists with a watch.
func (c *Conn) ExistsW(ctx context.Context, p string) (bool, *zk.Stat, <-chan zk.Event, error) {
	r, err := call(ctx, func() (watchResult, error) {
		ok, st, ch, err := c.zk.ExistsW(c.abs(p))
		return watchResult{ok: ok, stat: st, ch: ch}, err
	})
	return r.ok, r.stat, c.relEvents(r.ch), err
}

// Create creates a persistent znode with the ACL the connection's policy
// gives p. Nil data is stored as empty, not null: Jones's Python client
// (kazoo) reads a null znode as None.
func (c *Conn) Create(ctx context.Context, p string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	if err := c.beforeWrite(ctx); err != nil {
		return err
	}
	acl := c.policy.Load().For(p)
	_, err := call(ctx, func() (string, error) { return c.zk.Create(c.abs(p), data, 0, acl) })
	return c.denied(err, "create", p, "writer")
}

// CreateEphemeral creates an ephemeral znode, which ZooKeeper deletes
// when the session ends, and returns its path.
func (c *Conn) CreateEphemeral(ctx context.Context, p string, data []byte) (string, error) {
	if data == nil {
		data = []byte{}
	}
	if err := c.beforeWrite(ctx); err != nil {
		return "", err
	}
	acl := c.policy.Load().For(p)
	made, err := call(ctx, func() (string, error) { return c.zk.Create(c.abs(p), data, zk.FlagEphemeral, acl) })
	return c.rel(made), c.denied(err, "create", p, "writer")
}

// Set writes a znode's data if its version matches (-1: any).
func (c *Conn) Set(ctx context.Context, p string, data []byte, version int32) (*zk.Stat, error) {
	if err := c.beforeWrite(ctx); err != nil {
		return nil, err
	}
	st, err := call(ctx, func() (*zk.Stat, error) { return c.zk.Set(c.abs(p), data, version) })
	return st, c.denied(err, "set", p, "writer")
}

// Delete removes a znode if its version matches (-1: any).
func (c *Conn) Delete(ctx context.Context, p string, version int32) error {
	if err := c.beforeWrite(ctx); err != nil {
		return err
	}
	_, err := call(ctx, func() (struct{}, error) { return struct{}{}, c.zk.Delete(c.abs(p), version) })
	return c.denied(err, "delete", p, "writer")
}

// GetACL returns a znode's ACL and stat.
func (c *Conn) GetACL(ctx context.Context, p string) ([]zk.ACL, *zk.Stat, error) {
	type res struct {
		acl  []zk.ACL
		stat *zk.Stat
	}
	r, err := call(ctx, func() (res, error) {
		acl, st, err := c.zk.GetACL(c.abs(p))
		return res{acl, st}, err
	})
	return r.acl, r.stat, c.denied(err, "read the ACL of", p, "reader")
}

// SetACL replaces a znode's ACL if its ACL version matches (-1: any).
func (c *Conn) SetACL(ctx context.Context, p string, acl []zk.ACL, version int32) (*zk.Stat, error) {
	st, err := call(ctx, func() (*zk.Stat, error) { return c.zk.SetACL(c.abs(p), acl, version) })
	return st, c.denied(err, "set the ACL of", p, "admin")
}

// EnsurePath creates p and its missing ancestors (the chroot included) with
// empty data and the ACL the connection's policy gives each. Existing
// znodes are left alone.
func (c *Conn) EnsurePath(ctx context.Context, p string) error {
	if err := c.beforeWrite(ctx); err != nil {
		return err
	}
	policy := c.policy.Load()
	c.mu.Lock()
	rootMade := c.rootMade
	c.mu.Unlock()
	full := c.abs(p)
	start := 0
	if rootMade {
		start = len(c.chroot)
	}
	for i := start + 1; i <= len(full); i++ {
		if i < len(full) && full[i] != '/' {
			continue
		}
		for attempt := 0; ; attempt++ {
			acl := policy.ACL
			if i >= len(c.chroot) {
				acl = policy.For(c.rel(full[:i]))
			}
			_, err := call(ctx, func() (string, error) { return c.zk.Create(full[:i], []byte{}, 0, acl) })
			if errors.Is(err, zk.ErrNoAuth) {
				// An ancestor that exists under a parent that refuses us
				// creates (a chroot an administrator made) is no error.
				var ok bool
				ok, err = call(ctx, func() (bool, error) { ok, _, err := c.zk.Exists(full[:i]); return ok, err })
				if err == nil && !ok {
					err = zk.ErrNoAuth
				}
			}
			if err == nil || errors.Is(err, zk.ErrNodeExists) {
				break
			}
			// A lost reply or a lost connection: the create may have
			// been applied; try again, an existing znode is success.
			if !IsTransient(err) {
				if errors.Is(err, zk.ErrNoAuth) {
					return c.denied(err, "create", c.rel(full[:i]), "writer")
				}
				return fmt.Errorf("create %s: %w", full[:i], err)
			}
			if err := c.WaitSession(ctx); err != nil {
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
func (c *Conn) DeleteAll(ctx context.Context, p string) error {
	kids, _, err := c.Children(ctx, p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := c.DeleteAll(ctx, strings.TrimSuffix(p, "/")+"/"+k); err != nil {
			return err
		}
	}
	err = c.Delete(ctx, p, -1)
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
