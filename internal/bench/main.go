// Command bench is kook's whole-process benchmark, run by `make bench`:
//
//	go run ./internal/bench [-runs 5] [-sizes 1000,10000,100000] [-ansible] [-ansible-max 10000] [-out FILE] [-bin DIR]
//	go run ./internal/bench -profile DIR [-sizes ...]
//
// It builds kook, kook-import and kook-inventory (or takes them from -bin)
// and the floor programs, generates synthetic inventories with
// internal/gen, and for each size starts its own ZooKeeper on a free
// loopback port with a temporary data directory. It prints one markdown
// table of medians (with min and max) of whole-process runs: one-host
// edits with the bytes each adds to ZooKeeper's transaction log (read with
// internal/zklog), `kook group set all`, concurrent writers, the kook
// commands that read one host or group, imports, --list on the fast and
// the slow path, --host, cat of the same JSON and small Go programs as
// floors, and ansible-inventory on the INI directory versus on
// kook-inventory, with and without KOOK_LIMIT; then the targets of issues
// 4 and 10, met or missed. Progress goes to stderr, the table to stdout
// (and -out). With -profile it writes CPU profiles of the same work, run
// in-process, instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	runs       int
	sizes      []int
	ansible    bool
	ansibleMax int
	out        string
	bin        string
	keep       bool
	profile    string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&c.runs, "runs", 5, "timed runs per measurement (at least 5 for the README)")
	sizes := fs.String("sizes", "1000,10000,100000", "comma-separated host counts; each gets hosts/50 groups")
	fs.BoolVar(&c.ansible, "ansible", true, "include the ansible-inventory rows (for sizes up to -ansible-max)")
	fs.IntVar(&c.ansibleMax, "ansible-max", 10000, "largest size to run ansible-inventory on (a 100,000-host run takes minutes)")
	fs.StringVar(&c.out, "out", "", "also write the table to this file")
	fs.StringVar(&c.bin, "bin", "", "directory holding kook, kook-import and kook-inventory (default: build them)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (inventories, ZooKeeper data and log)")
	fs.StringVar(&c.profile, "profile", "", "instead of the table, write CPU profiles of import, --list, --host, the edits and the reads (run in this process) to this directory")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.runs < 1 {
		return c, fmt.Errorf("-runs %d: want at least 1", c.runs)
	}
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return c, fmt.Errorf("-sizes: bad size %q", f)
		}
		c.sizes = append(c.sizes, n)
	}
	return c, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == spawnArg {
		spawnMain(os.Args[2:])
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds what every measurement needs.
type bench struct {
	cfg      config
	repo     string
	tmp      string
	bin      string  // holds kook, kook-import and kook-inventory
	floor    string  // holds the floor programs (internal/bench/floor)
	empty    string  // an empty directory for Ansible to run in
	zk       *server // the current size's
	features struct {
		slowPath string // the environment setting for it, "" if not built in
		limit    bool
	}
	machine machine
	results []*sizeResult
}

func run(ctx context.Context, cfg config) (err error) {
	b := &bench{cfg: cfg}
	if b.repo, err = repoRoot(); err != nil {
		return err
	}
	b.machine = probeMachine(b.repo)
	if b.tmp, err = os.MkdirTemp("", "kook-bench-"); err != nil {
		return err
	}
	defer func() {
		if cfg.keep {
			b.logf("kept %s", b.tmp)
			return
		}
		os.RemoveAll(b.tmp)
	}()
	b.empty = filepath.Join(b.tmp, "empty")
	if err := os.Mkdir(b.empty, 0o755); err != nil {
		return err
	}
	if cfg.profile == "" {
		if err := b.binaries(ctx); err != nil {
			return err
		}
	}
	if cfg.profile != "" {
		b.logf("starting ZooKeeper")
		if b.zk, err = startZooKeeper(ctx, filepath.Join(b.tmp, "zookeeper")); err != nil {
			return err
		}
		defer b.zk.stop()
		return b.profile(ctx, cfg.profile)
	}

	for _, n := range cfg.sizes {
		r, err := b.measureSize(ctx, n)
		if err != nil {
			return fmt.Errorf("%d hosts: %w", n, err)
		}
		b.results = append(b.results, r)
	}
	b.machine.loadAfter = loadAvg()
	table := b.render()
	fmt.Print(table)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// binaries builds the commands into the temporary directory, or checks the
// ones in -bin, and detects what the build supports.
func (b *bench) binaries(ctx context.Context) error {
	if b.cfg.bin != "" {
		abs, err := filepath.Abs(b.cfg.bin)
		if err != nil {
			return err
		}
		b.bin = abs
	} else {
		b.bin = filepath.Join(b.tmp, "bin")
		b.logf("building kook, kook-import and kook-inventory")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.bin+"/", "./cmd/kook", "./cmd/kook-import", "./cmd/kook-inventory")
		cmd.Dir = b.repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as the Makefile builds them
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %w\n%s", err, out)
		}
	}
	// The floor programs show what any Go command pays before doing its
	// own work.
	b.floor = filepath.Join(b.tmp, "floor")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.floor+"/", "./internal/bench/floor/hello", "./internal/bench/floor/session", "./internal/bench/floor/setdata")
	cmd.Dir = b.repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	exe, err := os.ReadFile(filepath.Join(b.bin, "kook-inventory"))
	if err != nil {
		return err
	}
	for _, name := range []string{"kook", "kook-import"} {
		if _, err := os.Stat(filepath.Join(b.bin, name)); err != nil {
			return err
		}
	}
	// The environment variable names are string constants in a binary
	// that reads them; absent, the feature is not built in.
	switch {
	case strings.Contains(string(exe), "KOOK_READ_ENTITIES"):
		b.features.slowPath = "KOOK_READ_ENTITIES=true"
	case strings.Contains(string(exe), "KOOK_READ"):
		b.features.slowPath = "KOOK_READ=entities"
	}
	b.features.limit = strings.Contains(string(exe), "KOOK_LIMIT")
	return nil
}

// repoRoot is the directory holding go.mod, upward from the current one.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the kook repository: go.mod not found")
		}
		dir = parent
	}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench %s: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// kookEnv is the bench's environment without any KOOK_ setting of the
// caller's, plus extra.
func kookEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KOOK_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
