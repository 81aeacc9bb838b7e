package zktest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// JarEnv names an environment variable that overrides where ZooKeeper's
// jar is: pointing it at a file that does not exist makes this machine look
// like one without ZooKeeper, which `make unittest` is checked on.
const JarEnv = "KOOK_ZOOKEEPER_JAR"

// Paths and flags for Debian's zookeeper package. They are variables so the
// package's own tests can simulate a machine without ZooKeeper.
var (
	zookeeperJar = jarPath()
	javaBin      = "java"
)

func jarPath() string {
	if p := os.Getenv(JarEnv); p != "" {
		return p
	}
	return "/usr/share/java/zookeeper.jar"
}

// classpath adds what zookeeper.jar's manifest lacks: a logging backend and
// netty-codec and netty-resolver; a server with a secureClientPort also
// needs the netty jars tlsClasspath adds.
var classpath = strings.Join([]string{
	"/etc/zookeeper/conf",
	zookeeperJar,
	"/usr/share/java/slf4j-log4j12.jar",
	"/usr/share/java/log4j-1.2.jar",
	"/usr/share/java/netty-codec.jar",
	"/usr/share/java/netty-resolver.jar",
}, ":")

// tlsClasspath is what Netty's TLS needs besides classpath (Debian's jars).
var tlsClasspath = strings.Join([]string{
	"/usr/share/java/netty-handler.jar",
	"/usr/share/java/netty-transport.jar",
	"/usr/share/java/netty-buffer.jar",
	"/usr/share/java/netty-common.jar",
	"/usr/share/java/netty-transport-native-epoll.jar",
	"/usr/share/java/netty-transport-native-unix-common.jar",
}, ":")

// jvmFlags keep each server small. A test server lives for seconds, so the
// C1 compiler alone is enough: measured here it costs ~20% less CPU to start
// and is no slower on 10,000 creates and gets than the default tiered C2.
// -UsePerfData keeps the JVM from leaving hsperfdata files in /tmp.
var jvmFlags = []string{
	"-Xms32m", "-Xmx128m", "-XX:+UseSerialGC",
	"-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:-UsePerfData",
}

const (
	mainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain"

	// notInstalled is the failure message where ZooKeeper is missing: make
	// test must never pass by skipping the store tests.
	notInstalled = "ZooKeeper is not installed: run `make test`, which installs it " +
		"(or: apt-get update && apt-get install -y zookeeper)"

	// readyTimeout is generous: on a loaded 2-core machine a JVM took 16 s
	// to serve and an ensemble over 30 s. A healthy start returns as soon as
	// it serves, and a broken one usually exits, which ends the wait at once.
	readyTimeout = 60 * time.Second
	stopGrace    = 5 * time.Second
	pollInterval = 25 * time.Millisecond
	startTries   = 3
)

// TickTime is the servers' tickTime. ZooKeeper clamps session timeouts to
// between 2 and 20 ticks, so sessions can last from 2 s to 20 s.
const TickTime = time.Second

// errPortInUse marks a start that lost a race for a port picked by freePorts;
// the caller retries with new ports.
var errPortInUse = errors.New("port already in use")

// checkInstalled reports the missing piece of the ZooKeeper installation.
func checkInstalled() error {
	var missing []string
	if _, err := os.Stat(zookeeperJar); err != nil {
		missing = append(missing, zookeeperJar)
	}
	if _, err := exec.LookPath(javaBin); err != nil {
		missing = append(missing, javaBin)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s [missing: %s]", notInstalled, strings.Join(missing, ", "))
	}
	return nil
}

// node is one ZooKeeper JVM: its files live in dir and survive restarts.
type node struct {
	dir  string
	port int      // client port on 127.0.0.1
	jvm  []string // JVM flags; nil for jvmFlags
	sync bool     // fsync the transaction log, as production servers do
	tls  *tlsNode // a secureClientPort too, when set
	cfg  []string // more zoo.cfg lines

	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has been reaped
}

func (n *node) addr() string    { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)) }
func (n *node) cfgPath() string { return filepath.Join(n.dir, "zoo.cfg") }
func (n *node) logPath() string { return filepath.Join(n.dir, "zookeeper.log") }
func (n *node) dataDir() string { return filepath.Join(n.dir, "data") }

// configure writes zoo.cfg, log4j.properties and, for ensemble members, myid.
// quorum holds the server.N lines; it is empty for a standalone server.
func (n *node) configure(myid int, quorum []string) error {
	// A retry after a lost port race must not read the last try's log.
	_ = os.Remove(n.logPath())
	data := n.dataDir()
	if err := os.MkdirAll(data, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	cfg := []string{
		"tickTime=" + strconv.Itoa(int(TickTime/time.Millisecond)),
		"initLimit=10",
		"syncLimit=5",
		"dataDir=" + data,
		"clientPortAddress=127.0.0.1",
		"clientPort=" + strconv.Itoa(n.port),
		"maxClientCnxns=0",
		// Jetty would otherwise take :8080, which parallel servers share.
		"admin.enableServer=false",
		"4lw.commands.whitelist=ruok,srvr,stat,mntr",
	}
	if !n.sync {
		// Test data need not survive a power cut, and an fsync per write
		// makes bulk imports crawl on shared disks. Kill -9 loses nothing:
		// the page cache survives the process.
		cfg = append(cfg, "forceSync=no")
	}
	if len(quorum) == 0 && n.tls == nil { // tlsNode.config sets it
		// ZOOKEEPER-5051: a standalone 3.8.0 server accepts connections
		// before its database exists, and the NIO factory's close path then
		// throws before closing the socket. A client reconnecting to a
		// restarting server can hang there for a minute (go-zookeeper waits
		// ten receive timeouts for the handshake). Netty closes the channel
		// first. It costs ~0.5 s more CPU to start. Quorum members are
		// safe: they serve nobody until their database is in place.
		cfg = append(cfg, "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory")
	}
	if n.tls != nil {
		cfg = append(cfg, n.tls.config()...)
	}
	cfg = append(cfg, n.cfg...)
	cfg = append(cfg, quorum...)
	if len(quorum) > 0 {
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(strconv.Itoa(myid)+"\n"), 0o644); err != nil {
			return fmt.Errorf("write myid: %w", err)
		}
	}
	if err := os.WriteFile(n.cfgPath(), []byte(strings.Join(cfg, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("write zoo.cfg: %w", err)
	}
	// Everything goes to one file so test output stays clean and a failed
	// start can show the tail.
	props := "log4j.rootLogger=INFO, FILE\n" +
		"log4j.appender.FILE=org.apache.log4j.FileAppender\n" +
		"log4j.appender.FILE.File=" + n.logPath() + "\n" +
		"log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n" +
		"log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n\n"
	if err := os.WriteFile(filepath.Join(n.dir, "log4j.properties"), []byte(props), 0o644); err != nil {
		return fmt.Errorf("write log4j.properties: %w", err)
	}
	return nil
}

// launch starts the JVM without waiting for it to serve.
func (n *node) launch() error {
	out, err := os.OpenFile(n.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer out.Close()
	args := append([]string{}, jvmFlags...)
	if n.jvm != nil {
		args = append(args[:0], n.jvm...)
	}
	cp := classpath
	if n.tls != nil {
		cp += ":" + tlsClasspath
	}
	args = append(args,
		"-Dlog4j.configuration=file:"+filepath.Join(n.dir, "log4j.properties"),
		"-cp", cp, mainClass, n.cfgPath())
	cmd := exec.Command(javaBin, args...)
	cmd.Dir = n.dir
	cmd.Stdout, cmd.Stderr = out, out
	// A test binary killed by -timeout or ^C must not leave JVMs behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start java: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	n.cmd, n.done = cmd, done
	return nil
}

func (n *node) running() bool {
	if n == nil || n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// waitReady polls until the server answers ruok with imok and srvr reports
// a Mode, which it does only once it serves requests (a quorum member that
// has not joined a quorum answers imok but no Mode).
func (n *node) waitReady(deadline time.Time) error {
	for {
		select {
		case <-n.done:
			log := logTail(n.logPath(), 40)
			if strings.Contains(log, "Address already in use") {
				return errPortInUse
			}
			return fmt.Errorf("zookeeper on %s exited (%v) before serving; log tail:\n%s",
				n.addr(), n.cmd.ProcessState, log)
		default:
		}
		if ok, _ := fourLetter(n.addr(), "ruok"); ok == "imok" {
			if srvr, _ := fourLetter(n.addr(), "srvr"); strings.Contains(srvr, "Mode:") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("zookeeper on %s not serving after %v; log tail:\n%s",
				n.addr(), readyTimeout, logTail(n.logPath(), 40))
		}
		time.Sleep(pollInterval)
	}
}

// stop sends SIGTERM, escalates to SIGKILL after stopGrace and waits until
// the process is gone, so its directory can be removed afterwards.
func (n *node) stop() {
	if !n.running() {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(stopGrace):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// logFailure shows the end of the server log when tb failed: the log goes
// with tb's temporary directory, and server trouble (a lost session, a
// refused connection) is rarely visible from the client side.
func (n *node) logFailure(tb testing.TB) {
	if n != nil && tb.Failed() {
		tb.Logf("zookeeper %s log tail:\n%s", n.addr(), logTail(n.logPath(), 25))
	}
}

// fourLetter sends a four-letter-word command and returns the reply.
func fourLetter(addr, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// pickPorts is freePorts; the package's tests replace it to lose a race.
var pickPorts = freePorts

// freePorts returns n distinct loopback ports that were free a moment ago.
// Holding all listeners until the end keeps the ports distinct; another
// process may still take one before ZooKeeper binds it, hence the retries.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
