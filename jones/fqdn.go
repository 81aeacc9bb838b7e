package jones

import (
	"net"
	"os"
	"strings"
)

// FQDN returns this machine's fully qualified name the way Python's
// socket.getfqdn() finds it, since that is the association key Jones clients
// use by default: the hostname's first address is resolved back to names,
// and the first of those with a dot wins, else the first of them; when
// either lookup fails it is the hostname itself.
func FQDN() string {
	name, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	addrs, err := net.LookupHost(name)
	if err != nil || len(addrs) == 0 {
		return name
	}
	names, err := net.LookupAddr(addrs[0])
	if err != nil || len(names) == 0 {
		return name
	}
	for _, n := range names {
		if n = strings.TrimSuffix(n, "."); strings.Contains(n, ".") {
			return n
		}
	}
	return strings.TrimSuffix(names[0], ".")
}
