// Package model holds kook's domain types: an Ansible inventory (hosts,
// groups, membership, vars by precedence level, group priority), the typed
// values vars hold, and the Store interface that keeps an inventory.
//
// It knows nothing of Ansible's file formats (package inventory) nor of
// ZooKeeper (package zkstore).
package model
