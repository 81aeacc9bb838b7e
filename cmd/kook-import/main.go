// Command kook-import migrates Ansible inventories into ZooKeeper.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

const description = `Import Ansible inventories into ZooKeeper.

SOURCE is an INI, YAML or JSON inventory file or an inventory directory;
group_vars/ and host_vars/ beside each source are imported too. A backup
written by 'kook export --format json' is restored exactly. Several
SOURCEs combine as 'ansible-inventory -i A -i B' would. By default the
stored inventory becomes exactly the sources; --merge only adds and updates.
The change is atomic: readers see the old inventory or the new one.

Examples:
  kook-import inventory/prod/
  kook-import --dry-run hosts.ini
  kook-import --zk zk1:2181,zk2:2181/ops --merge extra.yml
  kook export --format json > backup.json && kook-import backup.json

Exit status: 0 ok, 1 failure, 2 usage (a bad flag, setting or missing SOURCE).`

// CLI is kook-import's command line.
type CLI struct {
	config.Globals
	Merge         bool            `help:"Add and update hosts, groups, memberships and vars; remove nothing."`
	Reason        string          `env:"KOOK_REASON" placeholder:"TEXT" help:"Why: kept in history with the change (kook log)."`
	DryRun        bool            `help:"Print what would change; write nothing."`
	MaxSourceSize config.ByteSize `env:"KOOK_MAX_SOURCE_SIZE" default:"256MiB" placeholder:"SIZE" help:"Refuse any one source (file, vars file, script output) larger than this."`
	Sources       []string        `arg:"" name:"SOURCE" help:"Inventory file or directory, or a host list (a,b)."`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := config.Run(ctx, "kook-import", description, &CLI{}, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run parses the sources, then stores them in one change.
func (c *CLI) Run(ctx context.Context) error {
	if err := c.Resolve(); err != nil {
		return err
	}
	for _, src := range c.Sources {
		// A missing path is a host list when it holds a comma (Ansible's
		// rule); otherwise it is a mistake on the command line.
		if p := inventory.SourcePath(src); src != "" && !strings.Contains(src, ",") {
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
				return config.UsageError{Err: fmt.Errorf("SOURCE %s: no such file or directory", p)}
			}
		}
	}
	p := newProgress()
	// Connecting does not depend on the sources: do it while they parse.
	// A bad source cancels it.
	openCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var client *kook.Client
	opened := make(chan error, 1)
	go func() {
		var err error
		client, err = c.Open(openCtx, "kook-import")
		opened <- err
	}()
	src, err := loadSources(c.Sources, int64(c.MaxSourceSize))
	if errors.Is(err, inventory.ErrSourceTooLarge) {
		err = fmt.Errorf("%w; raise the limit with --max-source-size or KOOK_MAX_SOURCE_SIZE", err)
	}
	if err != nil {
		cancel()
	}
	openErr := <-opened
	if client != nil {
		defer client.Close()
	}
	if err != nil {
		return err
	}
	p.step("parsed %d hosts, %d groups", len(src.Hosts), len(src.Groups))
	if openErr != nil {
		return openErr
	}
	opts := kook.EditOptions{DryRun: c.DryRun, Reason: c.Reason}
	var res kook.Result
	if c.Merge {
		res, err = client.Edit(ctx, opts, kook.Merge{Src: src})
	} else {
		res, err = client.Replace(ctx, opts, src)
	}
	if err != nil {
		return fmt.Errorf("import into %s%s: %w", c.ZK, c.Root, err)
	}
	p.step("stored")
	if c.DryRun {
		model.WriteChanges(os.Stdout, res.Changes)
		fmt.Printf("dry run: %s (nothing written)\n", model.Summary(res.Changes))
		return nil
	}
	if !res.Written {
		fmt.Printf("%d hosts, %d groups: no changes (generation %d)\n", len(src.Hosts), len(src.Groups), res.Generation)
		return nil
	}
	fmt.Printf("%d hosts, %d groups imported into %s%s, generation %d: %s\n",
		len(src.Hosts), len(src.Groups), c.ZK, c.Root, res.Generation, model.Summary(res.Changes))
	return nil
}

// progress reports phases of a long import on stderr, only when stderr is a
// terminal: a pipe or a log gets the summary alone.
type progress struct {
	on    bool
	start time.Time
}

func newProgress() *progress {
	fi, err := os.Stderr.Stat()
	return &progress{on: err == nil && fi.Mode()&os.ModeCharDevice != 0, start: time.Now()}
}

func (p *progress) step(format string, args ...any) {
	if p.on {
		fmt.Fprintf(os.Stderr, "kook-import: %s (%.1fs)\n", fmt.Sprintf(format, args...), time.Since(p.start).Seconds())
	}
}

// loadSources parses the sources as Ansible would, except that a single
// file holding a kook backup is read as one. No source may be larger than
// max bytes.
func loadSources(sources []string, max int64) (*model.Inventory, error) {
	if max <= 0 {
		max = inventory.DefaultMaxSourceBytes
	}
	if len(sources) == 1 {
		if fi, err := os.Stat(sources[0]); err == nil && fi.Mode().IsRegular() {
			data, err := inventory.ReadSourceFile(sources[0], max)
			if err != nil {
				return nil, err
			}
			if export.IsBackup(data) {
				inv, err := export.ReadBackup(data)
				if err != nil {
					return nil, fmt.Errorf("restore %s: %w", sources[0], err)
				}
				return inv, nil
			}
		}
	}
	return inventory.LoadWith(inventory.Options{MaxSourceBytes: max}, sources...)
}
