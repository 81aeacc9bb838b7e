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

// releaseFile is Ansible's release file: a cached answer holds for one
// release, so every cache key includes it (Release).
const releaseFile = "/usr/lib/python3/dist-packages/ansible/release.py"

// Release returns the content of Ansible's release file, for cache keys. It
// fails t if Ansible is not installed.
func Release(t testing.TB) []byte {
	t.Helper()
	rel, err := os.ReadFile(releaseFile)
	if err != nil {
		t.Fatalf("%v: %s", err, installHint)
	}
	return rel
}

// A Cache keeps oracle answers in a directory of that name under the user's
// cache directory, so that only the first run of a test waits for Ansible.
// A key must hash everything the answer depends on, Release included.
type Cache string

// Get returns the answer stored under key, if any.
func (c Cache) Get(key string) ([]byte, bool) {
	b, err := os.ReadFile(c.file(key))
	return b, err == nil
}

// Put stores data under key. A failure is ignored: the next run asks again.
func (c Cache) Put(key string, data []byte) {
	file := c.file(key)
	if os.MkdirAll(filepath.Dir(file), 0o755) == nil {
		_ = os.WriteFile(file, data, 0o644)
	}
}

func (c Cache) file(key string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, string(c), key)
}

var pythonCache = Cache("kook-ansible-python")

// RunPython runs program with Ansible's Python, input on its stdin, from
// an empty directory, and returns what it prints. The answer is cached by
// program, input and Ansible's release. It fails t if Ansible is not
// installed (even when the answer is cached: the test needs Ansible) or
// the program fails.
func RunPython(t testing.TB, program string, input []byte) []byte {
	t.Helper()
	Require(t)
	h := sha256.New()
	for _, part := range [][]byte{Release(t), []byte(program), input} {
		fmt.Fprintf(h, "%d\x00", len(part))
		h.Write(part)
	}
	key := hex.EncodeToString(h.Sum(nil))
	if out, ok := pythonCache.Get(key); ok {
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
	pythonCache.Put(key, out)
	return out
}

// Batch returns, for each of inputs, the answer line program prints for it:
// program (run with Ansible's Python, from an empty directory, in Env)
// reads one input line at a time on stdin and prints one line for each.
// Answers are cached under keys (one per input), and one Python process
// serves every input not cached, as starting Ansible costs more than most
// answers. It fails t if Ansible is not installed, even when every answer
// is cached: the test needs Ansible.
func (c Cache) Batch(t testing.TB, program string, keys []string, inputs [][]byte) [][]byte {
	t.Helper()
	Require(t)
	answers := make([][]byte, len(inputs))
	var in bytes.Buffer
	var missing []int
	for i, key := range keys {
		if b, ok := c.Get(key); ok {
			answers[i] = b
			continue
		}
		in.Write(inputs[i])
		in.WriteByte('\n')
		missing = append(missing, i)
	}
	if len(missing) == 0 {
		return answers
	}
	cmd := exec.Command(Python, "-c", program)
	cmd.Dir = t.TempDir()
	cmd.Env = Env()
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible oracle: %v\n%s", err, stderr.Bytes())
	}
	lines := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	if len(lines) != len(missing) {
		t.Fatalf("ansible oracle: %d answers for %d inputs\n%s", len(lines), len(missing), stderr.Bytes())
	}
	for j, i := range missing {
		answers[i] = lines[j]
		c.Put(keys[i], lines[j])
	}
	return answers
}
