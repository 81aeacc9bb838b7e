package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/zkconn"
)

// TestMain lets the test binary act as the launcher, as the bench binary
// does: execute re-runs os.Executable with spawnArg.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == spawnArg {
		spawnMain(os.Args[2:])
	}
	os.Exit(m.Run())
}

// The launcher must report the child's peak RSS, not the parent's: hold
// 256 MiB here and check that /bin/true is reported far below it.
func TestExecute(t *testing.T) {
	ballast := make([]byte, 256<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	ctx := context.Background()
	s, _, err := execute(ctx, command{path: "/bin/true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.rss <= 0 || s.rss > 32<<20 || s.wall <= 0 {
		t.Errorf("/bin/true: %+v, want 0 < rss <= 32 MiB and a wall time", s)
	}
	runtime.KeepAlive(ballast)

	var out bytes.Buffer
	if _, _, err := execute(ctx, command{path: "sh", args: []string{"-c", "echo hi"}}, &out); err != nil || out.String() != "hi\n" {
		t.Errorf("stdout = %q, err %v; want \"hi\\n\"", out.String(), err)
	}
	_, stderr, err := execute(ctx, command{path: "sh", args: []string{"-c", "echo oops >&2; exit 3"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "exit status 3: oops") || stderr != "oops\n" {
		t.Errorf("err = %v, stderr %q; want exit status 3 and oops", err, stderr)
	}
	if _, _, err := execute(ctx, command{path: "/nonexistent/cmd"}, nil); err == nil {
		t.Error("a missing command gave no error")
	}
}

// Expected values in this file are worked out by hand.
func TestSeriesStats(t *testing.T) {
	tests := []struct {
		name        string
		ms          []int
		med, lo, hi float64 // seconds
	}{
		{name: "Odd", ms: []int{30, 10, 20}, med: 0.020, lo: 0.010, hi: 0.030},
		{name: "Even", ms: []int{40, 10, 30, 20}, med: 0.025, lo: 0.010, hi: 0.040},
		{name: "One", ms: []int{7}, med: 0.007, lo: 0.007, hi: 0.007},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s series
			for _, m := range tt.ms {
				s.add(sample{wall: time.Duration(m) * time.Millisecond})
			}
			med, lo, hi := s.stats(wallSeconds)
			if !near(med, tt.med) || !near(lo, tt.lo) || !near(hi, tt.hi) {
				t.Errorf("stats = %v, %v, %v; want %v, %v, %v", med, lo, hi, tt.med, tt.lo, tt.hi)
			}
		})
	}
	var none *series
	if got := none.median(); got != 0 {
		t.Errorf("median of no series = %v, want 0", got)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestCell(t *testing.T) {
	tests := []struct {
		name string
		s    *series
		want string
	}{
		{name: "Milliseconds", s: &series{samples: []sample{{wall: 12300 * time.Microsecond}, {wall: 9 * time.Millisecond}, {wall: 1500 * time.Millisecond}}}, want: "12.3 ms (9.0–1500.0)"},
		{name: "Seconds", s: &series{samples: []sample{{wall: 2 * time.Second}, {wall: 1500 * time.Millisecond}}}, want: "1.75 s (1.50–2.00)"},
		{name: "Note", s: &series{note: "n/a (x | y)"}, want: `n/a (x \| y)`},
		{name: "Nil", want: "n/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cell(tt.s, wallSeconds, timeUnit); got != tt.want {
				t.Errorf("cell = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{7: "7", 200: "200", 2000: "2,000", 100000: "100,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []int
		wantErr string
	}{
		{name: "Default", want: []int{1000, 10000, 100000}},
		{name: "Sizes", args: []string{"-sizes", "1000, 2000"}, want: []int{1000, 2000}},
		{name: "ErrSize", args: []string{"-sizes", "10k"}, wantErr: "bad size"},
		{name: "ErrRuns", args: []string{"-runs", "0"}, wantErr: "at least 1"},
		{name: "ErrArgs", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(c.sizes) != fmt.Sprint(tt.want) || c.runs != 5 || !c.ansible || c.ansibleMax != 10000 {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func TestCheckLimit(t *testing.T) {
	full := []byte(`{"all":{"children":["ungrouped","web"]},"web":{"hosts":["a","b"]},
		"_meta":{"hostvars":{"a":{"x":1,"y":[1,2]},"b":{"x":2}}}}`)
	tests := []struct {
		name    string
		limited string
		want    string
	}{
		{name: "OK", limited: `{"_meta":{"hostvars":{"a":{"y":[1,2],"x":1}}}}`, want: "each kept host has the same vars"},
		{name: "ErrVar", limited: `{"_meta":{"hostvars":{"a":{"x":1.0,"y":[1,2]}}}}`, want: "DIFFERENT: host a"},
		{name: "ErrHost", limited: `{"_meta":{"hostvars":{"c":{}}}}`, want: "host c is not in the unlimited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, got := checkLimit(full, []byte(tt.limited))
			if n != 1 || !strings.Contains(got, tt.want) {
				t.Errorf("checkLimit = %d, %q; want 1, %q", n, got, tt.want)
			}
		})
	}
}

func TestPick(t *testing.T) {
	list := []byte(`{"_meta":{"hostvars":{"a":{},"b":{"x":1},"c":{}}},
		"all":{"children":["ungrouped","web","env_prod","env_staging"]},
		"env_prod":{"hosts":["a","b"]},"web":{"hosts":["a","b","c"]},"env_staging":{"hosts":["c"]}}`)
	p, err := pick(list)
	if err != nil {
		t.Fatal(err)
	}
	want := picks{host: "b", group: "web", groupHosts: 3, other: "c", prodHosts: 2}
	if p != want {
		t.Errorf("pick = %+v, want %+v", p, want)
	}
	if _, err := pick([]byte(`{"_meta":{"hostvars":{"a":{}}},"env_prod":{"hosts":["a"]}}`)); err == nil {
		t.Error("a host in tag groups only: no error")
	}
}

func TestExplainVar(t *testing.T) {
	for show, want := range map[string]string{
		`{"name":"h","effective_vars":{"a":1,"http_port":80}}`: "http_port",
		`{"name":"h","effective_vars":{"a":1,"b":2}}`:          "a",
	} {
		if got, err := explainVar([]byte(show)); err != nil || got != want {
			t.Errorf("explainVar(%s) = %q, %v; want %q", show, got, err, want)
		}
	}
	if _, err := explainVar([]byte(`{"effective_vars":{}}`)); err == nil {
		t.Error("no vars: no error")
	}
}

func TestCommandShort(t *testing.T) {
	c := command{path: "/tmp/x/bin/kook-import", args: []string{"--zk", "127.0.0.1:1", "--root", "/r", "--merge", filepath.Join(os.TempDir(), "b", "f.ini")}}
	if got, want := c.short(), "kook-import --merge f.ini"; got != want {
		t.Errorf("short = %q, want %q", got, want)
	}
	if got, want := lastLine([]byte("+ host h: var v = 1\n+1 var (generation 2)\n")), "+1 var (generation 2)"; got != want {
		t.Errorf("lastLine = %q, want %q", got, want)
	}
}

func TestVerdict(t *testing.T) {
	for _, tt := range []struct {
		got, want float64
		v         string
	}{{1, 2, "met"}, {2, 2, "met"}, {3, 2, "**missed by 1.5×**"}, {0, 2, "not measured"}} {
		if v := verdict(tt.got, tt.want); v != tt.v {
			t.Errorf("verdict(%v, %v) = %q, want %q", tt.got, tt.want, v, tt.v)
		}
	}
}

func TestIntegration_DeleteAll(t *testing.T) {
	ctx := context.Background()
	zs := zktest.Start(t)
	conn, err := zkconn.Dial(ctx, zkconn.Config{Connect: zs.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s := &server{zk: zs, conn: conn}
	// More leaves than one delete batch, at two depths, and a sibling that
	// must survive.
	for _, p := range []string{"/r/a/leaves", "/r/b", "/keep"} {
		if err := conn.EnsurePath(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.lastZxid()
	if err != nil || before == 0 {
		t.Fatalf("lastZxid = %d, %v; want the creates' zxid", before, err)
	}
	for i := range 2500 {
		if err := conn.Create(ctx, fmt.Sprintf("/r/a/leaves/n%04d", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	// Each create's record: 12 bytes of checksum and length, a 28-byte
	// header, the create (path, data, ACL, flags, parent's cversion), 'B'.
	logged, records, last, err := s.logAfter(before)
	if err != nil || logged < 2500*80 || logged > 2500*200 || records != 2500 || last != before+2500 {
		t.Errorf("logAfter = %d bytes, %d records, last zxid %d (%v); want 2500 of 80-200 bytes, zxid %d", logged, records, last, err, before+2500)
	}
	if err := s.deleteAll(ctx, "/r"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := conn.Exists(ctx, "/r"); err != nil || ok {
		t.Errorf("/r exists = %v (err %v) after deleteAll", ok, err)
	}
	if ok, _, err := conn.Exists(ctx, "/keep"); err != nil || !ok {
		t.Errorf("/keep exists = %v (err %v), want true", ok, err)
	}
	if err := s.deleteAll(ctx, "/missing"); err != nil {
		t.Errorf("deleteAll of a missing path: %v", err)
	}
}
