package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

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

// Conflict is a later change that touched what a revert would undo.
type Conflict struct {
	Generation int64  // 0: changed outside kook (by hand), or meanwhile
	Entity     string // "host web-01", "group web"
	Aspects    []string
}

// ConflictError is a revert refused because later changes touched the
// same vars or memberships. It wraps ErrConflict.
type ConflictError struct {
	Generation int64 // the change that was to be reverted
	Conflicts  []Conflict
}

func (e *ConflictError) Error() string {
	var gens []string
	var seen []int64
	for _, c := range e.Conflicts {
		if !slices.Contains(seen, c.Generation) {
			seen = append(seen, c.Generation)
		}
	}
	for _, g := range seen {
		var what []string
		for _, c := range e.Conflicts {
			if c.Generation == g {
				what = append(what, c.Entity+" ("+strings.Join(c.Aspects, ", ")+")")
			}
		}
		name := fmt.Sprintf("generation %d", g)
		if g == 0 {
			name = "a change outside kook"
		}
		gens = append(gens, name+": "+strings.Join(what, "; "))
	}
	return fmt.Sprintf("generation %d cannot be reverted: later changes touched what it changed: %s (a forced revert undoes it anyway): %v",
		e.Generation, strings.Join(gens, "; "), ErrConflict)
}

func (e *ConflictError) Unwrap() error { return ErrConflict }

// Generations returns the conflicting generations, in order.
func (e *ConflictError) Generations() []int64 {
	var out []int64
	for _, c := range e.Conflicts {
		if c.Generation != 0 && !slices.Contains(out, c.Generation) {
			out = append(out, c.Generation)
		}
	}
	slices.Sort(out)
	return out
}
