package zkconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LoadTLS returns the TLS settings for ZooKeeper's secureClientPort: the
// servers' certificates are verified against the CA certificates in caFile
// (PEM; "" means the system's), and, when certFile and keyFile are set,
// the client shows that certificate (PEM), whose subject becomes the
// session's x509 identity.
func LoadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("tls ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca %s: no PEM certificate in it", caFile)
		}
	}
	switch {
	case certFile == "" && keyFile == "":
	case certFile == "" || keyFile == "":
		return nil, errors.New("a TLS client certificate needs both its certificate and its key file (--tls-cert and --tls-key)")
	default:
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate %s with key %s: %w", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// certSubject returns a certificate's subject as ZooKeeper's x509
// authentication provider names it (RFC 2253: "CN=alice,O=example").
func certSubject(cert tls.Certificate) string {
	leaf := cert.Leaf
	if leaf == nil && len(cert.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	if leaf == nil {
		return ""
	}
	return leaf.Subject.String()
}

// dialer connects to one server, over TLS when tls is set, and remembers
// why connections fail: a TLS handshake that fails, or a server that hangs
// up before answering ZooKeeper's handshake. go-zookeeper retries servers
// forever and only logs why; without this a connection that never gets a
// session could only say it timed out.
type dialer struct {
	tls   *tls.Config
	names func(addr string) string // the connect string's name for a resolved address
	// fatal is closed when every server failed in a way no retry mends
	// (a certificate refused either way), so Dial need not wait for its
	// deadline.
	fatal chan struct{}

	mu        sync.Mutex
	err       string
	fatalAddr map[string]bool
	servers   map[string]bool
	closed    bool
}

func (d *dialer) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d.mu.Lock()
	if d.servers == nil {
		d.servers, d.fatalAddr = map[string]bool{}, map[string]bool{}
	}
	d.servers[address] = true
	d.mu.Unlock()
	nd := &net.Dialer{Timeout: timeout}
	if d.tls == nil {
		conn, err := nd.Dial(network, address)
		if err != nil {
			return nil, err
		}
		return &watchedConn{Conn: conn, d: d, addr: address, shown: shown(address, d.names(address))}, nil
	}
	cfg := d.tls.Clone()
	name := d.names(address)
	if cfg.ServerName == "" {
		cfg.ServerName = name
	}
	// The dialer's timeout covers the handshake too.
	conn, err := tls.DialWithDialer(nd, network, address, cfg)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, err // nothing listens: the default message says so
		}
		msg, fatal := d.classify(err, shown(address, name), cfg.ServerName, true)
		d.record(address, msg, fatal)
		return nil, err
	}
	return &watchedConn{Conn: conn, d: d, addr: address, tls: true, name: cfg.ServerName, shown: shown(address, name)}, nil
}

// shown is how messages name the server at address, which the connect
// string called name: "localhost:2281 (127.0.0.1)".
func shown(address, name string) string {
	host, port, err := net.SplitHostPort(address)
	if err != nil || name == "" || name == host {
		return address
	}
	return net.JoinHostPort(name, port) + " (" + host + ")"
}

// classify says what a failure at the TLS handshake, or before the first
// byte of ZooKeeper's handshake, means, and whether retrying can help.
func (d *dialer) classify(err error, addr, name string, handshake bool) (string, bool) {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var op *net.OpError
	haveCert := d.tls != nil && len(d.tls.Certificates) > 0
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("unknown CA: the certificate of %s is not signed by a CA in the TLS CA file (--tls-ca): %v", addr, err), true
	case errors.As(err, &host):
		return fmt.Sprintf("name mismatch: the certificate of %s is not valid for %q, the name in the connect string: %v", addr, name, err), true
	case errors.As(err, &verify):
		return fmt.Sprintf("the certificate of %s does not verify: %v", addr, err), true
	case errors.As(err, &op) && op.Op == "remote error":
		if certAlert(op.Err.Error()) {
			if haveCert {
				return fmt.Sprintf("client certificate refused: %s does not accept the client certificate (--tls-cert): %v", addr, err), true
			}
			return fmt.Sprintf("client certificate refused: %s requires a client certificate and none was given (--tls-cert, --tls-key): %v", addr, err), true
		}
		return fmt.Sprintf("TLS with %s failed: %v", addr, err), false
	case handshake && (errors.As(err, &record) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		return fmt.Sprintf("TLS expected but %s speaks plain ZooKeeper: it hung up at the TLS handshake (is this port its secureClientPort?)", addr), false
	case d.tls == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		return fmt.Sprintf("%s hung up without answering ZooKeeper's handshake: if this port is a secureClientPort it expects TLS (give --tls-ca, and --tls-cert and --tls-key if it wants a client certificate)", addr), false
	case d.tls != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		return fmt.Sprintf("%s hung up after the TLS handshake without answering: it may have refused the client certificate", addr), false
	}
	return fmt.Sprintf("%s: %v", addr, err), false
}

// certAlert reports whether a TLS alert received from the server is about
// the client's certificate (or its absence).
func certAlert(alert string) bool {
	for _, s := range []string{"bad certificate", "certificate required", "unknown certificate", "unsupported certificate",
		"revoked certificate", "expired certificate", "access denied", "handshake failure"} {
		if strings.Contains(alert, s) {
			return true
		}
	}
	return false
}

// record keeps why addr failed; when every server failed for good it
// closes fatal.
func (d *dialer) record(addr, msg string, fatal bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = msg
	d.fatalAddr[addr] = fatal
	if d.closed || !fatal {
		return
	}
	for a := range d.servers {
		if !d.fatalAddr[a] {
			return
		}
	}
	d.closed = true
	close(d.fatal)
}

// ok forgets addr's failure: it answered.
func (d *dialer) ok(addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fatalAddr[addr] = false
}

func (d *dialer) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// watchedConn tells its dialer why a server hung up before answering.
type watchedConn struct {
	net.Conn
	d     *dialer
	addr  string
	tls   bool
	name  string
	shown string // as messages name it

	mu   sync.Mutex
	read bool // a byte came
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	first := !c.read
	if n > 0 {
		c.read = true
	}
	c.mu.Unlock()
	switch {
	case n > 0 && first:
		c.d.ok(c.addr)
	case err != nil && first && n == 0 && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded):
		msg, fatal := c.d.classify(err, c.shown, c.name, false)
		c.d.record(c.addr, msg, fatal)
	}
	return n, err
}
