package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kook-project/kook/web"
)

// ServeCmd is `kook serve`.
type ServeCmd struct {
	Listen        string   `default:"127.0.0.1:8080" placeholder:"ADDR" help:"Address to listen on (default 127.0.0.1:8080)."`
	Users         string   `placeholder:"FILE" help:"Users file: NAME:BCRYPT-HASH:ROLE per line, role read, write or admin; mode 600."`
	TrustedHeader string   `placeholder:"NAME" help:"Header holding the user a reverse proxy logged in (X-Forwarded-User); believed only from --trusted-proxy."`
	TrustedProxy  []string `placeholder:"ADDR|CIDR" help:"Addresses of the reverse proxies allowed to set --trusted-header."`
	TrustedRole   string   `default:"read" enum:"read,write,admin" help:"Role of a proxy-authenticated user the users file does not list."`
	AnonymousRead bool     `help:"Let requests without credentials read (never write)."`
	HashPassword  bool     `help:"Read a password on stdin, print its bcrypt hash for the users file, and exit."`
}

// Help implements kong.HelpProvider.
func (c *ServeCmd) Help() string {
	return strings.TrimSpace(`
Serves Jones 1.0's HTTP interface (/service/..., /export), a web UI for
the inventory and the service configuration, and a JSON API under
/api/v1/. It keeps the inventory in memory and follows its changes in
ZooKeeper. Browsers log in with a form (a cookie and a CSRF token); scripts
use HTTP basic auth with the same users file.

Examples:
  echo 'secret' | kook serve --hash-password     # a hash for the users file
  kook serve --users /etc/kook/users --listen 127.0.0.1:8080
  kook serve --trusted-header X-Forwarded-User --trusted-proxy 127.0.0.1`)
}

// Run serves until interrupted.
func (c *ServeCmd) Run(ctx context.Context, g *Globals) error {
	if c.HashPassword {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password: %w", err)
		}
		h, err := web.HashPassword(strings.TrimRight(line, "\r\n"))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(g.stdout, h)
		return err
	}
	// A server holds the inventory in memory: collect garbage at half the
	// default growth, so that its resident size stays near the snapshot.
	debug.SetGCPercent(50)
	o := web.Options{TrustedHeader: c.TrustedHeader, AnonymousRead: c.AnonymousRead, Log: log.New(g.stderr, "kook serve: ", log.LstdFlags)}
	var err error
	if c.Users != "" {
		if o.Users, err = web.LoadUsers(c.Users); err != nil {
			return err
		}
	}
	if o.TrustedRole, err = web.ParseRole(c.TrustedRole); err != nil {
		return usageError{err}
	}
	for _, p := range c.TrustedProxy {
		prefix, err := parsePrefix(p)
		if err != nil {
			return usagef("--trusted-proxy %q: %v", p, err)
		}
		o.TrustedProxies = append(o.TrustedProxies, prefix)
	}
	if c.TrustedHeader != "" && len(o.TrustedProxies) == 0 {
		return usagef("--trusted-header needs --trusted-proxy: the addresses allowed to set it")
	}
	client, err := g.Open(ctx, web.Tool)
	if err != nil {
		return err
	}
	defer client.Close()
	o.Client = client
	srv, err := web.New(ctx, o)
	if err != nil {
		return err
	}
	defer srv.Close()
	// Keep the heap near what the snapshot takes: a soft limit of 1.8
	// times the heap after loading (the garbage collector works harder
	// near it; it is a soft limit, so a grown inventory still fits).
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(int64(ms.HeapAlloc) * 9 / 5)
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: o.Log}
	fmt.Fprintf(g.stderr, "kook serve: listening on http://%s/\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
