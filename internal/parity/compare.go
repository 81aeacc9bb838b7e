package parity

import (
	"fmt"
	"slices"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// SameParse compares an inventory read by kook with Ansible's parse of the
// same source (Oracle's Dump): Structure, then every group's and host's vars
// level by level (key order included) and every group's priority. It returns
// "" when they agree, else the first difference.
func SameParse(want, got *model.Inventory) string {
	if d := Structure(want, got, nil); d != "" {
		return d
	}
	for _, w := range want.Groups {
		g := got.Group(w.Name)
		if d := sameVars("group "+w.Name+" vars", w.Vars, g.Vars); d != "" {
			return d
		}
		if d := sameVars("group "+w.Name+" group_vars", w.FileVars, g.FileVars); d != "" {
			return d
		}
	}
	for _, w := range want.Hosts {
		h := got.Host(w.Name)
		if w.LeftUngrouped != h.LeftUngrouped {
			return fmt.Sprintf("host %s: LeftUngrouped %v, want %v", w.Name, h.LeftUngrouped, w.LeftUngrouped)
		}
		if d := sameVars("host "+w.Name+" vars", w.Vars, h.Vars); d != "" {
			return d
		}
		if d := sameVars("host "+w.Name+" host_vars", w.FileVars, h.FileVars); d != "" {
			return d
		}
	}
	return ""
}

func sameVars(what string, want, got model.Map) string {
	if want == nil {
		want = model.Map{}
	}
	if got == nil {
		got = model.Map{}
	}
	if d := ansibletest.Diff(want, got); d != "" {
		return what + ": " + d
	}
	if !slices.Equal(want.Keys(), got.Keys()) {
		return fmt.Sprintf("%s: key order: got %q, want %q", what, got.Keys(), want.Keys())
	}
	return ""
}

// Structure compares group creation order, host first-seen order and every
// group's hosts, children and priority between two inventories; it returns
// "" when they agree, else the first difference. Groups out of place in the
// creation order (those outside a longest common subsequence of the two
// orders) are accepted if listed in misplacedOK.
func Structure(want, got *model.Inventory, misplacedOK []string) string {
	if len(want.Groups) != len(got.Groups) {
		return fmt.Sprintf("got %d groups, want %d", len(got.Groups), len(want.Groups))
	}
	names := func(inv *model.Inventory) (groups, hosts []string) {
		for _, g := range inv.Groups {
			groups = append(groups, g.Name)
		}
		for _, h := range inv.Hosts {
			hosts = append(hosts, h.Name)
		}
		return groups, hosts
	}
	wg, wh := names(want)
	gg, gh := names(got)
	if !slices.Equal(wg, gg) {
		for _, g := range misplaced(wg, gg) {
			if !slices.Contains(misplacedOK, g) {
				return fmt.Sprintf("group creation order: got %q, want %q (out of place: %q)", gg, wg, misplaced(wg, gg))
			}
		}
	}
	if !slices.Equal(wh, gh) {
		return fmt.Sprintf("host first-seen order: got %q, want %q", gh, wh)
	}
	for _, w := range want.Groups {
		g := got.Group(w.Name)
		if g == nil {
			return fmt.Sprintf("group %s missing", w.Name)
		}
		if !slices.Equal(w.Hosts, g.Hosts) {
			return fmt.Sprintf("group %s hosts: got %q, want %q", w.Name, g.Hosts, w.Hosts)
		}
		if !slices.Equal(w.Children, g.Children) {
			return fmt.Sprintf("group %s children: got %q, want %q", w.Name, g.Children, w.Children)
		}
		if w.Priority != g.Priority {
			return fmt.Sprintf("group %s priority: got %d, want %d", w.Name, g.Priority, w.Priority)
		}
	}
	return ""
}

// misplaced returns the names of got that are not in a longest common
// subsequence of want and got, in got's order.
func misplaced(want, got []string) []string {
	n, m := len(want), len(got)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	for i, j := 0, 0; j < m; {
		switch {
		case i < n && want[i] == got[j]:
			i++
			j++
		case i < n && lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			out = append(out, got[j])
			j++
		}
	}
	return out
}

// AllHosts returns the order in which `ansible all --list-hosts` lists
// hosts: the host named "all" if there is one, else Group.get_hosts() of 'all', which walks 'all' and its descendants
// breadth first (Group._walk_relationship with preserve_ordering) and takes
// each group's hosts in order. Below the children of 'all', each level of
// that walk iterates a Python set of Group objects, hashed by address, so
// when two groups of one level both bring groups with new hosts, the order
// changes from run to run; AllHosts reports that as ambiguous.
func AllHosts(inv *model.Inventory) (hosts []string, ambiguous bool) {
	if inv.Host("all") != nil {
		// A pattern naming a host selects that host alone
		// (InventoryManager._evaluate_patterns).
		return []string{"all"}, false
	}
	all := inv.Group("all")
	if all == nil {
		return nil, false
	}
	seenHost := map[string]bool{}
	isNew := func(group string) bool {
		for _, h := range inv.Group(group).Hosts {
			if !seenHost[h] {
				return true
			}
		}
		return false
	}
	take := func(group string) {
		for _, h := range inv.Group(group).Hosts {
			if !seenHost[h] {
				seenHost[h] = true
				hosts = append(hosts, h)
			}
		}
	}
	take("all")
	for _, c := range all.Children {
		take(c)
	}
	unprocessed := slices.Clone(all.Children)
	seen := map[string]bool{}
	for len(unprocessed) > 0 {
		for _, g := range unprocessed {
			seen[g] = true
		}
		// chunks[i]: the groups unprocessed[i] appends to the walk.
		chunks := make([][]string, len(unprocessed))
		var next []string
		bringers := 0
		for i, name := range unprocessed {
			brings := false
			for _, c := range inv.Group(name).Children {
				if !seen[c] {
					chunks[i] = append(chunks[i], c)
					brings = brings || isNew(c)
					if !slices.Contains(next, c) {
						next = append(next, c)
					}
				}
			}
			if brings {
				bringers++
			}
		}
		if bringers > 1 {
			ambiguous = true
		}
		for _, chunk := range chunks {
			for _, g := range chunk {
				take(g)
			}
		}
		unprocessed = next
	}
	return hosts, ambiguous
}
