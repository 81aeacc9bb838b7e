package gen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// A var maker returns the INI text of a value: what follows "key=" on a
// host line (split like shlex, then literal_eval'd) or in a [g:vars]
// section (stripped, then literal_eval'd). The comments say what Ansible
// makes of each.
type varMaker struct {
	key  string
	text func(r *rand.Rand) string
}

var hostPool = []varMaker{
	{"ansible_port", func(r *rand.Rand) string { return fmt.Sprint(2200 + r.IntN(100)) }},                       // int
	{"rack", func(r *rand.Rand) string { return fmt.Sprintf("r%02d", r.IntN(60)) }},                             // str
	{"weight", func(r *rand.Rand) string { return fmt.Sprint(r.IntN(100)) }},                                    // int
	{"cpu_share", func(r *rand.Rand) string { return fmt.Sprintf("%.2f", float64(1+r.IntN(99))/100) }},          // float
	{"monitored", func(r *rand.Rand) string { return pick(r, "True", "False") }},                                // bool
	{"owner", func(r *rand.Rand) string { return `"team ` + pick(r, teams...) + `"` }},                          // str with a space
	{"motd", func(r *rand.Rand) string { return fmt.Sprintf("'%s node %d'", pick(r, teams...), r.IntN(1000)) }}, // str
	{"serial", func(r *rand.Rand) string { return fmt.Sprint(100000000 + r.IntN(900000000)) }},                  // int
	{"zone", func(r *rand.Rand) string {
		return fmt.Sprintf("%s-%s-%d%c", pick(r, regions...), pick(r, "east", "west", "north"), 1+r.IntN(3), 'a'+rune(r.IntN(3)))
	}}, // str: literal_eval rejects it
	{"mem_gb", func(r *rand.Rand) string { return fmt.Sprint(4 << r.IntN(6)) }},                                        // int
	{"decommission", func(r *rand.Rand) string { return "None" }},                                                      // null
	{"http_port", func(r *rand.Rand) string { return pick(r, "8080", "8443", "9000") }},                                // int, also a group var
	{"tags", func(r *rand.Rand) string { return fmt.Sprintf(`"['%s', '%s']"`, pick(r, teams...), pick(r, tiers...)) }}, // list
	{"uptime_ratio", func(r *rand.Rand) string { return fmt.Sprintf("%.3e", 0.9+float64(r.IntN(100))/1000) }},          // float
	{"asset_id", func(r *rand.Rand) string { return fmt.Sprintf("0x%x", r.IntN(1<<24)) }},                              // int
}

var groupPool = []varMaker{
	{"http_port", func(r *rand.Rand) string { return pick(r, "80", "8080", "8443") }},                  // int
	{"ntp_server", func(r *rand.Rand) string { return fmt.Sprintf("ntp%d.example.com", 1+r.IntN(4)) }}, // str
	{"dns_search", func(r *rand.Rand) string { return `"example.com corp.example.com"` }},              // str with a space
	{"log_level", func(r *rand.Rand) string { return pick(r, "info", "debug", "warn") }},               // str, also in all.yml
	{"backup_enabled", func(r *rand.Rand) string { return pick(r, "True", "False") }},                  // bool
	{"max_conns", func(r *rand.Rand) string { return fmt.Sprint(100 * (1 + r.IntN(50))) }},             // int
	{"lb_weight", func(r *rand.Rand) string { return fmt.Sprintf("%.1f", float64(r.IntN(50))/10) }},    // float
	{"deploy_window", func(r *rand.Rand) string { return `"Sat 02:00-04:00"` }},                        // str with a space
	{"owner_team", func(r *rand.Rand) string { return "'" + pick(r, teams...) + "'" }},                 // str
	{"retention_days", func(r *rand.Rand) string { return fmt.Sprint(7 * (1 + r.IntN(12))) }},          // int
}

var (
	teams = []string{"platform", "payments", "search", "storage", "identity", "edge", "data"}
	tiers = []string{"gold", "silver", "bronze"}
)

func pick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// choose returns n distinct vars of pool, in pool order, with their values.
func choose(r *rand.Rand, pool []varMaker, n int) []kv {
	idx := r.Perm(len(pool))[:n]
	slices.Sort(idx)
	out := make([]kv, 0, n+1)
	for _, i := range idx {
		out = append(out, kv{pool[i].key, pool[i].text(r)})
	}
	return out
}

// hostVars returns 5 to 10 inline vars, ansible_host first.
func hostVars(r *rand.Rand, i int) []kv {
	addr := kv{"ansible_host", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)} // str
	return append([]kv{addr}, choose(r, hostPool, 4+r.IntN(6))...)
}

// groupVars returns 5 to 10 [g:vars] vars, and an ansible_group_priority
// (which only an inventory source can set) if priority.
func groupVars(r *rand.Rand, priority bool) []kv {
	vars := choose(r, groupPool, 5+r.IntN(6))
	if priority {
		vars = append(vars, kv{"ansible_group_priority", fmt.Sprint(2 + r.IntN(9))})
	}
	return vars
}

// yamlMaker appends one top-level key of a vars file. Strings are double
// quoted and numbers kept simple so that YAML 1.1 (PyYAML) and 1.2 agree.
type yamlMaker func(b *strings.Builder, r *rand.Rand)

var groupFilePool = []yamlMaker{
	func(b *strings.Builder, r *rand.Rand) {
		b.WriteString("packages:\n")
		for _, p := range r.Perm(len(packages))[:2+r.IntN(4)] {
			fmt.Fprintf(b, "  - %q\n", packages[p])
		}
	},
	func(b *strings.Builder, r *rand.Rand) {
		b.WriteString("sysctl:\n")
		fmt.Fprintf(b, "  \"net.core.somaxconn\": %d\n", 1024<<r.IntN(4))
		fmt.Fprintf(b, "  \"vm.swappiness\": %d\n", r.IntN(61))
		if r.IntN(2) == 0 {
			fmt.Fprintf(b, "  \"fs.file-max\": %d\n", 100000*(1+r.IntN(20)))
		}
	},
	func(b *strings.Builder, r *rand.Rand) {
		b.WriteString("users:\n")
		for range 1 + r.IntN(3) {
			t := pick(r, teams...)
			fmt.Fprintf(b, "  - name: %q\n    uid: %d\n    shell: \"/bin/bash\"\n    groups: [%q, \"wheel\"]\n", t+"-svc", 2000+r.IntN(8000), t)
		}
	},
	func(b *strings.Builder, r *rand.Rand) {
		fmt.Fprintf(b, "firewall:\n  default: \"deny\"\n  allow: [22, %d]\n  log: %t\n", pick2(r, 80, 443, 5432, 6379), r.IntN(2) == 0)
	},
	func(b *strings.Builder, r *rand.Rand) {
		fmt.Fprintf(b, "http_port: %d\n", pick2(r, 80, 8000, 8080)) // beats [g:vars] http_port
	},
	func(b *strings.Builder, r *rand.Rand) {
		fmt.Fprintf(b, "features:\n  tls: %t\n  http2: %t\n  canary_weight: %d.%d\n", r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(5), r.IntN(10))
	},
	func(b *strings.Builder, r *rand.Rand) {
		fmt.Fprintf(b, "motd: \"Managed by %s, do not edit\"\n", pick(r, teams...))
	},
	func(b *strings.Builder, r *rand.Rand) {
		fmt.Fprintf(b, "limits:\n  nofile: %d\n  nproc: %d\n", 1024<<r.IntN(7), 1024<<r.IntN(3))
	},
}

var packages = []string{"nginx", "curl", "htop", "postgresql-15", "redis-server", "openjdk-17-jre",
	"python3", "rsyslog", "chrony", "prometheus-node-exporter", "haproxy", "git"}

func pick2(r *rand.Rand, n ...int) int { return n[r.IntN(len(n))] }

// groupFile returns a group_vars file of 2 to 5 keys.
func groupFile(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("---\n")
	idx := r.Perm(len(groupFilePool))[:2+r.IntN(4)]
	slices.Sort(idx)
	for _, i := range idx {
		groupFilePool[i](&b, r)
	}
	return b.String()
}

// allFile returns group_vars/all.yml. Its log_level beats every [g:vars]
// log_level: group_vars files rank above inventory-source group vars.
func allFile(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("---\nntp_servers:\n")
	for i := range 1 + r.IntN(3) {
		fmt.Fprintf(&b, "  - \"ntp%d.example.com\"\n", i+1)
	}
	b.WriteString("dns:\n  nameservers: [\"10.0.0.2\", \"10.0.0.3\"]\n  search: \"example.com\"\n")
	b.WriteString("timezone: \"UTC\"\nlog_level: \"info\"\nmonitoring:\n  enabled: true\n  interval: 30\n")
	return b.String()
}

// hostFileText returns a host_vars file; its rack beats the inline rack.
func hostFileText(r *rand.Rand, i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nrack: \"r%02d\"\ndisks:\n", r.IntN(60))
	for d := range 1 + r.IntN(3) {
		fmt.Fprintf(&b, "  - dev: \"sd%c\"\n    size_gb: %d\n", 'b'+rune(d), 100<<r.IntN(5))
	}
	fmt.Fprintf(&b, "maintenance:\n  window: \"Sun 0%d:00-0%d:00\"\n  notify: [\"ops@example.com\"]\n  ticket: %d\n", i%5, i%5+2, 10000+r.IntN(90000))
	return b.String()
}
