// Package jones keeps hierarchical service configuration in ZooKeeper in the
// layout of Jones 1.0 (github.com/disqus/jones), so that a Jones client
// connected with kook's root as its chroot finds configs and views where it
// looks, and fixes what Jones got wrong.
//
// Each service has a tree of environments under the root (default /kook):
//
//	services/<svc>/conf[/<env>]   an environment's own config, a JSON object
//	services/<svc>/views[/<env>]  its view: the root's config updated with
//	                              each config on the way down (shallow: a
//	                              key set lower replaces the whole value)
//	services/<svc>/nodemaps       {"<host>": "/services/<svc>/views/<env>"}
//
// Views are materialized on write, so a reader reads one znode. Unlike
// Jones, a write and the rewrite of every view it affects (its environment's
// and all descendants') are one multi that also checks the version of every
// config those views were computed from and of every view it leaves as is;
// a writer that loses a race reads again and retries. Creating an
// environment rewrites its parent's view (same content, new version) so that
// a concurrent writer above it, which did not see the new child, fails its
// checks. So a view always equals the inheritance of the current configs. The price is that a change must fit in one ZooKeeper request
// (about 1 MiB, MaxTxnBytes here): a config at the top of a tree with many
// large descendants can become impossible to change, and such a change
// fails with model.ErrTooLarge rather than being half-written.
//
// Deleting an environment that has children or associated hosts needs
// force; a forced delete moves the associations to the parent in the same
// multi. Jones 1.0 stored nodemaps as lines "host -> path"; they are read
// and rewritten as JSON on the next change of the associations (from then
// on a Jones 1.0 client, which parses the lines, cannot read them).
//
// [Client] is the reading side: one host's view, kept current by watches.
package jones
