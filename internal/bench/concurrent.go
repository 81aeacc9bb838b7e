package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kook-project/kook"
)

// concResult is what the concurrent writers' rounds found, beyond their
// rows: a round's row sample is its total (wall from the first start to
// the last exit, CPU summed, the largest peak RSS, the log bytes per
// edit), and its slowest edit.
type concResult struct {
	rounds  int
	errors  int      // edits that failed
	missing int      // hosts not present after their round
	slowest []string // the slowest edit of each round, for the notes
	records []int    // the log's transactions of each round
}

// concurrent starts concProcs processes together, each running concEdits
// `kook host add NEW -g G` one after another, for b.cfg.runs rounds. After
// each round it checks (untimed) that every host is present, and removes
// them all in one change.
func (b *bench) concurrent(ctx context.Context, r *sizeResult, root string) error {
	c, err := kook.Open(ctx, kook.Config{ZK: b.zk.addr, Root: root})
	if err != nil {
		return err
	}
	defer c.Close()
	res := &r.conc
	for round := range b.cfg.runs {
		before, err := b.zk.lastZxid()
		if err != nil {
			return err
		}
		var (
			mu    sync.Mutex
			wg    sync.WaitGroup
			total sample
			slow  sample
			slowC command
		)
		start := time.Now()
		for p := range concProcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range concEdits {
					name := fmt.Sprintf("bench-c%d-%02d-%d.example.com", round, p, k)
					cmd := b.kookCmd(root, "host", "add", name, "-g", r.picks.group)
					x, _, err := execute(ctx, cmd, nil)
					mu.Lock()
					if err != nil {
						res.errors++
						r.checkf("concurrent `kook host add`, round %d: **%v**", round+1, err)
					}
					total.cpu += x.cpu
					total.rss = max(total.rss, x.rss)
					if x.wall > slow.wall {
						slow, slowC = x, cmd
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		total.wall = time.Since(start)
		n := concProcs * concEdits
		logged, records, _, err := b.zk.logAfter(before)
		if err != nil {
			return err
		}
		total.log, total.records = logged/int64(n), records
		slow.log = total.log
		got, err := c.Hosts(ctx, fmt.Sprintf("bench-c%d-*", round))
		if err != nil {
			return fmt.Errorf("concurrent round %d: list the hosts: %w", round+1, err)
		}
		res.missing += n - len(got)
		res.records = append(res.records, records)
		res.rounds++
		res.slowest = append(res.slowest, fmt.Sprintf("%s (`%s`)", seconds(slow.wall.Seconds()), slowC.short()))
		r.row(rowConcTotal).add(total)
		r.row(rowConcSlowest).add(slow)
		b.logf("%d hosts: %d × %d kook host add, round %d/%d: %s, slowest edit %s, %d/%d hosts present",
			r.hosts, concProcs, concEdits, round+1, b.cfg.runs, total.wall.Round(time.Millisecond), slow.wall.Round(time.Millisecond), len(got), n)
		// Undo the round, untimed: one change removing every host added.
		var ops []kook.Op
		for _, h := range got {
			ops = append(ops, kook.DeleteHost{Name: h})
		}
		if _, err := c.Edit(ctx, kook.EditOptions{Reason: "bench: undo concurrent adds"}, ops...); err != nil {
			return fmt.Errorf("concurrent round %d: remove the hosts: %w", round+1, err)
		}
	}
	return nil
}
