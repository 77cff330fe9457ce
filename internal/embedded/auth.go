package embedded

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
)

// The embedded store has two users. Game servers connect as Redis's
// "default" user (AUTH <password>, or redis://:<password>@host:port/<db>)
// and may only do what a game server does: XADD to the event stream (plus
// the handshake: AUTH, HELLO, INFO, SELECT, PING, CLIENT...). statsctl's
// own clients connect as AdminUser, with a second password kept beside the
// first, and may do everything.
const (
	// AdminUser is the Redis user statsctl's own commands authenticate as.
	AdminUser = "statsctl"
	// PasswordFile holds the game servers' password (mode 0600).
	PasswordFile = "redis.password"
	// AdminPasswordFile holds AdminUser's password (mode 0600).
	AdminPasswordFile = "redis.admin-password"
)

// DefaultGameStreams is the stream game servers XADD to (the contract's).
var DefaultGameStreams = []string{"game_event_stream"}

// gameAllowed is every command a game server's client needs: node redis
// 3.x sends INFO on connect, SELECT <db>, then XADD. Anything else (FLUSHALL,
// XTRIM, XGROUP DESTROY, ZADD onto a board, EVAL...) is refused to it.
var gameAllowed = map[string]bool{
	"AUTH": true, "HELLO": true, "PING": true, "ECHO": true, "INFO": true, "SELECT": true,
	"QUIT": true, "CLIENT": true, "COMMAND": true, "XADD": true, "XLEN": true,
}

// loadPassword returns the password in dir/name, creating it (random,
// mode 0600) on first start. A given password replaces the file's.
func loadPassword(dir, name, given string) (string, error) {
	path := filepath.Join(dir, name)
	if given != "" {
		if err := writePasswordFile(path, given); err != nil {
			return "", err
		}
		return given, nil
	}
	b, err := os.ReadFile(path)
	if err == nil {
		if pw := strings.TrimSpace(string(b)); pw != "" {
			return pw, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w (it must be readable by this user only)", path, err)
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate a Redis password: %w", err)
	}
	pw := hex.EncodeToString(raw)
	if err := writePasswordFile(path, pw); err != nil {
		return "", err
	}
	return pw, nil
}

func writePasswordFile(path, pw string) error {
	if err := writeFileAtomic(path, []byte(pw+"\n")); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}

// readAdminPassword is what a remote-mode Open uses to reach the server
// that holds the directory.
func readAdminPassword(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// guard remembers which user each connection authenticated as and refuses
// the game servers' user every command outside gameAllowed, and XADD
// outside the game streams or with trimming. It runs as miniredis's
// pre-hook, before miniredis's own authentication check.
type guard struct {
	gamePW, adminPW string
	streams         map[string]bool

	mu    sync.Mutex
	admin map[*server.Peer]bool // peer -> authenticated as admin (false: as game server)
}

func installGuard(m *miniredis.Miniredis, gamePW, adminPW string, streams []string) *guard {
	g := &guard{gamePW: gamePW, adminPW: adminPW, streams: map[string]bool{}, admin: map[*server.Peer]bool{}}
	for _, s := range streams {
		g.streams[s] = true
	}
	m.RequireAuth(gamePW)
	m.RequireUserAuth(AdminUser, adminPW)
	m.Server().SetPreHook(g.hook)
	return g
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// credentials picks the user and password out of AUTH or HELLO ... AUTH.
func credentials(cmd string, args []string) (user, pw string, ok bool) {
	switch cmd {
	case "AUTH":
		switch len(args) {
		case 1:
			return "default", args[0], true
		case 2:
			return args[0], args[1], true
		}
	case "HELLO":
		for i := 0; i+2 < len(args); i++ {
			if strings.EqualFold(args[i], "AUTH") {
				return args[i+1], args[i+2], true
			}
		}
	}
	return "", "", false
}

func (g *guard) hook(c *server.Peer, cmd string, args ...string) bool {
	if user, pw, ok := credentials(cmd, args); ok {
		// Only a successful AUTH changes the user; miniredis answers it.
		var admin, known bool
		switch {
		case user == AdminUser && same(pw, g.adminPW):
			admin, known = true, true
		case user == "default" && same(pw, g.gamePW):
			known = true
		}
		if known {
			g.mu.Lock()
			if _, seen := g.admin[c]; !seen {
				c.OnDisconnect(func() { g.mu.Lock(); delete(g.admin, c); g.mu.Unlock() })
			}
			g.admin[c] = admin
			g.mu.Unlock()
		}
		return false
	}
	g.mu.Lock()
	admin, authed := g.admin[c]
	g.mu.Unlock()
	if !authed || admin {
		// Not authenticated: miniredis answers NOAUTH (Lua's inner calls
		// come here too, and only an admin can EVAL).
		return false
	}
	if !gameAllowed[cmd] {
		c.WriteError(fmt.Sprintf("NOPERM the game servers' user may not run %s on the embedded store (it only XADDs events)", cmd))
		return true
	}
	if cmd == "XADD" {
		if len(args) == 0 || !g.streams[args[0]] {
			c.WriteError("NOPERM the game servers' user may only XADD to " + strings.Join(keys(g.streams), ", "))
			return true
		}
	opts:
		for _, a := range args[1:] {
			switch strings.ToUpper(a) {
			case "MAXLEN", "MINID", "LIMIT":
				c.WriteError("NOPERM the game servers' user may not trim the stream (XADD " + strings.ToUpper(a) + ")")
				return true
			case "NOMKSTREAM":
				continue
			}
			break opts // the id: fields follow, never options
		}
	}
	return false
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
