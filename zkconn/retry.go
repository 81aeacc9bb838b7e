package zkconn

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// Backoff waits before retry number attempt (0 for the first retry) for
// BackoffDelay(attempt). It returns ctx's error if ctx ends first. This is
// the one retry policy of every kook writer and watcher.
func Backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(BackoffDelay(attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BackoffDelay is how long to wait before retry number attempt: a random
// time that doubles with each attempt, from about a millisecond up to
// about half a second, so that writers that collided spread out instead
// of colliding again. For a loop that waits on more than a timer.
func BackoffDelay(attempt int) time.Duration {
	return time.Duration(1+rand.IntN(2<<min(max(attempt, 0), 8))) * time.Millisecond
}

// IsMaybeApplied reports whether err leaves a write's outcome unknown: the
// connection was lost or the session expired after the request may have
// reached the server, or the caller's context ended while it was in
// flight. The writer must find out what happened before it goes on, and
// must never clean up what may be live.
func IsMaybeApplied(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrSessionExpired) ||
		errors.Is(err, zk.ErrSessionMoved) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.Is(err, zk.ErrClosing)
}

// IsTransient reports whether err is a connection problem that a retry
// after WaitSession may overcome (a read, or a write found not applied).
func IsTransient(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrSessionExpired) ||
		errors.Is(err, zk.ErrSessionMoved) || errors.Is(err, zk.ErrNoServer) || errors.Is(err, zk.ErrClosing)
}

// Parallel runs fn(0..n-1), at most width at a time, and returns the first
// error: ZooKeeper pipelines the requests of one session, so independent
// reads and writes go several at a time. It stops starting new calls once
// ctx is done or a call failed.
func Parallel(ctx context.Context, n, width int, fn func(i int) error) error {
	if n == 1 {
		return fn(0)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, width)
	for i := 0; i < n; i++ {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
