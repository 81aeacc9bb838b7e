// Package address parses host addresses as Ansible's
// ansible/parsing/utils/addresses.py does: "host:port", "[v6addr]:port",
// IPv4 and IPv6 addresses and host names, host ranges (web[01:10]) allowed.
// Both inventory sources (host ranges) and host patterns (--limit) split
// on it. It does not expand ranges: package inventory does.
package address
