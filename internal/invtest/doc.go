// Package invtest builds, by hand, the inventories that the tests of
// several packages share: one that exercises every precedence level, and
// large ones for benchmarks. It holds no parser and no assertions.
package invtest
