package address

import (
	"regexp"
	"strings"
	"sync"
)

// The address patterns of ansible/parsing/utils/addresses.py. Python's "$"
// also matches before a final newline, hence "\n?$". The ipv6 pattern keeps
// Python's precedence: "^" binds only the first alternative and "$" only the
// last, so the others need only match a prefix.
var (
	reBracketedHostPort = lazyRegexp(`^\[(.+)\]:([0-9]+)\n?$`)
	reHostPort          = lazyRegexp(`^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)\n?$`)
	reIPv4              = lazyRegexp(`(?i)^(?:` + ipv4Part + `\.){3}` + ipv4Part + `\n?$`)
	reIPv6              = lazyRegexp(`(?i)^(?:` + strings.NewReplacer("C", ipv6Part, " ", "").Replace(`
		(?:C:){7}C|(?:C:){1,6}:|(?:C:)(?::C){1,6}|(?:C:){2}(?::C){1,5}|
		(?:C:){3}(?::C){1,4}|(?:C:){4}(?::C){1,3}|(?:C:){5}(?::C){1,2}|
		(?:C:){6}(?::C)|:(?::C){1,6}|C?::|(?:0:){6}(?:C\.){3}C|
		::(?:ffff:)?(?:C\.){3}C|(?:0:){5}ffff:(?:C\.){3}C\n?$`) + `)`)
	reLabel = lazyRegexp(`(?i)^(?:[\p{L}\p{N}_]|` + alnumRange + `)(?:[\p{L}\p{N}_-]|` + alnumRange + `)*$`)
)

const (
	numericRange = `\[[0-9]+:[0-9]+(?::[0-9]+)?\]`
	alnumRange   = `\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
	ipv6Part     = `(?:[0-9a-f]{1,4}|\[[0-9a-f]+:[0-9a-f]+(?::[0-9]+)?\])`
	ipv4Part     = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|` + numericRange + `)`
)

// Parse is addresses.parse_address(allow_ranges=True): the host and the
// port digits, or ok false when the result is not an address.
func Parse(address string) (host, port string, ok bool) {
	// Both patterns are tried, and the second sees what the first left.
	if m := reBracketedHostPort().FindStringSubmatch(address); m != nil {
		address, port = m[1], m[2]
	}
	if m := reHostPort().FindStringSubmatch(address); m != nil {
		address, port = m[1], m[2]
	}
	if reIPv4().MatchString(address) || reIPv6().MatchString(address) || isHostname(address) ||
		strings.HasSuffix(address, "\n") && isHostname(address[:len(address)-1]) {
		return address, port, true
	}
	return "", "", false
}

// isHostname matches addresses.py's hostname pattern: dot-separated labels
// of word characters, '-' and ranges, not ending in '_' or '-'.
func isHostname(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if !reLabel().MatchString(label) || strings.HasSuffix(label, "_") || strings.HasSuffix(label, "-") {
			return false
		}
	}
	return true
}

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
