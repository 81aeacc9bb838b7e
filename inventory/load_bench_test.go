package inventory

import (
	"fmt"
	"testing"

	"github.com/kook-project/kook/internal/gen"
)

// BenchmarkLoadGenerated measures Load on synthetic inventories like the
// ones `make bench` imports: an INI file, group_vars/ for most groups and
// host_vars/ for 1% of the hosts. The inventory is generated once per size,
// outside the timed loop.
func BenchmarkLoadGenerated(b *testing.B) {
	for _, size := range []struct{ hosts, groups int }{{10000, 200}, {100000, 2000}} {
		b.Run(fmt.Sprintf("hosts=%d", size.hosts), func(b *testing.B) {
			if testing.Short() && size.hosts > 10000 {
				b.Skip("large inventory skipped in short mode")
			}
			dir := b.TempDir()
			opts := gen.Options{Hosts: size.hosts, Groups: size.groups, Seed: 1, Depth: 3}
			if err := gen.Generate(dir, opts); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
