package inventory

import "github.com/kook-project/kook/model"

// memberSets index the hosts of the groups a parser adds hosts to:
// model's AddHostToGroup searches the group's host list, which is
// quadratic for a group of 100,000 hosts. A group's set is built from its
// hosts on first use, so a group an earlier source filled is right too.
type memberSets map[string]map[string]bool

// add is Group.add_host: host joins group (made if needed) unless it is
// there already.
func (ms memberSets) add(inv *model.Inventory, group, host string) {
	g := inv.AddGroup(group)
	set := ms[group]
	if set == nil {
		set = make(map[string]bool, len(g.Hosts)+1)
		for _, h := range g.Hosts {
			set[h] = true
		}
		ms[group] = set
	}
	if !set[host] {
		set[host] = true
		g.Hosts = append(g.Hosts, host)
	}
}
