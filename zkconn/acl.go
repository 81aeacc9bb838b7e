package zkconn

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
)

// Role permissions. ZooKeeper's ADMIN permission (setACL) is what sets an
// admin apart from a writer.
const (
	ReaderPerms = zk.PermRead
	WriterPerms = zk.PermRead | zk.PermWrite | zk.PermCreate | zk.PermDelete
	AdminPerms  = zk.PermAll
)

// Roles says who may do what under kook's root: readers read, writers also
// create, change and delete znodes, admins also change ACLs. An identity is
// an ACL id as ZooKeeper writes it: "digest:USER:HASH" (see DigestID),
// "x509:SUBJECT-DN", "ip:ADDR[/BITS]", or "world:anyone" (readers only).
type Roles struct {
	Readers, Writers, Admins []string
	// WorldRead lets anyone read: world:anyone gets READ.
	WorldRead bool
}

// IsZero reports whether no role is set.
func (r Roles) IsZero() bool {
	return len(r.Readers) == 0 && len(r.Writers) == 0 && len(r.Admins) == 0 && !r.WorldRead
}

// ACL returns the ACL that gives each identity its role's permissions
// (an identity in several roles gets the largest). The order is stable:
// admins, writers, readers, world, each as given.
func (r Roles) ACL() ([]zk.ACL, error) {
	var acl []zk.ACL
	add := func(ids []string, perms int32, role string) error {
		for _, s := range ids {
			a, err := ParseID(s)
			if err != nil {
				return fmt.Errorf("%s: %w", role, err)
			}
			if a.Scheme == "world" && perms != ReaderPerms {
				return fmt.Errorf("%s: world:anyone may only read (make it a reader, or use --world-read)", role)
			}
			if i := slices.IndexFunc(acl, func(b zk.ACL) bool { return b.Scheme == a.Scheme && b.ID == a.ID }); i >= 0 {
				acl[i].Perms |= perms
				continue
			}
			a.Perms = perms
			acl = append(acl, a)
		}
		return nil
	}
	if err := add(r.Admins, AdminPerms, "admins"); err != nil {
		return nil, err
	}
	if err := add(r.Writers, WriterPerms, "writers"); err != nil {
		return nil, err
	}
	if err := add(r.Readers, ReaderPerms, "readers"); err != nil {
		return nil, err
	}
	if r.WorldRead {
		acl = WithWorldRead(acl)
	}
	if len(acl) == 0 {
		return nil, fmt.Errorf("no identity in any role")
	}
	return acl, nil
}

// WithWorldRead returns acl with READ for world:anyone added.
func WithWorldRead(acl []zk.ACL) []zk.ACL {
	out := slices.Clone(acl)
	for i, a := range out {
		if a.Scheme == "world" && a.ID == "anyone" {
			out[i].Perms |= zk.PermRead
			return out
		}
	}
	return append(out, zk.ACL{Perms: zk.PermRead, Scheme: "world", ID: "anyone"})
}

// ParseID parses an identity as ZooKeeper writes ACL ids,
// "SCHEME:ID", and checks it as the server would: a digest id is
// "USER:HASH" with HASH a base64 SHA-1, an ip id an address with an
// optional prefix length, world's id "anyone". The result's Perms is 0.
func ParseID(s string) (zk.ACL, error) {
	scheme, id, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || id == "" {
		return zk.ACL{}, fmt.Errorf("identity %q: want SCHEME:ID (digest:USER:HASH, x509:SUBJECT-DN, ip:ADDR[/BITS] or world:anyone)", s)
	}
	switch scheme {
	case "digest":
		user, hash, ok := strings.Cut(id, ":")
		if b, err := base64.StdEncoding.DecodeString(hash); !ok || user == "" || err != nil || len(b) != sha1.Size {
			return zk.ACL{}, fmt.Errorf("identity %q: want digest:USER:HASH, HASH as `kook acl digest USER` prints it (a password is never written here)", redactDigest(s))
		}
	case "x509":
	case "ip":
		addr, bits, hasBits := strings.Cut(id, "/")
		ip := net.ParseIP(addr)
		max := 32
		if ip != nil && ip.To4() == nil {
			max = 128
		}
		n, err := strconv.Atoi(bits)
		if ip == nil || hasBits && (err != nil || n < 0 || n > max) {
			return zk.ACL{}, fmt.Errorf("identity %q: want ip:ADDR or ip:ADDR/BITS", s)
		}
	case "world":
		if id != "anyone" {
			return zk.ACL{}, fmt.Errorf("identity %q: the world scheme has one id, world:anyone", s)
		}
	default:
		return zk.ACL{}, fmt.Errorf("identity %q: unknown scheme %q (want digest, x509, ip or world)", s, scheme)
	}
	return zk.ACL{Scheme: scheme, ID: id}, nil
}

// redactDigest keeps a malformed digest id's user and hides the rest,
// which may be a password written by mistake.
func redactDigest(s string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "digest:")
	if !ok {
		return s
	}
	user, _, _ := strings.Cut(rest, ":")
	return "digest:" + user + ":…"
}

// SplitIDs splits a comma-separated list of identities. An x509 subject
// holds commas itself ("x509:CN=kook,O=example"), so a piece that does not
// start with a scheme continues the one before it.
func SplitIDs(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		t := strings.TrimSpace(part)
		if t == "" {
			continue
		}
		scheme, _, _ := strings.Cut(strings.TrimLeft(t, `"'`), ":") // a quoted id in a [flow, list]
		switch {
		case len(out) > 0 && !slices.Contains([]string{"digest", "x509", "ip", "world"}, scheme):
			out[len(out)-1] = strings.TrimSpace(out[len(out)-1] + "," + part)
		default:
			out = append(out, t)
		}
	}
	return out
}

// DigestID returns the ACL id of a digest user: "digest:USER:HASH" with
// HASH = base64(sha1("USER:PASSWORD")), as ZooKeeper's
// DigestAuthenticationProvider computes it.
func DigestID(user, password string) string {
	sum := sha1.Sum([]byte(user + ":" + password))
	return "digest:" + user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// FormatPerms writes permissions as ZooKeeper's CLI does, "cdrwa".
func FormatPerms(p int32) string {
	var b strings.Builder
	for _, x := range []struct {
		bit int32
		c   byte
	}{{zk.PermCreate, 'c'}, {zk.PermDelete, 'd'}, {zk.PermRead, 'r'}, {zk.PermWrite, 'w'}, {zk.PermAdmin, 'a'}} {
		if p&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// FormatACL writes an ACL on one line: "digest:alice:HASH cdrwa,
// world:anyone r".
func FormatACL(acl []zk.ACL) string {
	parts := make([]string, len(acl))
	for i, a := range acl {
		parts[i] = a.Scheme + ":" + a.ID + " " + FormatPerms(a.Perms)
	}
	return strings.Join(parts, ", ")
}

// SameACL reports whether two ACLs grant the same permissions to the same
// ids, in any order.
func SameACL(a, b []zk.ACL) bool {
	return len(Extra(a, b)) == 0 && len(Extra(b, a)) == 0
}

// Extra returns what acl grants beyond want: each entry of acl with the
// permissions want gives neither its id nor world:anyone. An ACL with
// extras is weaker than want (someone may do more than the roles allow).
func Extra(acl, want []zk.ACL) []zk.ACL {
	var world int32
	for _, w := range want {
		if w.Scheme == "world" && w.ID == "anyone" {
			world |= w.Perms
		}
	}
	var out []zk.ACL
	for _, a := range acl {
		allowed := world
		for _, w := range want {
			if sameID(a, w) {
				allowed |= w.Perms
			}
		}
		if extra := a.Perms &^ allowed; extra != 0 {
			out = append(out, zk.ACL{Perms: extra, Scheme: a.Scheme, ID: a.ID})
		}
	}
	return out
}

// sameID reports whether two ACL entries name the same identity. ZooKeeper
// shows a digest id to a session without the ADMIN permission on the znode
// as "USER:x", hiding the hash: such an id matches any of USER's.
func sameID(a, b zk.ACL) bool {
	if a.Scheme != b.Scheme {
		return false
	}
	if a.ID == b.ID {
		return true
	}
	if a.Scheme != "digest" {
		return false
	}
	ua, ha, _ := strings.Cut(a.ID, ":")
	ub, hb, _ := strings.Cut(b.ID, ":")
	return ua == ub && (ha == "x" || hb == "x")
}

// Policy says which ACL each znode a connection creates carries: ACL,
// unless the znode is at or under one of Subtrees' paths (relative to the
// chroot), where the longest such path's ACL applies.
type Policy struct {
	ACL      []zk.ACL
	Subtrees map[string][]zk.ACL
	// Check, when set, names a subtree that the connection compares with
	// the policy before its first write: it calls Mismatch if the Check
	// znode's own ACL differs from the policy's, and Weaker with the
	// znodes among it and the two levels below it that grant more than
	// the policy gives. Both are called at most once. Mismatch may give
	// the connection another policy (Conn.SetPolicy), which that write
	// uses; an error from it fails that write and every later one. A full
	// comparison is DiffACL's.
	Check    string
	Weaker   func(weak []ACLDiff)
	Mismatch func(c *Conn, d ACLDiff) error
}

// For returns the ACL of a znode at p (relative to the chroot).
func (p *Policy) For(path string) []zk.ACL {
	best, acl := -1, p.ACL
	for sub, a := range p.Subtrees {
		if (path == sub || sub == "/" || strings.HasPrefix(path, sub+"/")) && len(sub) > best {
			best, acl = len(sub), a
		}
	}
	return acl
}

// maxACLSize is the size of the largest ACL the policy gives.
func (p *Policy) maxACLSize() int {
	n := aclSize(p.ACL)
	for _, a := range p.Subtrees {
		n = max(n, aclSize(a))
	}
	return n
}

// PermissionError is an operation ZooKeeper refused for want of
// permission (zk.ErrNoAuth, which it wraps): what was attempted, on which
// znode, the role it needs, and the identity the session has.
type PermissionError struct {
	Action   string // "read", "create", "set", "delete", "set the ACL of"...
	Path     string
	Role     string // "reader", "writer", "admin"
	Identity string // "digest:alice", "x509:CN=...", "" when anonymous
}

func (e *PermissionError) Error() string {
	who := "anonymous"
	if e.Identity != "" {
		who = e.Identity
	}
	what := e.Action
	if e.Path != "" {
		what += " " + e.Path
	}
	return fmt.Sprintf("permission denied: %s needs the %s role (connected as %s)", what, e.Role, who)
}

// Unwrap returns zk.ErrNoAuth.
func (e *PermissionError) Unwrap() error { return zk.ErrNoAuth }

// denied turns ZooKeeper's NoAuth into a PermissionError; other errors
// are returned as they are.
func (c *Conn) denied(err error, action, path, role string) error {
	var pe *PermissionError
	if !errors.Is(err, zk.ErrNoAuth) || errors.As(err, &pe) {
		return err
	}
	return &PermissionError{Action: action, Path: path, Role: role, Identity: c.Identity()}
}

// Grants reports whether acl gives one of identities (ACL ids as
// Conn.Identities returns them), or anyone, the permissions perm. An ip
// entry counts as granting them: only the server knows the client's
// address as it sees it.
func Grants(acl []zk.ACL, identities []string, perm int32) bool {
	var got int32
	for _, a := range acl {
		mine := slices.ContainsFunc(identities, func(id string) bool {
			scheme, rest, _ := strings.Cut(id, ":")
			return sameID(a, zk.ACL{Scheme: scheme, ID: rest})
		})
		if a.Scheme == "world" && a.ID == "anyone" || a.Scheme == "ip" || mine {
			got |= a.Perms
		}
	}
	return got&perm == perm
}
