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
	// connectTimeout bounds every wait for a session (see WaitSession).
	connectTimeout time.Duration

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

	c := &Conn{chroot: chroot, servers: servers, live: make(chan struct{}), connectTimeout: cfg.ConnectTimeout}
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
//
// It waits at most the connection's ConnectTimeout: a server that went
// away mid-command is reported within the deadline the user gave for
// reaching it, never waited for without end.
func (c *Conn) WaitSession(ctx context.Context) error {
	select {
	case <-c.liveChan():
		return nil
	default:
	}
	t := time.NewTimer(c.connectTimeout)
	defer t.Stop()
	select {
	case <-c.liveChan():
		return nil
	case <-t.C:
		return fmt.Errorf("zookeeper %s: connection lost and not back within %s: %w", strings.Join(c.servers, ","), c.connectTimeout, context.DeadlineExceeded)
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

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}
