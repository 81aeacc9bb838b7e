package inventory

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

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
	} else if _, _, ok := parseAddress(pattern); ok {
		parts = []string{pattern}
	} else {
		parts = patToken().FindAllString(pattern, -1)
	}
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimFunc(p, pyIsSpace); p != "" {
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

// patCompile is _match_list's compilation: fnmatch for a glob, or a Python
// regex after '~', matched at the start only (re.match).
func patCompile(pattern string) (*regexp.Regexp, error) {
	var expr string
	if pattern[0] == '~' {
		t, err := patRegex(pattern[1:])
		if err != nil {
			return nil, fmt.Errorf("invalid host list pattern %q: %w", pattern, err)
		}
		expr = `^(?:` + t + `)`
	} else {
		t, err := patGlob(pattern)
		if err != nil {
			return nil, fmt.Errorf("invalid host list pattern %q: %w", pattern, err)
		}
		expr = `(?s)^(?:` + t + `)\z`
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid host list pattern %q: %w", pattern, err)
	}
	return re, nil
}

// patGlob is fnmatch.translate as an RE2 body, matched whole: '*' is any
// run, '?' any character, and '[...]' becomes the Python class fnmatch
// writes (ranges that would be empty removed, '!' negating), read as Python
// reads it.
func patGlob(pat string) (string, error) {
	rs := []rune(pat)
	var b strings.Builder
	for i, n := 0, len(rs); i < n; {
		c := rs[i]
		i++
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i
			if j < n && rs[j] == '!' {
				j++
			}
			if j < n && rs[j] == ']' {
				j++
			}
			for j < n && rs[j] != ']' {
				j++
			}
			if j >= n {
				b.WriteString(`\[`)
				continue
			}
			cls, err := patGlobClass(rs, i, j)
			if err != nil {
				return "", err
			}
			b.WriteString(cls)
			i = j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), nil
}

// patGlobClass translates the glob class rs[i:j] as fnmatch.translate does.
func patGlobClass(rs []rune, i, j int) (string, error) {
	esc := strings.NewReplacer(`\`, `\\`, `-`, `\-`)
	var stuff string
	if !slices.Contains(rs[i:j], '-') {
		stuff = strings.ReplaceAll(string(rs[i:j]), `\`, `\\`)
	} else {
		var chunks [][]rune
		k := i + 1
		if rs[i] == '!' {
			k = i + 2
		}
		for {
			k = patIndex(rs, '-', k, j)
			if k < 0 {
				break
			}
			chunks = append(chunks, append([]rune(nil), rs[i:k]...))
			i = k + 1
			k += 3
		}
		if i < j {
			chunks = append(chunks, append([]rune(nil), rs[i:j]...))
		} else {
			chunks[len(chunks)-1] = append(chunks[len(chunks)-1], '-')
		}
		// Drop ranges whose ends are reversed, with their ends.
		for k := len(chunks) - 1; k > 0; k-- {
			a, b := chunks[k-1], chunks[k]
			if len(a) > 0 && len(b) > 0 && a[len(a)-1] > b[0] {
				chunks[k-1] = append(append([]rune(nil), a[:len(a)-1]...), b[1:]...)
				chunks = append(chunks[:k], chunks[k+1:]...)
			}
		}
		parts := make([]string, len(chunks))
		for n, c := range chunks {
			parts[n] = esc.Replace(string(c))
		}
		stuff = strings.Join(parts, "-")
	}
	stuff = strings.NewReplacer("&", `\&`, "~", `\~`, "|", `\|`).Replace(stuff)
	switch {
	case stuff == "":
		return `[^\x00-\x{10FFFF}]`, nil // matches nothing
	case stuff == "!":
		return ".", nil
	case stuff[0] == '!':
		stuff = "^" + stuff[1:]
	case stuff[0] == '^' || stuff[0] == '[':
		stuff = `\` + stuff
	}
	cls, _, err := patClass([]rune(stuff+"]"), 0, false)
	return cls, err
}

// patIndex is str.find(r, from, to) on runes.
func patIndex(rs []rune, r rune, from, to int) int {
	for k := from; k < to && k < len(rs); k++ {
		if rs[k] == r {
			return k
		}
	}
	return -1
}

// patRegex translates a Python regular expression (re module, str
// pattern) into RE2 syntax with the same meaning, or says why it cannot:
// backreferences, lookaround, atomic groups, possessive quantifiers,
// conditionals and the x and scoped a flags have no RE2 equivalent. \d, \w
// and \s keep Python's Unicode meaning; \b stays ASCII-based, and '$' does
// not also match before a final newline as Python's does.
func patRegex(py string) (string, error) {
	rs := []rune(py)
	var b strings.Builder
	ascii := false
	names := map[string]bool{}
	atStart := true // only global flags so far
	quant := false  // the last token was a quantifier
	for i := 0; i < len(rs); {
		c := rs[i]
		i++
		wasQuant, start := quant, atStart
		quant, atStart = false, false
		switch c {
		case '\\':
			s, next, err := patEscape(rs, i, ascii)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i = next
		case '[':
			s, next, err := patClass(rs, i, ascii)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i = next
		case '(':
			if i >= len(rs) || rs[i] != '?' {
				b.WriteByte('(')
				continue
			}
			if i+1 < len(rs) && rs[i+1] == '#' {
				// A comment is not there at all: a quantifier after it
				// applies to what came before.
				end := patIndex(rs, ')', i, len(rs))
				if end < 0 {
					return "", fmt.Errorf("missing ), unterminated comment")
				}
				i, quant, atStart = end+1, wasQuant, start
				continue
			}
			s, next, global, err := patGroup(rs, i+1, names)
			if err != nil {
				return "", err
			}
			if global != "" {
				if !start {
					return "", fmt.Errorf("global flags not at the start of the expression")
				}
				atStart = true
				ascii = ascii || strings.Contains(global, "a")
			}
			b.WriteString(s)
			i = next
		case '*', '+', '?':
			switch {
			case wasQuant && c == '+':
				return "", fmt.Errorf("possessive quantifiers are not supported")
			case wasQuant && c == '?':
				b.WriteByte('?') // lazy
			default:
				b.WriteRune(c)
				quant = true
			}
		case '{':
			s, next, ok, err := patRepeat(rs, i)
			if err != nil {
				return "", err
			}
			if !ok {
				b.WriteString(`\{`)
				continue
			}
			if wasQuant {
				return "", fmt.Errorf("multiple repeat")
			}
			b.WriteString(s)
			i, quant = next, true
		case '^', '$', '.', '|', ')':
			b.WriteRune(c)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String(), nil
}

// patGroup reads what follows "(?" at rs[i:]: it returns the RE2 opening,
// or for global flags "(?i)" the flags themselves.
func patGroup(rs []rune, i int, names map[string]bool) (s string, next int, global string, err error) {
	if i >= len(rs) {
		return "", 0, "", fmt.Errorf("unexpected end of pattern")
	}
	c := rs[i]
	i++
	switch {
	case c == ':':
		return "(?:", i, "", nil
	case c == 'P' && i < len(rs) && rs[i] == '<':
		end := patIndex(rs, '>', i+1, len(rs))
		if end < 0 {
			return "", 0, "", fmt.Errorf("missing >, unterminated name")
		}
		name := string(rs[i+1 : end])
		if !patIsIdentifier(name) {
			return "", 0, "", fmt.Errorf("bad character in group name %q", name)
		}
		if names[name] {
			return "", 0, "", fmt.Errorf("redefinition of group name %q", name)
		}
		names[name] = true
		return "(", end + 1, "", nil // captures are never read
	case c == 'P' && i < len(rs) && rs[i] == '=':
		return "", 0, "", fmt.Errorf("backreferences are not supported")
	case c == '=' || c == '!' || c == '<' && i < len(rs) && (rs[i] == '=' || rs[i] == '!'):
		return "", 0, "", fmt.Errorf("lookahead and lookbehind are not supported")
	case c == '>':
		return "", 0, "", fmt.Errorf("atomic groups are not supported")
	case c == '(':
		return "", 0, "", fmt.Errorf("conditional groups are not supported")
	case strings.ContainsRune("aiLmsxtu-", c):
		return patFlags(rs, i-1)
	}
	return "", 0, "", fmt.Errorf("unknown extension ?%c", c)
}

// patFlags reads inline flags at rs[i:], as _parse_flags does.
func patFlags(rs []rune, i int) (s string, next int, global string, err error) {
	var on, off strings.Builder
	cur := &on
	for ; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == ')' && cur == &on:
			g := on.String()
			if g == "" {
				return "", 0, "", fmt.Errorf("missing flag")
			}
			if strings.ContainsAny(g, "Lxt") {
				return "", 0, "", fmt.Errorf("inline flags %q are not supported", g)
			}
			f := strings.NewReplacer("a", "", "u", "").Replace(g)
			if strings.Contains(g, "a") && strings.Contains(g, "u") {
				return "", 0, "", fmt.Errorf("bad inline flag: flags 'a', 'u' and 'L' are incompatible")
			}
			if f != "" {
				s = "(?" + f + ")"
			}
			return s, i + 1, g, nil
		case c == ':':
			add, del := on.String(), off.String()
			if cur == &off && del == "" {
				return "", 0, "", fmt.Errorf("missing flag")
			}
			if strings.ContainsAny(add+del, "Lxta") || strings.Contains(del, "u") {
				return "", 0, "", fmt.Errorf("inline flags %q are not supported", add+"-"+del)
			}
			if strings.ContainsAny(add, del) {
				return "", 0, "", fmt.Errorf("bad inline flag: flag turned on and off")
			}
			f := strings.ReplaceAll(add, "u", "")
			if del != "" {
				f += "-" + del
			}
			return "(?" + f + ":", i + 1, "", nil
		case c == '-' && cur == &on:
			cur = &off
		case strings.ContainsRune("aiLmsxtu", c):
			cur.WriteRune(c)
		default:
			return "", 0, "", fmt.Errorf("unknown flag %q", c)
		}
	}
	return "", 0, "", fmt.Errorf("missing -, : or )")
}

func patIsIdentifier(s string) bool {
	for k, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || k > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// patRepeat reads a Python {m,n} repeat after its '{' at rs[i:]; ok false
// means the '{' is a literal.
func patRepeat(rs []rune, i int) (s string, next int, ok bool, err error) {
	digits := func() string {
		start := i
		for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
			i++
		}
		return string(rs[start:i])
	}
	if i < len(rs) && rs[i] == '}' {
		return "", 0, false, nil
	}
	lo := digits()
	hi, comma := lo, false
	if i < len(rs) && rs[i] == ',' {
		i++
		hi, comma = digits(), true
	}
	if i >= len(rs) || rs[i] != '}' {
		return "", 0, false, nil
	}
	const maxRE2 = 1000
	min, max := 0, -1
	if lo != "" {
		if min, err = strconv.Atoi(lo); err != nil || min > maxRE2 {
			return "", 0, false, fmt.Errorf("repeat counts above %d are not supported", maxRE2)
		}
	}
	if hi != "" {
		if max, err = strconv.Atoi(hi); err != nil || max > maxRE2 {
			return "", 0, false, fmt.Errorf("repeat counts above %d are not supported", maxRE2)
		}
		if max < min {
			return "", 0, false, fmt.Errorf("min repeat greater than max repeat")
		}
	}
	switch {
	case !comma:
		return fmt.Sprintf("{%d}", min), i + 1, true, nil
	case max < 0:
		return fmt.Sprintf("{%d,}", min), i + 1, true, nil
	}
	return fmt.Sprintf("{%d,%d}", min, max), i + 1, true, nil
}

// patEscape translates the escape after a '\' at rs[i:] outside a class,
// as sre_parse's _escape reads it.
func patEscape(rs []rune, i int, ascii bool) (string, int, error) {
	if i >= len(rs) {
		return "", 0, fmt.Errorf("bad escape (end of pattern)")
	}
	c := rs[i]
	switch c {
	case 'A':
		return `\A`, i + 1, nil
	case 'Z':
		return `\z`, i + 1, nil
	case 'b', 'B':
		return `\` + string(c), i + 1, nil
	case 'd', 'D', 's', 'S', 'w', 'W':
		cls, neg := patCategory(c, ascii)
		if neg {
			return "[^" + cls + "]", i + 1, nil
		}
		return "[" + cls + "]", i + 1, nil
	}
	if c >= '1' && c <= '9' {
		// Three octal digits are a character; anything else a group reference.
		if i+2 < len(rs) && patIsOct(c) && patIsOct(rs[i+1]) && patIsOct(rs[i+2]) {
			r, err := patOctal(rs[i : i+3])
			return fmt.Sprintf(`\x{%x}`, r), i + 3, err
		}
		return "", 0, fmt.Errorf("backreferences are not supported")
	}
	if c == '0' {
		end := i + 1
		for end < len(rs) && end < i+3 && patIsOct(rs[end]) {
			end++
		}
		r, err := patOctal(rs[i:end])
		return fmt.Sprintf(`\x{%x}`, r), end, err
	}
	r, next, err := patEscapeRune(rs, i)
	return fmt.Sprintf(`\x{%x}`, r), next, err
}

// patClass reads a Python character class from rs[i:], just past its '[',
// as sre_parse does, and returns it as an RE2 class and the index past it.
func patClass(rs []rune, i int, ascii bool) (string, int, error) {
	var b strings.Builder
	b.WriteByte('[')
	if i < len(rs) && rs[i] == '^' {
		b.WriteByte('^')
		i++
	}
	empty := true
	// item reads one class member: a literal, or a category such as \d.
	item := func() (lit rune, cat string, err error) {
		c := rs[i]
		i++
		if c != '\\' {
			return c, "", nil
		}
		if i >= len(rs) {
			return 0, "", fmt.Errorf("bad escape (end of pattern)")
		}
		switch e := rs[i]; {
		case strings.ContainsRune("dDsSwW", e):
			i++
			cls, neg := patCategory(e, ascii)
			if neg {
				// RE2 cannot put a negated union inside a class.
				return 0, "", fmt.Errorf(`\%c inside a character class is not supported`, e)
			}
			return 0, cls, nil
		case e == 'b':
			i++
			return '\b', "", nil
		case patIsOct(e):
			end := i + 1
			for end < len(rs) && end < i+3 && patIsOct(rs[end]) {
				end++
			}
			lit, err = patOctal(rs[i:end])
			i = end
			return lit, "", err
		}
		lit, i, err = patEscapeRune(rs, i)
		return lit, "", err
	}
	for {
		if i >= len(rs) {
			return "", 0, fmt.Errorf("unterminated character set")
		}
		if rs[i] == ']' && !empty {
			b.WriteByte(']')
			return b.String(), i + 1, nil
		}
		empty = false
		lo, cat, err := item()
		if err != nil {
			return "", 0, err
		}
		if i < len(rs) && rs[i] == '-' {
			i++
			if i >= len(rs) {
				return "", 0, fmt.Errorf("unterminated character set")
			}
			if rs[i] == ']' {
				b.WriteString(patClassItem(lo, cat) + `\-]`)
				return b.String(), i + 1, nil
			}
			hi, cat2, err := item()
			if err != nil {
				return "", 0, err
			}
			if cat != "" || cat2 != "" || hi < lo {
				return "", 0, fmt.Errorf("bad character range")
			}
			b.WriteString(fmt.Sprintf(`\x{%x}-\x{%x}`, lo, hi))
			continue
		}
		b.WriteString(patClassItem(lo, cat))
	}
}

func patClassItem(lit rune, cat string) string {
	if cat != "" {
		return cat
	}
	return fmt.Sprintf(`\x{%x}`, lit)
}

// patCategory returns the class body of \d, \w, \s (Unicode, or ASCII
// under the a flag) and whether c is the negated form.
func patCategory(c rune, ascii bool) (body string, negated bool) {
	negated = unicode.IsUpper(c)
	switch unicode.ToLower(c) {
	case 'd':
		body = `\p{Nd}`
		if ascii {
			body = `0-9`
		}
	case 'w':
		body = `\p{L}\p{N}_`
		if ascii {
			body = `0-9A-Za-z_`
		}
	default:
		body = patSpaceClass
		if ascii {
			body = `\t-\r `
		}
	}
	return body, negated
}

func patIsOct(r rune) bool { return r >= '0' && r <= '7' }

// patOctal is the character of an octal escape (\0, \012, \177).
func patOctal(digits []rune) (rune, error) {
	v, _ := strconv.ParseInt(string(digits), 8, 32)
	if v > 0o377 {
		return 0, fmt.Errorf(`octal escape value \%s outside of range 0-0o377`, string(digits))
	}
	return rune(v), nil
}

// patEscapeRune reads the literal escape at rs[i:], just past its '\':
// \a \f \n \r \t \v, \xhh, \uhhhh, \Uhhhhhhhh, or a character that is
// not an ASCII letter or digit standing for itself.
func patEscapeRune(rs []rune, i int) (rune, int, error) {
	c := rs[i]
	if n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[c]; n > 0 {
		if i+1+n > len(rs) {
			return 0, 0, fmt.Errorf(`incomplete escape \%c`, c)
		}
		v, err := strconv.ParseUint(string(rs[i+1:i+1+n]), 16, 32)
		if err != nil || v > unicode.MaxRune {
			return 0, 0, fmt.Errorf(`bad escape \%c%s`, c, string(rs[i+1:i+1+n]))
		}
		return rune(v), i + 1 + n, nil
	}
	if r, ok := map[rune]rune{'a': 7, 'f': 12, 'n': 10, 'r': 13, 't': 9, 'v': 11}[c]; ok {
		return r, i + 1, nil
	}
	if c == 'N' {
		return 0, 0, fmt.Errorf(`named escapes \N{...} are not supported`)
	}
	if c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
		return 0, 0, fmt.Errorf(`bad escape \%c`, c)
	}
	return c, i + 1, nil
}
