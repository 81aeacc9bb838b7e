package inventory

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use. kook-inventory links this package
// but never parses: compiling every parser's patterns at start-up would cost
// milliseconds on each Ansible run.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
