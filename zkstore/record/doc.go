// Package record holds the bytes of the znodes the inventory store writes
// as its source of truth: a host's record, a group's record (node.go), and
// the change record each change leaves in history (change.go). It is pure
// encoding: it knows model's types and kook's JSON codec, not ZooKeeper,
// and not Ansible's formats.
package record
