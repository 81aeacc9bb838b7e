package zkconn_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkconn"
)

// TestIntegrationTLS runs against a server whose secureClientPort wants a
// client certificate (ssl.clientAuth=need): a client with the CA and a
// certificate gets a session with the certificate's x509 identity; each
// way of getting TLS wrong fails within the deadline with a message that
// says which.
func TestIntegrationTLS(t *testing.T) {
	srv := zktest.StartTLS(t)
	cert, key, subject := srv.ClientCert(t, "writer")
	_, port, _ := net.SplitHostPort(srv.SecureAddr)
	other := zktest.NewCA(t, "not the server's CA")
	strangerCert, strangerKey, _ := other.ClientCert(t, "stranger")
	ctx := context.Background()
	const timeout = 4 * time.Second

	dial := func(t *testing.T, connect, ca, cert, key string) (*zkconn.Conn, time.Duration, error) {
		t.Helper()
		cfg := zkconn.Config{Connect: connect, ConnectTimeout: timeout}
		if ca != "" || cert != "" {
			tc, err := zkconn.LoadTLS(ca, cert, key)
			if err != nil {
				t.Fatal(err)
			}
			cfg.TLS = tc
		}
		start := time.Now()
		c, err := zkconn.Dial(ctx, cfg)
		took := time.Since(start)
		return c, took, err
	}

	t.Run("OK", func(t *testing.T) {
		c, _, err := dial(t, srv.SecureAddr, srv.CA.File, cert, key)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got, want := c.Identity(), "x509:"+subject; got != want {
			t.Errorf("Identity() = %q, want %q", got, want)
		}
		// The server sees the same identity: a znode only it may use.
		acl := []zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: subject}}
		c.SetPolicy(zkconn.Policy{ACL: acl})
		if err := c.Create(ctx, "/mine", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Set(ctx, "/mine", []byte("y"), -1); err != nil {
			t.Fatalf("the x509 identity may not write its own znode: %v", err)
		}
		got, _, err := c.GetACL(ctx, "/mine")
		if err != nil || !zkconn.SameACL(got, acl) {
			t.Fatalf("ACL = %v, %v; want %v", got, err, acl)
		}
	})

	for _, tc := range []struct {
		name          string
		connect       string
		ca, cert, key string
		want          string
		fast          bool
	}{
		{name: "ErrPlainClientOnTLSPort", connect: srv.SecureAddr, want: "localhost:" + port + " (127.0.0.1) hung up without answering ZooKeeper's handshake: if this port is a secureClientPort it expects TLS"},
		{name: "ErrTLSClientOnPlainPort", connect: srv.Addr, ca: srv.CA.File, cert: cert, key: key, want: "TLS expected but 127.0.0.1:"},
		{name: "ErrUnknownCA", connect: srv.SecureAddr, ca: other.File, cert: cert, key: key, want: "unknown CA: the certificate of localhost:" + port + " (127.0.0.1) is not signed by a CA in the TLS CA file", fast: true},
		{name: "ErrNameMismatch", connect: "127.0.0.1:" + port, ca: srv.CA.File, cert: cert, key: key, want: `name mismatch: the certificate of 127.0.0.1:` + port + ` is not valid for "127.0.0.1"`, fast: true},
		{name: "ErrClientCertRefused", connect: srv.SecureAddr, ca: srv.CA.File, cert: strangerCert, key: strangerKey, want: "client certificate refused: localhost:" + port + " (127.0.0.1) does not accept the client certificate (--tls-cert)", fast: true},
		{name: "ErrNoClientCert", connect: srv.SecureAddr, ca: srv.CA.File, want: "client certificate refused: localhost:" + port + " (127.0.0.1) requires a client certificate and none was given", fast: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, took, err := dial(t, tc.connect, tc.ca, tc.cert, tc.key)
			if err == nil {
				c.Close()
				t.Fatal("connected")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant it to say %q", err, tc.want)
			}
			if took > timeout+time.Second || tc.fast && took > timeout/2 {
				t.Errorf("failed after %v (timeout %v)", took, timeout)
			}
			t.Logf("%v (after %v)", err, took.Round(time.Millisecond))
		})
	}
}
