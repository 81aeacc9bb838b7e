package zktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TLSServer is a standalone server that also listens on a secureClientPort
// and requires every TLS client to show a certificate its CA signed
// (ssl.clientAuth=need). Its certificate is valid for the name "localhost"
// only, not for 127.0.0.1: a client that dials SecureAddr verifies the
// name, one that dials the same port as 127.0.0.1 gets a name mismatch.
type TLSServer struct {
	*Server // Addr is the plain client port, for setting up without TLS
	// SecureAddr is the secureClientPort as "localhost:PORT".
	SecureAddr string
	// CA signs the server's certificate and the clients' (ClientCert);
	// the server trusts it alone.
	CA *CA

	dir string
}

// tlsNode is what a node needs for its secureClientPort.
type tlsNode struct {
	port                 int
	keyStore, trustStore string // PKCS12 files
}

const storePassword = "kooktest"

func (t *tlsNode) config() []string {
	return []string{
		// TLS needs the Netty connection factory.
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"secureClientPort=" + strconv.Itoa(t.port),
		"secureClientPortAddress=127.0.0.1",
		"ssl.keyStore.location=" + t.keyStore,
		"ssl.keyStore.password=" + storePassword,
		"ssl.keyStore.type=PKCS12",
		"ssl.trustStore.location=" + t.trustStore,
		"ssl.trustStore.password=" + storePassword,
		"ssl.trustStore.type=PKCS12",
		"ssl.clientAuth=need",
		// ZooKeeper 3.8 checks a client certificate's names against the
		// client's address when this is on; client certificates name
		// people and programs, not hosts.
		"ssl.hostnameVerification=false",
		// A TLS session's client certificate subject becomes its x509
		// identity (ACL id x509:CN=...).
		"authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
	}
}

// StartTLS runs a private standalone server with a secureClientPort for tb,
// like Start. Its keystores are made here with Debian's openssl and
// keytool (which come with ZooKeeper's Java).
func StartTLS(tb testing.TB) *TLSServer {
	tb.Helper()
	if err := checkInstalled(); err != nil {
		tb.Fatal(err)
	}
	for _, tool := range []string{"openssl", "keytool"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("zktest: StartTLS needs %s: %v (apt-get install -y openssl default-jre-headless)", tool, err)
		}
	}
	dir := tb.TempDir()
	s := &TLSServer{Server: &Server{tb: tb}, dir: dir}
	tb.Cleanup(func() {
		s.Stop()
		s.node.logFailure(tb)
	})
	s.CA = NewCA(tb, "kook test CA")
	srvCert, srvKey := s.CA.issue(tb, "localhost", true)
	keyStore := filepath.Join(dir, "server.p12")
	trustStore := filepath.Join(dir, "trust.p12")
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			tb.Fatalf("zktest: %s %v: %v\n%s", name, args, err, out)
		}
	}
	run("openssl", "pkcs12", "-export", "-in", srvCert, "-inkey", srvKey, "-certfile", s.CA.File,
		"-name", "server", "-out", keyStore, "-passout", "pass:"+storePassword)
	run("keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", s.CA.File,
		"-keystore", trustStore, "-storetype", "PKCS12", "-storepass", storePassword)
	tn := &tlsNode{keyStore: keyStore, trustStore: trustStore}
	if err := s.startStandalone(filepath.Join(dir, "zk"), Options{}, tn); err != nil {
		tb.Fatalf("start zookeeper with TLS: %v", err)
	}
	s.SecureAddr = net.JoinHostPort("localhost", strconv.Itoa(tn.port))
	return s
}

// ClientCert issues a client certificate whose subject is "CN=cn,O=kook"
// and returns its files (PEM) and its subject as ZooKeeper names it: the
// session's identity is "x509:" + subject.
func (s *TLSServer) ClientCert(tb testing.TB, cn string) (certFile, keyFile, subject string) {
	tb.Helper()
	return s.CA.ClientCert(tb, cn)
}

// ClientCert issues a client certificate signed by ca, as
// TLSServer.ClientCert does: from a CA other than the server's, one the
// server refuses.
func (ca *CA) ClientCert(tb testing.TB, cn string) (certFile, keyFile, subject string) {
	tb.Helper()
	certFile, keyFile = ca.issue(tb, cn, false)
	return certFile, keyFile, "CN=" + cn + ",O=kook"
}

// CA is a certificate authority made for a test.
type CA struct {
	// File holds the CA's certificate (PEM).
	File string

	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial atomic.Int64

// NewCA makes a CA under tb.TempDir(). A CA other than a TLSServer's is
// one the server does not trust, nor its clients.
func NewCA(tb testing.TB, name string) *CA {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"kook"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &CA{dir: tb.TempDir(), cert: cert, key: key}
	ca.File = writePEM(tb, ca.dir, "ca.pem", "CERTIFICATE", der)
	return ca
}

// issue makes a certificate for cn signed by ca: a server's (valid for the
// DNS name cn) or a client's (subject CN=cn,O=kook). It returns the
// certificate and key files (PEM).
func (ca *CA) issue(tb testing.TB, cn string, server bool) (certFile, keyFile string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"kook"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	name := fmt.Sprintf("%s-%d", filepath.Base(cn), serial.Load())
	certFile = writePEM(tb, ca.dir, name+".pem", "CERTIFICATE", der)
	keyFile = writePEM(tb, ca.dir, name+".key", "PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(tb testing.TB, dir, name, typ string, der []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}
