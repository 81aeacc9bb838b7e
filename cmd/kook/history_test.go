package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/parity"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

const example = "../../testdata/example"

// TestIntegration_HistoryCommands: log, diff, blame, revert (refused on a
// conflict, naming it, with nothing written) and rollback, as people type
// them.
func TestIntegration_HistoryCommands(t *testing.T) {
	k := newKook(t)
	k.importSource(example) // 1
	exported := k.ok("export", "--format", "json")
	k.ok("host", "set", "web-01.example.com", "http_port=9999", "--reason", "bump port") // 2
	k.ok("group", "set", "web", "max_conn=10")                                           // 3

	out := k.ok("log")
	for _, want := range []string{"~web-01.example.com file:http_port 9090→9999", "# bump port", "\tkook\t", "history starts at generation 1; the last is 3"} {
		if !strings.Contains(strings.ReplaceAll(out, "  ", "\t"), want) && !strings.Contains(out, want) {
			t.Errorf("kook log: no %q in\n%s", want, out)
		}
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "3 ") || !strings.HasPrefix(lines[2], "1 ") {
		t.Errorf("kook log: want 3 changes newest first and where history starts:\n%s", out)
	}
	if out := k.ok("log", "web-01.example.com"); strings.Count(out, "\n") != 3 || strings.Contains(out, "max_conn") {
		t.Errorf("kook log web-01.example.com: want 1 and 2 only:\n%s", out)
	}
	if out := k.ok("log", "web"); !strings.Contains(out, "max_conn") || strings.Contains(out, "http_port 9090") {
		t.Errorf("kook log web:\n%s", out)
	}
	var lj struct {
		Changes []struct {
			Generation int64
			Tool       string
			Reason     string
			Summary    string
		}
		HistoryStart int64 `json:"history_start"`
	}
	if err := json.Unmarshal([]byte(k.ok("log", "-n", "1", "-o", "json")), &lj); err != nil || len(lj.Changes) != 1 || lj.Changes[0].Generation != 3 || lj.HistoryStart != 1 {
		t.Errorf("kook log -o json: %+v, %v", lj, err)
	}
	if out := k.ok("diff", "2"); !strings.Contains(out, "~ host web-01.example.com: file var http_port: 9090 -> 9999") {
		t.Errorf("kook diff 2:\n%s", out)
	}
	var dj struct {
		From, To int64
		Changes  []string
		Hosts    []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(k.ok("diff", "1..3", "-o", "json")), &dj); err != nil || dj.From != 1 || dj.To != 3 || len(dj.Changes) != 2 || len(dj.Hosts) != 1 {
		t.Errorf("kook diff 1..3 -o json: %+v, %v", dj, err)
	}
	if out := k.ok("blame", "web-01.example.com", "http_port"); !strings.Contains(out, "host_vars host web-01.example.com") || !strings.Contains(out, "# bump port") {
		t.Errorf("kook blame:\n%s", out)
	}
	if out := k.ok("blame", "web-01.example.com"); !strings.Contains(out, "max_conn") || !strings.Contains(out, "\n") {
		t.Errorf("kook blame (every var):\n%s", out)
	}

	// A dry run writes nothing; a conflicting revert is refused.
	if out := k.ok("revert", "2", "--dry-run"); !strings.Contains(out, "dry run: revert of 2") {
		t.Errorf("revert --dry-run:\n%s", out)
	}
	k.ok("host", "set", "web-01.example.com", "http_port=1") // 4
	k.fails(1, "later changes touched what it changed: generation 4: host web-01.example.com (file var http_port)", "revert", "2")
	if _, gen := k.load(); gen != 4 {
		t.Fatalf("a refused revert wrote: generation %d", gen)
	}
	if out := k.ok("revert", "4", "--reason", "too low"); !strings.Contains(out, "(generation 5)") {
		t.Errorf("revert 4:\n%s", out)
	}
	if out := k.ok("log", "-n", "1"); !strings.Contains(out, "# revert of 4: too low") {
		t.Errorf("the revert's reason:\n%s", out)
	}
	k.ok("rollback", "--to", "1")
	if got := k.ok("export", "--format", "json"); got != exported {
		t.Errorf("after rollback --to 1 the export differs:\n%s\nwant\n%s", got, exported)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestIntegration_LogFollow: `kook log --follow` while eight writers
// commit, restarted half way from where it got to, its session expired
// once: every generation is printed once, in order, with its diff.
func TestIntegration_LogFollow(t *testing.T) {
	k := newKook(t)
	k.ok("group", "add", "g") // 1
	opened := make(chan *kook.Client, 4)
	clientOpened = func(c *kook.Client) { opened <- c }
	defer func() { clientOpened = nil }()

	var out syncBuffer
	start := func(from int64) (context.CancelFunc, chan int) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			var errb bytes.Buffer
			args := []string{"--zk", k.zk, "--config", os.DevNull, "log", "--follow", "--from", fmt.Sprint(from), "-o", "json"}
			code := run(ctx, args, &out, &errb)
			if code != 0 {
				t.Errorf("kook log --follow: exit %d: %s", code, errb.String())
			}
			done <- code
		}()
		return cancel, done
	}
	gens := func() []int64 {
		var gs []int64
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var c struct {
				Generation int64
				Changes    []string
			}
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("follow printed %q: %v", sc.Text(), err)
			}
			if len(c.Changes) == 0 {
				t.Errorf("generation %d printed without its diff", c.Generation)
			}
			gs = append(gs, c.Generation)
		}
		return gs
	}
	stop, done := start(1)
	follower := <-opened

	const writers, each = 8, 6
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := kook.Open(context.Background(), kook.Config{ZK: k.zk})
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := range each {
				if _, err := c.Edit(context.Background(), kook.EditOptions{}, kook.CreateHost{Name: fmt.Sprintf("h%d-%d", w, i), Groups: []string{"g"}}); err != nil {
					t.Error(err)
					return
				}
				switch {
				case w == 0 && i == 1:
					zktest.ExpireConn(t, follower.Store().Conn())
				case w == 1 && i == 3:
					// Restart the follower from the generation after the
					// last it printed.
					time.Sleep(50 * time.Millisecond)
					stop()
					<-done
					got := gens()
					stop, done = start(got[len(got)-1] + 1)
				}
			}
		}()
	}
	wg.Wait()
	want := 1 + writers*each
	for deadline := time.Now().Add(20 * time.Second); len(gens()) < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	got := gens()
	for i, g := range got {
		if g != int64(i+1) {
			t.Fatalf("follow printed generations %v: want 1..%d, each once, in order", got, want)
		}
	}
	if len(got) != want {
		t.Fatalf("follow printed %d generations, want %d", len(got), want)
	}
}

// TestIntegration_HistoryWho: each binary records its tool, the reason
// given, the OS user and machine, and with digest auth the digest user;
// the password is in no record. kook-import runs as the binary it is;
// kook serve and a Go program use the library as they do.
func TestIntegration_HistoryWho(t *testing.T) {
	k := newKook(t)
	k.zk = zktest.Shared(t).Addr + zktest.Root(t)
	auth := []string{"--auth", "alice:s3cret-pw"}
	bin := parity.Binaries(t)
	cmd := exec.Command(filepath.Join(bin, "kook-import"), example)
	cmd.Env = append(os.Environ(), "KOOK_ZK="+k.zk, "KOOK_CONFIG=/dev/null", "KOOK_ZK_AUTH=alice:s3cret-pw", "KOOK_REASON=initial import")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kook-import: %v\n%s", err, out)
	}
	k.ok(append(auth, "host", "set", "web-01.example.com", "x=1", "--reason", "from the cli")...)
	k.ok(append(auth, "config", "create", "svc", "--reason", "new service")...)
	ctx := context.Background()
	serve, err := kook.Open(ctx, kook.Config{ZK: k.zk, Auth: "alice:s3cret-pw", Tool: "kook serve"})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	if _, err := serve.Edit(ctx, kook.EditOptions{User: "bob", Reason: "from the web"}, kook.SetHostVars{Host: "web-01.example.com", Vars: model.Map{{Key: "x", Value: int64(2)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := serve.Jones(jones.Attribution{User: "bob"}).Set(ctx, "svc", "/", model.Map{{Key: "k", Value: int64(1)}}); err != nil {
		t.Fatal(err)
	}
	prog, err := kook.Open(ctx, kook.Config{ZK: k.zk, Auth: "alice:s3cret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	if _, err := prog.Edit(ctx, kook.EditOptions{}, kook.SetHostVars{Host: "web-01.example.com", Vars: model.Map{{Key: "x", Value: int64(3)}}}); err != nil {
		t.Fatal(err)
	}
	l, err := prog.Log(ctx, kook.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	machine, _ := os.Hostname()
	want := []struct{ tool, user, reason string }{
		{"", "", ""}, {"kook serve", "bob", "from the web"}, {"kook", "", "from the cli"}, {"kook-import", "", "initial import"},
	}
	if len(l.Entries) != len(want) {
		t.Fatalf("%d changes, want %d", len(l.Entries), len(want))
	}
	for i, w := range want {
		c := l.Entries[i]
		if c.Tool != w.tool || c.User != w.user || c.Reason != w.reason || c.Identity != "digest:alice" || c.OSUser == "" || c.Machine != machine {
			t.Errorf("generation %d: %+v; want tool %q, user %q, reason %q, digest:alice", c.Generation, *c.Commit, w.tool, w.user, w.reason)
		}
	}
	if who := l.Entries[1].Who(); who != "bob@"+machine {
		t.Errorf("kook serve's change: Who = %q, want bob@%s", who, machine)
	}
	if who := l.Entries[0].Who(); who != "digest:alice@"+machine {
		t.Errorf("a Go program's change: Who = %q, want the digest user", who)
	}
	cl, err := prog.ConfigLog(ctx, "svc", kook.ConfigLogOptions{})
	if err != nil || len(cl.Entries) != 2 {
		t.Fatalf("config log: %+v, %v", cl, err)
	}
	if c := cl.Entries[0]; c.Tool != "kook serve" || c.User != "bob" || c.Identity != "digest:alice" {
		t.Errorf("config change from kook serve: %+v", c)
	}
	if c := cl.Entries[1]; c.Tool != "kook" || c.Reason != "new service" || c.Identity != "digest:alice" {
		t.Errorf("config change from kook: %+v", c)
	}
	// No record holds the password.
	conn := prog.Store().Conn()
	for _, dir := range []string{"/kook/inventory/history", "/kook/services/svc/kook-history"} {
		kids, _, err := conn.Children(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, kid := range kids {
			data, _, _ := conn.Get(ctx, dir+"/"+kid)
			if bytes.Contains(data, []byte("s3cret")) {
				t.Errorf("%s/%s holds the password", dir, kid)
			}
		}
	}
}

// TestIntegration_ConfigHistoryCommands: kook config log, diff and revert,
// and kook log --service.
func TestIntegration_ConfigHistoryCommands(t *testing.T) {
	k := newKook(t)
	k.ok("config", "create", "svc")                                                // 1
	k.ok("config", "set", "svc", "/", "pool=10", "name=web", "--reason", "sizing") // 2
	k.ok("config", "create", "svc", "prod")                                        // 3
	k.ok("config", "set", "svc", "prod", "pool=20")                                // 4
	k.ok("config", "assoc", "svc", "web-01", "prod")                               // 5
	out := k.ok("config", "log", "svc")
	for _, want := range []string{"assoc", "+web-01: assoc prod", "+prod pool=20", "# sizing", "svc: history starts at generation 1; the last is 5"} {
		if !strings.Contains(out, want) {
			t.Errorf("config log: no %q in\n%s", want, out)
		}
	}
	if out := k.ok("log", "--service", "svc", "--env", "prod"); strings.Count(out, "\n") != 4 {
		t.Errorf("log --service svc --env prod: want 3, 4 and 5:\n%s", out)
	}
	if out := k.ok("config", "diff", "svc", "1..4"); !strings.Contains(out, "+ env prod") || !strings.Contains(out, "+ env /: var pool = 10") {
		t.Errorf("config diff 1..4:\n%s", out)
	}
	k.fails(1, "generation 4: environment prod (environment)", "config", "revert", "svc", "3")
	if out := k.ok("config", "revert", "svc", "4", "--dry-run"); !strings.Contains(out, "~ env prod: var pool: 20 -> 10") && !strings.Contains(out, "- env prod: var pool") {
		t.Errorf("config revert --dry-run:\n%s", out)
	}
	k.ok("config", "revert", "svc", "4")
	if out := k.ok("config", "show", "svc", "prod"); !strings.Contains(out, `"config":{}`) {
		t.Errorf("after revert: %s", out)
	}
}
