package export

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

// renderINI writes inv's structure, inventory-source vars and priorities as
// an INI source that ini.py reads back the same: hosts first mentioned in
// inventory order (a prefix of bare host lines before any section fixes the
// order where sections alone would not), every group declared by a [name]
// header in creation order, [name:vars] after it, and all [name:children]
// sections last so that no declaration is pending and children keep their
// order. [all:children] is written only where reconciliation would not give
// 'all' its children in order.
func renderINI(inv *model.Inventory) ([]byte, error) {
	all, ungrouped := inv.Group("all"), inv.Group("ungrouped")
	natural := append(append([]string(nil), ungrouped.Hosts...), all.Hosts...)
	for _, g := range inv.Groups {
		if g != all && g != ungrouped {
			natural = append(natural, g.Hosts...)
		}
	}
	prefix, exact := ungroupedPrefixExact(inv, natural)
	last := !exact && ungroupedLast(inv, natural[len(ungrouped.Hosts):])
	if last {
		prefix = nil
	}
	w := &iniWriter{inv: inv, seen: map[string]bool{}, bare: laterMentioned(inv, prefix, natural[len(ungrouped.Hosts):])}
	// Bare lines at the top are in 'ungrouped', which reconciliation keeps
	// only for hosts in no other group; a host in no group but 'all' is
	// listed under [all] instead.
	eligible := ungroupable(inv)
	section := "ungrouped"
	for _, h := range prefix {
		want := "ungrouped"
		if !eligible[h] {
			want = "all"
		}
		if want != section {
			w.header(want, "")
			section = want
		}
		w.hosts([]string{h})
	}
	if rest := withoutNames(ungrouped.Hosts, prefix); len(rest) > 0 && !last {
		if section != "ungrouped" {
			w.header("ungrouped", "")
		}
		w.hosts(rest)
	}
	for _, g := range inv.Groups {
		if g == ungrouped {
			w.vars(g)
			continue
		}
		if g != all || len(g.Hosts) > 0 {
			w.header(g.Name, "")
			w.hosts(g.Hosts)
		}
		w.vars(g)
	}
	if last && len(ungrouped.Hosts) > 0 {
		w.header("ungrouped", "")
		w.hosts(ungrouped.Hosts)
	}
	for _, g := range inv.Groups {
		if g != all && len(g.Children) > 0 {
			w.header(g.Name, "children")
			w.children(g.Children)
		}
	}
	if kids := explicitAllChildren(inv); kids != nil {
		w.header("all", "children")
		w.children(kids)
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.buf.Bytes(), nil
}

// explicitAllChildren returns the children 'all' must list, or nil when
// reconciliation gives it ['ungrouped', groups without other parents in
// creation order] and that is what it has.
func explicitAllChildren(inv *model.Inventory) []string {
	all := inv.Group("all")
	parents := inv.Parents()
	implicit := []string{"ungrouped"}
	for _, g := range inv.Groups {
		if g.Name != "all" && g.Name != "ungrouped" && len(parents[g.Name]) == 1 && parents[g.Name][0] == "all" {
			implicit = append(implicit, g.Name)
		}
	}
	if slices.Equal(all.Children, implicit) {
		return nil
	}
	kids := all.Children
	if len(kids) > 0 && kids[0] == "ungrouped" {
		kids = kids[1:]
	}
	return kids
}

type iniWriter struct {
	inv  *model.Inventory
	buf  bytes.Buffer
	seen map[string]bool // hosts already written, with their vars
	bare map[string]bool // prefix hosts whose vars wait for a later line
	err  error
}

func (w *iniWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *iniWriter) header(group, kind string) {
	if !iniGroupName(group) {
		w.fail(fmt.Errorf("group %q: ini.py reads no such section name (no ':', ']' or spaces): %w", group, errINI))
	}
	if w.buf.Len() > 0 {
		w.buf.WriteByte('\n')
	}
	if kind != "" {
		group += ":" + kind
	}
	w.buf.WriteString("[" + group + "]\n")
}

// hosts writes a host line for each name, with the host's vars on its
// first line in the file.
func (w *iniWriter) hosts(names []string) {
	for _, name := range names {
		if err := iniHostName(name); err != nil {
			w.fail(fmt.Errorf("host %q: %w", name, err))
		}
		w.buf.WriteString(shlexQuote(name))
		if w.bare[name] {
			delete(w.bare, name)
		} else if !w.seen[name] {
			w.seen[name] = true
			for _, e := range w.inv.Host(name).Vars {
				text, ok := iniValue(e.Value)
				if !ok || !iniHostKey(e.Key) {
					w.fail(fmt.Errorf("host %q var %q: %w", name, e.Key, errINI))
				}
				w.buf.WriteString(" " + shlexQuote(e.Key+"="+text))
			}
		}
		w.buf.WriteByte('\n')
	}
}

func (w *iniWriter) vars(g *model.Group) {
	if len(g.Vars) == 0 && g.Priority == model.DefaultPriority {
		return
	}
	w.header(g.Name, "vars")
	if g.Priority != model.DefaultPriority {
		w.buf.WriteString(model.PriorityVar + "=" + strconv.Itoa(g.Priority) + "\n")
	}
	for _, e := range g.Vars {
		text, ok := iniValue(e.Value)
		if !ok || !iniGroupKey(e.Key) {
			w.fail(fmt.Errorf("group %q var %q: %w", g.Name, e.Key, errINI))
		}
		w.buf.WriteString(e.Key + "=" + text + "\n")
	}
}

func (w *iniWriter) children(names []string) {
	for _, c := range names {
		if !iniGroupName(c) || c[0] == '#' || c[0] == ';' {
			w.fail(fmt.Errorf("group %q cannot be listed in a [:children] section: %w", c, errINI))
		}
		w.buf.WriteString(c + "\n")
	}
}

// oneLine reports whether s holds none of the characters that end a line
// for Python's str.splitlines.
func oneLine(s string) bool {
	line, rest := pycompat.CutLine(s)
	return rest == "" && line == s && !strings.ContainsAny(s, "\r\n")
}

// iniGroupName reports whether name fits ini.py's section and children
// patterns: no ':', ']' or whitespace.
func iniGroupName(name string) bool {
	return name != "" && utf8.ValidString(name) &&
		strings.IndexFunc(name, func(r rune) bool { return r == ':' || r == ']' || pycompat.IsSpace(r) }) < 0
}

// iniHostName checks that a host line naming the host reads back as that
// one host, without a port.
func iniHostName(name string) error {
	if !oneLine(name) || !utf8.ValidString(name) {
		return fmt.Errorf("a line break or invalid UTF-8 in the name: %w", errINI)
	}
	if strings.HasSuffix(strings.TrimFunc(name, pycompat.IsSpace), ":") || strings.TrimFunc(name, pycompat.IsSpace) == "---" {
		return fmt.Errorf("ini.py refuses the name: %w", errINI)
	}
	return hostNameRoundTrips(name)
}

// hostNameRoundTrips checks that a host key or host line names exactly this
// host: not a range, not a port.
func hostNameRoundTrips(name string) error {
	hosts, _, hasPort, err := inventory.ExpandHostPattern(name)
	if err != nil || hasPort || len(hosts) != 1 || hosts[0] != name {
		return errors.New("the name reads as a host pattern (a range or a port) and cannot be written as it is")
	}
	return nil
}

func iniHostKey(k string) bool {
	return !strings.Contains(k, "=") && oneLine(k) && utf8.ValidString(k)
}

// iniGroupKey reports whether "k=..." in a [name:vars] section gives key k:
// the line must not be a comment or look like a section.
func iniGroupKey(k string) bool {
	return iniHostKey(k) && k == strings.TrimFunc(k, pycompat.IsSpace) &&
		!strings.HasPrefix(k, "#") && !strings.HasPrefix(k, ";") && !strings.HasPrefix(k, "[")
}

// iniValue returns the text whose _parse_value (ast.literal_eval, else the
// text) is v, and whether there is one. A string is written as it is where
// that reads back unchanged (also once stripped, as [name:vars] lines are),
// else as a Python string literal.
func iniValue(v model.Value) (string, bool) {
	if s, ok := v.(string); ok && oneLine(s) && utf8.ValidString(s) && s == strings.TrimFunc(s, pycompat.IsSpace) {
		if r, ok := pycompat.LiteralValue(s).(string); ok && r == s {
			return s, true
		}
	}
	b, ok := appendPyLiteral(nil, v)
	return string(b), ok
}

// shlexQuote quotes s for Python's shlex.split (posix, comments on) as
// shlex.quote does.
func shlexQuote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r)))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// moveForINI moves vars INI cannot write from the inventory level to the
// vars-file level of the same host or group, where that leaves every
// host's vars as they were; it returns a note for each.
func moveForINI(inv *model.Inventory) ([]string, error) {
	before := inv.Clone()
	var notes []string
	for _, g := range inv.Groups {
		for _, e := range append(model.Map(nil), g.Vars...) {
			if _, ok := iniValue(e.Value); ok && iniGroupKey(e.Key) {
				continue
			}
			if g.FileVars.Has(e.Key) {
				return nil, fmt.Errorf("group %q var %q: %w", g.Name, e.Key, errINI)
			}
			g.Vars.Delete(e.Key)
			g.FileVars.Set(e.Key, e.Value)
			notes = append(notes, fmt.Sprintf("group %q var %q moved to its group_vars file: INI cannot hold it", g.Name, e.Key))
		}
	}
	for _, h := range inv.Hosts {
		for _, e := range append(model.Map(nil), h.Vars...) {
			if _, ok := iniValue(e.Value); ok && iniHostKey(e.Key) {
				continue
			}
			if h.FileVars.Has(e.Key) {
				return nil, fmt.Errorf("host %q var %q: %w", h.Name, e.Key, errINI)
			}
			h.Vars.Delete(e.Key)
			h.FileVars.Set(e.Key, e.Value)
			notes = append(notes, fmt.Sprintf("host %q var %q moved to its host_vars file: INI cannot hold it", h.Name, e.Key))
		}
	}
	if len(notes) > 0 {
		if d := ansibleDiff(before, inv); d != "" {
			return nil, fmt.Errorf("moving vars INI cannot hold to vars files would change what Ansible sees (%s): %w", d, errINI)
		}
	}
	return notes, nil
}
