package model

import "slices"

// Squash combines changes made one after the other into one: for each node
// touched, its value before the first and after the last. Nodes the
// changes leave as they found them are dropped. Changes are given oldest
// first; hosts and groups come out sorted by name.
func Squash(changes []*Commit) ([]HostChange, []GroupChange) {
	hosts := map[string]*HostChange{}
	groups := map[string]*GroupChange{}
	for _, c := range changes {
		for _, hc := range c.Hosts {
			name := hc.Name()
			if cur, ok := hosts[name]; ok {
				cur.After = hc.After
			} else {
				hosts[name] = &HostChange{Before: hc.Before, After: hc.After}
			}
		}
		for _, gc := range c.Groups {
			name := gc.Name()
			if cur, ok := groups[name]; ok {
				cur.After = gc.After
			} else {
				groups[name] = &GroupChange{Before: gc.Before, After: gc.After}
			}
		}
	}
	var hs []HostChange
	for _, name := range sortedKeys(hosts) {
		if hc := hosts[name]; !EqualHostNodes(hc.Before, hc.After) {
			hs = append(hs, *hc)
		}
	}
	var gs []GroupChange
	for _, name := range sortedKeys(groups) {
		if gc := groups[name]; !EqualGroupNodes(gc.Before, gc.After) {
			gs = append(gs, *gc)
		}
	}
	return hs, gs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
