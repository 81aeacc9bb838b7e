package main

import (
	"context"
	"os"

	"github.com/kook-project/kook/inventory"
)

// Run writes the requested JSON to stdout. Ansible treats anything on stderr
// as an error, so nothing else is printed on success.
func (c *CLI) Run(ctx context.Context) error {
	store, err := c.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	if c.List {
		data, _, err := store.ReadView(ctx, "list")
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(data)
		return err
	}
	inv, _, err := store.Load(ctx)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(inventory.Host(inv, c.Host))
	return err
}
