package jones

// Outstanding returns how many ZooKeeper watches c holds, and how many it
// has set on path p (relative to the chroot).
func Outstanding(c *Client, p string) (held, armed int) { return c.outstanding(p) }
