// Package zkconn is kook's one way of talking to ZooKeeper: it dials a
// session from a connect string (servers, chroot, digest auth, TLS with a
// client certificate's x509 identity, saying why a handshake failed), keeps
// every path relative to the chroot, gives every znode it creates the ACL
// its [Policy] gives that path (from [Roles]: readers, writers, admins),
// turns ZooKeeper's NoAuth into a [PermissionError] naming the role an
// operation needs, walks, compares and applies ACLs under a root (kook
// acl), builds multi transactions that know their exact size as
// ZooKeeper counts it (and never sends one over the limit), finds out
// whether a transaction whose reply was lost was applied, and retries with
// one backoff policy that honours the caller's context.
//
// Both the inventory store (zkstore) and the Jones configuration store
// (jones) use it; neither talks to github.com/go-zookeeper/zk directly for
// anything but types and sentinel errors.
//
// go-zookeeper/zk calls take no context and block until a reply or a
// connection loss. Conn's methods take a context and return when it is
// done, even if the call is still in flight: a write abandoned that way may
// still be applied. [IsMaybeApplied] tells which errors leave a write's
// outcome unknown; the caller must find out, never assume ([Conn.Applied]
// reads back what a transaction wrote).
package zkconn
