// Package inventory reads and writes Ansible inventories: INI, YAML and JSON
// sources, inventory directories, group_vars/ and host_vars/ files, and the
// JSON that Ansible's script plugin reads. It computes a host's effective vars
// exactly as Ansible does. It works on model.Inventory and never touches a
// store.
package inventory
