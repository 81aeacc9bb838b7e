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
	return OracleSources(t, source)
}

// OracleSources is Oracle for several sources, as `ansible-inventory -i A
// -i B` reads them.
func OracleSources(t testing.TB, sources ...string) *Expected {
	t.Helper()
	v, _ := oracles.LoadOrStore(strings.Join(sources, "\x00"), &oracleEntry{})
	e := v.(*oracleEntry)
	e.once.Do(func() {
		exp := &Expected{Source: strings.Join(sources, " ")}
		var ins *ansibletest.Inspection
		ins, exp.Result = ansibletest.Inspect(t, sources...)
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
		t.Fatalf("running Ansible on %q failed earlier", sources)
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
	CheckSources(t, []string{source}, script)
}

// CheckSources is Check for several sources read together.
func CheckSources(t *testing.T, sources []string, script string) {
	t.Helper()
	source := sources[len(sources)-1] // names the exceptions
	exp := OracleSources(t, sources...)
	if exp.Rejected() {
		t.Fatalf("Ansible rejects the source, so there is nothing to compare: %v", exp.Result)
	}
	got, r := ansibletest.Inspect(t, script)
	if got == nil {
		t.Fatalf("Ansible rejects the script: %v", r)
	}
	want, gotList := exp.List, parseJSON(t, got.List)
	if d := ansibletest.Diff(want, gotList); d != "" {
		t.Errorf("--list differs: %s", d)
	}
	if got.Graph != exp.Graph {
		t.Errorf("--graph differs:\n%s", LineDiff(exp.Graph, got.Graph))
	}
	if why := hostOrderException(source); why != "" {
		t.Logf("host creation order not compared: %s", why)
		sameHostOrder(got.Inventory, exp.Dump)
	}
	if d := Structure(exp.Dump, got.Inventory, groupOrderExceptions(source)); d != "" {
		t.Errorf("inventory structure differs: %s", d)
	}
	if exp.AllHosts != nil && !slices.Equal(got.AllHosts, exp.AllHosts) {
		t.Errorf("ansible all --list-hosts: got %q, want %q", got.AllHosts, exp.AllHosts)
	}
}

// sameHostOrder puts inv's hosts in the order of want's, if both hold the
// same hosts (Structure then compares the rest).
func sameHostOrder(inv, want *model.Inventory) {
	if len(inv.Hosts) != len(want.Hosts) {
		return
	}
	hosts := make([]*model.Host, 0, len(want.Hosts))
	for _, w := range want.Hosts {
		h := inv.Host(w.Name)
		if h == nil {
			return
		}
		hosts = append(hosts, h)
	}
	inv.Hosts = hosts
}

// ListedHosts returns the hosts whose vars `ansible-inventory --list`
// prints, from inv (Ansible's parse): every host, unless a host is named
// "all", since InventoryManager.get_hosts("all") then returns that host
// alone (a pattern naming a host is that host).
func ListedHosts(inv *model.Inventory) []*model.Host {
	if h := inv.Host("all"); h != nil {
		return []*model.Host{h}
	}
	return inv.Hosts
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
