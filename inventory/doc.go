// Package inventory reads Ansible inventory sources as Ansible does: INI,
// YAML and JSON files, inventory scripts' output, inventory directories,
// host lists, group_vars/ and host_vars/ files, and host ranges
// (web[01:50]). [Load] takes what `ansible-inventory -i` takes. Errors name
// the file and line ([ParseError]).
//
// It builds a model.Inventory and stops there: effective vars are package
// precedence's, host patterns package pattern's, writing out packages script
// and export's. It never touches a store.
package inventory
