package zkconn

import (
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// tlsDialer connects to ZooKeeper's secureClientPort and remembers why the
// last handshake failed, so that a connection that never gets a session
// can say so instead of timing out silently.
type tlsDialer struct {
	cfg *tls.Config

	mu  sync.Mutex
	err string
}

func (d *tlsDialer) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	dialer := &net.Dialer{Timeout: timeout}
	cfg := d.cfg.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(address)
		if err == nil {
			cfg.ServerName = host
		}
	}
	conn, err := tls.DialWithDialer(dialer, network, address, cfg)
	if err != nil {
		d.mu.Lock()
		d.err = "TLS handshake with " + address + ": " + err.Error()
		d.mu.Unlock()
		return nil, err
	}
	return conn, nil
}

func (d *tlsDialer) last() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}
