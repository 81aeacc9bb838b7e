package zkconn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// hostProvider resolves the connect string's servers once, as
// go-zookeeper's DNSHostProvider does, but skips a server whose name does
// not resolve instead of failing the whole connection: an ensemble with
// one decommissioned name in its connect string must still be reachable
// through the others. It fails only when no name resolves.
type hostProvider struct {
	mu         sync.Mutex
	servers    []string
	curr, last int
	unresolved []string          // "name: why", for the error when no session comes
	names      map[string]string // resolved address -> the name it came from
}

// name returns the host name in the connect string that addr was resolved
// from, which a TLS client must verify the server's certificate against.
func (hp *hostProvider) name(addr string) string {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	if n, ok := hp.names[addr]; ok {
		return n
	}
	host, _, _ := net.SplitHostPort(addr)
	return host
}

// lookupTimeout bounds each server name's resolution.
const lookupTimeout = 3 * time.Second

func (hp *hostProvider) Init(servers []string) error {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	type result struct {
		addrs []string
		err   error
	}
	results := make([]result, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			host, port, err := net.SplitHostPort(s)
			if err != nil {
				results[i].err = err
				return
			}
			if net.ParseIP(host) != nil {
				results[i].addrs = []string{s}
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
			defer cancel()
			addrs, err := net.DefaultResolver.LookupHost(ctx, host)
			for _, a := range addrs {
				results[i].addrs = append(results[i].addrs, net.JoinHostPort(a, port))
			}
			results[i].err = err
		}()
	}
	wg.Wait()
	var found []string
	hp.names = map[string]string{}
	for i, r := range results {
		if r.err != nil {
			hp.unresolved = append(hp.unresolved, fmt.Sprintf("%s does not resolve: %v", servers[i], r.err))
		}
		host, _, _ := net.SplitHostPort(servers[i])
		for _, a := range r.addrs {
			if _, dup := hp.names[a]; !dup {
				hp.names[a] = host
			}
		}
		found = append(found, r.addrs...)
	}
	if len(found) == 0 {
		return fmt.Errorf("no server name resolves: %v", hp.unresolved)
	}
	rand.Shuffle(len(found), func(i, j int) { found[i], found[j] = found[j], found[i] })
	hp.servers, hp.curr, hp.last = found, -1, -1
	return nil
}

func (hp *hostProvider) Len() int {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	return len(hp.servers)
}

func (hp *hostProvider) Next() (server string, retryStart bool) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	hp.curr = (hp.curr + 1) % len(hp.servers)
	retryStart = hp.curr == hp.last
	if hp.last == -1 {
		hp.last = 0
	}
	return hp.servers[hp.curr], retryStart
}

func (hp *hostProvider) Connected() {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	hp.last = hp.curr
}
