package corpus

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// Env is the environment variable that names the corpus directory.
const Env = "KOOK_CORPUS"

var skipped struct {
	sync.Mutex
	names map[string]bool
}

// Dir returns the corpus directory. It skips tb where KOOK_CORPUS is not
// set (see [Report]) and fails it where KOOK_CORPUS does not name a
// directory.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, ok := Find(tb)
	if !ok {
		tb.SkipNow()
	}
	return dir
}

// Find returns the corpus directory and true, or false where KOOK_CORPUS is
// not set: for a test that runs on fixtures and adds the corpus when there
// is one. Its corpus part then counts as not run (see [Report]). It fails
// tb where KOOK_CORPUS does not name a directory.
func Find(tb testing.TB) (string, bool) {
	tb.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		skipped.Lock()
		if skipped.names == nil {
			skipped.names = map[string]bool{}
		}
		skipped.names[tb.Name()] = true
		skipped.Unlock()
		return "", false
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Fatalf("corpus: %s=%s is not a directory (unset it to run without the corpus): %v", Env, dir, err)
	}
	return dir, true
}

// Report prints, once, how many of the tests that ran wanted the corpus
// and did without it. Call it from TestMain after m.Run:
//
//	func TestMain(m *testing.M) {
//		m.Run()
//		corpus.Report()
//	}
func Report() {
	skipped.Lock()
	defer skipped.Unlock()
	if n := len(skipped.names); n > 0 {
		fmt.Printf("corpus: %s not set; %d corpus %s not run\n", Env, n, map[bool]string{true: "test", false: "tests"}[n == 1])
	}
}
