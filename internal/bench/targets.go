package main

import (
	"fmt"
	"strings"
)

// The targets of issue 10 (edits, reads of one host or group, concurrent
// writers) and those of issue 4 that still hold.
const (
	editFloorTimes = 3.0      // a one-host edit ≤ 3× the setData floor
	editRSS        = 32 << 20 // bytes
	editLog        = 64000    // bytes written to ZooKeeper's log
	editGrowth     = 1.5      // the 100k figure ≤ 1.5× the 1k figure
	readFloorTimes = 3.0      // host show, explain, group show, status ≤ 3× the session floor
	hostFloorTimes = 1.5      // --host ≤ 1.5× the session floor
	setAllTarget   = 2.0      // seconds, at 100k
	concTotal      = 10.0     // seconds, at 100k
	concSlowest    = 5.0      // seconds, at 100k
)

// verdict says whether got ≤ want, and by how much it misses.
func verdict(got, want float64) string {
	switch {
	case got == 0 || want == 0:
		return "not measured"
	case got <= want:
		return "met"
	default:
		return fmt.Sprintf("**missed by %.1f×**", got/want)
	}
}

// largest returns the result of the largest size measured, and a remark
// when it is not the size a target is set at.
func (b *bench) largest(at int) (*sizeResult, string) {
	var r *sizeResult
	for _, x := range b.results {
		if r == nil || x.hosts > r.hosts {
			r = x
		}
	}
	if r != nil && r.hosts != at {
		return r, fmt.Sprintf(" (at %s hosts; the target is at %s)", thousands(r.hosts), thousands(at))
	}
	return r, ""
}

// perSize lists, for every size, f's figure and its ratio to want, and
// returns the worst ratio (0 if nothing was measured).
func (b *bench) perSize(f func(*sizeResult) (got, want float64), show func(got, want float64) string) (string, float64) {
	var parts []string
	worst := 0.0
	for _, r := range b.results {
		got, want := f(r)
		if got == 0 || want == 0 {
			parts = append(parts, thousands(r.hosts)+" n/a")
			continue
		}
		parts = append(parts, thousands(r.hosts)+" "+show(got, want))
		worst = max(worst, got/want)
	}
	return strings.Join(parts, ", "), worst
}

func worstVerdict(worst float64) string {
	if worst == 0 {
		return "not measured"
	}
	return verdict(worst, 1)
}

// renderTargets checks the issues' targets against the medians.
func (b *bench) renderTargets(w *strings.Builder) {
	if len(b.results) == 0 {
		return
	}
	w.WriteString("Targets (issue 10):\n\n")
	first, last := b.results[0], b.results[len(b.results)-1]
	for _, key := range []string{rowHostSet, rowHostAdd, rowHostRm, rowAddHost, rowMerge} {
		fmt.Fprintf(w, "- %s:\n", specOf(key).label)
		line, worst := b.perSize(func(r *sizeResult) (float64, float64) {
			return r.rows[key].median(), editFloorTimes * r.rows[rowGoSetData].median()
		}, func(got, want float64) string {
			return fmt.Sprintf("%s = %.1f×", seconds(got), editFloorTimes*got/want)
		})
		fmt.Fprintf(w, "  - time ≤ %.0f× the setData floor: %s: %s\n", editFloorTimes, line, worstVerdict(worst))
		line, worst = b.perSize(func(r *sizeResult) (float64, float64) { return r.rows[key].medianRSS(), editRSS },
			func(got, _ float64) string { return mib(got) })
		fmt.Fprintf(w, "  - peak RSS ≤ %s: %s: %s\n", mib(editRSS), line, worstVerdict(worst))
		line, worst = b.perSize(func(r *sizeResult) (float64, float64) { return r.rows[key].medianOf(logBytes), editLog },
			func(got, _ float64) string { return kb(got) })
		fmt.Fprintf(w, "  - ≤ %s written to ZooKeeper's log per edit (its session's create and close included): %s: %s\n", kb(editLog), line, worstVerdict(worst))
		if first != last {
			t0, t1 := first.rows[key].median(), last.rows[key].median()
			l0, l1 := first.rows[key].medianOf(logBytes), last.rows[key].medianOf(logBytes)
			fmt.Fprintf(w, "  - %s hosts within %.1f× of %s: time %s (%s), log %s (%s)\n", thousands(last.hosts), editGrowth, thousands(first.hosts),
				growth(t1, t0), verdict(t1, editGrowth*t0), growth(l1, l0), verdict(l1, editGrowth*l0))
		}
	}
	if r, at := b.largest(100000); r != nil {
		fmt.Fprintf(w, "- `kook group set all v=N`%s: %s, target %s: %s\n", at, seconds(r.rows[rowSetAll].median()), seconds(setAllTarget),
			verdict(r.rows[rowSetAll].median(), setAllTarget))
		c := r.conc
		total, slow := r.rows[rowConcTotal], r.rows[rowConcSlowest]
		fmt.Fprintf(w, "- %d processes × %d `kook host add`%s, %d rounds: %d errors, %d hosts missing after their round (target: none): %s; all done in %s (longest round %s), target %s: %s; slowest edit %s (median of the rounds' slowest %s), target %s: %s\n",
			concProcs, concEdits, at, c.rounds, c.errors, c.missing, map[bool]string{true: "met", false: "**missed**"}[c.rounds > 0 && c.errors == 0 && c.missing == 0],
			seconds(total.median()), seconds(total.maxOf(wallSeconds)), seconds(concTotal), verdict(total.median(), concTotal),
			seconds(slow.maxOf(wallSeconds)), seconds(slow.median()), seconds(concSlowest), verdict(slow.maxOf(wallSeconds), concSlowest))
		floor := r.rows[rowGoSession].median()
		for _, key := range []string{rowShow, rowExplain, rowGroupShow, rowStatus} {
			got := r.rows[key].median()
			fmt.Fprintf(w, "- %s%s: %s = %.1f× the session floor (%s), target ≤ %.0f×: %s\n", specOf(key).label, at, seconds(got),
				got/floor, seconds(floor), readFloorTimes, verdict(got, readFloorTimes*floor))
		}
	}

	w.WriteString("\nHistory's cost (issue 12): `kook host set` with full change records / with `history_records: minimal`: ")
	var parts []string
	for _, r := range b.results {
		full, minimal := r.rows[rowHostSet], r.rows[rowHostSetMin]
		parts = append(parts, fmt.Sprintf("%s hosts %s / %s, %s / %s RSS, %s / %s to the log", thousands(r.hosts),
			seconds(full.median()), seconds(minimal.median()), mib(full.medianRSS()), mib(minimal.medianRSS()),
			kb(full.medianOf(logBytes)), kb(minimal.medianOf(logBytes))))
	}
	w.WriteString(strings.Join(parts, "; ") + ".\n")

	w.WriteString("\nTargets kept (issues 4 and 10):\n\n")
	r10 := b.result(10000)
	if r10 != nil {
		fmt.Fprintf(w, "- `kook-inventory --list`, 10k: %s, target 25.0 ms: %s\n", seconds(r10.rows[rowListFast].median()), verdict(r10.rows[rowListFast].median(), 0.025))
		fmt.Fprintf(w, "- `kook-inventory --list`, 10k, peak RSS: %s, target 64.0 MiB: %s\n", mib(r10.rows[rowListFast].medianRSS()), verdict(r10.rows[rowListFast].medianRSS(), 64<<20))
	}
	line, worst := b.perSize(func(r *sizeResult) (float64, float64) {
		return r.rows[rowHost].median(), hostFloorTimes * r.rows[rowGoSession].median()
	}, func(got, want float64) string {
		return fmt.Sprintf("%s = %.1f×", seconds(got), hostFloorTimes*got/want)
	})
	fmt.Fprintf(w, "- `kook-inventory --host` ≤ %.1f× the session floor: %s: %s\n", hostFloorTimes, line, worstVerdict(worst))
	if r10 != nil {
		fmt.Fprintf(w, "- `kook-import`, 10k: %s, target 1.50 s: %s\n", seconds(r10.rows[rowImportFresh].median()), verdict(r10.rows[rowImportFresh].median(), 1.5))
	}
	if r100 := b.result(100000); r100 != nil {
		fmt.Fprintf(w, "- `kook-import`, 100k: %s, target 15.00 s: %s\n", seconds(r100.rows[rowImportFresh].median()), verdict(r100.rows[rowImportFresh].median(), 15))
		if r10 != nil {
			fmt.Fprintf(w, "- `kook-inventory --list`, 100k: %s, target ≤ 10× 10k (%s): %s\n", seconds(r100.rows[rowListFast].median()),
				seconds(10*r10.rows[rowListFast].median()), verdict(r100.rows[rowListFast].median(), 10*r10.rows[rowListFast].median()))
		}
	}
	if r10 != nil && r10.rows[rowAnsibleKook] != nil && len(r10.rows[rowAnsibleKook].samples) > 0 {
		fmt.Fprintf(w, "- `ansible-inventory -i kook-inventory`, 10k: %s, target ≤ `-i DIR` (%s): %s\n", seconds(r10.rows[rowAnsibleKook].median()),
			seconds(r10.rows[rowAnsibleINI].median()), verdict(r10.rows[rowAnsibleKook].median(), r10.rows[rowAnsibleINI].median()))
		fmt.Fprintf(w, "- `ansible-inventory` with `KOOK_LIMIT`, 10k: %s, target ≤ 1/10 of without (%s): %s\n", seconds(r10.rows[rowAnsibleLim].median()),
			seconds(r10.rows[rowAnsibleKook].median()/10), verdict(r10.rows[rowAnsibleLim].median(), r10.rows[rowAnsibleKook].median()/10))
	}
	w.WriteString("\n")
}

func growth(a, b float64) string {
	if a == 0 || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func specOf(key string) rowSpec {
	for _, s := range rowSpecs {
		if s.key == key {
			return s
		}
	}
	return rowSpec{key: key, label: key}
}

func (b *bench) renderNotes(w *strings.Builder) {
	fmt.Fprintf(w, `How: each process is started by a small launcher (a fresh copy of the benchmark binary; a direct child of
the benchmark would be charged the benchmark's own peak RSS) and timed from fork to exit, its stdout drained through
a pipe as Ansible reads a script; CPU and peak RSS come from wait4. Each size gets its own ZooKeeper; the main root
is imported (untimed) from the inventory, then measured in this order: edits, concurrent writers, reads, imports,
Ansible. Inventories: internal/gen, seed 1, depth 3, hosts/50 groups.

Edits: %d rounds after an untimed warm-up round, one run of each edit per round, in the table's order, so that each
round leaves the inventory as it found it but for the values set: N is the round, NEW a fresh name per round, host
rm removes the host host add added, group rm-host undoes group add-host. Log: the bytes of the records that ZooKeeper's
transaction log (dataDir/version-2, read with internal/zklog before and after each run) gained during the run; each
run is its own process and its own session, so its session's create and close records are counted in (the setData
floor's row is those two plus one small setData). Concurrent writers: %d processes started together, each running
%d kook host add one after another (each through the launcher: its start is in the total, not in an edit's time),
%d rounds; after each (untimed) the bench lists the new hosts and removes them in one change. Its log row is the
round's bytes divided by the %d edits.

Reads, cat and the floor programs (internal/bench/floor): one untimed warm-up run first, then rounds of one run each.
kook-import into an empty root: a new --root per run, deleted (untimed) after it. Again: before each run (untimed)
one directory is regenerated, alternating between two revisions of the inventory that differ in 1%% of the hosts
(gen.Options.Revision), and imported into one root, so every run writes a generation. ansible-inventory: no warm-up,
run in an empty directory with ANSIBLE_INVENTORY_UNPARSED_FAILED and ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED set,
by default only up to %s hosts (-ansible-max).
`, b.fastRuns(), concProcs, concEdits, b.cfg.runs, concProcs*concEdits, thousands(b.cfg.ansibleMax))
	for _, r := range b.results {
		p := r.picks
		fmt.Fprintf(w, "\nNotes and checks at %s hosts:\n", thousands(r.hosts))
		if p.host != "" {
			fmt.Fprintf(w, "- H = %s (the middle of `_meta.hostvars`), VAR = %s, G = %s (its first group: %d hosts), H2 = %s (in %s, not in %s: %d hosts)\n",
				p.host, p.explainVar, p.group, p.groupHosts, p.other, otherGroup, prodGroup, p.prodHosts)
		}
		if c := r.conc; c.rounds > 0 {
			fmt.Fprintf(w, "- concurrent writers, slowest edit of each round: %s\n", strings.Join(c.slowest, ", "))
			// A multi that fails its version check is logged too: the
			// transactions beyond those of as many edits made alone are
			// attempts that lost a race.
			single := r.rows[rowHostAdd].medianOf(logRecords)
			var parts []string
			for _, n := range c.records {
				parts = append(parts, fmt.Sprintf("%d (≈ %.0f lost races)", n, float64(n)-single*concProcs*concEdits))
			}
			fmt.Fprintf(w, "- concurrent writers, transactions in ZooKeeper's log per round: %s; %d edits made one at a time would write %.0f\n",
				strings.Join(parts, ", "), concProcs*concEdits, single*concProcs*concEdits)
		}
		for _, c := range r.checks {
			fmt.Fprintf(w, "- %s\n", c)
		}
	}
}
