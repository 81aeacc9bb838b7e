package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps: kook-inventory starts once for every Ansible run and reads only
// what kook-import wrote, so it links none of the source parsers, the YAML
// library or the Python readers (README, "kook-inventory").
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps printed %d packages", len(deps))
	}
	for _, d := range deps {
		for _, banned := range []string{
			"gopkg.in/yaml.v3",
			"github.com/kook-project/kook/inventory",
			"github.com/kook-project/kook/internal/pycompat",
			"github.com/kook-project/kook/export",
			"github.com/kook-project/kook/web",
		} {
			if d == banned || strings.HasPrefix(d, banned+"/") {
				t.Errorf("kook-inventory links %s", d)
			}
		}
	}
}
