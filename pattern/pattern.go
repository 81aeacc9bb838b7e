package pattern

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/kook-project/kook/internal/address"
	"github.com/kook-project/kook/model"
)

// patLocalhostNames are Ansible's C.LOCALHOST: the names that, matching nothing
// else, select the implicit localhost.
var patLocalhostNames = []string{"127.0.0.1", "localhost", "::1"}

var (
	// patToken is split_host_pattern's fallback for a pattern with neither a
	// comma nor the shape of an address: runs of anything but whitespace,
	// ':' and brackets, or whole bracketed expressions. Python's \s is
	// Unicode's, hence the explicit class.
	patToken = lazyRegexp(`(?:[^` + patSpaceClass + `:\[\]]|\[[^\]]*\])+`)
	// patSubscript is manager.py's PATTERN_WITH_SUBSCRIPT.
	patSubscript = lazyRegexp(`^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]\n?$`)
)

// patSpaceClass is Python's str.isspace as the body of a character class.
const patSpaceClass = `\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// Select returns the names of the hosts that pattern selects in inv, in the
// order `ansible PATTERN --list-hosts` prints them, following Ansible's
// InventoryManager.get_hosts. Parts are separated by ',' or, in a pattern
// without a comma that is not an address (IPv6, host:port), by ':' and
// whitespace. Plain parts are applied first, then '&' intersections, then
// '!' exclusions; a pattern with no plain part starts from 'all'. A part
// that names a host selects it. Otherwise it is a shell glob, or after '~'
// a Python regular expression matched at the start, tried on every group
// name (a matched group brings every host below it) and, if no group
// matched or the part has '~', '.', '?', '*' or '[', on every host name. A
// subscript (web[0], web[-1], web[1:3], web[2:]) picks from one part's
// matches. "localhost", "127.0.0.1" and "::1", matching nothing else,
// select the inventory's first localhost-like host, or else Ansible's
// implicit localhost, named as the part was.
//
// A pattern that matches nothing selects nothing (Ansible only warns). An
// invalid regular expression, one that RE2 cannot express (backreferences,
// lookaround), or a single subscript beyond the matches is an error.
//
// Where Ansible's own order is not fixed Select picks one of its orders. A
// group's hosts come from the group, its children in order, then the further
// descendants generation by generation; Ansible walks each generation past
// the children in Python set order, which changes from run to run, and
// Select walks it in list order.
func Select(inv *model.Inventory, pattern string) ([]string, error) {
	return newPatSelector(inv).hosts(pattern)
}

// Limit returns a copy of inv pruned to the hosts pattern selects (as Select
// does; the implicit localhost is not an inventory host and is left out), in
// inventory order. It keeps every group a kept host belongs to and all their
// ancestors, each listing only kept hosts and kept child groups, with their
// vars and priority untouched, so that every kept host has the same groups,
// depths and effective vars as in inv. Other groups are dropped, except
// 'all' and 'ungrouped', which every inventory has.
func Limit(inv *model.Inventory, pattern string) (*model.Inventory, error) {
	names, err := Select(inv, pattern)
	if err != nil {
		return nil, err
	}
	keepHost := make(map[string]bool, len(names))
	for _, n := range names {
		if inv.Host(n) != nil {
			keepHost[n] = true
		}
	}
	parents := inv.Parents()
	keepGroup := map[string]bool{"all": true, "ungrouped": true}
	var climb func(string)
	climb = func(g string) {
		for _, p := range parents[g] {
			if !keepGroup[p] {
				keepGroup[p] = true
				climb(p)
			}
		}
	}
	for _, g := range inv.Groups {
		for _, h := range g.Hosts {
			if keepHost[h] {
				keepGroup[g.Name] = true
				climb(g.Name)
				break
			}
		}
	}
	out := &model.Inventory{}
	for _, h := range inv.Hosts {
		if keepHost[h.Name] {
			c := *h
			c.Vars, c.FileVars = h.Vars.Clone(), h.FileVars.Clone()
			c.VarSources, c.FileVarSources = maps.Clone(h.VarSources), maps.Clone(h.FileVarSources)
			out.Hosts = append(out.Hosts, &c)
		}
	}
	for _, g := range inv.Groups {
		if !keepGroup[g.Name] {
			continue
		}
		c := *g
		c.Hosts = patFilter(g.Hosts, keepHost)
		c.Children = patFilter(g.Children, keepGroup)
		c.Vars, c.FileVars = g.Vars.Clone(), g.FileVars.Clone()
		c.VarSources, c.FileVarSources = maps.Clone(g.VarSources), maps.Clone(g.FileVarSources)
		c.FileVarRanks = maps.Clone(g.FileVarRanks)
		out.Groups = append(out.Groups, &c)
	}
	return out, nil
}

func patFilter(list []string, keep map[string]bool) []string {
	var out []string
	for _, x := range list {
		if keep[x] {
			out = append(out, x)
		}
	}
	return out
}

// patSelector evaluates patterns against one inventory, as one Ansible
// InventoryManager does, caching what Ansible caches.
type patSelector struct {
	inv        *model.Inventory
	groupHosts map[string][]string // Group.get_hosts
	matches    map[string][]string // _pattern_cache
	// localhost is the first localhost-like inventory host, or the name of
	// the implicit localhost once a pattern created it.
	localhost string
	// shuffle, when set, reorders each generation of descendants before it
	// is walked, as Python's set iteration may; tests use it to find every
	// order Ansible can print.
	shuffle func([]*model.Group)
}

func newPatSelector(inv *model.Inventory) *patSelector {
	s := &patSelector{inv: inv, groupHosts: map[string][]string{}, matches: map[string][]string{}}
	for _, h := range inv.Hosts {
		if patIsLocalhost(h.Name) {
			s.localhost = h.Name
			break
		}
	}
	return s
}

func patIsLocalhost(name string) bool { return slices.Contains(patLocalhostNames, name) }

// hosts is get_hosts with _evaluate_patterns, ending in deduplicate_list.
func (s *patSelector) hosts(pattern string) ([]string, error) {
	var hosts []string
	have := map[string]bool{}
	for _, p := range patOrder(patSplit(pattern)) {
		if s.inv.Host(p) != nil { // a plain host name is never resolved further
			if !have[p] {
				have[p] = true
				hosts = append(hosts, p)
			}
			continue
		}
		that, err := s.matchOne(p)
		if err != nil {
			return nil, err
		}
		switch p[0] {
		case '!', '&':
			in := make(map[string]bool, len(that))
			for _, h := range that {
				in[h] = true
			}
			keep := p[0] == '&'
			kept := hosts[:0]
			for _, h := range hosts {
				if in[h] == keep {
					kept = append(kept, h)
				} else {
					delete(have, h)
				}
			}
			hosts = kept
		default:
			for _, h := range that {
				if !have[h] {
					have[h] = true
					hosts = append(hosts, h)
				}
			}
		}
	}
	return hosts, nil
}

// patSplit is split_host_pattern: split at commas if there are any, else
// keep an address (IPv6, host:port, host[1:3]) whole, else split at ':' and
// whitespace; strip each part and drop empty ones.
func patSplit(pattern string) []string {
	var parts []string
	if strings.Contains(pattern, ",") {
		parts = strings.Split(pattern, ",")
	} else if _, _, ok := address.Parse(pattern); ok {
		parts = []string{pattern}
	} else {
		parts = patToken().FindAllString(pattern, -1)
	}
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimFunc(p, isSpace); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// patOrder is order_patterns: regular patterns, then '&', then '!', with
// 'all' standing in when there is no regular one.
func patOrder(patterns []string) []string {
	var regular, and, not []string
	for _, p := range patterns {
		switch p[0] {
		case '!':
			not = append(not, p)
		case '&':
			and = append(and, p)
		default:
			regular = append(regular, p)
		}
	}
	if len(regular) == 0 {
		regular = []string{"all"}
	}
	return append(append(regular, and...), not...)
}

// matchOne is _match_one_pattern: the hosts one pattern matches, '&' or '!'
// ignored, subscript applied. The result may hold duplicates.
func (s *patSelector) matchOne(pattern string) ([]string, error) {
	if pattern[0] == '&' || pattern[0] == '!' {
		pattern = pattern[1:]
	}
	if hosts, ok := s.matches[pattern]; ok {
		return hosts, nil
	}
	if pattern == "" {
		// Ansible fails here with a Python IndexError.
		return nil, fmt.Errorf("empty host pattern after '&' or '!'")
	}
	expr, sub := patSplitSubscript(pattern)
	hosts, err := s.enumerate(expr)
	if err != nil {
		return nil, err
	}
	if hosts, err = sub.apply(hosts); err != nil {
		return nil, fmt.Errorf("no hosts matched the subscripted pattern %q", pattern)
	}
	s.matches[pattern] = hosts
	return hosts, nil
}

// enumerate is _enumerate_matches: every group whose name matches brings
// its hosts; host names are matched too when no group matched or the
// pattern is a regex or has a glob character or a dot.
func (s *patSelector) enumerate(pattern string) ([]string, error) {
	match, err := patCompile(pattern)
	if err != nil {
		return nil, err
	}
	var results []string
	matchedGroup := false
	for _, g := range s.inv.Groups {
		if match.MatchString(g.Name) {
			matchedGroup = true
			results = append(results, s.hostsOf(g)...)
		}
	}
	if !matchedGroup || pattern[0] == '~' || strings.ContainsAny(pattern, ".?*[") {
		for _, h := range s.inv.Hosts {
			if match.MatchString(h.Name) {
				results = append(results, h.Name)
			}
		}
	}
	if len(results) == 0 && patIsLocalhost(pattern) {
		// InventoryData.get_host creates the implicit localhost once.
		if s.localhost == "" {
			s.localhost = pattern
		}
		results = []string{s.localhost}
	}
	return results, nil
}

// hostsOf is Group.get_hosts: the hosts of the group and its descendants in
// get_descendants(include_self=True, preserve_ordering=True) order, each
// once.
func (s *patSelector) hostsOf(g *model.Group) []string {
	if hosts, ok := s.groupHosts[g.Name]; ok {
		return hosts
	}
	ordered := []*model.Group{g}
	seen := map[string]bool{g.Name: true}
	var level []*model.Group
	for _, c := range g.Children {
		if cg := s.inv.Group(c); cg != nil && !seen[c] {
			seen[c] = true
			level = append(level, cg)
		}
	}
	ordered = append(ordered, level...)
	for len(level) > 0 {
		if s.shuffle != nil {
			s.shuffle(level)
		}
		var next []*model.Group
		for _, p := range level {
			for _, c := range p.Children {
				if cg := s.inv.Group(c); cg != nil && !seen[c] {
					seen[c] = true
					next = append(next, cg)
				}
			}
		}
		ordered = append(ordered, next...)
		level = next
	}
	var hosts []string
	have := map[string]bool{}
	for _, kid := range ordered {
		for _, h := range kid.Hosts {
			if !have[h] {
				have[h] = true
				hosts = append(hosts, h)
			}
		}
	}
	s.groupHosts[g.Name] = hosts
	return hosts
}

// patSub is a parsed subscript: [start] alone, or [start:end] inclusive,
// where end -1 stands for an empty end ([2:]).
type patSub struct {
	ok         bool
	start, end int
	isRange    bool
}

// patSplitSubscript is _split_subscript; a regex never has one.
func patSplitSubscript(pattern string) (string, patSub) {
	if pattern[0] == '~' {
		return pattern, patSub{}
	}
	m := patSubscript().FindStringSubmatch(pattern)
	if m == nil {
		return pattern, patSub{}
	}
	if m[2] != "" {
		return m[1], patSub{ok: true, start: patAtoi(m[2])}
	}
	end := -1
	if m[5] != "" {
		end = patAtoi(m[5])
	}
	return m[1], patSub{ok: true, start: patAtoi(m[3]), end: end, isRange: true}
}

// patAtoi parses a subscript bound, clamping what no inventory can reach.
func patAtoi(s string) int {
	const huge = 1 << 40
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil && strings.HasPrefix(s, "-"), n < -huge:
		return -huge
	case err != nil, n > huge:
		return huge
	}
	return int(n)
}

// apply is _apply_subscript, with Python's indexing and slicing; it fails
// where Python raises IndexError. A range ending at 0 is, as in Ansible,
// the single index of its start.
func (sub patSub) apply(hosts []string) ([]string, error) {
	if len(hosts) == 0 || !sub.ok {
		return hosts, nil
	}
	n := len(hosts)
	if sub.isRange && sub.end != 0 {
		end := sub.end
		if end == -1 {
			end = n - 1
		}
		lo, hi := min(sub.start, n), min(end+1, n)
		if lo >= hi {
			return nil, nil
		}
		return hosts[lo:hi], nil
	}
	i := sub.start
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return nil, fmt.Errorf("index %d out of range", sub.start)
	}
	return hosts[i : i+1], nil
}

// patMatcher matches names as a compiled host pattern does.
type patMatcher interface {
	MatchString(string) bool
	String() string
}

// patCompile is _match_list's compilation: fnmatch for a glob, or a Python
// regex after '~', matched at the start only (re.match).
func patCompile(pattern string) (patMatcher, error) {
	if pattern[0] == '~' {
		re, err := compilePython(pattern[1:])
		if err != nil {
			return nil, fmt.Errorf("invalid host list pattern %q: %w", pattern, err)
		}
		return re, nil
	}
	t, err := patGlob(pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid host list pattern %q: %w", pattern, err)
	}
	re, err := regexp.Compile(`(?s)^(?:` + t + `)\z`)
	if err != nil {
		return nil, fmt.Errorf("invalid host list pattern %q: %w", pattern, err)
	}
	return re, nil
}

// isSpace is Python's str.isspace, which also counts U+001C..U+001F.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1C && r <= 0x1F
}

// lazyRegexp compiles expr on first use: kook-inventory links this package
// for KOOK_LIMIT, and compiling at start-up would cost every Ansible run.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
