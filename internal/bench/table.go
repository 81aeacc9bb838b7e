package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kook-project/kook/internal/gen"
)

// rowSpec is one line of the table, followed by lines for CPU time and
// peak RSS if rss.
type rowSpec struct {
	key, label, target string
	rss                bool
}

var rowSpecs = []rowSpec{
	{rowImportFresh, "`kook-import DIR` into an empty root", "10k < 1.5 s, 100k < 15 s", true},
	{rowImportAgain, "`kook-import DIR` again, 1% of hosts changed", "", true},
	{rowListFast, "`kook-inventory --list` (materialized view)", "10k ≤ 25 ms, 100k ≤ 10× 10k", true},
	{rowListSlow, "`kook-inventory --list`, slow path (per-entity znodes)", "", true},
	{rowListLimit, "`kook-inventory --list`, `KOOK_LIMIT=" + gen.CanaryGroup + "` (1% of hosts)", "", true},
	{rowCat, "`cat` of the same JSON (floor)", "", false},
	{"ratio", "`--list` ÷ `cat`", "", false},
	{rowHost, "`kook-inventory --host NAME`", "< 10 ms", true},
	{rowTrue, "`/bin/true` (process start; its RSS is the launcher's floor)", "", true},
	{rowGoHello, "a static Go program printing `{}` (floor for any Go command)", "", true},
	{rowGoSession, "a static Go program: ZooKeeper session, read `head`, close (floor for `--host`)", "", true},
	{rowAnsibleINI, "`ansible-inventory -i DIR --list`", "", true},
	{rowAnsibleKook, "`ansible-inventory -i kook-inventory --list`", "≤ `-i DIR`", true},
	{rowAnsibleLim, "same, `KOOK_LIMIT=" + gen.CanaryGroup + "` (1% of hosts)", "≥ 10× faster than without", true},
}

// render returns the whole report: machine, table, targets, notes.
func (b *bench) render() string {
	var w strings.Builder
	m := b.machine
	fmt.Fprintf(&w, "kook %s. Machine: %d × %s, %s RAM, %s; %s; ZooKeeper %s (standalone, loopback, %s); %s.\n",
		m.commit, m.cpus, m.model, m.memory, m.kernel, m.goVersion, m.zookeeper, strings.Join(zkJVMFlags, " "), m.ansible)
	fmt.Fprintf(&w, "Load average before / after: %s / %s. Each cell: median of %d runs (min–max), of %d for the rows that take milliseconds (`--list`, `cat`, `--host` and the floors: run in rounds, one of each per round); RSS in MiB.\n",
		m.loadBefore, m.loadAfter, b.cfg.runs, b.fastRuns())
	if busy(m.loadBefore, m.cpus) || busy(m.loadAfter, m.cpus) {
		w.WriteString("**The machine was busy with other work (load average above its CPU count): wall times are inflated; CPU times are the better guide.**\n")
	}
	w.WriteString("\n")

	w.WriteString("| |")
	for _, r := range b.results {
		fmt.Fprintf(&w, " %s hosts, %s groups |", thousands(r.hosts), thousands(r.groups))
	}
	w.WriteString(" target |\n|---|")
	for range b.results {
		w.WriteString("---|")
	}
	w.WriteString("---|\n| inventory: INI, vars files, `--list` JSON |")
	for _, r := range b.results {
		list := "n/a"
		if r.listBytes > 0 {
			list = mib(float64(r.listBytes))
		}
		fmt.Fprintf(&w, " %s; %d group_vars, %d host_vars; %s |", mib(float64(r.iniBytes)), r.groupFiles, r.hostFiles, list)
	}
	w.WriteString(" |\n")
	for _, spec := range rowSpecs {
		fmt.Fprintf(&w, "| %s |", spec.label)
		for _, r := range b.results {
			if spec.key == "ratio" {
				fmt.Fprintf(&w, " %s |", ratio(r.rows[rowListFast], r.rows[rowCat]))
				continue
			}
			fmt.Fprintf(&w, " %s |", cell(r.rows[spec.key], wallSeconds, timeUnit))
		}
		fmt.Fprintf(&w, " %s |\n", spec.target)
		if spec.rss {
			w.WriteString("| … CPU (user + sys) |")
			for _, r := range b.results {
				fmt.Fprintf(&w, " %s |", cell(r.rows[spec.key], cpuSeconds, timeUnit))
			}
			w.WriteString(" |\n| … peak RSS |")
			for _, r := range b.results {
				fmt.Fprintf(&w, " %s |", cell(r.rows[spec.key], rssBytes, memUnit))
			}
			if spec.key == rowListFast {
				w.WriteString(" 10k ≤ 64 MiB |\n")
			} else {
				w.WriteString(" |\n")
			}
		}
	}
	w.WriteString("\n")
	b.renderTargets(&w)
	b.renderNotes(&w)
	return w.String()
}

// cell formats a series as "median (min–max)" in the median's unit, or
// its note.
func cell(s *series, f func(sample) float64, unit func(float64) (float64, string)) string {
	if s == nil {
		return "n/a"
	}
	if len(s.samples) == 0 {
		return escape(s.note)
	}
	med, lo, hi := s.stats(f)
	scale, suffix := unit(med)
	c := fmt.Sprintf("%.1f %s (%.1f–%.1f)", med*scale, suffix, lo*scale, hi*scale)
	if suffix == "s" {
		c = fmt.Sprintf("%.2f s (%.2f–%.2f)", med, lo, hi)
	}
	if s.note != "" {
		c += " " + escape(s.note)
	}
	return c
}

func timeUnit(s float64) (float64, string) {
	if s < 1 {
		return 1000, "ms"
	}
	return 1, "s"
}

func memUnit(float64) (float64, string) { return 1.0 / (1 << 20), "MiB" }

func ratio(a, b *series) string {
	if a.median() == 0 || b.median() == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f×", a.median()/b.median())
}

// seconds formats a duration in the unit a reader expects for its size.
func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.1f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// busy reports whether a 1-minute load average exceeds the CPU count.
func busy(load string, cpus int) bool {
	f := strings.Fields(load)
	if len(f) == 0 {
		return false
	}
	l, err := strconv.ParseFloat(f[0], 64)
	return err == nil && l > float64(cpus)
}

// escape keeps a note from breaking the markdown table.
func escape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func (b *bench) result(n int) *sizeResult {
	for _, r := range b.results {
		if r.hosts == n {
			return r
		}
	}
	return nil
}

// renderTargets checks the targets against the medians.
func (b *bench) renderTargets(w *strings.Builder) {
	type verdict struct {
		what      string
		got, want float64 // seconds or bytes; a target is met when got <= want
		format    func(float64) string
	}
	var vs []verdict
	r10, r100 := b.result(10000), b.result(100000)
	if r10 != nil {
		vs = append(vs,
			verdict{"`kook-inventory --list`, 10k, median", r10.rows[rowListFast].median(), 0.025, seconds},
			verdict{"`kook-inventory --list`, 10k, peak RSS", r10.rows[rowListFast].medianRSS(), 64 << 20, mib},
			verdict{"`kook-inventory --host`, 10k", r10.rows[rowHost].median(), 0.010, seconds},
			verdict{"`kook-import`, 10k", r10.rows[rowImportFresh].median(), 1.5, seconds},
			verdict{"`ansible-inventory -i kook-inventory`, 10k (target: ≤ `-i DIR`)", r10.rows[rowAnsibleKook].median(), r10.rows[rowAnsibleINI].median(), seconds},
			verdict{"`ansible-inventory` with `KOOK_LIMIT`, 10k (target: ≤ 1/10 of without)", r10.rows[rowAnsibleLim].median(), r10.rows[rowAnsibleKook].median() / 10, seconds},
		)
	}
	if r100 != nil {
		vs = append(vs,
			verdict{"`kook-import`, 100k", r100.rows[rowImportFresh].median(), 15, seconds},
			verdict{"`kook-inventory --host`, 100k", r100.rows[rowHost].median(), 0.010, seconds})
		if r10 != nil {
			vs = append(vs, verdict{"`kook-inventory --list`, 100k (target: ≤ 10× 10k)", r100.rows[rowListFast].median(), 10 * r10.rows[rowListFast].median(), seconds})
		}
	}
	if len(vs) == 0 {
		return
	}
	w.WriteString("Targets (issue 4):\n\n")
	for _, v := range vs {
		switch {
		case v.got == 0 || v.want == 0:
			fmt.Fprintf(w, "- %s: not measured\n", v.what)
		case v.got <= v.want:
			fmt.Fprintf(w, "- %s: %s, target %s: met\n", v.what, v.format(v.got), v.format(v.want))
		default:
			fmt.Fprintf(w, "- %s: %s, target %s: **missed by %.1f×**\n", v.what, v.format(v.got), v.format(v.want), v.got/v.want)
		}
	}
	w.WriteString("\n")
}

func (b *bench) renderNotes(w *strings.Builder) {
	fmt.Fprintf(w, `How: each process is started by a small launcher (a fresh copy of the benchmark binary; a direct child of
the benchmark would be charged the benchmark's own peak RSS) and timed from fork to exit, its stdout drained through
a pipe as Ansible reads a script; CPU and peak RSS come from wait4. Inventories: internal/gen, seed 1, depth 3,
hosts/50 groups. kook-import into an empty root: a new --root per run, deleted (untimed) after it. Again: before
each run (untimed) one directory is regenerated, alternating between two revisions of the inventory that differ in
1%% of the hosts (gen.Options.Revision), and imported into one root, so every run writes a generation. --list, cat, --host and the floor programs (internal/bench/floor): one untimed warm-up run first, then rounds of one run each.
ansible-inventory: no warm-up, run in an empty directory with ANSIBLE_INVENTORY_UNPARSED_FAILED and
ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED set, by default only up to %s hosts (-ansible-max).
`, thousands(b.cfg.ansibleMax))
	for _, r := range b.results {
		if len(r.checks) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nNotes and checks at %s hosts:\n", thousands(r.hosts))
		for _, c := range r.checks {
			fmt.Fprintf(w, "- %s\n", c)
		}
	}
}
