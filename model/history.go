package model

import "time"

// Commit is one stored change as history keeps it: who made it, when, why,
// with which tool, and every node it changed, before and after. It is
// written in the same transaction as the change itself.
type Commit struct {
	Generation int64
	Time       time.Time
	// User is who the change was made for when a program acted for someone
	// (kook serve's logged-in user); OSUser and Machine are the operating
	// system user and host name the tool ran as; Identity is the ZooKeeper
	// identity it authenticated as ("digest:alice"), "" when anonymous.
	User, OSUser, Machine, Identity string
	Tool                            string // "kook", "kook-import", "kook serve", "" for a Go program
	Reason                          string
	Hosts                           []HostChange
	Groups                          []GroupChange
	// Minimal is set for a record written without its nodes (a store
	// option that trades history for bytes written): Hosts and Groups are
	// empty, and the change can be neither shown nor undone.
	Minimal bool
}

// Who says who made the change, for people: the user a program acted for,
// else the ZooKeeper identity, else the OS user, with the machine.
func (c *Commit) Who() string {
	who := c.OSUser
	switch {
	case c.User != "":
		who = c.User
	case c.Identity != "":
		who = c.Identity
	}
	if c.Machine != "" {
		who += "@" + c.Machine
	}
	return who
}
