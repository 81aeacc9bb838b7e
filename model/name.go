package model

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ValidateName reports whether name can be a host or group name. Ansible
// accepts nearly any string (spaces, '/', unicode); kook only refuses what it
// cannot store or print faithfully.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case strings.ContainsRune(name, 0):
		return errors.New("name contains a NUL byte")
	}
	return nil
}
