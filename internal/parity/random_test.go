package parity_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/script"
)

// TestIntegration_RandomParity runs the parity checks on generated INI inventories with
// group_vars/ and host_vars/ files, built to stress what the script output
// must get right: vars defined at every precedence level under few names,
// priorities set in the source and as a group_vars var, groups declared in
// several sections, hosts reappearing in later sections and ungrouped hosts.
// Child groups exist before their parents do, so that Ansible's group
// creation order is one a script can rebuild.
func TestIntegration_RandomParity(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			src := writeRandomInventory(t, rand.New(rand.NewPCG(seed, 42)))
			exp := parity.Oracle(t, src)
			if exp.Rejected() {
				t.Fatalf("Ansible rejects the generated inventory: %v", exp.Result)
			}
			inv, err := inventory.Load(src)
			if err != nil {
				t.Fatalf("inventory.Load: %v", err)
			}
			if d := parity.SameParse(exp.Dump, inv); d != "" {
				t.Errorf("inventory.Load differs from Ansible's parse: %s", d)
			}
			parity.Check(t, src, parity.WriteScript(t, script.List(inv)))
			parity.Check(t, src, parity.WriteScript(t, script.List(exp.Dump)))
		})
	}
}

// writeRandomInventory writes dir/hosts, dir/group_vars/ and dir/host_vars/
// and returns the path of hosts.
func writeRandomInventory(t *testing.T, r *rand.Rand) string {
	t.Helper()
	dir := t.TempDir()
	groups := 3 + r.IntN(6)
	hosts := 3 + r.IntN(8)
	keys := []string{"a", "b", "c", "d", "ansible_group_priority"}
	value := func(where string) string {
		switch r.IntN(4) {
		case 0:
			return fmt.Sprint(r.IntN(4))
		case 1:
			return fmt.Sprintf("{'from': '%s', 'n': %d}", where, r.IntN(3))
		default:
			return where
		}
	}
	var b strings.Builder
	for h := range r.IntN(3) {
		fmt.Fprintf(&b, "h%d\n", hosts-1-h)
	}
	declared := map[int]bool{}
	created := map[int]int{} // group -> creation rank
	declare := func(g int) {
		if !declared[g] {
			declared[g] = true
			created[g] = len(created)
		}
	}
	for range groups * 3 {
		g := r.IntN(groups)
		switch kind := r.IntN(4); {
		case kind == 0 && declared[g]:
			fmt.Fprintf(&b, "[g%d:vars]\n", g)
			for range 1 + r.IntN(3) {
				k := keys[r.IntN(len(keys))]
				v := value(fmt.Sprintf("g%d_inv", g))
				if k == "ansible_group_priority" {
					v = fmt.Sprint(r.IntN(4) - 1)
				}
				fmt.Fprintf(&b, "%s=%s\n", k, v)
			}
		case kind == 1:
			// Children must exist before their parent does: there is then no
			// cycle, and a script can rebuild the creation order (the script
			// plugin creates a parent's new children when it creates the
			// parent, while Ansible's INI parser may create them later).
			var kids []int
			for c := range groups {
				if c != g && declared[c] && (!declared[g] || created[c] < created[g]) && r.IntN(2) == 0 {
					kids = append(kids, c)
				}
			}
			if len(kids) > 0 {
				fmt.Fprintf(&b, "[g%d:children]\n", g)
				for _, c := range kids {
					fmt.Fprintf(&b, "g%d\n", c)
				}
				declare(g)
			}
		default:
			fmt.Fprintf(&b, "[g%d]\n", g)
			declare(g)
			for range r.IntN(4) {
				h := r.IntN(hosts)
				fmt.Fprintf(&b, "h%d", h)
				if r.IntN(3) == 0 {
					fmt.Fprintf(&b, " %s=%s", keys[r.IntN(4)], strings.ReplaceAll(value(fmt.Sprintf("h%d_inv", h)), " ", ""))
				}
				b.WriteString("\n")
			}
		}
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "[all:vars]\na=all_inv\nb=%s\n", value("all_inv"))
	}
	write := func(path, data string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "hosts"), b.String())
	yamlVars := func(where string) string {
		var y strings.Builder
		for _, k := range keys {
			if r.IntN(3) == 0 {
				fmt.Fprintf(&y, "%s: %s\n", k, where)
			}
		}
		return y.String()
	}
	for g := -1; g < groups; g++ {
		name := "all"
		if g >= 0 {
			name = fmt.Sprintf("g%d", g)
		}
		if r.IntN(2) == 0 {
			write(filepath.Join(dir, "group_vars", name+".yml"), yamlVars(name+"_file"))
		}
	}
	for h := range hosts {
		if r.IntN(3) == 0 {
			write(filepath.Join(dir, "host_vars", fmt.Sprintf("h%d.yml", h)), yamlVars(fmt.Sprintf("h%d_file", h)))
		}
	}
	return filepath.Join(dir, "hosts")
}
