package script

import (
	"fmt"

	"github.com/kook-project/kook/model"
)

// ReadInventory returns the inventory Ansible builds from the --list the
// tables hold, as its script plugin builds it: groups and hosts created in
// the order met, each group's vars the emitted ones, each host's vars its
// _meta.hostvars entry, then reconciled (a host listed in 'ungrouped' only
// to be created early leaves it). Its effective vars are Ansible's. It
// costs the whole tables, on purpose: pattern matching and KOOK_LIMIT need
// every host.
func ReadInventory(tables func(string) model.TableReader) (*model.Inventory, error) {
	inv := model.New()
	members := tables(TableMembers)
	var ferr error
	err := tables(TableGroups).Scan(nil, nil, func(k, v []byte) bool {
		e, err := decodeGroupEntry(v)
		if err != nil {
			ferr = err
			return false
		}
		g := inv.AddGroup(e.Name)
		if err := members.Scan(k, nextKey(k), func(_, hv []byte) bool {
			name, err := decodeName(hv)
			if err != nil {
				ferr = err
				return false
			}
			inv.AddHost(name)
			if err := inv.AddHostToGroup(g.Name, name); err != nil {
				ferr = err
				return false
			}
			return true
		}); err != nil {
			ferr = err
			return false
		}
		if ferr != nil {
			return false
		}
		if e.Vars != nil {
			vars, err := model.UnmarshalJSON(e.Vars)
			m, ok := vars.(model.Map)
			if err != nil || !ok {
				ferr = fmt.Errorf("groups entry %q: vars: not a JSON object (%v)", e.Name, err)
				return false
			}
			for _, kv := range m {
				if kv.Key == model.PriorityVar {
					if n, ok := kv.Value.(int64); ok {
						g.Priority = int(n)
						continue
					}
				}
				g.Vars = append(g.Vars, kv)
			}
		}
		for _, c := range e.Children {
			inv.AddGroup(c)
			if err := inv.AddChild(g.Name, c); err != nil {
				ferr = err
				return false
			}
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	err = tables(TableHostvars).Scan(nil, nil, func(k, v []byte) bool {
		if len(k) < 4 {
			ferr = errBadEntry(TableHostvars, k)
			return false
		}
		h := inv.Host(string(k[4:]))
		if h == nil {
			return true // listed in no group: Ansible drops it too
		}
		vars, err := model.UnmarshalJSON(v)
		m, ok := vars.(model.Map)
		if err != nil || !ok {
			ferr = fmt.Errorf("hostvars entry %q: not a JSON object (%v)", k[4:], err)
			return false
		}
		h.Vars = m
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	inv.Reconcile()
	return inv, nil
}
