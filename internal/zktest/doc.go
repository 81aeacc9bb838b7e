// Package zktest runs real ZooKeeper servers for tests, from Debian's
// zookeeper package (see /work/shared/ZOOKEEPER.md).
//
// [Start] gives a test its own standalone server, [StartEnsemble] a
// multi-server ensemble, [StartTLS] a server that also serves TLS and wants
// client certificates (with a CA that issues them, [TLSServer.ClientCert]),
// and [Shared] one server for a whole test binary whose TestMain calls
// [Main]. Every server lives under a temporary
// directory, listens on a free loopback port, logs to a file there and is
// stopped by its PID.
//
// Where ZooKeeper or java is missing the tests fail rather than skip, so a
// green `make test` always means the store was tested against a server.
// Tests that need a server are named TestIntegration*, which `make
// unittest` skips; KOOK_ZOOKEEPER_JAR ([JarEnv]) set to a missing file
// checks that nothing else needs one.
package zktest
