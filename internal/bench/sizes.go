package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/gen"
)

// Rows of the table.
const (
	rowImportFresh = "import-fresh"
	rowImportAgain = "import-again"
	rowListFast    = "list-fast"
	rowListSlow    = "list-slow"
	rowListLimit   = "list-limit"
	rowCat         = "cat"
	rowHost        = "host"
	rowShow        = "host-show"
	rowExplain     = "explain"
	rowGroupShow   = "group-show"
	rowStatus      = "status"
	rowTrue        = "true"
	rowGoHello     = "go-hello"
	rowKookStart   = "kook-start"
	rowGoSession   = "go-session"
	rowGoSetData   = "go-setdata"
	rowHostSet     = "host-set"
	rowHostSetMin  = "host-set-minimal"
	rowHostAdd     = "host-add"
	rowHostRm      = "host-rm"
	rowAddHost     = "group-add-host"
	rowRmHost      = "group-rm-host"
	rowMerge       = "import-merge"
	rowSetAll      = "group-set-all"
	rowConcTotal   = "conc-total"
	rowConcSlowest = "conc-slowest"
	rowAnsibleINI  = "ansible-ini"
	rowAnsibleKook = "ansible-kook"
	rowAnsibleLim  = "ansible-limit"
)

// The concurrent writers: concProcs processes started together, each
// running concEdits `kook host add` one after another.
const (
	concProcs = 20
	concEdits = 5
)

// sizeResult is everything measured for one inventory size.
type sizeResult struct {
	hosts, groups int
	iniBytes      int64
	groupFiles    int
	hostFiles     int
	listBytes     int
	limitHosts    int
	picks         picks
	conc          concResult
	rows          map[string]*series
	checks        []string // correctness checks made on the way, for the notes
}

func (r *sizeResult) row(key string) *series {
	s, ok := r.rows[key]
	if !ok {
		s = &series{}
		r.rows[key] = s
	}
	return s
}

// fail notes a failed command in its row, with the error in the notes.
func (r *sizeResult) fail(s *series, err error) {
	s.note = "error (see notes)"
	r.checkf("**%v**", err)
}

func (r *sizeResult) checkf(format string, args ...any) {
	r.checks = append(r.checks, fmt.Sprintf(format, args...))
}

// measureSize generates an inventory of n hosts, starts a ZooKeeper of its
// own for it, and measures every row. The order matters for the server's
// log: edits come first, while the log holds one import and reads of it
// are quick, then reads, then the imports, which write gigabytes.
func (b *bench) measureSize(ctx context.Context, n int) (*sizeResult, error) {
	r := &sizeResult{hosts: n, groups: max(gen.MinGroups, n/50), rows: map[string]*series{}}
	opts := gen.Options{Hosts: n, Groups: r.groups, Seed: 1, Depth: 3}
	dirA := filepath.Join(b.tmp, fmt.Sprintf("inv-%d", n))
	b.logf("%d hosts: generating", n)
	if err := gen.Generate(dirA, opts); err != nil {
		return nil, err
	}
	if err := r.describe(dirA); err != nil {
		return nil, err
	}
	b.logf("%d hosts: starting ZooKeeper", n)
	zs, err := startZooKeeper(ctx, filepath.Join(b.tmp, fmt.Sprintf("zookeeper-%d", n)))
	if err != nil {
		return nil, err
	}
	defer zs.stop()
	b.zk = zs
	if b.machine.zookeeper == "unknown" {
		b.machine.zookeeper = zs.version()
	}

	// A failing kook command is noted in its row and the rows that depend
	// on it; the rest of the table still means something.
	base := fmt.Sprintf("/kook-bench/%d", n)
	root := base + "/main"
	var list []byte
	err = b.prepare(ctx, r, root, opts)
	if err == nil {
		err = b.edits(ctx, r, root)
	}
	if err == nil {
		err = b.concurrent(ctx, r, root)
	}
	if err == nil {
		list, err = b.reads(ctx, r, root)
	}
	if err == nil {
		err = b.imports(ctx, r, base, dirA, opts)
	}
	if err != nil {
		b.logf("%d hosts: %v", n, err)
		r.checkf("**%v**", err)
		r.skipRest("not run (see notes)")
	}
	b.ansibleRows(ctx, r, root, dirA, list != nil)
	return r, nil
}

// skipRest notes why on every row not measured yet.
func (r *sizeResult) skipRest(why string) {
	for _, spec := range rowSpecs {
		if spec.key == "" || spec.key == "ratio" || spec.key == rowAnsibleINI {
			continue
		}
		if s := r.row(spec.key); len(s.samples) == 0 && s.note == "" {
			s.note = why
		}
	}
}

// describe records the inventory's size on disk.
func (r *sizeResult) describe(dir string) error {
	st, err := os.Stat(filepath.Join(dir, "hosts"))
	if err != nil {
		return err
	}
	r.iniBytes = st.Size()
	g, err := os.ReadDir(filepath.Join(dir, "group_vars"))
	if err != nil {
		return err
	}
	h, err := os.ReadDir(filepath.Join(dir, "host_vars"))
	if err != nil {
		return err
	}
	r.groupFiles, r.hostFiles = len(g), len(h)
	return nil
}

func (b *bench) importCmd(root string, args ...string) command {
	return command{path: filepath.Join(b.bin, "kook-import"), args: append([]string{"--zk", b.zk.addr, "--root", root}, args...), env: kookEnv()}
}

// kookCmd is a kook CLI command on root.
func (b *bench) kookCmd(root string, args ...string) command {
	return command{path: filepath.Join(b.bin, "kook"), args: args, env: b.env(root)}
}

func (b *bench) env(root string) []string {
	return kookEnv("KOOK_ZK="+b.zk.addr, "KOOK_ROOT="+root)
}

// againDir is the directory the main root is imported from: revision rev
// of the inventory, regenerated (untimed) at each call.
func (b *bench) againDir(n int, opts gen.Options, rev int) (string, error) {
	dir := filepath.Join(b.tmp, fmt.Sprintf("inv-%d-again", n))
	o := opts
	o.Revision = rev
	if err := os.RemoveAll(dir); err != nil { // the bench's own temp dir
		return "", err
	}
	return dir, gen.Generate(dir, o)
}

// prepare imports the inventory into root (untimed) and picks, from its
// --list, the hosts and groups the kook rows work on.
func (b *bench) prepare(ctx context.Context, r *sizeResult, root string, opts gen.Options) error {
	dir, err := b.againDir(r.hosts, opts, 0)
	if err != nil {
		return err
	}
	b.logf("%d hosts: importing into %s", r.hosts, root)
	if _, _, err := execute(ctx, b.importCmd(root, dir), nil); err != nil {
		return fmt.Errorf("import into %s: %w", root, err)
	}
	var out bytes.Buffer
	inv := filepath.Join(b.bin, "kook-inventory")
	if _, _, err := execute(ctx, command{path: inv, args: []string{"--list"}, env: b.env(root)}, &out); err != nil {
		r.fail(r.row(rowListFast), err)
		return err
	}
	if r.picks, err = pick(out.Bytes()); err != nil {
		return fmt.Errorf("--list output: %w", err)
	}
	out.Reset()
	if _, _, err := execute(ctx, b.kookCmd(root, "host", "show", r.picks.host, "-o", "json"), &out); err != nil {
		r.fail(r.row(rowShow), err)
		return err
	}
	r.picks.explainVar, err = explainVar(out.Bytes())
	return err
}

// imports measures kook-import twice over. Into an empty root: each run
// gets a new --root, deleted (untimed) afterwards so the server does not
// grow run after run. Again: one directory is regenerated (untimed) before
// each run, alternating between two revisions of the inventory that differ
// in 1% of the hosts, and imported into one root, so each run writes a
// generation as a team re-importing its edited checkout would. (Importing
// from another path would change every entity: kook records each var's
// file.) It leaves base/main holding revision 0, which Ansible reads as
// it reads dirA.
func (b *bench) imports(ctx context.Context, r *sizeResult, base, dirA string, opts gen.Options) error {
	fresh := r.row(rowImportFresh)
	for i := range b.cfg.runs {
		root := fmt.Sprintf("%s/fresh-%d", base, i)
		x, _, err := execute(ctx, b.importCmd(root, dirA), nil)
		if err != nil {
			r.fail(fresh, err)
			break
		}
		fresh.add(x)
		b.logf("%d hosts: kook-import into an empty root %d/%d: %s", r.hosts, i+1, b.cfg.runs, x.wall.Round(time.Millisecond))
		if err := b.zk.deleteAll(ctx, root); err != nil {
			return err
		}
	}
	root := base + "/main"
	// The edits left their marks on root: revision 0 again, untimed.
	dir, err := b.againDir(r.hosts, opts, 0)
	if err != nil {
		return err
	}
	if _, _, err := execute(ctx, b.importCmd(root, dir), nil); err != nil {
		return fmt.Errorf("import into %s: %w", root, err)
	}
	again := r.row(rowImportAgain)
	for i := range b.cfg.runs {
		if _, err := b.againDir(r.hosts, opts, 1-i%2); err != nil {
			return err
		}
		var out bytes.Buffer
		x, _, err := execute(ctx, b.importCmd(root, dir), &out)
		if err != nil {
			r.fail(again, err)
			break
		}
		again.add(x)
		if bytes.Contains(out.Bytes(), []byte("no changes")) {
			r.checkf("re-import %d wrote nothing (%s): the row does not measure a write", i+1, bytes.TrimSpace(out.Bytes()))
		}
		b.logf("%d hosts: kook-import again %d/%d: %s: %s", r.hosts, i+1, b.cfg.runs, x.wall.Round(time.Millisecond), bytes.TrimSpace(out.Bytes()))
	}
	if len(again.samples)%2 == 1 {
		if _, err := b.againDir(r.hosts, opts, 0); err != nil {
			return err
		}
		if _, _, err := execute(ctx, b.importCmd(root, dir), nil); err != nil {
			return err
		}
	}
	return nil
}

// timed runs c once untimed (its output captured and returned), then
// b.cfg.runs times timed into row.
func (b *bench) timed(ctx context.Context, r *sizeResult, key, what string, c command) ([]byte, error) {
	s := r.row(key)
	var out bytes.Buffer
	if _, _, err := execute(ctx, c, &out); err != nil {
		r.fail(s, err)
		return nil, err
	}
	for range b.cfg.runs {
		x, _, err := execute(ctx, c, nil)
		if err != nil {
			r.fail(s, err)
			return nil, err
		}
		s.add(x)
	}
	b.logf("%d hosts: %s: median %s", r.hosts, what, time.Duration(s.median()*float64(time.Second)).Round(10*time.Microsecond))
	return out.Bytes(), nil
}

// fastRuns is how many times the rows that take milliseconds run: their
// medians move with every hiccup of a small shared machine.
func (b *bench) fastRuns() int { return 4 * b.cfg.runs }

// reads measures kook-inventory --list (fast path, slow path, with
// KOOK_LIMIT), cat of the same JSON, --host, the kook commands that read
// one host or group, and the floors. It returns the --list output.
func (b *bench) reads(ctx context.Context, r *sizeResult, root string) ([]byte, error) {
	inv := filepath.Join(b.bin, "kook-inventory")
	env := b.env(root)
	listCmd := command{path: inv, args: []string{"--list"}, env: env}
	var out bytes.Buffer
	if _, _, err := execute(ctx, listCmd, &out); err != nil {
		r.fail(r.row(rowListFast), err)
		return nil, err
	}
	list := out.Bytes()
	r.listBytes = len(list)

	if b.features.slowPath == "" {
		r.row(rowListSlow).note = "n/a (slow path not implemented)"
	} else {
		slow, err := b.timed(ctx, r, rowListSlow, "kook-inventory --list, "+b.features.slowPath,
			command{path: inv, args: []string{"--list"}, env: slices.Concat(env, []string{b.features.slowPath})})
		if err == nil {
			r.checkf("`--list` with %s: %s the fast path's output", b.features.slowPath, sameBytes(slow, list))
		}
	}

	if !b.features.limit {
		r.row(rowListLimit).note = "n/a (KOOK_LIMIT not implemented)"
	} else {
		limited, err := b.timed(ctx, r, rowListLimit, "kook-inventory --list, KOOK_LIMIT",
			command{path: inv, args: []string{"--list"}, env: slices.Concat(env, []string{"KOOK_LIMIT=" + gen.CanaryGroup})})
		if err == nil {
			hv, err := hostvars(limited)
			if err != nil {
				r.checkf("`--list` with KOOK_LIMIT: %v", err)
			} else {
				r.checkf("`--list` with KOOK_LIMIT=%s: %d hosts, %s", gen.CanaryGroup, len(hv), mib(float64(len(limited))))
			}
		}
	}

	file := filepath.Join(b.tmp, fmt.Sprintf("list-%d.json", r.hosts))
	if err := os.WriteFile(file, list, 0o644); err != nil {
		return nil, err
	}
	p := r.picks
	// --host prints the host's effective vars, as kook host show does.
	out.Reset()
	if _, _, err := execute(ctx, b.kookCmd(root, "host", "show", p.host, "-o", "json"), &out); err != nil {
		r.fail(r.row(rowShow), err)
		return nil, err
	}
	want, err := effectiveVars(out.Bytes())
	if err != nil {
		return nil, err
	}
	// The millisecond rows run in rounds, one of each per round, so that
	// whatever else the machine does weighs on all of them alike, and
	// --list ÷ cat compares like with like.
	fast := []struct {
		key, what string
		c         command
	}{
		{rowListFast, "kook-inventory --list", listCmd},
		{rowCat, "cat", command{path: "cat", args: []string{file}}},
		{rowHost, "kook-inventory --host", command{path: inv, args: []string{"--host", p.host}, env: env}},
		{rowShow, "kook host show", b.kookCmd(root, "host", "show", p.host)},
		{rowExplain, "kook explain", b.kookCmd(root, "explain", p.host, p.explainVar)},
		{rowGroupShow, "kook group show", b.kookCmd(root, "group", "show", p.group)},
		{rowStatus, "kook status", b.kookCmd(root, "status")},
		{rowTrue, "/bin/true", command{path: "/bin/true"}},
		{rowGoHello, "Go: print {}", command{path: filepath.Join(b.floor, "hello")}},
		{rowKookStart, "kook completion bash", b.kookCmd(root, "completion", "bash")},
		{rowGoSession, "Go: session, read head, close", command{path: filepath.Join(b.floor, "session"), args: []string{b.zk.addr, root + "/inventory/head"}}},
	}
	var reqs []string
	for _, f := range fast { // warm-up, untimed; checks what it can
		var out bytes.Buffer
		n, err := b.zk.requests(func() error {
			_, _, err := execute(ctx, f.c, &out)
			return err
		})
		if err != nil {
			r.fail(r.row(f.key), err)
			return nil, err
		}
		if n > 0 {
			reqs = append(reqs, fmt.Sprintf("%s %d", f.what, n))
		}
		switch f.key {
		case rowHost:
			r.checkf("`--host %s`: %s", p.host, sameJSON(want, out.Bytes(), "the effective vars `kook host show -o json` prints"))
		case rowStatus:
			r.checkf("`kook status`: %s", says(out.Bytes(), fmt.Sprintf("%d hosts", r.hosts)))
		case rowGroupShow:
			r.checkf("`kook group show %s` (%d hosts, of %d in the largest group): %s", p.group, p.groupHosts, p.prodHosts,
				says(out.Bytes(), fmt.Sprintf("all hosts: %d", p.groupHosts)))
		}
	}
	r.checkf("requests each read sends to ZooKeeper (its warm-up run; its session's connect and close included): %s", strings.Join(reqs, ", "))
	for range b.fastRuns() {
		for _, f := range fast {
			x, _, err := execute(ctx, f.c, nil)
			if err != nil {
				r.fail(r.row(f.key), err)
				return nil, err
			}
			r.row(f.key).add(x)
		}
	}
	for _, f := range fast {
		b.logf("%d hosts: %s: median %s", r.hosts, f.what, time.Duration(r.row(f.key).median()*float64(time.Second)).Round(10*time.Microsecond))
	}
	return list, nil
}

// ansibleRows measures ansible-inventory --list on the INI directory and on
// kook-inventory, with and without KOOK_LIMIT, and compares their outputs.
// Ansible runs take seconds each, so there is no warm-up run: the first
// timed run's output is the one compared.
func (b *bench) ansibleRows(ctx context.Context, r *sizeResult, root, dir string, kookOK bool) {
	keys := []string{rowAnsibleINI, rowAnsibleKook, rowAnsibleLim}
	switch {
	case !b.cfg.ansible:
		for _, k := range keys {
			r.row(k).note = "skipped (-ansible=false)"
		}
		return
	case r.hosts > b.cfg.ansibleMax:
		for _, k := range keys {
			r.row(k).note = fmt.Sprintf("skipped (over -ansible-max %d)", b.cfg.ansibleMax)
		}
		return
	}
	env := append(ansibletest.Env(), "KOOK_ZK="+b.zk.addr, "KOOK_ROOT="+root)
	inv := filepath.Join(b.bin, "kook-inventory")
	ini, err := b.ansible(ctx, r, rowAnsibleINI, "-i DIR", command{path: "ansible-inventory", args: []string{"-i", dir, "--list"}, env: env, dir: b.empty})
	if err != nil || !kookOK {
		return
	}
	kook, err := b.ansible(ctx, r, rowAnsibleKook, "-i kook-inventory", command{path: "ansible-inventory", args: []string{"-i", inv, "--list"}, env: env, dir: b.empty})
	if err == nil {
		r.checkf("`ansible-inventory --list`: `-i kook-inventory` gives %s `-i DIR`", sameJSON(ini, kook, "the output of"))
	}
	// --host, untimed, on the inventory as imported (the edits are undone).
	var want, got bytes.Buffer
	if _, _, err := execute(ctx, command{path: "ansible-inventory", args: []string{"-i", dir, "--host", r.picks.host}, env: env, dir: b.empty}, &want); err != nil {
		r.checkf("`ansible-inventory -i DIR --host %s`: **%v**", r.picks.host, err)
	} else if _, _, err := execute(ctx, command{path: inv, args: []string{"--host", r.picks.host}, env: env}, &got); err != nil {
		r.checkf("`kook-inventory --host %s`: **%v**", r.picks.host, err)
	} else {
		r.checkf("`kook-inventory --host %s`: %s", r.picks.host, sameJSON(want.Bytes(), got.Bytes(), "`ansible-inventory -i DIR --host`"))
	}
	if !b.features.limit {
		r.row(rowAnsibleLim).note = "n/a (KOOK_LIMIT not implemented)"
		return
	}
	limited, err := b.ansible(ctx, r, rowAnsibleLim, "-i kook-inventory, KOOK_LIMIT", command{path: "ansible-inventory",
		args: []string{"-i", inv, "--list"}, env: slices.Concat(env, []string{"KOOK_LIMIT=" + gen.CanaryGroup}), dir: b.empty})
	if err == nil {
		n, verdict := checkLimit(ini, limited)
		r.limitHosts = n
		r.checkf("KOOK_LIMIT=%s: %d hosts kept (%.1f%%); %s", gen.CanaryGroup, n, 100*float64(n)/float64(r.hosts), verdict)
	}
}

// ansible times b.cfg.runs runs of an ansible-inventory command and returns
// the first run's output. A failure is noted in the row, not returned up:
// the other rows still mean something.
func (b *bench) ansible(ctx context.Context, r *sizeResult, key, what string, c command) ([]byte, error) {
	s := r.row(key)
	var first []byte
	for i := range b.cfg.runs {
		var out bytes.Buffer
		x, stderr, err := execute(ctx, c, &out)
		if err != nil {
			r.fail(s, err)
			return nil, err
		}
		if i == 0 {
			first = out.Bytes()
			if stderr != "" {
				r.checkf("ansible-inventory %s printed on stderr: %.300q", what, stderr)
			}
		}
		s.add(x)
		b.logf("%d hosts: ansible-inventory %s %d/%d: %s", r.hosts, what, i+1, b.cfg.runs, x.wall.Round(time.Millisecond))
	}
	return first, nil
}
