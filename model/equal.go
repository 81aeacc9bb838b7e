package model

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
			!equalStringMaps(ha.VarSources, hb.VarSources) || !equalStringMaps(ha.FileVarSources, hb.FileVarSources) {
			return false
		}
	}
	for i, ga := range a.Groups {
		gb := b.Groups[i]
		if ga.Name != gb.Name || ga.Priority != gb.Priority || ga.Source != gb.Source ||
			!equalStrings(ga.Hosts, gb.Hosts) || !equalStrings(ga.Children, gb.Children) ||
			!EqualOrdered(ga.Vars, gb.Vars) || !EqualOrdered(ga.FileVars, gb.FileVars) || !equalInts(ga.FileVarRanks, gb.FileVarRanks) ||
			!equalStringMaps(ga.VarSources, gb.VarSources) || !equalStringMaps(ga.FileVarSources, gb.FileVarSources) {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStringMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
