// Package export writes inventories out: as Ansible INI or YAML sources
// with their group_vars/ and host_vars/ files ([Inventory]), as kook's
// full-fidelity JSON backup ([WriteBackup], read back by [ReadBackup]), as
// the text of `ansible-inventory --graph` ([Graph]), and single values as
// YAML Ansible reads back ([MarshalYAML]).
//
// It does not read sources (package inventory) nor write the script
// protocol's JSON (package script).
package export
