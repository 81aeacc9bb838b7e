package jones_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/kook-project/kook/jones"
)

// TestFQDN compares with the key Jones clients default to, Python's
// socket.getfqdn(), on this machine.
func TestFQDN(t *testing.T) {
	out, err := exec.Command("python3", "-c", "import socket; print(socket.getfqdn())").Output()
	if err != nil {
		t.Fatalf("python3 (needed for the expected value): %v", err)
	}
	if got, want := jones.FQDN(), strings.TrimSpace(string(out)); got != want {
		t.Errorf("FQDN() = %q, python3 socket.getfqdn() = %q", got, want)
	}
}
