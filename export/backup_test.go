package export_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

// multiSource is an inventory of two sources whose group_vars/ Ansible
// applies one source at a time (model.Group.FileVarRanks).
var multiSource = []string{"../inventory/testdata/dirs/multisrc/a/hosts", "../inventory/testdata/dirs/multisrc/b/hosts"}

// Every source kook reads, and the tricky inventory, survive a backup
// exactly: order, levels, types, priorities and provenance.
func TestBackupRoundTrip(t *testing.T) {
	invs := map[string]*model.Inventory{"tricky": tricky()}
	nan := model.New()
	h := nan.AddHost("h")
	h.Vars = model.Map{{Key: "nan", Value: math.NaN()}, {Key: "negzero", Value: math.Copysign(0, -1)},
		{Key: "surrogate", Value: "caf\xed\xb3\xa9"}, {Key: "vault", Value: model.Vault("$ANSIBLE_VAULT;1.1;AES256\n6162\n")}}
	h.Source, h.VarSources = "hosts:1", map[string]string{"nan": "hosts:1"}
	nan.Reconcile()
	invs["values"] = nan
	for _, src := range parity.Sources(t) {
		if inv, err := inventory.Load(src.Path); err == nil && inv.Validate() == nil {
			invs[src.Name] = inv
		}
	}
	// Two sources: group file vars remember which source set them.
	multi, err := inventory.Load(multiSource...)
	if err != nil || len(multi.Group("top").FileVarRanks) == 0 {
		t.Fatalf("multisrc: %v, ranks %v", err, multi.Group("top").FileVarRanks)
	}
	invs["multisrc"] = multi
	for name, inv := range invs {
		data := export.WriteBackup(inv)
		if !export.IsBackup(data) {
			t.Errorf("%s: IsBackup is false for a backup", name)
		}
		got, err := export.ReadBackup(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !model.EqualInventories(inv, got) {
			t.Errorf("%s: restored inventory differs", name)
		}
		if !bytes.Equal(export.WriteBackup(got), data) {
			t.Errorf("%s: a second backup differs from the first", name)
		}
	}
	// -0.0 keeps its sign (Equal cannot tell).
	got, _ := export.ReadBackup(export.WriteBackup(nan))
	if v, _ := got.Host("h").Vars.Get("negzero"); !math.Signbit(v.(float64)) {
		t.Error("-0.0 lost its sign")
	}
}

func TestBackupLayout(t *testing.T) {
	inv := model.New()
	inv.AddHost("web1").Vars = model.Map{{Key: "port", Value: int64(80)}}
	g := inv.AddGroup("web")
	g.Hosts, g.Priority = []string{"web1"}, 3
	inv.Reconcile()
	want := `{"kook_backup":1,
"hosts":[
{"name":"web1","vars":{"port":80}}],
"groups":[
{"name":"all","hosts":[],"children":["ungrouped","web"]},
{"name":"ungrouped","hosts":[],"children":[]},
{"name":"web","hosts":["web1"],"children":[],"priority":3}]}
`
	if got := string(export.WriteBackup(inv)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestReadBackupErrors(t *testing.T) {
	tests := []struct {
		name, data, wantErr string
	}{
		{"NotJSON", `{"kook_backup":1,`, "backup: json"},
		{"NoMarker", `{"hosts":[],"groups":[]}`, "not a kook backup"},
		{"Version", `{"kook_backup":2,"hosts":[],"groups":[]}`, "format version 2"},
		{"HostKey", `{"kook_backup":1,"hosts":[{"name":"h","priority":2}],"groups":[]}`, "only groups"},
		{"Unknown", `{"kook_backup":1,"hosts":[{"name":"h","color":2}],"groups":[]}`, "unknown key"},
		{"DupHost", `{"kook_backup":1,"hosts":[{"name":"h"},{"name":"h"}],"groups":[]}`, "already exists"},
		{"NoAll", `{"kook_backup":1,"hosts":[],"groups":[{"name":"g"}]}`, "lacks the 'all'"},
		{"Cycle", `{"kook_backup":1,"hosts":[],"groups":[{"name":"all","children":["ungrouped","a"]},{"name":"ungrouped"},` +
			`{"name":"a","children":["b"]},{"name":"b","children":["a"]}]}`, "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := export.ReadBackup([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
	if export.IsBackup([]byte(`{"all": {"hosts": ["kook_backup"]}}`)) {
		t.Error("IsBackup takes an inventory naming kook_backup for a backup")
	}
}
