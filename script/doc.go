// Package script writes what an Ansible inventory script prints: [List] for
// --list, [Host] for --host, and [Render] for both at once, so that Ansible's
// script plugin rebuilds from it the inventory kook holds (vars at their
// precedence, group and host order). emit.go says how.
//
// It reads no source and links no YAML: kook-inventory, which Ansible starts
// on every run, links it and must stay small and quick to start.
package script
