package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// logged runs c once, timed, and counts what the server's transaction log
// gained meanwhile: every record from the one after the last before the
// run to the last after it. Each run is its own process, so this includes
// its session's create and close records (about 100 bytes; the setData
// floor's row shows them with one small write). It counts the requests the
// server received too. out receives stdout.
func (b *bench) logged(ctx context.Context, c command, out *bytes.Buffer) (sample, error) {
	before, err := b.zk.lastZxid()
	if err != nil {
		return sample{}, err
	}
	var x sample
	x.requests, err = b.zk.requests(func() (err error) {
		x, _, err = execute(ctx, c, out)
		return err
	})
	if err != nil {
		return x, err
	}
	x.log, x.records, _, err = b.zk.logAfter(before)
	return x, err
}

// editStep is one edit of the edit rounds. Its command for round i must
// write (a new value, a fresh name, the membership the step before
// removed), and a round leaves the inventory as it found it, but for the
// values set.
type editStep struct {
	key, what string
	cmd       func(i int) (command, error)
}

// edits measures the edits that touch one host, the setData floor and
// `kook group set all`, in rounds of one run of each, the first round a
// warm-up. Host add is undone by host rm, group add-host by group rm-host:
// both halves are rows.
func (b *bench) edits(ctx context.Context, r *sizeResult, root string) error {
	p := r.picks
	floor := path.Join(path.Dir(root), "floor")
	if err := b.zk.conn.EnsurePath(ctx, floor); err != nil {
		return err
	}
	mergeDir := filepath.Join(b.tmp, fmt.Sprintf("merge-%d", r.hosts))
	if err := os.MkdirAll(mergeDir, 0o755); err != nil {
		return err
	}
	mergeFile := filepath.Join(mergeDir, "one-host.ini")
	minimalConfig := filepath.Join(mergeDir, "minimal-history.yml")
	if err := os.WriteFile(minimalConfig, []byte("history_records: minimal\n"), 0o644); err != nil {
		return err
	}
	newHost := func(i int) string { return fmt.Sprintf("bench-add-%03d.example.com", i) }
	kook := func(args ...string) func(int) (command, error) {
		return func(i int) (command, error) {
			a := make([]string, len(args))
			for j, s := range args {
				switch s {
				case "NEW":
					s = newHost(i)
				case "N":
					s = strconv.Itoa(i)
				}
				a[j] = s
			}
			return b.kookCmd(root, a...), nil
		}
	}
	steps := []editStep{
		{rowGoSetData, "Go: session, setData, close", func(i int) (command, error) {
			return command{path: filepath.Join(b.floor, "setdata"), args: []string{b.zk.addr, floor, strconv.Itoa(i)}}, nil
		}},
		{rowHostSet, "kook host set", func(i int) (command, error) {
			return b.kookCmd(root, "host", "set", p.host, fmt.Sprintf("v=%d", i)), nil
		}},
		{rowHostSetMin, "kook host set (minimal history)", func(i int) (command, error) {
			// What the change records cost: the same edit, recorded
			// without the nodes it changed.
			c := b.kookCmd(root, "host", "set", p.host, fmt.Sprintf("v=m%d", i))
			c.env = append(c.env, "KOOK_CONFIG="+minimalConfig)
			return c, nil
		}},
		{rowHostAdd, "kook host add", kook("host", "add", "NEW", "-g", p.group)},
		{rowHostRm, "kook host rm", kook("host", "rm", "NEW")},
		{rowAddHost, "kook group add-host " + prodGroup, kook("group", "add-host", prodGroup, p.other)},
		{rowRmHost, "kook group rm-host " + prodGroup, kook("group", "rm-host", prodGroup, p.other)},
		{rowMerge, "kook-import --merge", func(i int) (command, error) {
			// A host line before any section: the host's var changes and
			// nothing else (a [group] section would also make the group a
			// child of all, see the notes).
			err := os.WriteFile(mergeFile, fmt.Appendf(nil, "%s merged=%d\n", p.host, i), 0o644)
			return b.importCmd(root, "--merge", mergeFile), err
		}},
		{rowSetAll, "kook group set all", func(i int) (command, error) {
			return b.kookCmd(root, "group", "set", "all", fmt.Sprintf("v=%d", i)), nil
		}},
	}
	b.logf("%d hosts: edits, %d rounds", r.hosts, b.fastRuns())
	noWrite := map[string]bool{}
	for i := 0; i <= b.fastRuns(); i++ { // round 0 is the warm-up
		for _, s := range steps {
			c, err := s.cmd(i)
			if err != nil {
				return err
			}
			var out bytes.Buffer
			x, err := b.logged(ctx, c, &out)
			if err != nil {
				r.fail(r.row(s.key), err)
				return err
			}
			if bytes.Contains(out.Bytes(), []byte("no changes")) && !noWrite[s.key] {
				noWrite[s.key] = true
				r.checkf("%s wrote nothing in round %d (%s): the row does not measure a write", s.what, i, lastLine(out.Bytes()))
			}
			if i == 0 {
				continue
			}
			if i == 1 && s.key != rowGoSetData {
				r.checkf("`%s` (a timed run): %s", c.short(), lastLine(out.Bytes()))
			}
			r.row(s.key).add(x)
		}
	}
	var counts []string
	for _, s := range steps {
		row := r.row(s.key)
		counts = append(counts, fmt.Sprintf("%s %.0f / %.0f", s.what, row.medianOf(requests), row.medianOf(logRecords)))
	}
	r.checkf("requests each edit sends to ZooKeeper / transactions it adds to the log (medians; its session's connect and close count in both): %s", strings.Join(counts, ", "))
	for _, s := range steps {
		row := r.row(s.key)
		b.logf("%d hosts: %s: median %s, %s to the log", r.hosts, s.what,
			time.Duration(row.median()*float64(time.Second)).Round(10*time.Microsecond), kb(row.medianOf(logBytes)))
	}
	return nil
}

// lastLine is a command's last line of output: kook's summary of a change.
func lastLine(out []byte) string {
	out = bytes.TrimSpace(out)
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	return string(out)
}
