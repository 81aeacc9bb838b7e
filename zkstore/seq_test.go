package zkstore

import (
	"fmt"
	"testing"
)

func TestAssignSeqs(t *testing.T) {
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("h%d", i)
		}
		return out
	}
	base := assignSeqs(names(10), nil)
	tests := []struct {
		name        string
		order       []string
		maxRewrites int
	}{
		{"append", append(names(10), "new"), 1},
		{"remove middle", append(names(5), names(10)[6:]...), 0},
		{"insert middle", append(append(names(5), "new"), names(10)[5:]...), 1},
		{"insert first", append([]string{"new"}, names(10)...), 1},
		{"move last to front", append([]string{"h9"}, names(9)...), 9},
	}
	for _, tt := range tests {
		got := assignSeqs(tt.order, base)
		rewrites := 0
		for i, n := range tt.order {
			if i > 0 && got[n] <= got[tt.order[i-1]] {
				t.Errorf("%s: seq of %s (%d) not after %s (%d)", tt.name, n, got[n], tt.order[i-1], got[tt.order[i-1]])
			}
			if old, ok := base[n]; !ok || old != got[n] {
				rewrites++
			}
		}
		if rewrites > tt.maxRewrites {
			t.Errorf("%s: %d entities renumbered, want at most %d", tt.name, rewrites, tt.maxRewrites)
		}
	}
}
