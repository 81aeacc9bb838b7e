package web_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/gen"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/web"
)

// BenchmarkServe measures kook serve at scale: a generated inventory of
// KOOK_WEB_BENCH_HOSTS hosts (default 100,000; hosts/50 groups, as make
// bench generates them) and a service of 1,000 environments with 1,000
// associations, served by a real `kook serve` process. It prints p50/p95
// of each request's time on loopback (the server's time plus about 0.1 ms
// of client), the server's peak RSS, and the inventory's in-memory size
// (the heap the server's snapshot takes, measured here by loading one).
//
//	go test ./web/ -run '^$' -bench Serve -benchtime 1x
func BenchmarkServe(b *testing.B) {
	hosts := 100000
	if s := os.Getenv("KOOK_WEB_BENCH_HOSTS"); s != "" {
		hosts, _ = strconv.Atoi(s)
	}
	const envs, requests = 1000, 200
	ctx := context.Background()
	dir := b.TempDir()
	zk, err := zktest.Launch(filepath.Join(dir, "zk"), zktest.Options{JVMFlags: []string{"-Xms256m", "-Xmx1g", "-XX:+UseSerialGC"}})
	if err != nil {
		b.Fatal(err)
	}
	defer zk.Stop()
	connect := zk.Addr + "/webbench"

	// The inventory and the service, untimed.
	start := time.Now()
	src := filepath.Join(dir, "inv")
	if err := gen.Generate(src, gen.Options{Hosts: hosts, Groups: max(gen.MinGroups, hosts/50), Seed: 1, Depth: 3}); err != nil {
		b.Fatal(err)
	}
	inv, err := inventory.Load(src)
	if err != nil {
		b.Fatal(err)
	}
	c, err := kook.Open(ctx, kook.Config{ZK: connect, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Replace(ctx, kook.EditOptions{Reason: "bench"}, inv); err != nil {
		b.Fatal(err)
	}
	names := make([]string, len(inv.Hosts))
	for i, h := range inv.Hosts {
		names[i] = h.Name
	}
	inv = nil
	js := jones.NewStore(c.Store().Conn(), "")
	var envNames []string
	if err := js.Create(ctx, "bench", "", model.Map{{Key: "timeout", Value: int64(30)}, {Key: "ratio", Value: 1.0}}); err != nil {
		b.Fatal(err)
	}
	for i := 0; len(envNames) < envs; i++ {
		top := fmt.Sprintf("region%02d", i)
		list := []string{top}
		for j := 0; j < envs/10-1; j++ {
			list = append(list, fmt.Sprintf("%s/cell%03d", top, j))
		}
		for _, e := range list {
			if err := js.Create(ctx, "bench", e, model.Map{{Key: "name", Value: e}, {Key: "port", Value: int64(8000 + len(envNames))}}); err != nil {
				b.Fatal(err)
			}
			envNames = append(envNames, e)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < envs; i++ {
		if err := js.Assoc(ctx, "bench", names[rng.IntN(len(names))], envNames[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("setup: %d hosts, %d environments in %s", len(names), len(envNames), time.Since(start).Round(time.Second))

	// The snapshot's size: the heap one Live takes.
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	live, err := web.NewLive(ctx, c.Store(), nil)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	snapBytes := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	runtime.KeepAlive(live.Snap())
	live.Close()

	// kook serve, as a process of its own.
	bin := filepath.Join(dir, "kook")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/kook").CombinedOutput(); err != nil {
		b.Fatalf("build kook: %v\n%s", err, out)
	}
	h, err := web.HashPassword("bench")
	if err != nil {
		b.Fatal(err)
	}
	users := filepath.Join(dir, "users")
	os.WriteFile(users, []byte("bench:"+h+":admin\n"), 0o600)
	addr := freeAddr(b)
	cmd := exec.Command(bin, "serve", "--users", users, "--listen", addr)
	cmd.Env = append(os.Environ(), "KOOK_ZK="+connect, "KOOK_ROOT=/kook", "KOOK_CONFIG=/dev/null", "KOOK_TIMEOUT=1m")
	cmd.Stderr = os.Stderr
	loadStart := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://" + addr
	get := func(method, path, body string) (time.Duration, int) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.SetBasicAuth("bench", "bench")
		req.Header.Set("Accept", "text/html")
		t0 := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return time.Since(t0), res.StatusCode
	}
	for {
		if _, code := get("GET", "/api/v1/status", ""); code == 200 {
			break
		}
		if time.Since(loadStart) > 2*time.Minute {
			b.Fatal("kook serve did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	loaded := time.Since(loadStart)

	type row struct {
		name string
		path func(i int) (method, path, body string)
	}
	rows := []row{
		{"host list (all, a page of 100 at a random offset)", func(i int) (string, string, string) {
			return "GET", fmt.Sprintf("/hosts?pattern=all&offset=%d", rng.IntN(len(names)/100)*100), ""
		}},
		{"host search (pattern and --where, each new)", func(i int) (string, string, string) {
			return "GET", fmt.Sprintf("/hosts?pattern=env_prod:!canary&where=bench_edit!=%d", i), ""
		}},
		{"host page (groups, effective vars, explain)", func(i int) (string, string, string) {
			return "GET", "/hosts/" + names[rng.IntN(len(names))], ""
		}},
		{"service page (1,000 environments)", func(i int) (string, string, string) {
			return "GET", "/service/bench/" + envNames[rng.IntN(len(envNames))] + "/", ""
		}},
		{"edit: set a host var (API), until the server shows it", func(i int) (string, string, string) {
			return "POST", "/api/v1/edit", fmt.Sprintf(`{"ops":[{"op":"host.set","host":%q,"vars":{"bench_edit":%d}}]}`, names[rng.IntN(len(names))], i)
		}},
	}
	b.ResetTimer()
	fmt.Printf("\nkook serve, %d hosts, %d environments (%d requests per row, %d for searches; server loaded in %s):\n\n", len(names), len(envNames), requests, requests/4, loaded.Round(time.Millisecond))
	fmt.Printf("| request | p50 | p95 | max |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		var ds []time.Duration
		n := requests
		if strings.HasPrefix(r.name, "host search") {
			n = requests / 4 // each one is a whole search
		}
		for i := range n {
			method, path, body := r.path(i)
			d, code := get(method, path, body)
			if code != 200 {
				b.Fatalf("%s %s: status %d", method, path, code)
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		p50, p95 := ds[len(ds)/2], ds[len(ds)*95/100]
		fmt.Printf("| %s | %s | %s | %s |\n", r.name, ms(p50), ms(p95), ms(ds[len(ds)-1]))
		b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms:"+strings.Fields(r.name)[0]+"-"+strings.Fields(r.name)[1])
	}
	rss, hwm := procMem(cmd.Process.Pid)
	fmt.Printf("\nsnapshot in memory: %.1f MiB; kook serve RSS %.1f MiB (peak %.1f MiB): %.2fx the snapshot (target ≤ 2x)\n",
		mib(snapBytes), mib(rss), mib(hwm), float64(rss)/float64(snapBytes))
	b.ReportMetric(mib(rss), "rss-MiB")
	b.ReportMetric(mib(snapBytes), "snapshot-MiB")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// procMem returns a process's resident and peak resident bytes.
func procMem(pid int) (rss, hwm int64) {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				rss = n << 10
			} else {
				hwm = n << 10
			}
		}
	}
	return rss, hwm
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
