// Command kook queries and edits the Ansible inventory kept in ZooKeeper,
// explains where a host's vars come from, exports the inventory back to
// files, and manages Jones-style service config (kook config).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/alecthomas/kong"

	"github.com/kook-project/kook/internal/cmdline"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/zkconn"
)

const description = `Query and edit the Ansible inventory kept in ZooKeeper.

Connection settings come from flags, then KOOK_ZK, KOOK_ROOT, KOOK_TIMEOUT,
KOOK_ZK_AUTH, KOOK_ZK_AUTH_FILE, KOOK_TLS_CA, KOOK_TLS_CERT, KOOK_TLS_KEY,
then the config file (KOOK_CONFIG, ~/.config/kook/config.yml,
/etc/kook/config.yml), whose acl section sets the roles (kook acl). Every edit is one atomic, version-checked change;
--dry-run shows it without writing. Exit status: 0 ok, 1 failure, 2 usage.`

// CLI is kook's command line.
type CLI struct {
	Globals

	Hosts      HostsCmd      `cmd:"" help:"List the hosts a pattern selects, optionally filtered by their vars."`
	Groups     GroupsCmd     `cmd:"" help:"List groups whose names match a pattern."`
	Host       HostCmd       `cmd:"" help:"Show, add, remove a host or change its vars."`
	Group      GroupCmd      `cmd:"" help:"Show, add, remove a group or change its members, children, vars, priority."`
	Explain    ExplainCmd    `cmd:"" help:"Show where each of a host's vars comes from, in Ansible's precedence order."`
	Graph      GraphCmd      `cmd:"" help:"Print the group tree as 'ansible-inventory --graph' does."`
	Export     ExportCmd     `cmd:"" help:"Write the inventory as INI or YAML files, or as a full-fidelity JSON backup."`
	Status     StatusCmd     `cmd:"" help:"Show the stored generation and counts."`
	Check      CheckCmd      `cmd:"" help:"Verify what is stored: head, views, nodes, orphans."`
	Repair     RepairCmd     `cmd:"" help:"Mend what check finds: half-done changes, stale or damaged views, broken nodes, orphans."`
	Rebuild    RebuildCmd    `cmd:"" help:"Render the views anew from the per-host and per-group znodes, after hand edits."`
	Config     ConfigCmd     `cmd:"" help:"Jones-style service configuration."`
	ACL        ACLCmd        `cmd:"" name:"acl" help:"Roles: who may read, write and change ACLs (ZooKeeper ACLs on every znode)."`
	Serve      ServeCmd      `cmd:"" help:"Serve the web UI, Jones's HTTP interface and a JSON API."`
	Log        LogCmd        `cmd:"" help:"List changes newest first: who, when, why, what (history)."`
	Diff       DiffCmd       `cmd:"" help:"Show what a change did, or a run of changes."`
	Blame      BlameCmd      `cmd:"" help:"For each of a host's vars, the change that set the value that wins."`
	Revert     RevertCmd     `cmd:"" help:"Undo one change, as a new change."`
	Rollback   RollbackCmd   `cmd:"" help:"Undo every change after a generation, as one new change."`
	Completion CompletionCmd `cmd:"" help:"Print a shell completion script."`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exit is how kong's Exit (after --help) unwinds to run.
type exit int

// run parses args and runs the command, returning the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	cli := CLI{Globals: Globals{Globals: config.Globals{Warn: stderr}, stdout: stdout, stderr: stderr}}
	defer func() {
		switch r := recover().(type) {
		case nil:
		case exit:
			code = int(r)
		default:
			panic(r)
		}
	}()
	opts := append(config.KongOptions(), kong.Name("kook"), kong.Description(description),
		kong.Writers(stdout, stderr), kong.Exit(func(c int) { panic(exit(c)) }),
		kong.BindTo(ctx, (*context.Context)(nil)), kong.Bind(&cli.Globals))
	kctx, err := cmdline.Parse(&cli, &cli.Globals, args, opts, "completion")
	if err != nil {
		fmt.Fprintf(stderr, "kook: %v\nRun 'kook --help' or 'kook COMMAND --help' for usage.\n", err)
		return 2
	}
	if err := kctx.Run(); err != nil {
		// A refusal says what needed which role, whatever was under way.
		var denied *zkconn.PermissionError
		if errors.As(err, &denied) {
			err = denied
		}
		fmt.Fprintf(stderr, "kook: %v\n", err)
		return exitCode(err)
	}
	return 0
}
