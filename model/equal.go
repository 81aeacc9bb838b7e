package model

import (
	"maps"
	"slices"
)

// EqualInventories reports whether a and b hold the same hosts and groups in
// the same order, with the same membership, priorities, provenance and vars
// (values compared with EqualOrdered).
func EqualInventories(a, b *Inventory) bool {
	if len(a.Hosts) != len(b.Hosts) || len(a.Groups) != len(b.Groups) {
		return false
	}
	for i, ha := range a.Hosts {
		hb := b.Hosts[i]
		if ha.Name != hb.Name || ha.Source != hb.Source || ha.LeftUngrouped != hb.LeftUngrouped ||
			!EqualOrdered(ha.Vars, hb.Vars) || !EqualOrdered(ha.FileVars, hb.FileVars) ||
			!maps.Equal(ha.VarSources, hb.VarSources) || !maps.Equal(ha.FileVarSources, hb.FileVarSources) {
			return false
		}
	}
	for i, ga := range a.Groups {
		gb := b.Groups[i]
		if ga.Name != gb.Name || ga.Priority != gb.Priority || ga.Source != gb.Source ||
			!slices.Equal(ga.Hosts, gb.Hosts) || !slices.Equal(ga.Children, gb.Children) ||
			!EqualOrdered(ga.Vars, gb.Vars) || !EqualOrdered(ga.FileVars, gb.FileVars) || !maps.Equal(ga.FileVarRanks, gb.FileVarRanks) ||
			!maps.Equal(ga.VarSources, gb.VarSources) || !maps.Equal(ga.FileVarSources, gb.FileVarSources) {
			return false
		}
	}
	return true
}
