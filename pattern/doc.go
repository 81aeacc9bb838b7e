// Package pattern matches Ansible host patterns (web:&prod:!canary, db*,
// ~regex, web[0:9]) against an inventory as Ansible's InventoryManager
// does: [Select] returns the hosts a pattern selects, in Ansible's order, and
// [Limit] the inventory cut down to them, as `--limit` and KOOK_LIMIT do.
//
// It does not expand the host ranges of inventory sources (package
// inventory) and neither loads nor prints inventories.
package pattern
