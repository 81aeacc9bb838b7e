package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kook-project/kook/zkconn"
)

// File is the config file's content (see [ParseFile]):
//
//	zk: zk1:2181,zk2:2181,zk3:2181/prod
//	root: /kook
//	timeout: 10s
//	history_keep: 10000
//	history_days: 90
//	history_records: full              # or minimal: who, when and why only
//	auth_file: /etc/kook/auth          # or auth: USER:PASSWORD (file mode 0600)
//	tls_ca: /etc/kook/zk-ca.pem
//	tls_cert: /etc/kook/client.pem
//	tls_key: /etc/kook/client.key
//	acl:
//	  readers: digest:ansible:HASH, x509:CN=runner,O=example
//	  writers:
//	    - digest:deploy:HASH
//	  admins: [digest:admin:HASH]
//	  world_read: false
//	  jones_world_read: true
type File struct {
	ZK       string
	Root     string
	Timeout  time.Duration // 0 when not set
	Auth     string
	AuthFile string
	TLSCA    string
	TLSCert  string
	TLSKey   string
	// ACL is the acl section; nil when there is none.
	ACL *ACL
	// HistoryKeep and HistoryDays are history's retention: the last
	// history_keep changes and any younger than history_days days are kept.
	// 0 when not set (the defaults, 10,000 and 90); history_days: 0 keeps
	// none for its age alone, which HistoryDays holds as -1.
	HistoryKeep, HistoryDays int
	// MinimalHistory is history_records: minimal. Change records then hold
	// who, when, the tool and the reason, not what changed (kook log still
	// lists the changes; diff, blame and revert have nothing to work on).
	MinimalHistory bool
}

// ACL is the config file's acl section: who has which role, as ACL ids.
type ACL struct {
	zkconn.Roles
	// JonesWorldRead gives world:anyone READ on the Jones tree
	// (<root>/services), so that Jones clients, which do not
	// authenticate, keep reading their config. It is true unless the
	// file says jones_world_read: false.
	JonesWorldRead bool
}

// topKeys and aclKeys are the keys a config file may hold.
var (
	topKeys = []string{"zk", "root", "timeout", "auth", "auth_file", "tls_ca", "tls_cert", "tls_key", "history_keep", "history_days", "history_records", "acl"}
	aclKeys = []string{"readers", "writers", "admins", "world_read", "jones_world_read"}
)

// ParseFile reads a config file: one "key: value" a line, each key at most
// once, and an acl section whose keys are indented under "acl:". Blank
// lines and lines starting with # are skipped, and a value may be followed
// by " # comment". A value is taken as written unless quoted: "double
// quotes" take Go's (and YAML's) backslash escapes, 'single quotes' a
// doubled ” for a quote. The readers, writers and admins of the acl
// section take a comma-separated list of identities, a [flow, list], or a
// block list of "- identity" lines below them; world_read and
// jones_world_read take true or false. The file is the subset of YAML
// that kook documents; anything else (an unknown key, other nesting,
// anchors, a plain value holding ": " or starting with a YAML indicator)
// is an error naming name and the line, so that a mistake cannot silently
// leave a setting at its default. A password (auth) is never shown in an
// error.
func ParseFile(name string, data []byte) (File, error) {
	p := &fileParser{name: name, seen: map[string]bool{}}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if err := p.line(i+1, line); err != nil {
			return File{}, err
		}
	}
	return p.f, nil
}

type fileParser struct {
	name string
	f    File
	seen map[string]bool // "zk", "acl.readers"...
	n    int             // line number

	inACL     bool // below "acl:"
	aclIndent int  // the indentation of the acl section's keys; 0 until known
	list      *[]string
	listKey   string
	listItems bool // the list key had no inline value: items may follow
}

func (p *fileParser) fail(format string, args ...any) error {
	return fmt.Errorf("config %s:%d: %s", p.name, p.n, fmt.Sprintf(format, args...))
}

// show quotes a line for an error, unless it may hold a password.
func show(line string) string {
	if strings.HasPrefix(strings.TrimSpace(line), "auth") {
		return "(line not shown: it may hold a password)"
	}
	return strconv.Quote(line)
}

func (p *fileParser) line(n int, line string) error {
	p.n = n
	t := strings.TrimSpace(line)
	if t == "" || t[0] == '#' {
		return nil
	}
	indent := len(line) - len(strings.TrimLeft(line, " \t"))
	if strings.Contains(line[:indent], "\t") {
		return p.fail("tabs in indentation: indent with spaces")
	}
	if indent == 0 {
		p.endList()
		p.inACL = false
		return p.top(line)
	}
	if !p.inACL {
		return p.fail("unexpected indentation: want key: value (only the acl section is indented)")
	}
	if strings.HasPrefix(t, "- ") || t == "-" {
		if !p.listItems || p.aclIndent == 0 || indent < p.aclIndent {
			return p.fail("unexpected list item: lists go under readers, writers or admins")
		}
		v, err := parseValue(strings.TrimSpace(strings.TrimPrefix(t, "-")))
		if err != nil {
			return p.fail("%s: %v", p.listKey, err)
		}
		if v == "" {
			return p.fail("%s: empty list item", p.listKey)
		}
		if _, err := zkconn.ParseID(v); err != nil {
			return p.fail("%s: %v", p.listKey, err)
		}
		*p.list = append(*p.list, v)
		return nil
	}
	if p.aclIndent == 0 {
		p.aclIndent = indent
	}
	if indent != p.aclIndent {
		return p.fail("unexpected indentation: the acl section's keys must line up")
	}
	p.endList()
	return p.aclKey(t)
}

// keyValue splits "key: value" and parses the value.
func (p *fileParser) keyValue(line, prefix string, keys []string) (string, string, error) {
	key, rest, ok := strings.Cut(line, ":")
	if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", "", p.fail("%s: want key: value", show(line))
	}
	if !slices.Contains(keys, key) {
		return "", "", p.fail("unknown key %q (want %s)", prefix+key, strings.Join(keys, ", "))
	}
	if p.seen[prefix+key] {
		return "", "", p.fail("%s set twice", prefix+key)
	}
	p.seen[prefix+key] = true
	value, err := parseValue(strings.TrimSpace(rest))
	if err != nil {
		if key == "auth" {
			return "", "", p.fail("auth: not a valid value (quote it; the value is not shown: it holds a password)")
		}
		return "", "", p.fail("%s: %v", prefix+key, err)
	}
	return key, value, nil
}

func (p *fileParser) top(line string) error {
	// A flow list is YAML's own indicator, so take it before parseValue.
	if key, rest, ok := strings.Cut(line, ":"); ok && key == "acl" && strings.TrimSpace(stripComment(rest)) != "" {
		return p.fail("acl: want a section: its keys on the lines below, indented")
	}
	key, value, err := p.keyValue(line, "", topKeys)
	if err != nil {
		return err
	}
	switch key {
	case "zk":
		p.f.ZK = value
	case "root":
		p.f.Root = value
	case "auth":
		p.f.Auth = value
	case "auth_file":
		p.f.AuthFile = value
	case "tls_ca":
		p.f.TLSCA = value
	case "tls_cert":
		p.f.TLSCert = value
	case "tls_key":
		p.f.TLSKey = value
	case "timeout":
		if value == "" {
			break
		}
		d, err := time.ParseDuration(value)
		if err != nil {
			return p.fail("timeout: %v", err)
		}
		if d <= 0 {
			return p.fail("timeout %s: the connect deadline must be positive (e.g. 10s)", d)
		}
		p.f.Timeout = d
	case "history_keep", "history_days":
		if value == "" {
			break
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || (key == "history_keep" && n == 0) {
			return p.fail("%s: %q is not a positive whole number", key, value)
		}
		if key == "history_keep" {
			p.f.HistoryKeep = n
		} else if p.f.HistoryDays = n; n == 0 {
			p.f.HistoryDays = -1
		}
	case "history_records":
		switch value {
		case "full", "":
		case "minimal":
			p.f.MinimalHistory = true
		default:
			return p.fail("history_records: %q is neither full nor minimal", value)
		}
	case "acl":
		p.f.ACL = &ACL{JonesWorldRead: true}
		p.inACL, p.aclIndent = true, 0
	}
	return nil
}

func (p *fileParser) aclKey(line string) error {
	// A flow list, [a, b], is taken apart here: parseValue refuses YAML's
	// indicators.
	var flow []string
	if key, rest, ok := strings.Cut(line, ":"); ok && slices.Contains([]string{"readers", "writers", "admins"}, key) {
		if v := strings.TrimSpace(stripComment(rest)); strings.HasPrefix(v, "[") {
			if !strings.HasSuffix(v, "]") {
				return p.fail("acl.%s: unterminated [list]", key)
			}
			for _, item := range zkconn.SplitIDs(v[1 : len(v)-1]) {
				id, err := parseValue(item)
				if err != nil {
					return p.fail("acl.%s: %v", key, err)
				}
				flow = append(flow, id)
			}
			line = key + ":"
		}
	}
	key, value, err := p.keyValue(line, "acl.", aclKeys)
	if err != nil {
		return err
	}
	a := p.f.ACL
	switch key {
	case "readers", "writers", "admins":
		list := map[string]*[]string{"readers": &a.Readers, "writers": &a.Writers, "admins": &a.Admins}[key]
		*list = zkconn.SplitIDs(value)
		if flow != nil {
			*list = flow
		}
		for _, id := range *list {
			if _, err := zkconn.ParseID(id); err != nil {
				return p.fail("acl.%s: %v", key, err)
			}
		}
		p.list, p.listKey, p.listItems = list, "acl."+key, value == "" && flow == nil
	case "world_read", "jones_world_read":
		b, err := parseBool(value)
		if err != nil {
			return p.fail("acl.%s: %v", key, err)
		}
		if key == "world_read" {
			a.WorldRead = b
		} else {
			a.JonesWorldRead = b
		}
	}
	return nil
}

// endList ends the list just read: no more items may follow.
func (p *fileParser) endList() {
	p.list, p.listItems = nil, false
}

func parseBool(s string) (bool, error) {
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q: want true or false", s)
}

// stripComment drops a " # comment" from an unquoted value.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// parseValue reads what follows "key:", already trimmed.
func parseValue(s string) (string, error) {
	var value, after string
	switch {
	case s == "" || s[0] == '#':
		return "", nil
	case s[0] == '"':
		end := closingQuote(s)
		if end < 0 {
			return "", fmt.Errorf("unterminated double-quoted value")
		}
		v, err := strconv.Unquote(s[:end+1])
		if err != nil {
			return "", fmt.Errorf("bad double-quoted value %s", s[:end+1])
		}
		value, after = v, s[end+1:]
	case s[0] == '\'':
		var b strings.Builder
		i := 1
		for {
			j := strings.IndexByte(s[i:], '\'')
			if j < 0 {
				return "", fmt.Errorf("unterminated single-quoted value")
			}
			b.WriteString(s[i : i+j])
			i += j + 1
			if i == len(s) || s[i] != '\'' {
				break
			}
			b.WriteByte('\'')
			i++
		}
		value, after = b.String(), s[i:]
	default:
		value = s
		for i := 1; i < len(s); i++ {
			if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
				value = strings.TrimRight(s[:i], " \t")
				break
			}
		}
		if strings.ContainsRune("[]{}&*!|>%@`,", rune(value[0])) || indicator(value, '-') || indicator(value, '?') {
			return "", fmt.Errorf("%q starts with a YAML indicator: quote it", value)
		}
		if strings.Contains(value, ": ") || strings.HasSuffix(value, ":") {
			return "", fmt.Errorf("%q holds ': ': quote it", value)
		}
		return value, nil
	}
	if rest := strings.TrimLeft(after, " \t"); rest != "" && (rest[0] != '#' || rest == after) {
		return "", fmt.Errorf("unexpected %q after the quoted value", after)
	}
	return value, nil
}

// indicator reports whether s starts with the block indicator c: c alone or
// followed by a space.
func indicator(s string, c byte) bool {
	return s[0] == c && (len(s) == 1 || s[1] == ' ' || s[1] == '\t')
}

// closingQuote returns the index of the '"' that closes the double-quoted
// string at the start of s, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
