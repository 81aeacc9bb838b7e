// Package corpus gives tests the shared corpus of real Ansible inventories
// (kubespray, openshift, ansible-core's own tests...), which lives outside
// the repository: the directory the environment variable KOOK_CORPUS names.
// `make test` sets it to ../shared/corpus when that exists.
//
// Without KOOK_CORPUS the corpus tests do not run, and [Report] says so in
// one line per package rather than letting them pass; with KOOK_CORPUS
// naming a directory that does not exist they fail. Every test that reads
// the corpus goes through [Dir] or [Find].
package corpus
