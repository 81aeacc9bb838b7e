package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/zkconn"
)

// This file wires `kook acl`: who may read, write and change ACLs.

// ACLCmd is `kook acl`.
type ACLCmd struct {
	Show   ACLShowCmd   `cmd:"" help:"Show the roles and the ACLs of the znodes under the root."`
	Apply  ACLApplyCmd  `cmd:"" help:"Give every znode under the root the ACL of the roles (admins only)."`
	Digest ACLDigestCmd `cmd:"" help:"Print a digest user's ACL id, reading the password from stdin."`
}

// RoleFlags set the roles, overriding the config file's acl section role
// by role.
type RoleFlags struct {
	Readers          string `placeholder:"ID,..." help:"Identities that read (Ansible runners, read-only web, Jones clients): digest:USER:HASH, x509:SUBJECT-DN, ip:ADDR[/BITS] or world:anyone."`
	Writers          string `placeholder:"ID,..." help:"Identities that also change the inventory and the service config."`
	Admins           string `placeholder:"ID,..." help:"Identities that also change ACLs."`
	WorldRead        bool   `help:"Let anyone read everything (world:anyone READ)."`
	NoJonesWorldRead bool   `help:"Do not let anyone read the Jones tree (<root>/services) unauthenticated, as Jones clients do by default."`
}

// roles returns the roles in force: the config file's acl section with
// the flags' overrides, and where they come from; ok is false when neither
// sets any.
func (f *RoleFlags) roles(g *Globals) (a config.ACL, from string, ok bool) {
	a.JonesWorldRead = true
	var src []string
	if c := g.ACL(); c != nil {
		a = *c
		src = append(src, "config file "+g.Config)
	}
	flags := false
	for _, r := range []struct {
		flag string
		role *[]string
	}{{f.Readers, &a.Readers}, {f.Writers, &a.Writers}, {f.Admins, &a.Admins}} {
		if r.flag != "" {
			*r.role, flags = zkconn.SplitIDs(r.flag), true
		}
	}
	if f.WorldRead {
		a.WorldRead, flags = true, true
	}
	if f.NoJonesWorldRead {
		a.JonesWorldRead, flags = false, true
	}
	if flags {
		src = append(src, "flags")
	}
	return a, strings.Join(src, " and "), len(src) > 0
}

func writeRoles(w io.Writer, a config.ACL, from, root string) {
	fmt.Fprintf(w, "roles (from %s):\n", from)
	for _, r := range []struct {
		name string
		ids  []string
	}{{"admins", a.Admins}, {"writers", a.Writers}, {"readers", a.Readers}} {
		ids := strings.Join(r.ids, ", ")
		if ids == "" {
			ids = "(none)"
		}
		fmt.Fprintf(w, "  %-8s %s\n", r.name+":", ids)
	}
	switch {
	case a.WorldRead:
		fmt.Fprintf(w, "  anyone reads everything under %s\n", root)
	case a.JonesWorldRead:
		fmt.Fprintf(w, "  anyone reads the Jones tree %s\n", jones.ServicesPath(root))
	}
}

// ACLShowCmd is `kook acl show`.
type ACLShowCmd struct {
	RoleFlags
}

// Help implements kong.HelpProvider.
func (c *ACLShowCmd) Help() string {
	return strings.TrimSpace(`
Prints the roles (the config file's acl section, or the flags), then every
ACL found on the znodes under the root with how many carry it, and how many
differ from the roles: those 'kook acl apply' would change. It reads the ACL
of every znode.

Example:
  kook acl show --readers digest:ansible:HASH --writers digest:deploy:HASH --admins digest:admin:HASH`)
}

// Run prints the roles and the ACLs found.
func (c *ACLShowCmd) Run(ctx context.Context, g *Globals) error {
	conn, err := g.Dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	a, from, ok := c.roles(g)
	var policy *zkconn.Policy
	if ok {
		if policy, err = config.Policy(a, g.Root); err != nil {
			return usagef("roles: %v", err)
		}
		writeRoles(g.stdout, a, from, g.Root)
	} else {
		fmt.Fprintln(g.stdout, "roles: none configured (no acl section in the config file)")
	}
	type group struct {
		acl   string
		n     int
		paths []string
	}
	groups := map[string]*group{}
	total, differ, weaker := 0, 0, 0
	err = conn.WalkACL(ctx, g.Root, func(p string, acl []zk.ACL) error {
		total++
		key := zkconn.FormatACL(sortedACL(acl))
		gr := groups[key]
		if gr == nil {
			gr = &group{acl: key}
			groups[key] = gr
		}
		gr.n++
		if len(gr.paths) < 3 {
			gr.paths = append(gr.paths, p)
		}
		if policy != nil && !zkconn.SameACL(acl, policy.For(p)) {
			differ++
			if len(zkconn.Extra(acl, policy.For(p))) > 0 {
				weaker++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if total == 0 {
		_, err = fmt.Fprintf(g.stdout, "nothing stored under %s\n", g.Root)
		return err
	}
	list := make([]*group, 0, len(groups))
	for _, gr := range groups {
		list = append(list, gr)
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].n > list[j].n || list[i].n == list[j].n && list[i].acl < list[j].acl
	})
	fmt.Fprintf(g.stdout, "%d znodes under %s:\n", total, g.Root)
	for _, gr := range list {
		more := ""
		if gr.n > len(gr.paths) {
			more = ", ..."
		}
		fmt.Fprintf(g.stdout, "  %6d  %s  (%s%s)\n", gr.n, gr.acl, strings.Join(gr.paths, ", "), more)
	}
	switch {
	case policy == nil:
	case differ == 0:
		fmt.Fprintln(g.stdout, "every znode carries the roles")
	default:
		fmt.Fprintf(g.stdout, "%d znodes differ from the roles (%d grant more than them): 'kook acl apply' gives them the roles\n", differ, weaker)
	}
	return nil
}

// ACLApplyCmd is `kook acl apply`.
type ACLApplyCmd struct {
	RoleFlags
	Force bool `help:"Apply even if no identity of this session is among the admins (it could not change the ACLs again)."`
}

// Help implements kong.HelpProvider.
func (c *ACLApplyCmd) Help() string {
	return strings.TrimSpace(`
Gives the root and every znode under it the ACL of the roles: readers READ;
writers READ, WRITE, CREATE, DELETE; admins every permission (ADMIN changes
ACLs); world:anyone READ on the Jones tree unless --no-jones-world-read, or
on everything with --world-read. The roles are the config file's acl section,
each role replaced by its flag when given. It prints each znode it changes
with its ACL before, and changes nothing that already carries the roles: run
it again at will. It needs the admin role (the ADMIN permission) on every
znode it changes; on a root made without auth anyone has it. It refuses to
apply roles whose admins do not include this session (you would lose the
right to change them again) unless --force.

Put the same roles in the config file's acl section of every writer, so
that what they create carries them too (a writer without one gives new
znodes the root's ACL).

Example:
  kook --auth-file ~/.kook-admin acl apply --admins digest:admin:HASH \
    --writers digest:deploy:HASH,x509:CN=ci,O=example --readers digest:ansible:HASH`)
}

// Run applies the roles and reports what it changed.
func (c *ACLApplyCmd) Run(ctx context.Context, g *Globals) error {
	conn, err := g.Dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	a, from, ok := c.roles(g)
	if !ok {
		return usagef("no roles: give --readers, --writers and --admins, or an acl section in the config file")
	}
	policy, err := config.Policy(a, g.Root)
	if err != nil {
		return usagef("roles: %v", err)
	}
	ids := conn.Identities()
	acl, _, err := conn.GetACL(ctx, g.Root)
	switch {
	case errors.Is(err, zk.ErrNoNode):
		// Nothing stored yet: make the root with the roles, which
		// writers without roles of their own then inherit.
		conn.SetPolicy(*policy)
		if err := conn.EnsurePath(ctx, g.Root); err != nil {
			return err
		}
	case errors.Is(err, zk.ErrNoAuth), err == nil && !zkconn.Grants(acl, ids, zk.PermAdmin):
		return &zkconn.PermissionError{Action: "changing the ACLs under", Path: g.Root, Role: "admin", Identity: conn.Identity()}
	case err != nil:
		return err
	}
	if !c.Force && !zkconn.Grants(policy.ACL, ids, zk.PermAdmin) {
		who := "an anonymous session"
		if id := conn.Identity(); id != "" {
			who = id
		}
		return fmt.Errorf("refused: %s is not among the admins, and could not change the ACLs again after this (add it to the admins, or --force)", who)
	}
	writeRoles(g.stdout, a, from, g.Root)
	n, err := conn.ApplyACL(ctx, g.Root, policy, func(d zkconn.ACLDiff) {
		fmt.Fprintf(g.stdout, "set %s (was: %s)\n", d.Path, zkconn.FormatACL(d.ACL))
	})
	if err != nil {
		var pe *zkconn.PermissionError
		if errors.As(err, &pe) {
			pe.Role = "admin" // whatever it was reading or setting
		}
		return fmt.Errorf("after changing %d znodes: %w", n, err)
	}
	if n == 0 {
		_, err = fmt.Fprintf(g.stdout, "no changes: every znode under %s carries the roles\n", g.Root)
	} else {
		_, err = fmt.Fprintf(g.stdout, "%d znodes changed: every znode under %s carries the roles\n", n, g.Root)
	}
	return err
}

// ACLDigestCmd is `kook acl digest USER`.
type ACLDigestCmd struct {
	User string `arg:"" help:"Digest user name."`
}

// stdin is where `kook acl digest` reads the password (tests replace it).
var stdin io.Reader = os.Stdin

// Help implements kong.HelpProvider.
func (c *ACLDigestCmd) Help() string {
	return strings.TrimSpace(`
Reads USER's password from the first line of stdin and prints the ACL id
ZooKeeper gives a session authenticated as USER:PASSWORD:
digest:USER:base64(sha1("USER:PASSWORD")). Put that id in the roles; the
password itself goes only to the tools that authenticate as USER (KOOK_ZK_AUTH,
--auth-file or the config file's auth).

Example:
  kook acl digest ansible < ~/.kook-ansible-password`)
}

// Run prints the id.
func (c *ACLDigestCmd) Run(g *Globals) error {
	if c.User == "" || strings.Contains(c.User, ":") {
		return usagef("a digest user name is not empty and holds no ':'")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password: %w", err)
	}
	pass := strings.TrimRight(line, "\r\n")
	if pass == "" {
		return usagef("no password on stdin")
	}
	_, err = fmt.Fprintln(g.stdout, zkconn.DigestID(c.User, pass))
	return err
}

// sortedACL returns acl sorted by scheme and id, for grouping.
func sortedACL(acl []zk.ACL) []zk.ACL {
	out := append([]zk.ACL(nil), acl...)
	sort.Slice(out, func(i, j int) bool {
		return out[i].Scheme+":"+out[i].ID < out[j].Scheme+":"+out[j].ID
	})
	return out
}
