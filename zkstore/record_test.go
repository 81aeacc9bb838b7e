package zkstore

import (
	"maps"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

// Sources are written grouped by place, each place once, and read back
// exactly; records written var -> place (kook's first layout) still read.
func TestRecordSources(t *testing.T) {
	h := &model.Host{
		Name:           "web1",
		Vars:           model.Map{{Key: "b", Value: int64(1)}, {Key: "a", Value: "x"}, {Key: "c", Value: nil}},
		FileVars:       model.Map{{Key: "ntp", Value: "pool"}},
		Source:         "hosts.ini:3",
		VarSources:     map[string]string{"a": "hosts.ini:3", "b": "hosts.ini:3", "c": "hosts.ini:9"},
		FileVarSources: map[string]string{"ntp": "host_vars/web1.yml:1"},
	}
	rec := appendHostRecord(nil, h, 7, false)
	want := `"var_sources":{"hosts.ini:3":["a","b"],"hosts.ini:9":["c"]},"file_var_sources":{"host_vars/web1.yml:1":["ntp"]}`
	if !strings.Contains(string(rec), want) {
		t.Fatalf("record %s\nwant it to hold %s", rec, want)
	}
	if strings.Count(string(rec), "hosts.ini:3") != 2 { // "source" and one group
		t.Errorf("record %s repeats a place", rec)
	}
	r, err := parseRecord(rec, false)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(r.host.VarSources, h.VarSources) || !maps.Equal(r.host.FileVarSources, h.FileVarSources) || r.host.Source != h.Source {
		t.Errorf("read back %v %v %q", r.host.VarSources, r.host.FileVarSources, r.host.Source)
	}

	old := `{"seq":7,"vars":{"a":"x"},"source":"hosts.ini:3","var_sources":{"a":"hosts.ini:3"},"file_var_sources":{"ntp":"host_vars/web1.yml:1"}}`
	r, err = parseRecord([]byte(old), false)
	if err != nil {
		t.Fatal(err)
	}
	if r.host.VarSources["a"] != "hosts.ini:3" || r.host.FileVarSources["ntp"] != "host_vars/web1.yml:1" {
		t.Errorf("first layout read as %v %v", r.host.VarSources, r.host.FileVarSources)
	}

	for _, bad := range []string{`{"var_sources":{"hosts.ini:3":[1]}}`, `{"var_sources":{"hosts.ini:3":{}}}`} {
		if _, err := parseRecord([]byte(bad), false); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
