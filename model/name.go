package model

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNameBytes bounds host and group names. ZooKeeper sets no limit of its
// own on a path, but a name is a znode name (up to three bytes per byte once
// encoded) and is repeated in the views and in every change record that
// touches it, which must each fit in one request; a name of megabytes made
// the store fail deep inside the client ("zk: buffer too small"). DNS names
// are at most 253 bytes: 4 KiB leaves room for any real name.
const MaxNameBytes = 4096

// MaxRecordBytes is the most one host's or group's record may hold: a
// znode's limit (jute.maxbuffer, 1 MiB) less room for the rest of the
// request. The store refuses larger records; parsers refuse a single value
// that could never fit, with its file and line.
const MaxRecordBytes = 1000 * 1000

// MetaGroup is the name the script protocol reserves for host vars
// ({"_meta": {"hostvars": ...}}): a group of that name cannot be listed.
const MetaGroup = "_meta"

// ValidateName reports whether name can be a host or group name. Ansible
// accepts nearly any string (spaces, '/', unicode); kook only refuses what it
// cannot store or print faithfully.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > MaxNameBytes:
		return fmt.Errorf("name is %d bytes long, over kook's limit of %d", len(name), MaxNameBytes)
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case strings.ContainsRune(name, 0):
		return errors.New("name contains a NUL byte")
	}
	return nil
}

// ValidateGroupName is ValidateName for a group: it also refuses "_meta",
// which the script protocol kook-inventory speaks reserves for host vars
// (Ansible's script plugin never reads a "_meta" key as a group, so such a
// group would lose its hosts and vars).
func ValidateGroupName(name string) error {
	if name == MetaGroup {
		return errors.New(`"_meta" is reserved by Ansible's inventory script protocol (it holds the hosts' vars), so kook cannot serve a group of that name: rename it`)
	}
	return ValidateName(name)
}
