package zktest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/zkconn"
)

// SessionTimeout is the session timeout Connect asks for.
const SessionTimeout = 10 * time.Second

// connectTimeout bounds the wait for a session: zk.Connect returns at once
// and would otherwise retry forever.
const connectTimeout = 15 * time.Second

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// Connect opens a session to the server, waits until it has one and closes
// it in tb.Cleanup. The zk logger is silenced; opts (zk.WithEventCallback
// and the like) are applied after that.
func (s *Server) Connect(tb testing.TB, opts ...func(*zk.Conn)) *zk.Conn {
	tb.Helper()
	return connect(tb, []string{s.Addr}, opts)
}

func connect(tb testing.TB, servers []string, opts []func(*zk.Conn)) *zk.Conn {
	tb.Helper()
	// zk's option type is unexported, so the caller's options travel as
	// plain funcs folded into one.
	apply := func(c *zk.Conn) {
		for _, o := range opts {
			o(c)
		}
	}
	conn, events, err := zk.Connect(servers, SessionTimeout, zk.WithLogger(quietLogger{}), apply)
	if err != nil {
		tb.Fatalf("connect to %s: %v", strings.Join(servers, ","), err)
	}
	tb.Cleanup(conn.Close)
	timeout := time.After(connectTimeout)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return conn
			}
		case <-timeout:
			tb.Fatalf("connect to %s: no session after %v", strings.Join(servers, ","), connectTimeout)
		}
	}
}

// WaitSession waits until conn has a session, as after the server it uses
// restarts. go-zookeeper fails calls made while it cycles through its
// servers with zk.ErrNoServer, so a test that restarts a server waits here
// before using an old connection.
func WaitSession(tb testing.TB, conn *zk.Conn) {
	tb.Helper()
	deadline := time.Now().Add(connectTimeout)
	for conn.State() != zk.StateHasSession {
		if time.Now().After(deadline) {
			tb.Fatalf("no session on %s after %v (state %v)", conn.Server(), connectTimeout, conn.State())
		}
		time.Sleep(pollInterval)
	}
}

// ExpireSession makes the server expire conn's session, as a long network
// partition would: conn sees zk.StateExpired, its ephemeral nodes and
// watches are gone, and zk then opens a new session by itself.
//
// It uses the usual trick: a second connection presents the same session id
// and password, which moves the session to it, then closes the session
// explicitly. go-zookeeper cannot open a session with a given id, so that
// connection speaks the two requests of the wire protocol itself, and the
// password is read from conn's unexported field. Call it while conn has a
// session and no reconnect is under way.
func ExpireSession(tb testing.TB, conn *zk.Conn) {
	tb.Helper()
	id := conn.SessionID()
	if id == 0 {
		tb.Fatal("zktest: ExpireSession: conn has no session")
	}
	f := reflect.ValueOf(conn).Elem().FieldByName("passwd")
	if !f.IsValid() || f.Kind() != reflect.Slice {
		tb.Fatal("zktest: ExpireSession: this go-zookeeper has no Conn.passwd field")
	}
	passwd := append([]byte(nil), f.Bytes()...)
	if err := closeSession(conn.Server(), id, passwd); err != nil {
		tb.Fatalf("zktest: expire session %#x: %v", id, err)
	}
}

// ExpireConn is ExpireSession for a zkconn.Conn, whose *zk.Conn is
// unexported: it is found by reflection, as the session password is.
func ExpireConn(tb testing.TB, c *zkconn.Conn) {
	tb.Helper()
	f := reflect.ValueOf(c).Elem().FieldByName("zk")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*zk.Conn]() {
		tb.Fatal("zktest: ExpireConn: zkconn.Conn has no field zk of type *zk.Conn")
	}
	ExpireSession(tb, reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*zk.Conn))
}

// closeSession attaches to session id on addr and closes it. The server
// drops the session's old connection as soon as the new one attaches, and
// refuses the old client when it comes back.
func closeSession(addr string, id int64, passwd []byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))

	// ConnectRequest: protocolVersion int32, lastZxidSeen int64,
	// timeOut int32, sessionId int64, passwd buffer (int32 length + bytes).
	req := binary.BigEndian.AppendUint32(nil, 0)
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, uint32(SessionTimeout/time.Millisecond))
	req = binary.BigEndian.AppendUint64(req, uint64(id))
	req = binary.BigEndian.AppendUint32(req, uint32(len(passwd)))
	req = append(req, passwd...)
	// ConnectResponse: protocolVersion int32, timeOut int32, sessionId int64, ...
	resp, err := roundTrip(c, req)
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	if len(resp) < 16 {
		return fmt.Errorf("attach: short reply of %d bytes", len(resp))
	}
	if binary.BigEndian.Uint64(resp[8:16]) == 0 {
		return nil // already expired
	}

	// RequestHeader: xid int32, type int32 (closeSession is -11).
	// ReplyHeader: xid int32, zxid int64, err int32.
	opCloseSession := int32(-11)
	hdr := binary.BigEndian.AppendUint32(nil, 1)
	resp, err = roundTrip(c, binary.BigEndian.AppendUint32(hdr, uint32(opCloseSession)))
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if len(resp) < 16 {
		return fmt.Errorf("close: short reply of %d bytes", len(resp))
	}
	if code := int32(binary.BigEndian.Uint32(resp[12:16])); code != 0 {
		return fmt.Errorf("close: server error %d", code)
	}
	return nil
}

// roundTrip writes one length-prefixed frame and reads the reply frame.
func roundTrip(c net.Conn, body []byte) ([]byte, error) {
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	if _, err := c.Write(append(frame, body...)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 1<<20 {
		return nil, fmt.Errorf("reply frame of %d bytes", size)
	}
	resp := make([]byte, size)
	if _, err := io.ReadFull(c, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
