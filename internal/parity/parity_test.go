package parity_test

import (
	"testing"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/precedence"
	"github.com/kook-project/kook/script"
)

// TestIntegration_Parity checks, for every source (see parity.Sources), that:
//   - inventory.Load rejects exactly the sources Ansible rejects;
//   - it reads the same inventory as Ansible (structure and vars by level);
//   - precedence.HostVars gives every host the vars ansible-inventory --list
//     gives it, and export.Graph prints what ansible-inventory --graph
//     prints;
//   - Ansible reads script.List's output, served by a script, as the
//     source (parity.Check).
//
// Where kook's parse differs from Ansible's, the script check is repeated on
// Ansible's own parse, to tell emitter bugs from parser bugs.
func TestIntegration_Parity(t *testing.T) {
	ansibletest.Require(t)
	for _, src := range parity.Sources(t) {
		t.Run(src.Name, func(t *testing.T) {
			t.Parallel()
			exp := parity.Oracle(t, src.Path)
			inv, err := inventory.Load(src.Path)
			if why := parity.Unsupported(src.Path); why != "" {
				if exp.Rejected() {
					t.Fatalf("listed as unsupported (%s), but Ansible rejects it too: drop it from the list", why)
				}
				if err == nil {
					err = script.Check(inv)
				}
				if err == nil {
					t.Fatalf("listed as unsupported (%s), but kook accepts it: drop it from the list", why)
				}
				t.Logf("refused, as intended: %v", err)
				return
			}
			if exp.Rejected() {
				if err == nil {
					t.Fatalf("Ansible rejects the source, inventory.Load accepts it; Ansible says:\n%s", exp.Result.Stderr)
				}
				return
			}
			if err != nil {
				t.Fatalf("inventory.Load: %v; Ansible accepts the source", err)
			}
			sameParse := parity.SameParse(exp.Dump, inv)
			if sameParse != "" {
				t.Errorf("inventory.Load differs from Ansible's parse: %s", sameParse)
			}
			m := precedence.NewMerger(inv)
			for _, h := range parity.ListedHosts(inv) {
				if d := ansibletest.Diff(exp.HostVars(h.Name), precedence.StripInternal(m.HostVars(h.Name))); d != "" {
					t.Errorf("HostVars(%s) differs from ansible-inventory --list: %s", h.Name, d)
				}
			}
			if g, err := export.Graph(inv, "all", false); err != nil || g != exp.Graph {
				t.Errorf("Graph differs from ansible-inventory --graph (err %v):\n%s", err, parity.LineDiff(exp.Graph, g))
			}
			parity.Check(t, src.Path, parity.WriteScript(t, script.List(inv)))
			if sameParse != "" {
				t.Run("AnsibleParse", func(t *testing.T) {
					parity.Check(t, src.Path, parity.WriteScript(t, script.List(exp.Dump)))
				})
			}
		})
	}
}
