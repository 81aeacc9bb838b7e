package script

import (
	"slices"

	"github.com/kook-project/kook/model"
)

// This file orders the JSON that List writes; see the Order paragraph at
// the top of emit.go.

// plan returns the order of the groups in the JSON (indexes into
// inv.Groups) and, when hosts must be created ahead of their groups, the host
// list to emit for 'ungrouped' (nil otherwise).
//
// Groups: the script plugin creates a group when it meets its key or first
// sees it in a "children" list, which creates the list's new groups at once.
// Walking groups in creation order, each group not yet created is created by
// the key (its own or a parent's) whose new groups best match the groups due
// next; every other key goes out as soon as its group exists and its new
// children are due, or at the end.
//
// Hosts: Ansible creates hosts in the order it first meets them in "hosts"
// lists. Where that order differs from first-seen order, the shortest prefix
// of first-seen order that fixes it goes first under 'ungrouped'
// (reconciliation removes grouped hosts from it again) — unless emitting
// 'ungrouped' last gives the right order by itself. A host below 'ungrouped'
// ([ungrouped:children]) is never listed there, since Ansible would then
// drop 'ungrouped' from its groups, and a host the source made leave it
// (model.Host.LeftUngrouped) always is.
func (e *emitter) plan() (keys []int, ungroupedHosts []string) {
	keys, first := groupKeys(e.inv, true)
	if e.ungrouped < 0 {
		return keys, nil
	}
	if first {
		return e.placeUngrouped(keys[1:], true)
	}
	return e.placeUngrouped(keys, false)
}

// groupKeys returns the order of inv's group keys that makes the script
// plugin create the groups in inv's order (see plan), 'ungrouped' left out
// unless it has children and ungroupedFirst says so: then it comes first,
// and first is true.
func groupKeys(inv *model.Inventory, ungroupedFirst bool) (keys []int, first bool) {
	groups := inv.Groups
	n := len(groups)
	index := make(map[string]int, n)
	ug := -1
	for i, g := range groups {
		index[g.Name] = i
		if g.Name == "ungrouped" {
			ug = i
		}
	}
	children := make([][]int, n)
	parents := make([][]int, n)
	for i, g := range groups {
		for _, c := range g.Children {
			if ci, ok := index[c]; ok {
				children[i] = append(children[i], ci)
				parents[ci] = append(parents[ci], i)
			}
		}
	}
	created := make([]bool, n)
	emitted := make([]bool, n)
	for i, g := range groups {
		created[i] = g.Name == "all" || g.Name == "ungrouped"
	}
	process := func(k int) {
		emitted[k] = true
		keys = append(keys, k)
		created[k] = true
		for _, c := range children[k] {
			created[c] = true
		}
	}
	var r []int
	run := func(k int) []int { // groups that emitting k would create, in order
		r = r[:0]
		if !created[k] {
			r = append(r, k)
		}
		for _, c := range children[k] {
			if !created[c] && c != k {
				r = append(r, c)
			}
		}
		return r
	}
	// matched returns how many of run begin the groups still due from p.
	matched := func(run []int, p int) int {
		j := p
		for i, x := range run {
			for j < n && created[j] {
				j++
			}
			if j != x {
				return i
			}
			j++
		}
		return len(run)
	}
	ungroupedFirst = ungroupedFirst && ug >= 0 && len(children[ug]) > 0
	if ungroupedFirst {
		process(ug)
	}
	for p := 0; p < n; p++ {
		if p == ug {
			continue
		}
		if !created[p] {
			best, bestLen, bestFull := p, -1, false
			for _, c := range append([]int{p}, parents[p]...) {
				if c == ug || (c != p && (!created[c] || emitted[c])) {
					continue
				}
				run := run(c)
				if len(run) == 0 || run[0] != p {
					continue
				}
				ml := matched(run, p)
				if full := ml == len(run); (full && !bestFull) || (full == bestFull && ml > bestLen) {
					best, bestLen, bestFull = c, ml, full
				}
			}
			process(best)
		}
		if !emitted[p] {
			if run := run(p); len(run) == 0 || matched(run, p) == len(run) {
				process(p)
			}
		}
	}
	for p := 0; p < n; p++ {
		if !emitted[p] && p != ug {
			process(p)
		}
	}
	return keys, ungroupedFirst
}

// emissionOrder returns the order of all inv's group keys: groupKeys, with
// 'ungrouped' first, or last when last says so. Inventory order decides
// it; hosts are not looked at.
func emissionOrder(inv *model.Inventory, last bool) []int {
	keys, first := groupKeys(inv, !last)
	ug := -1
	for i, g := range inv.Groups {
		if g.Name == "ungrouped" {
			ug = i
		}
	}
	switch {
	case ug < 0 || first:
		return keys
	case last:
		return append(keys, ug)
	}
	return append([]int{ug}, keys...)
}

// placeUngrouped adds 'ungrouped' to keys, first (always, if first) or
// last, and chooses its host list (see plan).
func (e *emitter) placeUngrouped(keys []int, first bool) ([]int, []string) {
	hosts := e.inv.Hosts
	pos := make(map[string]int, len(hosts)) // first-seen position
	for i, h := range hosts {
		pos[h.Name] = i
	}
	seen, _ := e.creation(keys, pos)
	ug := e.inv.Groups[e.ungrouped]
	// Hosts from m on are created in first-seen order by the other keys.
	m := len(hosts)
	for m > 0 && seen[m-1] >= 0 && (m == len(hosts) || seen[m-1] < seen[m]) {
		m--
	}
	inU := make(map[string]bool, len(ug.Hosts))
	for _, h := range ug.Hosts {
		inU[h] = true
		if i, ok := pos[h]; ok {
			m = max(m, i+1)
		}
	}
	var left []string // hosts that must be listed although they leave it
	for i, h := range hosts {
		if h.LeftUngrouped {
			m = max(m, i+1)
			left = append(left, h.Name)
		}
	}
	if m == len(ug.Hosts) {
		return append([]int{e.ungrouped}, keys...), nil // no padding needed
	}
	if !first && e.lastWorks(keys, pos) {
		return append(keys, e.ungrouped), nil
	}
	// 'ungrouped' first, listing hosts[:m]; its own hosts keep their
	// order. A host below 'ungrouped' that did not leave it is left out.
	var below map[string]bool
	if len(ug.Children) > 0 {
		below = e.hostsBelow(e.inv.Below("ungrouped"))
	}
	list := make([]string, 0, m)
	next, exact := 0, true
	for _, h := range hosts[:m] {
		switch {
		case inU[h.Name]:
			list = append(list, ug.Hosts[next])
			next++
		case below[h.Name] && !h.LeftUngrouped:
			exact = false
		default:
			list = append(list, h.Name)
		}
	}
	if !exact && first {
		// 'ungrouped' last may create the hosts in order by itself; it
		// then lists its own hosts, and those that must leave it.
		if last, _ := groupKeys(e.inv, false); e.lastWorks(last, pos) {
			var list []string
			if len(left) > 0 {
				list = append(slices.Clone(ug.Hosts), left...)
			}
			return append(last, e.ungrouped), list
		}
	}
	// Else the order of hosts is given up before their vars.
	return append([]int{e.ungrouped}, keys...), list
}

// creation returns, for the host at each first-seen position, where the
// keys' host lists first meet it (-1 if they do not), and how many they
// meet.
func (e *emitter) creation(keys []int, pos map[string]int) (seen []int, met int) {
	seen = make([]int, len(e.inv.Hosts))
	for i := range seen {
		seen[i] = -1
	}
	for _, k := range keys {
		for _, h := range e.inv.Groups[k].Hosts {
			if i, ok := pos[h]; ok && seen[i] < 0 {
				seen[i] = met
				met++
			}
		}
	}
	return seen, met
}

// lastWorks reports whether emitting 'ungrouped' after keys creates the
// hosts in first-seen order.
func (e *emitter) lastWorks(keys []int, pos map[string]int) bool {
	seen, met := e.creation(keys, pos)
	order := make([]int, len(seen)) // creation rank -> host
	for i := range order {
		order[i] = -1
	}
	for i, s := range seen {
		if s >= 0 {
			order[s] = i
		}
	}
	for _, h := range e.inv.Groups[e.ungrouped].Hosts {
		if i, ok := pos[h]; ok && seen[i] < 0 {
			order[met] = i
			met++
		}
	}
	for i, h := range order {
		if h != i {
			return false
		}
	}
	return true
}

// hostsBelow returns the hosts listed by the given groups.
func (e *emitter) hostsBelow(groups map[string]bool) map[string]bool {
	out := map[string]bool{}
	for name := range groups {
		if i, ok := e.index[name]; ok {
			for _, h := range e.inv.Groups[i].Hosts {
				out[h] = true
			}
		}
	}
	return out
}
