// Package jones keeps hierarchical service configuration in ZooKeeper in the
// layout of Jones 1.0 (github.com/mwhooker/jones), so that Jones's client,
// its model and its web app, connected with kook's root as their chroot,
// find configs and views where they look, and fixes what Jones got wrong.
//
// Each service has a tree of environments under the root (default /kook):
//
//	services/<svc>/conf[/<env>]   an environment's own config, a JSON object
//	services/<svc>/views[/<env>]  its view: the root's config updated with
//	                              each config on the way down (shallow: a
//	                              key set lower replaces the whole value)
//	services/<svc>/nodemaps       {"<host>": "/services/<svc>/views/<env>"}
//	services/<svc>/kook-sources/  kook's record of the config versions each
//	                              view was computed from, one znode per view
//	services/<svc>/kook-pending/  markers of view rewrites under way
//	services/<svc>/kook-history/  the service's change counter and, below
//	                              it, a record of each change (history.go)
//
// Jones never reads the kook-* znodes. Znodes without content have
// empty data, never null, which kazoo returns as None and Jones's /export
// cannot print. A service is one with a root config, as for Jones, whose
// model creates the nodemaps of any name it is asked about.
//
// Views are materialized on write, so a reader reads one znode. Unlike
// Jones, a write and the rewrite of every view it affects (its environment's
// and all descendants') are one multi that also checks the version of every
// config those views were computed from and of every view it leaves as is;
// a writer that loses a race reads again and retries. Creating an
// environment rewrites its parent's view (same content, new version) so that
// a concurrent writer above it, which did not see the new child, fails its
// checks. So a view always equals the inheritance of the current configs.
//
// Writes go through zkconn: one transaction builder, which knows each
// request's exact size, and one backoff; a writer retries until its context
// ends. A write whose reply is lost (the connection dropped after the server
// applied it, or not) is read back: the configs, views and nodemaps it set
// at their version + 1 with its data mean it was applied, and it reports
// success; otherwise it plans again from fresh reads.
//
// A change whose views do not fit in one ZooKeeper request (about 1 MiB,
// zkconn.MaxRequestBytes) is written in several (see rewrite.go): the config
// first, then the views, parents first, each request checking the configs
// its views were computed from and writing each view's record. Meanwhile a
// reader may see some views new and some old, but each view is always the
// inheritance of one consistent set of configs. A writer that stops half
// way leaves a marker: the next change to the service finishes the
// rewrite, and [Store.Check] reports it until then ([Store.Repair] fixes
// it). A change with a view too large for any request fails with
// model.ErrTooLarge, with nothing written.
//
// Deleting an environment that has children or associated hosts needs
// force; a forced delete moves the associations to the parent in the same
// multi. Jones 1.0 writes nodemaps as JSON; Jones 0.7 and earlier
// (github.com/disqus/jones 0.6) wrote lines "host -> path". Jones 1.0's
// model still reads those lines, and takes any nodemap holding " -> " for
// them, so kook refuses names holding it. kook reads both formats and
// writes JSON, as Jones 1.0 does; Jones 1.0's client reads only JSON.
//
// [Client] is the reading side: one host's view, kept current by watches.
package jones
