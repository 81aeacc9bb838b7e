package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kook-project/kook/internal/gen"
)

// rowSpec is one line of the table, followed by lines for CPU time and
// peak RSS if rss, and for the bytes written to ZooKeeper's log if log. A
// spec without a key is a section heading.
type rowSpec struct {
	key, label, target string
	rss, log           bool
}

var rowSpecs = []rowSpec{
	{label: "**Edits** (each its own process and its own change)"},
	{key: rowGoSetData, label: "a static Go program: ZooKeeper session, one small `setData`, close (floor for edits)", rss: true, log: true},
	{key: rowHostSet, label: "`kook host set H v=N`", target: "≤ 3× floor, ≤ 32 MiB, ≤ 64 kB, 100k ≤ 1.5× 1k", rss: true, log: true},
	{key: rowHostSetMin, label: "… the same with `history_records: minimal` (records say who and when, not what changed)", rss: true, log: true},
	{key: rowHostAdd, label: "`kook host add NEW -g G`", target: "same", rss: true, log: true},
	{key: rowHostRm, label: "`kook host rm NEW` (the host just added)", target: "same", rss: true, log: true},
	{key: rowAddHost, label: "`kook group add-host " + prodGroup + " H2` (" + prodGroup + ": 70% of the hosts)", target: "same", rss: true, log: true},
	{key: rowRmHost, label: "`kook group rm-host " + prodGroup + " H2` (undoes it)", rss: true, log: true},
	{key: rowMerge, label: "`kook-import --merge FILE`, FILE one host line (`H merged=N`)", target: "same", rss: true, log: true},
	{key: rowSetAll, label: "`kook group set all v=N`", target: "100k ≤ 2 s", rss: true, log: true},
	{key: rowConcTotal, label: fmt.Sprintf("%d processes × %d `kook host add NEW -g G`, started together: all done (log: per edit)", concProcs, concEdits), target: "100k ≤ 10 s", rss: true, log: true},
	{key: rowConcSlowest, label: fmt.Sprintf("… the slowest of the %d edits", concProcs*concEdits), target: "100k ≤ 5 s"},
	{label: "**Reads**"},
	{key: rowListFast, label: "`kook-inventory --list` (materialized view)", target: "10k ≤ 25 ms, 100k ≤ 10× 10k", rss: true},
	{key: rowListSlow, label: "`kook-inventory --list`, slow path (per-entity znodes)", rss: true},
	{key: rowListLimit, label: "`kook-inventory --list`, `KOOK_LIMIT=" + gen.CanaryGroup + "` (1% of hosts)", rss: true},
	{key: rowCat, label: "`cat` of the same JSON (floor)"},
	{key: "ratio", label: "`--list` ÷ `cat`"},
	{key: rowHost, label: "`kook-inventory --host H`", target: "≤ 1.5× session floor", rss: true},
	{key: rowShow, label: "`kook host show H`", target: "100k ≤ 3× session floor", rss: true},
	{key: rowExplain, label: "`kook explain H VAR`", target: "same", rss: true},
	{key: rowGroupShow, label: "`kook group show G`", target: "same", rss: true},
	{key: rowStatus, label: "`kook status`", target: "same", rss: true},
	{label: "**Floors**"},
	{key: rowTrue, label: "`/bin/true` (process start; its RSS is the launcher's floor)", rss: true},
	{key: rowGoHello, label: "a static Go program printing `{}` (floor for any Go command)", rss: true},
	{key: rowKookStart, label: "`kook completion bash` (kook's start with the whole CLI's parser, no session; other commands build only their own)", rss: true},
	{key: rowGoSession, label: "a static Go program: ZooKeeper session, read `head`, close (floor for reads)", rss: true},
	{label: "**Imports**"},
	{key: rowImportFresh, label: "`kook-import DIR` into an empty root", target: "10k < 1.5 s, 100k ≤ 15 s", rss: true},
	{key: rowImportAgain, label: "`kook-import DIR` again, 1% of hosts changed", rss: true},
	{label: "**Ansible**"},
	{key: rowAnsibleINI, label: "`ansible-inventory -i DIR --list`", rss: true},
	{key: rowAnsibleKook, label: "`ansible-inventory -i kook-inventory --list`", target: "≤ `-i DIR`", rss: true},
	{key: rowAnsibleLim, label: "same, `KOOK_LIMIT=" + gen.CanaryGroup + "` (1% of hosts)", target: "≥ 10× faster than without", rss: true},
}

// render returns the whole report: machine, table, targets, notes.
func (b *bench) render() string {
	var w strings.Builder
	m := b.machine
	fmt.Fprintf(&w, "kook %s, %s. Machine: %d × %s, %s RAM, %s; %s; ZooKeeper %s (standalone, loopback, one server per size, %s, %s, fsync on); %s.\n",
		m.commit, m.date, m.cpus, m.model, m.memory, m.kernel, m.goVersion, m.zookeeper, strings.Join(zkJVMFlags, " "), strings.Join(zkConfig, ", "), m.ansible)
	fmt.Fprintf(&w, "Load average before / after: %s / %s. Each cell: median of %d runs (min–max), of %d for the rows that take milliseconds (edits, `--list`, `cat`, `--host`, the kook reads and the floors: run in rounds, one of each per round); RSS in MiB; log in kB (1,000 bytes).\n",
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
		if spec.key == "" {
			w.WriteString(strings.Repeat(" |", len(b.results)+1) + "\n")
			continue
		}
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
			w.WriteString(" |\n")
		}
		if spec.log {
			w.WriteString("| … written to ZooKeeper's log |")
			for _, r := range b.results {
				fmt.Fprintf(&w, " %s |", cell(r.rows[spec.key], logBytes, kbUnit))
			}
			w.WriteString(" |\n")
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

func kbUnit(float64) (float64, string) { return 1.0 / 1000, "kB" }

func kb(b float64) string { return fmt.Sprintf("%.1f kB", b/1000) }

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
