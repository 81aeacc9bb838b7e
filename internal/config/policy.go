package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

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

// inherit gives an authenticated connection without configured roles the
// ACLs found under root: new znodes carry the root's ACL (its Jones tree's
// under the Jones tree), so that once 'kook acl apply' has secured a root,
// writers that do not configure the roles keep them. Where nothing is
// stored yet, new znodes carry every permission for the session's digest
// user (zkconn's default), and the Jones tree world READ as well. An
// anonymous session, which cannot secure anything, keeps zkconn's default.
func (g *Globals) inherit(ctx context.Context, conn *zkconn.Conn) error {
	if g.file.ACL != nil || len(conn.Identities()) == 0 {
		return nil
	}
	paths := []string{g.Root, jones.ServicesPath(g.Root)}
	acls := make([][]zk.ACL, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() {
			acls[i], _, errs[i] = conn.GetACL(ctx, p)
			if errors.Is(errs[i], zk.ErrNoNode) || errors.Is(errs[i], zk.ErrNoAuth) {
				// Nothing to inherit, or nothing this session may read
				// (it will not write there either).
				acls[i], errs[i] = nil, nil
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	base := conn.ACL()
	if acls[0] != nil {
		base = acls[0]
	}
	jonesACL := acls[1]
	if jonesACL == nil {
		jonesACL = zkconn.WithWorldRead(base)
	}
	conn.SetPolicy(zkconn.Policy{ACL: base, Subtrees: map[string][]zk.ACL{paths[1]: jonesACL}})
	return nil
}

// ACLProblems compares the ACL of every znode under the root with the
// roles of the config file, or, without them, for an authenticated
// session, with the ACLs the connection inherited from the root, and
// describes each znode that differs, one line each. It returns nothing for
// an anonymous session without roles: nothing says what the ACLs should
// be.
func (g *Globals) ACLProblems(ctx context.Context, conn *zkconn.Conn) ([]string, error) {
	if g.file.ACL == nil && len(conn.Identities()) == 0 {
		return nil, nil
	}
	diffs, _, err := conn.DiffACL(ctx, g.Root, conn.Policy())
	if err != nil {
		return nil, fmt.Errorf("check ACLs: %w", err)
	}
	what := "the root's ACL"
	if g.file.ACL != nil {
		what = "the roles"
	}
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
