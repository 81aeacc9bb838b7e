package parity

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// Binaries builds kook-import and kook-inventory once per test binary and
// returns the directory holding them. The directory is named after the test
// binary, so each run overwrites its own instead of leaving a new one behind,
// and test binaries running side by side do not share one.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir = filepath.Join(os.TempDir(), "kook-test-bin-"+filepath.Base(os.Args[0]))
		if buildErr = os.MkdirAll(binDir, 0o755); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir+"/", "./cmd/kook-import", "./cmd/kook-inventory")
		cmd.Dir = RepoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as the Makefile builds them
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}
