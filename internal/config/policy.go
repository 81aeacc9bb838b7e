package config

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/zkconn"
)

// Policy returns the ACL policy of the roles a gives under root: every
// znode carries the roles' ACL, and the Jones tree (<root>/services) also
// world READ unless a.JonesWorldRead is false, so that Jones clients,
// which do not authenticate, keep reading their config.
func Policy(a ACL, root string) (*zkconn.Policy, error) {
	acl, err := a.Roles.ACL()
	if err != nil {
		return nil, err
	}
	p := &zkconn.Policy{ACL: acl}
	if a.JonesWorldRead && !a.WorldRead {
		p.Subtrees = map[string][]zk.ACL{jones.ServicesPath(root): zkconn.WithWorldRead(acl)}
	}
	return p, nil
}

// unconfigured is the policy of a session without roles: every znode it
// creates carries zkconn's default ACL (every permission for its digest
// user, or for anyone), and the Jones tree world READ as well. Before its
// first write it compares the root's ACL with that. Under a root that
// anyone may write (made without auth) it warns, and creates znodes as
// open as the root: znodes only its own digest user could use would be
// out of reach of a later 'kook acl apply' by an admin. Under a root
// secured otherwise (by 'kook acl apply') it refuses to write: what it
// created would not carry the roles, and readers could not read it.
func (g *Globals) unconfigured() *zkconn.Policy {
	acl := zkconn.DefaultACL(g.Auth)
	return &zkconn.Policy{
		ACL:      acl,
		Subtrees: map[string][]zk.ACL{jones.ServicesPath(g.Root): zkconn.WithWorldRead(acl)},
		Check:    g.Root,
		Mismatch: func(c *zkconn.Conn, d zkconn.ACLDiff) error {
			if openACL(d.ACL) {
				fmt.Fprintf(g.warn(), "kook: warning: %s is open to anyone (%s): set roles in the config file's acl section and run 'kook acl apply'\n",
					d.Path, zkconn.FormatACL(d.ACL))
				c.SetPolicy(zkconn.Policy{ACL: d.ACL})
				return nil
			}
			return fmt.Errorf("refused: %s carries %s, roles set by 'kook acl apply', but the config file has no acl section, and what this session creates would carry %s, which the roles cannot use: put the roles in the config file's acl section ('kook acl show' prints them)",
				d.Path, zkconn.FormatACL(d.ACL), zkconn.FormatACL(d.Want))
		},
	}
}

// openACL reports whether acl lets anyone write.
func openACL(acl []zk.ACL) bool {
	for _, a := range acl {
		if a.Scheme == "world" && a.ID == "anyone" && a.Perms&^zk.PermRead != 0 {
			return true
		}
	}
	return false
}

// ACLProblems compares the ACL of every znode under the root with the
// roles of the config file's acl section, and describes each znode that
// differs, one line each. Without an acl section there is nothing to
// compare with.
func (g *Globals) ACLProblems(ctx context.Context, conn *zkconn.Conn) ([]string, error) {
	if g.file.ACL == nil {
		return nil, nil
	}
	diffs, _, err := conn.DiffACL(ctx, g.Root, conn.Policy())
	if err != nil {
		return nil, fmt.Errorf("check ACLs: %w", err)
	}
	const what = "the roles"
	var out []string
	for _, d := range diffs {
		var parts []string
		if extra := zkconn.Extra(d.ACL, d.Want); len(extra) > 0 {
			parts = append(parts, "grants "+zkconn.FormatACL(extra)+" beyond "+what)
		}
		if missing := zkconn.Extra(d.Want, d.ACL); len(missing) > 0 {
			parts = append(parts, "lacks "+zkconn.FormatACL(missing)+" of "+what)
		}
		out = append(out, "acl "+d.Path+": "+strings.Join(parts, "; "))
	}
	return out, nil
}
