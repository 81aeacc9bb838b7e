// Command testreport reads `go test -json` on stdin and prints about what
// plain `go test` prints: a failing package's output (without the progress
// lines of its other tests), else its "ok" line. It adds the lines starting
// "corpus: " that a passing package prints (see package internal/corpus),
// which plain `go test` hides. The Makefile pipes every test run through it
// with pipefail, so the exit status stays go test's; testreport itself
// always exits 0.
package main
