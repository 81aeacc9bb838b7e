// Package parity checks that an inventory served by kook, as an Ansible
// inventory script, gives Ansible the same inventory as the original source:
// the same `ansible-inventory --list` (hosts, children, vars, list order
// included) and `--graph`, the same group creation order (see
// GroupOrderExceptions) and host first-seen order, the same membership lists
// (including hosts listed directly under 'all'), and the same
// `ansible all --list-hosts` order where Ansible's own order is
// deterministic.
//
// `ansible-inventory --list --export` and `--graph --vars` are not compared:
// a script has one level of group vars, so kook folds group_vars/ files into
// the groups' vars and pins some effective values on hosts, and exported
// group vars differ from the source's by design.
package parity

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// Expected is Ansible's view of one source.
type Expected struct {
	Source string
	// List is the source's `ansible-inventory --list`; Result its run, whose
	// Exit is non-zero when Ansible rejects the source.
	List   model.Value
	Result ansibletest.Result
	Graph  string           // `ansible-inventory --graph`
	Dump   *model.Inventory // Ansible's parse, levels kept apart
	// AllHosts is `ansible all --list-hosts`, nil when Ansible's order is
	// not deterministic (see AllHosts).
	AllHosts []string
}

// Rejected reports whether Ansible refuses the source.
func (e *Expected) Rejected() bool { return e.Result.Exit != 0 }

// HostVars returns the host's vars in List (_meta.hostvars), {} if it has
// none there.
func (e *Expected) HostVars(host string) model.Value {
	if m, ok := e.List.(model.Map); ok {
		if meta, ok := m.Get("_meta"); ok {
			if hv, ok := meta.(model.Map).Get("hostvars"); ok {
				if v, ok := hv.(model.Map).Get(host); ok {
					return v
				}
			}
		}
	}
	return model.Map{}
}

type oracleEntry struct {
	once sync.Once
	exp  *Expected
}

var oracles sync.Map // source -> *oracleEntry

// Oracle returns Ansible's view of source, computing it once per test binary
// (so that several variants of the parity test share the Ansible runs). It
// also checks that AllHosts predicts Ansible's 'all' order.
func Oracle(t testing.TB, source string) *Expected {
	t.Helper()
	v, _ := oracles.LoadOrStore(source, &oracleEntry{})
	e := v.(*oracleEntry)
	e.once.Do(func() {
		exp := &Expected{Source: source}
		var ins *ansibletest.Inspection
		ins, exp.Result = ansibletest.Inspect(t, source)
		if ins != nil {
			exp.List = parseJSON(t, ins.List)
			exp.Graph = ins.Graph
			exp.Dump = ins.Inventory
			if order, ambiguous := AllHosts(exp.Dump); !ambiguous {
				exp.AllHosts = ins.AllHosts
				if !slices.Equal(exp.AllHosts, order) {
					t.Fatalf("AllHosts predicts %q, Ansible lists %q", order, exp.AllHosts)
				}
			}
		}
		e.exp = exp
	})
	if e.exp == nil {
		t.Fatalf("running Ansible on %s failed earlier", source)
	}
	return e.exp
}

// WriteScript writes an executable inventory script that prints listJSON
// (for --list) into a new empty directory, and returns its path.
func WriteScript(t testing.TB, listJSON []byte) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "inventory.json")
	if err := os.WriteFile(data, listJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "kook-inventory")
	body := "#!/bin/sh\n# Always called with --list: the output has _meta.hostvars.\nexec cat '" + data + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// Check fails t wherever Ansible, reading the inventory script at script,
// sees another inventory than it sees in source.
func Check(t *testing.T, source, script string) {
	t.Helper()
	exp := Oracle(t, source)
	if exp.Rejected() {
		t.Fatalf("Ansible rejects the source, so there is nothing to compare: %v", exp.Result)
	}
	got, r := ansibletest.Inspect(t, script)
	if got == nil {
		t.Fatalf("Ansible rejects the script: %v", r)
	}
	want, gotList := exp.List, parseJSON(t, got.List)
	if named := hostsNamedLikeGroups(exp.Dump); len(named) > 0 {
		t.Logf("not comparing the vars of hosts named like groups %q: a script cannot give them vars", named)
		want, gotList = withoutHostVars(want, named), withoutHostVars(gotList, named)
	}
	if d := ansibletest.Diff(want, gotList); d != "" {
		t.Errorf("--list differs: %s", d)
	}
	if got.Graph != exp.Graph {
		t.Errorf("--graph differs:\n%s", LineDiff(exp.Graph, got.Graph))
	}
	if d := Structure(exp.Dump, got.Inventory, groupOrderExceptions(source)); d != "" {
		t.Errorf("inventory structure differs: %s", d)
	}
	if exp.AllHosts != nil && !slices.Equal(got.AllHosts, exp.AllHosts) {
		t.Errorf("ansible all --list-hosts: got %q, want %q", got.AllHosts, exp.AllHosts)
	}
}

// hostsNamedLikeGroups returns the hosts of inv that share a group's name.
// Ansible sets vars by name, groups first, so a script inventory cannot set
// vars on such a host (inventory.List leaves them out).
func hostsNamedLikeGroups(inv *model.Inventory) []string {
	var out []string
	for _, h := range inv.Hosts {
		if inv.Group(h.Name) != nil {
			out = append(out, h.Name)
		}
	}
	return out
}

// withoutHostVars returns a copy of a --list output without the
// _meta.hostvars entries of hosts.
func withoutHostVars(list model.Value, hosts []string) model.Value {
	top, ok := list.(model.Map)
	if !ok {
		return list
	}
	top = top.Clone()
	if meta, ok := top.Get("_meta"); ok {
		if m, ok := meta.(model.Map); ok {
			if hv, ok := m.Get("hostvars"); ok {
				if hvm, ok := hv.(model.Map); ok {
					for _, h := range hosts {
						hvm.Delete(h)
					}
					m.Set("hostvars", hvm)
				}
			}
			top.Set("_meta", m)
		}
	}
	return top
}

// SameParse compares an inventory read by kook with Ansible's parse of the
// same source (Oracle's Dump): Structure, then every group's and host's vars
// level by level (key order included) and every group's priority. It returns
// "" when they agree, else the first difference.
func SameParse(want, got *model.Inventory) string {
	if d := Structure(want, got, nil); d != "" {
		return d
	}
	for _, w := range want.Groups {
		g := got.Group(w.Name)
		if d := sameVars("group "+w.Name+" vars", w.Vars, g.Vars); d != "" {
			return d
		}
		if d := sameVars("group "+w.Name+" group_vars", w.FileVars, g.FileVars); d != "" {
			return d
		}
	}
	for _, w := range want.Hosts {
		h := got.Host(w.Name)
		if d := sameVars("host "+w.Name+" vars", w.Vars, h.Vars); d != "" {
			return d
		}
		if d := sameVars("host "+w.Name+" host_vars", w.FileVars, h.FileVars); d != "" {
			return d
		}
	}
	return ""
}

func sameVars(what string, want, got model.Map) string {
	if want == nil {
		want = model.Map{}
	}
	if got == nil {
		got = model.Map{}
	}
	if d := ansibletest.Diff(want, got); d != "" {
		return what + ": " + d
	}
	if !model.EqualOrdered(want, got) {
		return fmt.Sprintf("%s: key order: got %q, want %q", what, got.Keys(), want.Keys())
	}
	return ""
}

// GroupOrderExceptions names, by the end of a source's path, groups whose
// creation order no script output can rebuild, and why. A script creates
// every new group of a "children" list when it meets the list, while
// Ansible's INI parser creates a child named before its own section only at
// that section; when the parent's other creator ('all') would move other
// groups instead, some group must come early. Check accepts such groups out
// of place (they must still exist, with the same hosts and children).
var GroupOrderExceptions = map[string][]string{
	// [openvswitch:children] names manila-share long before its section;
	// the only other key that could create openvswitch, 'all', would create
	// horizon right after it instead of cinder.
	"kolla-ansible/multinode":  {"manila-share"},
	"kolla-ansible/all-in-one": {"manila-share"},
	// [p:children] names a and c before [b], [a] and [q] declare them;
	// 'all' creates p with b and q, so q comes before a (or a after q).
	"parity/testdata/order/children_first.ini": {"a", "q"},
	// [top:children] names mid and other before they are declared; top's
	// list creates other before leaf and leaf2, 'all' would create second.
	"inventory/testdata/ini/children.ini": {"other"},
}

func groupOrderExceptions(source string) []string {
	for suffix, groups := range GroupOrderExceptions {
		if strings.HasSuffix(filepath.ToSlash(source), "/"+suffix) {
			return groups
		}
	}
	return nil
}

// Structure compares group creation order, host first-seen order and every
// group's hosts, children and priority between two inventories; it returns
// "" when they agree, else the first difference. Groups out of place in the
// creation order (those outside a longest common subsequence of the two
// orders) are accepted if listed in misplacedOK.
func Structure(want, got *model.Inventory, misplacedOK []string) string {
	if len(want.Groups) != len(got.Groups) {
		return fmt.Sprintf("got %d groups, want %d", len(got.Groups), len(want.Groups))
	}
	names := func(inv *model.Inventory) (groups, hosts []string) {
		for _, g := range inv.Groups {
			groups = append(groups, g.Name)
		}
		for _, h := range inv.Hosts {
			hosts = append(hosts, h.Name)
		}
		return groups, hosts
	}
	wg, wh := names(want)
	gg, gh := names(got)
	if !slices.Equal(wg, gg) {
		for _, g := range misplaced(wg, gg) {
			if !slices.Contains(misplacedOK, g) {
				return fmt.Sprintf("group creation order: got %q, want %q (out of place: %q)", gg, wg, misplaced(wg, gg))
			}
		}
	}
	if !slices.Equal(wh, gh) {
		return fmt.Sprintf("host first-seen order: got %q, want %q", gh, wh)
	}
	for _, w := range want.Groups {
		g := got.Group(w.Name)
		if g == nil {
			return fmt.Sprintf("group %s missing", w.Name)
		}
		if !slices.Equal(w.Hosts, g.Hosts) {
			return fmt.Sprintf("group %s hosts: got %q, want %q", w.Name, g.Hosts, w.Hosts)
		}
		if !slices.Equal(w.Children, g.Children) {
			return fmt.Sprintf("group %s children: got %q, want %q", w.Name, g.Children, w.Children)
		}
		if w.Priority != g.Priority {
			return fmt.Sprintf("group %s priority: got %d, want %d", w.Name, g.Priority, w.Priority)
		}
	}
	return ""
}

// misplaced returns the names of got that are not in a longest common
// subsequence of want and got, in got's order.
func misplaced(want, got []string) []string {
	n, m := len(want), len(got)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	for i, j := 0, 0; j < m; {
		switch {
		case i < n && want[i] == got[j]:
			i++
			j++
		case i < n && lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			out = append(out, got[j])
			j++
		}
	}
	return out
}

// AllHosts returns the order in which `ansible all --list-hosts` lists
// hosts: Group.get_hosts() of 'all', which walks 'all' and its descendants
// breadth first (Group._walk_relationship with preserve_ordering) and takes
// each group's hosts in order. Each level of that walk iterates a Python set
// of Group objects, hashed by address, so when two groups of one level both
// bring new children the order changes from run to run; AllHosts reports
// that as ambiguous.
func AllHosts(inv *model.Inventory) (hosts []string, ambiguous bool) {
	all := inv.Group("all")
	if all == nil {
		return nil, false
	}
	ordered := append([]string{"all"}, all.Children...)
	unprocessed := slices.Clone(all.Children)
	seen := map[string]bool{}
	for len(unprocessed) > 0 {
		for _, g := range unprocessed {
			seen[g] = true
		}
		var next []string
		contributors := 0
		for _, name := range unprocessed {
			added := false
			for _, c := range inv.Group(name).Children {
				if !seen[c] {
					ordered = append(ordered, c)
					added = true
					if !slices.Contains(next, c) {
						next = append(next, c)
					}
				}
			}
			if added {
				contributors++
			}
		}
		if contributors > 1 {
			ambiguous = true
		}
		unprocessed = next
	}
	done := map[string]bool{}
	for _, name := range ordered {
		for _, h := range inv.Group(name).Hosts {
			if !done[h] {
				done[h] = true
				hosts = append(hosts, h)
			}
		}
	}
	return hosts, ambiguous
}

func parseJSON(t testing.TB, text string) model.Value {
	t.Helper()
	v, err := model.UnmarshalJSON([]byte(text))
	if err != nil {
		t.Fatalf("ansible-inventory --list output is not JSON: %v", err)
	}
	return v
}

// LineDiff shows the first differing line of two texts.
func LineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, g, w)
		}
	}
	return "(equal)"
}
