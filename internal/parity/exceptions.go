package parity

import (
	"path/filepath"
	"strings"
)

// GroupOrderExceptions names, by the end of a source's path, groups whose
// creation order no script output can rebuild, and why. A script creates
// every new group of a "children" list when it meets the list, while
// Ansible's INI parser creates a child named before its own section only at
// that section; when the parent's other creator ('all') would move other
// groups instead, some group must come early. Check accepts such groups out
// of place (they must still exist, with the same hosts and children).
var GroupOrderExceptions = map[string][]string{
	// [openvswitch:children] names manila-share long before its section;
	// the only other key that could create openvswitch, 'all', would create
	// horizon right after it instead of cinder.
	"kolla-ansible/multinode":  {"manila-share"},
	"kolla-ansible/all-in-one": {"manila-share"},
	// [p:children] names a and c before [b], [a] and [q] declare them;
	// 'all' creates p with b and q, so q comes before a (or a after q).
	"parity/testdata/order/children_first.ini": {"a", "q"},
	// [top:children] names mid and other before they are declared; top's
	// list creates other before leaf and leaf2, 'all' would create second.
	"inventory/testdata/ini/children.ini": {"other"},
}

// HostOrderExceptions names, by the end of a source's path, sources whose
// host creation order no script output can rebuild without changing some
// host's groups, and why. A host is created early only by listing it under
// 'ungrouped', and Ansible's reconciliation then drops 'ungrouped' from its
// groups; for a host below 'ungrouped' ([ungrouped:children]) that would
// lose the vars 'ungrouped' gives it, so kook keeps the vars and gives up
// the order. Check accepts the same hosts in another first-seen order
// there (each group's hosts still in order).
var HostOrderExceptions = map[string]string{
	"parity/testdata/order/ungrouped_children_late.ini": "h1 would have to be listed under 'ungrouped' before h2",
}

func hostOrderException(source string) string {
	for suffix, why := range HostOrderExceptions {
		if strings.HasSuffix(filepath.ToSlash(source), "/"+suffix) {
			return why
		}
	}
	return ""
}

func groupOrderExceptions(source string) []string {
	for suffix, groups := range GroupOrderExceptions {
		if strings.HasSuffix(filepath.ToSlash(source), "/"+suffix) {
			return groups
		}
	}
	return nil
}

// UnsupportedSources lists, by the end of their path, sources that Ansible
// reads but kook refuses on purpose, and why; kook must fail on them
// (inventory.Load, or script.Check: what every writer refuses to store).
var UnsupportedSources = map[string]string{
	"ansible-core-tests/ansible-inventory/files/valid_sample.toml": "TOML inventories are not read",
	"ansible-core-tests/inventory/1/2/inventory.yml":               "inventory plugin configuration (constructed), not a static inventory",
	"inventory/testdata/yaml/bad/recursive.yml":                    "a recursive alias has no JSON form",
	"inventory/testdata/yaml/bad/binary.yml":                       "a !!binary value has no JSON form",
	"inventory/testdata/yaml/bad/date_key.yml":                     "a date as a mapping key has no JSON form",
	// Host web gets a var before group web exists, so the var stays the
	// host's; a script can only give it to the group.
	"inventory/testdata/yaml/same_name.yml":             "host web is also a group and has vars of its own",
	"inventory/testdata/ini/host-vars-before-group.ini": "host web is also a group and has vars of its own",
}

// Unsupported returns why kook refuses the source at path on purpose (see
// UnsupportedSources; any source below a directory named "unsupported"
// counts too), or "" if kook must read it as Ansible does.
func Unsupported(path string) string {
	path = filepath.ToSlash(path)
	if strings.Contains(path, "/unsupported/") {
		return "in a directory of unsupported sources"
	}
	for suffix, why := range UnsupportedSources {
		if strings.HasSuffix(path, "/"+suffix) {
			return why
		}
	}
	return ""
}
