package zkconn

import "testing"

func TestPredecessor(t *testing.T) {
	tk := &Ticket{name: "w-1-b-0000000005", skipped: map[string]bool{"w-3-c-0000000004": true}}
	kids := []string{"w-2-a-0000000007", "w-3-c-0000000004", tk.name, "w-4-d-0000000002", "w-5-e-0000000001"}
	if p, ok := tk.predecessor(kids); !ok || p != "w-4-d-0000000002" {
		t.Errorf("predecessor = %q, %v; want the latest number before 5 not skipped, w-4-d-0000000002", p, ok)
	}
	if p, ok := tk.predecessor([]string{"w-2-a-0000000007", tk.name}); ok {
		t.Errorf("first in the queue: predecessor %q", p)
	}
	if p, ok := tk.predecessor([]string{"w-4-d-0000000002"}); ok {
		t.Errorf("own number gone (session expired): predecessor %q, want none", p)
	}
}
