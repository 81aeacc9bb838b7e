// Command kook-inventory is an Ansible dynamic inventory backed by
// ZooKeeper. Ansible runs it with --list, or --host NAME.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/kook-project/kook/internal/config"
)

const description = `Ansible dynamic inventory reading kook's inventory from ZooKeeper.

Ansible passes only --list or --host, so configure it with the environment
(KOOK_ZK, KOOK_ROOT, KOOK_TIMEOUT, KOOK_ZK_AUTH or KOOK_ZK_AUTH_FILE,
KOOK_TLS_CA, KOOK_TLS_CERT, KOOK_TLS_KEY, KOOK_LIMIT) or a config file
(KOOK_CONFIG, else ~/.config/kook/config.yml, else /etc/kook/config.yml).
It only reads: the reader role is enough.

Examples:
  ansible-inventory -i kook-inventory --graph
  KOOK_ZK=zk1:2181/ops ansible-playbook -i kook-inventory site.yml
  KOOK_LIMIT='web:&eu' ansible-playbook -i kook-inventory deploy.yml

Exit status: 0 ok, 1 failure, 2 usage (a bad flag or setting).`

// CLI is kook-inventory's command line.
type CLI struct {
	config.Globals
	List         bool   `xor:"mode" required:"" help:"Print the whole inventory as JSON."`
	Host         string `xor:"mode" required:"" placeholder:"NAME" help:"Print one host's vars as JSON."`
	Limit        string `env:"KOOK_LIMIT" placeholder:"PATTERN" help:"Only hosts matching this Ansible host pattern (web:&prod:!canary), keeping their effective vars. Ansible then processes only those."`
	FromEntities bool   `env:"KOOK_READ_ENTITIES" hidden:"" help:"Read the per-entity znodes instead of the materialized view (slow path)."`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := config.Run(ctx, "kook-inventory", description, &CLI{}, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
