package zkconn

// Name and Skipped let the tests see a ticket's number and the writers it
// stopped waiting for.
func (t *Ticket) Name() string { return t.name }

func (t *Ticket) Skipped() map[string]bool { return t.skipped }
