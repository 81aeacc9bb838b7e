package main

import (
	"context"
	"os"

	"github.com/kook-project/kook/zkstore"
)

// Run writes the requested JSON to stdout. Ansible treats anything on stderr
// as an error, so nothing else is printed on success.
func (c *CLI) Run(ctx context.Context) error {
	store, err := c.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	opts := zkstore.ReadOptions{Limit: c.Limit, FromEntities: c.FromEntities}
	var out []byte
	if c.List {
		out, err = store.ListJSON(ctx, opts)
	} else {
		out, err = store.HostJSON(ctx, c.Host, opts)
	}
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
