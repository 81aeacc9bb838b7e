package zktest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of a ZooKeeper server that can lose
// replies: armed with CutAfter, it lets a matching request through to the
// server, and when the server's reply comes back it closes the client's
// connection instead of passing the reply on. The server has applied the
// request; the client never learns it. This is the fault a writer must
// survive: "the connection dropped after the commit, before the reply".
type Proxy struct {
	Addr string // what clients connect to

	target string
	ln     net.Listener

	mu      sync.Mutex
	cuts    []cut
	conns   map[net.Conn]bool
	refuse  bool
	cutDone int // replies lost so far
}

type cut struct {
	op int32 // request opcode to cut after; OpAny for any write
	n  int   // how many more times
}

// Opcodes of the ZooKeeper protocol that CutAfter can match.
const (
	OpCreate  int32 = 1
	OpDelete  int32 = 2
	OpSetData int32 = 5
	OpMulti   int32 = 14
	// OpAnyWrite matches create, delete, setData and multi.
	OpAnyWrite int32 = -100
)

// StartProxy runs a proxy to target until the test ends.
func StartProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve()
	tb.Cleanup(p.Close)
	return p
}

// CutAfter arms the proxy: the replies to the next n requests with opcode
// op are lost and their connections closed.
func (p *Proxy) CutAfter(op int32, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cuts = append(p.cuts, cut{op, n})
}

// Cuts returns how many replies the proxy has lost so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cutDone
}

// Refuse makes the proxy drop every connection and refuse new ones until
// Accept: the server looks down to the client while it keeps running.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	p.refuse = true
	conns := p.conns
	p.conns = map[net.Conn]bool{}
	p.mu.Unlock()
	for c := range conns {
		c.Close()
	}
}

// Accept undoes Refuse.
func (p *Proxy) Accept() {
	p.mu.Lock()
	p.refuse = false
	p.mu.Unlock()
}

// Close stops the proxy and its connections.
func (p *Proxy) Close() {
	p.ln.Close()
	p.Refuse()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		if !refuse {
			p.conns[c] = true
		}
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		go p.handle(c)
	}
}

// takeCut reports whether a request with opcode op is to lose its reply,
// and uses up one cut if so.
func (p *Proxy) takeCut(op int32) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.cuts {
		c := &p.cuts[i]
		if c.n > 0 && (c.op == op || c.op == OpAnyWrite && (op == OpCreate || op == OpDelete || op == OpSetData || op == OpMulti)) {
			c.n--
			return true
		}
	}
	return false
}

func (p *Proxy) handle(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns[server] = true
	p.mu.Unlock()
	closeBoth := func() {
		client.Close()
		server.Close()
	}
	var mu sync.Mutex
	doomed := map[int32]bool{} // xids whose reply is to be lost
	// Client to server: the connect request, then requests
	// [len][xid][opcode]...
	go func() {
		defer closeBoth()
		first := true
		for {
			frame, err := readFrame(client)
			if err != nil {
				return
			}
			if !first && len(frame) >= 8 {
				xid := int32(binary.BigEndian.Uint32(frame[0:4]))
				op := int32(binary.BigEndian.Uint32(frame[4:8]))
				if p.takeCut(op) {
					mu.Lock()
					doomed[xid] = true
					mu.Unlock()
				}
			}
			first = false
			if err := writeFrame(server, frame); err != nil {
				return
			}
		}
	}()
	// Server to client: the connect reply, then replies [len][xid]...
	defer closeBoth()
	first := true
	for {
		frame, err := readFrame(server)
		if err != nil {
			return
		}
		if !first && len(frame) >= 4 {
			xid := int32(binary.BigEndian.Uint32(frame[0:4]))
			mu.Lock()
			lose := doomed[xid]
			mu.Unlock()
			if lose {
				p.mu.Lock()
				p.cutDone++
				p.mu.Unlock()
				return // the reply is lost with the connection
			}
		}
		first = false
		if err := writeFrame(client, frame); err != nil {
			return
		}
	}
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 64<<20 {
		return nil, errors.New("frame too large")
	}
	buf := make([]byte, size)
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func writeFrame(w io.Writer, frame []byte) error {
	buf := make([]byte, 4+len(frame))
	binary.BigEndian.PutUint32(buf, uint32(len(frame)))
	copy(buf[4:], frame)
	_, err := w.Write(buf)
	return err
}
