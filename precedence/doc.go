// Package precedence computes a host's effective vars from an inventory as
// Ansible's VariableManager does: the five inventory levels (group vars of
// the source, group_vars/all, group_vars/<group>, host vars of the source,
// host_vars/<host>), groups ordered by depth, ansible_group_priority and
// name, and the internal vars ansible-inventory leaves out of its output.
//
// It works on a [model.Inventory] and neither reads sources (package
// inventory) nor writes Ansible's outputs (packages script and export).
package precedence
