package ansibletest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// release is Ansible's release file: a cached answer holds for one release.
const release = "/usr/lib/python3/dist-packages/ansible/release.py"

// RunPython runs program with Ansible's Python, input on its stdin, from
// an empty directory, and returns what it prints. The answer is cached under
// the user's cache directory by program, input and Ansible's release, so
// only the first run of a test waits for Python. It fails t if Ansible is
// not installed or the program fails.
func RunPython(t testing.TB, program string, input []byte) []byte {
	t.Helper()
	Require(t)
	rel, err := os.ReadFile(release)
	if err != nil {
		t.Fatalf("%v: %s", err, installHint)
	}
	h := sha256.New()
	for _, part := range [][]byte{rel, []byte(program), input} {
		fmt.Fprintf(h, "%d\x00", len(part))
		h.Write(part)
	}
	file := cacheFile(hex.EncodeToString(h.Sum(nil)))
	if out, err := os.ReadFile(file); err == nil {
		return out
	}
	cmd := exec.Command(Python, "-c", program)
	cmd.Dir = t.TempDir()
	cmd.Env = Env()
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	if os.MkdirAll(filepath.Dir(file), 0o755) == nil {
		_ = os.WriteFile(file, out, 0o644)
	}
	return out
}

func cacheFile(key string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "kook-ansible-python", key)
}
