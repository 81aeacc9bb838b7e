package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kook-project/kook/model"
)

func hosts(h ...string) []string { return h }

// hostPatternTests: every row was produced by ansible-core 2.14 reading a
// YAML inventory whose only host key is the pattern (the yaml plugin uses
// BaseInventoryPlugin._expand_hostpattern as is); port is the ansible_port
// Ansible then sets, 0 for none. TestIntegration_HostPatternTableMatchesAnsible re-checks
// every row.
var hostPatternTests = []struct {
	pattern string
	hosts   []string
	port    int64
	wantErr string
}{
	{"host", hosts("host"), 0, ""},
	{"host:22", hosts("host"), 22, ""},
	{"host:0", hosts("host"), 0, ""},
	{"host:022", hosts("host"), 22, ""},
	{"host:", hosts("host:"), 0, ""},
	{"10.0.0.1:22", hosts("10.0.0.1"), 22, ""},
	{"[10.0.0.1]:22", hosts("10.0.0.1"), 22, ""},
	{"fe80::1", hosts("fe80::1"), 0, ""},
	{"[fe80::1]:22", hosts("fe80::1"), 22, ""},
	{"::1", hosts("::1"), 0, ""},
	{"[::1]", nil, 0, "host range must specify end value"},
	{"web[01:03]", hosts("web01", "web02", "web03"), 0, ""},
	{"web[1:3]", hosts("web1", "web2", "web3"), 0, ""},
	{"web[01:3]", nil, 0, "host range must specify equal-length begin and end formats"},
	{"web[1:03]", hosts("web1", "web2", "web3"), 0, ""},
	{"db-[a:c]", hosts("db-a", "db-b", "db-c"), 0, ""},
	{"n[1:10:4]", hosts("n1", "n5", "n9"), 0, ""},
	{"r[1:2]-[a:b]", hosts("r1-a", "r1-b", "r2-a", "r2-b"), 0, ""},
	{"z[3:1]", hosts(), 0, ""},
	{"[0:1]x", hosts("0x", "1x"), 0, ""},
	{"h[:2]", hosts("h0", "h1", "h2"), 0, ""},
	{"h[a:c:2]", hosts("ha", "hc"), 0, ""},
	{"h[A:C]", hosts("hA", "hB", "hC"), 0, ""},
	{"h[1:3]:2222", hosts("h1", "h2", "h3"), 2222, ""},
	{"h[1:3:0]", nil, 0, "range() arg 3 must not be zero"},
	{"h[a:c:0]", nil, 0, "invalid literal for int() with base 10: 'a'"},
	{"h[c:a]", nil, 0, "host range must have begin <= end"},
	{"h[1:]", nil, 0, "host range must specify end value"},
	{"h[1]", nil, 0, "host range must be begin:end or begin:end:step"},
	{"h[a:1]", nil, 0, "invalid literal for int() with base 10: 'a'"},
	{"h[1:2", nil, 0, "not enough values to unpack (expected 3, got 2)"},
	{"a|b[1:2]", nil, 0, "too many values to unpack (expected 3)"},
	{"x_:22", hosts("x_:22"), 0, ""},
	{"-x:22", hosts("-x:22"), 0, ""},
	{"h_x:22", hosts("h_x"), 22, ""},
	{"ÿnicode:22", hosts("ÿnicode"), 22, ""},
	{"a.b.c:22", hosts("a.b.c"), 22, ""},
	{"a..b:22", hosts("a..b:22"), 0, ""},
	{"[host:22]:33", hosts("host"), 22, ""},
	{"web[1:2]:x", hosts("web1:x", "web2:x"), 0, ""},
	{"10.0.0.[1:3]:22", hosts("10.0.0.1", "10.0.0.2", "10.0.0.3"), 22, ""},
	{"fe80::[a:c]", hosts("fe80::a", "fe80::b", "fe80::c"), 0, ""},
	{"fe80::1:22", hosts("fe80::1:22"), 0, ""},
	{"1.2.3.4.5:22", hosts("1.2.3.4.5"), 22, ""},
	{"h[01:10:3]", hosts("h01", "h04", "h07", "h10"), 0, ""},
	{"h[001:010]", hosts("h001", "h002", "h003", "h004", "h005", "h006", "h007", "h008", "h009", "h010"), 0, ""},
	{"h[5:1:-1]", hosts("h5", "h4", "h3"), 0, ""},
	{"h[-1:1]", hosts("h-1", "h0", "h1"), 0, ""},
	{"h[ 1: 2]", hosts("h1", "h2"), 0, ""},
	{"h[1:2][3:4]", hosts("h13", "h14", "h23", "h24"), 0, ""},
	{"h[1_0:1_1]", hosts("h10", "h11"), 0, ""},
	{"h[٣:٥]", hosts("h3", "h4", "h5"), 0, ""},
	{"h[ab:cd]", hosts("ha", "hb", "hc"), 0, ""},
	{"h[0a:0c]", nil, 0, "invalid literal for int() with base 10: '0a'"},
	{"[a:c]", hosts("a", "b", "c"), 0, ""},
	{"web[1:3].example.com:8080", hosts("web1.example.com", "web2.example.com", "web3.example.com"), 8080, ""},
	{"[web[1:2]]:22", hosts("web1", "web2"), 22, ""},
	{"h]x[1:2]", nil, 0, "host range must be begin:end or begin:end:step"},
	{"a:b:c", hosts("a:b:c"), 0, ""},
	{"h[Y:b]", nil, 0, "host range must have begin <= end"},
	{"fe80::1%eth0", hosts("fe80::1%eth0"), 0, ""},
	{"[fe80::1%eth0]:22", hosts("fe80::1%eth0"), 22, ""},
	{"HOST:22", hosts("HOST"), 22, ""},
	{"h:65536", hosts("h"), 65536, ""},
	{"::ffff:10.0.0.1", hosts("::ffff:10.0.0.1"), 0, ""},
	{"1:2:3:4:5:6:7:8:22", hosts("1:2:3:4:5:6:7:8:22"), 0, ""},
	{"h[9:11]", hosts("h9", "h10", "h11"), 0, ""},
	{"h[09:11]", hosts("h09", "h10", "h11"), 0, ""},
	{"h[1:3]x[a:b]:22", hosts("h1xa", "h1xb", "h2xa", "h2xb", "h3xa", "h3xb"), 22, ""},
	{"a[1:1]", hosts("a1"), 0, ""},
	{"ä[a:b]", hosts("äa", "äb"), 0, ""},
	{"host name:22", hosts("host name:22"), 0, ""},
	{"h.-x:22", hosts("h.-x:22"), 0, ""},
	{"h-.x:22", hosts("h-.x:22"), 0, ""},
	{"_h:22", hosts("_h"), 22, ""},
	{"h-:22", hosts("h-:22"), 0, ""},
	{"h[01:02]-:22", hosts("h01-:22", "h02-:22"), 0, ""},
}

func TestExpandHostPattern(t *testing.T) {
	for _, tt := range hostPatternTests {
		t.Run(tt.pattern, func(t *testing.T) {
			hosts, port, hasPort, err := ExpandHostPattern(tt.pattern)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(hosts, tt.hosts) || port != tt.port || hasPort != (tt.port != 0) {
				t.Errorf("= %q, %d, %v; want %q, %d", hosts, port, hasPort, tt.hosts, tt.port)
			}
		})
	}
}

// TestIntegration_HostPatternTableMatchesAnsible checks hostPatternTests against Ansible.
func TestIntegration_HostPatternTableMatchesAnsible(t *testing.T) {
	dir := t.TempDir()
	jobs := make([][]string, len(hostPatternTests))
	for i, tt := range hostPatternTests {
		key, _ := json.Marshal(tt.pattern) // a JSON string is a YAML double-quoted scalar
		file := filepath.Join(dir, fmt.Sprintf("p%d.yml", i))
		yaml := fmt.Sprintf("all:\n  children:\n    g:\n      hosts:\n        %s: {}\n", key)
		if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		jobs[i] = []string{file}
	}
	for i, answer := range runINIOracle(t, jobs) {
		tt := hostPatternTests[i]
		if answer.Error != "" {
			_, msg, _ := strings.Cut(answer.INI, "with yaml plugin: ")
			msg, _, _ = strings.Cut(msg, "\n")
			if tt.wantErr == "" || strings.TrimSpace(msg) != tt.wantErr {
				t.Errorf("%q: Ansible fails with %q, the table says %q", tt.pattern, msg, tt.wantErr)
			}
			continue
		}
		g, _ := answer.Export.(model.Map).Get("g")
		var got []string
		if g != nil {
			if hs, ok := g.(model.Map).Get("hosts"); ok {
				for _, h := range hs.([]model.Value) {
					got = append(got, h.(string))
				}
			}
		}
		meta, _ := answer.Export.(model.Map).Get("_meta")
		hostvars, _ := meta.(model.Map).Get("hostvars")
		for _, h := range got {
			vars, _ := hostvars.(model.Map).Get(h)
			var port model.Value = int64(0)
			if vars != nil {
				if p, ok := vars.(model.Map).Get("ansible_port"); ok {
					port = p
				}
			}
			if port != tt.port {
				t.Errorf("%q: Ansible gives %s ansible_port %v, the table %d", tt.pattern, h, port, tt.port)
			}
		}
		if tt.wantErr != "" || !slices.Equal(got, tt.hosts) {
			t.Errorf("%q: Ansible gives %q, the table %q (error %q)", tt.pattern, got, tt.hosts, tt.wantErr)
		}
	}
}

// TestExpandHostPatternLimits covers where kook departs from Ansible on
// purpose.
func TestExpandHostPatternLimits(t *testing.T) {
	// Ansible sets ansible_port to 99999999999999999999; kook's port is an
	// int64 (ParseINI itself keeps the big int).
	if _, _, _, err := ExpandHostPattern("host:99999999999999999999"); err == nil {
		t.Error("a port beyond int64: no error")
	}
	// Ansible would build 10^12 names.
	if _, _, _, err := ExpandHostPattern("h[1:1000000000000]"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a huge range: error %v", err)
	}
	old := maxRangeHosts
	defer func() { maxRangeHosts = old }()
	maxRangeHosts = 10000
	hosts, _, _, err := ExpandHostPattern("h[1:100][1:100]")
	if err != nil || len(hosts) != 10000 || hosts[9999] != "h100100" {
		t.Errorf("as many hosts as allowed: %d hosts, %v", len(hosts), err)
	}
	maxRangeHosts = 9999
	if _, _, _, err := ExpandHostPattern("h[1:100][1:100]"); err == nil {
		t.Error("one host too many: no error")
	}
}

func FuzzExpandHostPattern(f *testing.F) {
	for _, tt := range hostPatternTests {
		f.Add(tt.pattern)
	}
	old := maxRangeHosts
	maxRangeHosts = 1000
	defer func() { maxRangeHosts = old }()
	f.Fuzz(func(t *testing.T, pattern string) {
		hosts, _, _, err := ExpandHostPattern(pattern)
		if err == nil && len(hosts) > maxRangeHosts {
			t.Fatalf("%d hosts", len(hosts))
		}
	})
}
