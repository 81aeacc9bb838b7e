package export_test

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/model"
)

// graphInventory is, built by hand, internal/parity/testdata/graph/inv.yml
// as Ansible parses it (the parity suite also checks Graph on that file):
//
//	all:
//	  hosts:
//	    h0:
//	  vars:
//	    q: 'say "hi"'
//	    both: "it's \"x\""
//	    ctl: "a\nb\x01"
//	    l: [1, 'a', [2.0, {x: null}], true, 1.0e+16, 0.00001, .inf, 12345678901234567890123]
//	    d: {b: 1, a: "x'y", e: {}, l: []}
//	    r: ["it's", 'say "hi"', "it's \"x\"", "a\nb\tc\\d\r", "\x01\x7f\x80\xa0\xad", "h\u00e9llo \u2713 \u200b \U0001F600 \U000e0001", "\u2028\ue000", ""]
//	  children:
//	    web:
//	      hosts:
//	        h1:
//	          hv: 1
//	          inventory_hostname: dropped
//	        h2:
//	      vars:
//	        ansible_group_priority: 7
//	        gv: [a]
//	      children:
//	        db:
//	          hosts:
//	            h2:
//	              q: host
//	    empty:
func graphInventory(t testing.TB) *model.Inventory {
	t.Helper()
	inv := model.New()
	for _, g := range []string{"web", "db", "empty"} {
		inv.AddGroup(g)
	}
	for _, h := range []string{"h0", "h1", "h2"} {
		inv.AddHost(h)
	}
	for _, e := range [][2]string{{"all", "h0"}, {"web", "h1"}, {"web", "h2"}, {"db", "h2"}} {
		if err := inv.AddHostToGroup(e[0], e[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := inv.AddChild("web", "db"); err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	big, _ := new(big.Int).SetString("12345678901234567890123", 10)
	inv.Group("all").Vars = model.Map{
		{Key: "q", Value: `say "hi"`},
		{Key: "both", Value: `it's "x"`},
		{Key: "ctl", Value: "a\nb\x01"},
		{Key: "l", Value: []model.Value{int64(1), "a", []model.Value{2.0, model.Map{{Key: "x", Value: nil}}}, true, 1e16, 1e-05, math.Inf(1), big}},
		{Key: "d", Value: model.Map{{Key: "b", Value: int64(1)}, {Key: "a", Value: "x'y"}, {Key: "e", Value: model.Map{}}, {Key: "l", Value: []model.Value{}}}},
		{Key: "r", Value: []model.Value{"it's", `say "hi"`, `it's "x"`, "a\nb\tc\\d\r", "\x01\x7f\u0080\u00a0\u00ad",
			"h\u00e9llo \u2713 \u200b \U0001F600 \U000e0001", "\u2028\ue000", ""}},
	}
	web := inv.Group("web")
	web.Priority = 7
	web.Vars = model.Map{{Key: "gv", Value: []model.Value{"a"}}}
	inv.Host("h1").Vars = model.Map{{Key: "hv", Value: int64(1)}, {Key: "inventory_hostname", Value: "dropped"}}
	inv.Host("h2").Vars = model.Map{{Key: "q", Value: "host"}}
	return inv
}

// Expected texts: ansible-inventory -i inv.yml --graph [web] [--vars], output
// copied verbatim (ansible-core 2.14); ␁ stands for the byte \x01 it prints.
const (
	graphAll = `@all:
  |--@ungrouped:
  |  |--h0
  |--@web:
  |  |--@db:
  |  |  |--h2
  |  |--h1
  |  |--h2
  |--@empty:
`
)

var graphWebVars = strings.ReplaceAll(`@web:
  |--@db:
  |  |--h2
  |  |  |--{both = it's "x"}
  |  |  |--{ctl = a
b␁}
  |  |  |--{d = {'b': 1, 'a': "x'y", 'e': {}, 'l': []}}
  |  |  |--{gv = ['a']}
  |  |  |--{l = [1, 'a', [2.0, {'x': None}], True, 1e+16, 1e-05, inf, 12345678901234567890123]}
  |  |  |--{q = host}
  |  |  |--{r = ["it's", 'say "hi"', 'it\'s "x"', 'a\nb\tc\\d\r', '\x01\x7f\x80\xa0\xad', 'héllo ✓ \u200b 😀 \U000e0001', '\u2028\ue000', '']}
  |--h1
  |  |--{both = it's "x"}
  |  |--{ctl = a
b␁}
  |  |--{d = {'b': 1, 'a': "x'y", 'e': {}, 'l': []}}
  |  |--{gv = ['a']}
  |  |--{hv = 1}
  |  |--{l = [1, 'a', [2.0, {'x': None}], True, 1e+16, 1e-05, inf, 12345678901234567890123]}
  |  |--{q = say "hi"}
  |  |--{r = ["it's", 'say "hi"', 'it\'s "x"', 'a\nb\tc\\d\r', '\x01\x7f\x80\xa0\xad', 'héllo ✓ \u200b 😀 \U000e0001', '\u2028\ue000', '']}
  |--h2
  |  |--{both = it's "x"}
  |  |--{ctl = a
b␁}
  |  |--{d = {'b': 1, 'a': "x'y", 'e': {}, 'l': []}}
  |  |--{gv = ['a']}
  |  |--{l = [1, 'a', [2.0, {'x': None}], True, 1e+16, 1e-05, inf, 12345678901234567890123]}
  |  |--{q = host}
  |  |--{r = ["it's", 'say "hi"', 'it\'s "x"', 'a\nb\tc\\d\r', '\x01\x7f\x80\xa0\xad', 'héllo ✓ \u200b 😀 \U000e0001', '\u2028\ue000', '']}
  |--{ansible_group_priority = 7}
  |--{gv = ['a']}
`, "␁", "\x01")

func TestGraph(t *testing.T) {
	tests := []struct {
		name     string
		group    string
		withVars bool
		want     string
		wantErr  error
	}{
		{"All", "all", false, graphAll, nil},
		{"GroupWithVars", "web", true, graphWebVars, nil},
		{"ErrNotFound", "nope", false, "", model.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := export.Graph(graphInventory(t), tt.group, tt.withVars)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Graph error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Graph =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// A vaulted value cannot be shown without decrypting it:
// ansible-inventory --graph --vars on a YAML source holding "!vault |"
// fails with "ERROR! Attempting to decrypt but no vault secrets found".
func TestGraphVault(t *testing.T) {
	inv := graphInventory(t)
	inv.Host("h1").Vars.Set("secret", []model.Value{model.Vault("$ANSIBLE_VAULT;1.1;AES256\n6162\n")})
	if _, err := export.Graph(inv, "all", true); !errors.Is(err, export.ErrVault) {
		t.Errorf("Graph error = %v, want ErrVault", err)
	}
	if _, err := export.Graph(inv, "all", false); err != nil {
		t.Errorf("Graph without vars: %v", err)
	}
}
