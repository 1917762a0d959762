package metasim

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"time"
)

// LoggedRequest is one request as the simulator saw it. The token is never kept: Query and
// Params have access_token removed, and AuthVia only says where it came from.
type LoggedRequest struct {
	Time         time.Time   // injected clock at arrival
	Method       string      // GET or POST
	Path         string      // as received, version included
	Version      string      // "v21.0", or "" when the path had no version
	Query        string      // the URL query, access_token removed
	Params       url.Values  // query and body parameters, access_token removed
	AuthVia      string      // "param" (query or body), "header", or "" without a token
	Kind         RequestKind // what was asked
	Account      string      // ad account id without act_, "" when none
	Level        string      // insights level, "" for other kinds
	Status       int         // HTTP status answered; 0 when the client left during a Slow fault
	ErrorCode    int         // Graph error code, 0 on success
	ErrorSubcode int
	Fault        FaultKind // the injected fault that shaped the answer, if any
}

type requestLog struct {
	mu     sync.Mutex
	max    int
	all    []LoggedRequest
	counts map[RequestKind]int
}

func newRequestLog(max int) *requestLog {
	return &requestLog{max: max, counts: map[RequestKind]int{}}
}

func (s *Server) record(c *call) {
	q := c.r.URL.Query()
	q.Del("access_token")
	lr := LoggedRequest{Time: c.at, Method: c.r.Method, Path: c.r.URL.Path, Version: c.version,
		Query: q.Encode(), Params: c.params, Kind: c.kind, Level: c.level, Status: c.status,
		ErrorCode: c.errCode, ErrorSubcode: c.errSub, Fault: c.fault}
	if c.token != "" {
		lr.AuthVia = c.authVia
	}
	if c.acct != nil {
		lr.Account = c.acct.id
	}
	l := s.log
	l.mu.Lock()
	if len(l.all) >= l.max {
		l.all = append(l.all[:0], l.all[len(l.all)/2:]...)
	}
	l.all = append(l.all, lr)
	l.counts[c.kind]++
	l.mu.Unlock()
	if lg := s.opts.Logger; lg != nil {
		lg.LogAttrs(context.Background(), slog.LevelDebug, "metasim request",
			slog.String("method", lr.Method), slog.String("path", lr.Path),
			slog.String("kind", string(lr.Kind)), slog.String("account", lr.Account),
			slog.Int("status", lr.Status), slog.Int("code", lr.ErrorCode),
			slog.String("fault", string(lr.Fault)))
	}
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []LoggedRequest {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return append([]LoggedRequest(nil), s.log.all...)
}

// CallCount is how many requests of kind were received (errors included) since the last
// ResetLog; it is not limited by MaxLogEntries.
func (s *Server) CallCount(kind RequestKind) int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.counts[kind]
}

// CallCounts returns every kind's count.
func (s *Server) CallCounts() map[RequestKind]int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	out := make(map[RequestKind]int, len(s.log.counts))
	for k, v := range s.log.counts {
		out[k] = v
	}
	return out
}

// ResetLog empties the request log and the counters (usage figures are not touched).
func (s *Server) ResetLog() {
	s.log.mu.Lock()
	s.log.all = nil
	s.log.counts = map[RequestKind]int{}
	s.log.mu.Unlock()
}
