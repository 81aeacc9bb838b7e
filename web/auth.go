package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a user may do: read, write (edit the inventory and the
// configuration) or admin (also delete whole services and revert any
// change).
type Role int

// Roles, weakest first.
const (
	RoleNone Role = iota
	RoleRead
	RoleWrite
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleRead:
		return "read"
	case RoleWrite:
		return "write"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// ParseRole parses "read", "write" or "admin".
func ParseRole(s string) (Role, error) {
	switch s {
	case "read":
		return RoleRead, nil
	case "write":
		return RoleWrite, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, fmt.Errorf("role %q: want read, write or admin", s)
}

// Users is the users file: one "NAME:BCRYPT-HASH:ROLE" per line, '#'
// comments and blank lines ignored.
type Users struct {
	users map[string]userEntry
	// verified remembers, per user, a digest of the last password that
	// matched, so a script's every request does not pay bcrypt's cost.
	mu       sync.Mutex
	verified map[string][32]byte
}

type userEntry struct {
	hash []byte
	role Role
}

// LoadUsers reads a users file. It refuses a file that group or others
// may read or write: it holds password hashes.
func LoadUsers(path string) (*Users, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("users file %s is accessible by group or others (mode %04o): chmod 600 it", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	return ParseUsers(path, data)
}

// ParseUsers parses a users file's content; name is for messages.
func ParseUsers(name string, data []byte) (*Users, error) {
	u := &Users{users: map[string]userEntry{}, verified: map[string][32]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.Split(text, ":")
		if len(parts) != 3 || parts[0] == "" {
			return nil, fmt.Errorf("%s:%d: want NAME:BCRYPT-HASH:ROLE", name, line)
		}
		if _, err := bcrypt.Cost([]byte(parts[1])); err != nil {
			return nil, fmt.Errorf("%s:%d: user %q: not a bcrypt hash (make one with kook serve --hash-password): %v", name, line, parts[0], err)
		}
		role, err := ParseRole(parts[2])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if _, dup := u.users[parts[0]]; dup {
			return nil, fmt.Errorf("%s:%d: user %q listed twice", name, line, parts[0])
		}
		u.users[parts[0]] = userEntry{hash: []byte(parts[1]), role: role}
	}
	return u, sc.Err()
}

// dummyHash is compared against for unknown users.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)
	return h
})

// HashPassword returns the bcrypt hash of a password, for the users file.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// Check returns the role of name if password is theirs, RoleNone if not.
func (u *Users) Check(name, password string) Role {
	if u == nil {
		return RoleNone
	}
	e, ok := u.users[name]
	digest := sha256.Sum256([]byte(name + "\x00" + password))
	if !ok {
		// Same cost as a wrong password, so names cannot be probed by time.
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return RoleNone
	}
	u.mu.Lock()
	last, seen := u.verified[name]
	u.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(last[:], digest[:]) == 1 {
		return e.role
	}
	if bcrypt.CompareHashAndPassword(e.hash, []byte(password)) != nil {
		return RoleNone
	}
	u.mu.Lock()
	u.verified[name] = digest
	u.mu.Unlock()
	return e.role
}

// Role returns the role the file gives name, RoleNone if not listed.
func (u *Users) Role(name string) Role {
	if u == nil {
		return RoleNone
	}
	return u.users[name].role
}

// Identity is who makes a request and how they proved it.
type Identity struct {
	User string
	Role Role
	// Via is "session", "basic", "header" or "anonymous"; "" for nobody.
	Via  string
	CSRF string // the token unsafe requests of a browser must carry
}

type ctxKey struct{}

func identityOf(r *http.Request) Identity {
	id, _ := r.Context().Value(ctxKey{}).(Identity)
	return id
}

// session is one browser login.
type session struct {
	user    string
	role    Role
	csrf    string
	expires time.Time
}

const (
	sessionCookie = "kook_session"
	sessionTTL    = 12 * time.Hour
	csrfField     = "csrf_token"
	csrfHeader    = "X-CSRF-Token"
)

// auth decides who each request comes from.
type auth struct {
	users          *Users
	trustedHeader  string
	trustedProxies []netip.Prefix
	trustedRole    Role
	anonymousRead  bool
	secret         []byte

	mu       sync.Mutex
	sessions map[string]*session
}

func newAuth(o Options) *auth {
	a := &auth{users: o.Users, trustedHeader: http.CanonicalHeaderKey(o.TrustedHeader), trustedProxies: o.TrustedProxies,
		trustedRole: o.TrustedRole, anonymousRead: o.AnonymousRead, sessions: map[string]*session{}, secret: make([]byte, 32)}
	if a.trustedRole == RoleNone {
		a.trustedRole = RoleRead
	}
	rand.Read(a.secret)
	return a
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fromTrustedProxy reports whether the request's peer is a trusted proxy.
func (a *auth) fromTrustedProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range a.trustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// errBadCredentials is a basic-auth header that names no user or a wrong
// password.
var errBadCredentials = errors.New("wrong user name or password")

// identify returns who r comes from.
func (a *auth) identify(r *http.Request) (Identity, error) {
	if a.trustedHeader != "" {
		if a.fromTrustedProxy(r) {
			if user := r.Header.Get(a.trustedHeader); user != "" {
				role := a.users.Role(user)
				if role == RoleNone {
					role = a.trustedRole
				}
				return Identity{User: user, Role: role, Via: "header", CSRF: a.mac("header\x00" + user)}, nil
			}
		}
	}
	if user, pass, ok := r.BasicAuth(); ok {
		role := a.users.Check(user, pass)
		if role == RoleNone {
			return Identity{}, errBadCredentials
		}
		return Identity{User: user, Role: role, Via: "basic"}, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		s := a.sessions[c.Value]
		if s != nil && time.Now().After(s.expires) {
			delete(a.sessions, c.Value)
			s = nil
		}
		a.mu.Unlock()
		if s != nil {
			return Identity{User: s.user, Role: s.role, Via: "session", CSRF: s.csrf}, nil
		}
	}
	if a.anonymousRead {
		return Identity{Role: RoleRead, Via: "anonymous"}, nil
	}
	return Identity{}, nil
}

func (a *auth) mac(s string) string {
	h := hmac.New(sha256.New, a.secret)
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// login checks a password and starts a session; it returns the cookie
// value, or "" if the password is wrong.
func (a *auth) login(user, password string) (string, Role) {
	role := a.users.Check(user, password)
	if role == RoleNone {
		return "", RoleNone
	}
	id := randomToken()
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for k, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[id] = &session{user: user, role: role, csrf: randomToken(), expires: now.Add(sessionTTL)}
	return id, role
}

func (a *auth) logout(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
}

func isUnsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// crossSite reports whether a browser says the request comes from another
// site: a browser can replay basic-auth credentials it has cached, so
// basic auth is for scripts, which send no such headers.
func crossSite(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s == "cross-site" || s == "same-site" {
		return true
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		return err != nil || u.Host != r.Host
	}
	return false
}

// checkCSRF verifies the token an unsafe browser request carries.
func checkCSRF(r *http.Request, id Identity) bool {
	if id.Via == "basic" {
		return !crossSite(r)
	}
	if id.CSRF == "" {
		return false
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(id.CSRF)) == 1
}

// withIdentity returns r carrying id.
func withIdentity(r *http.Request, id Identity) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
}
