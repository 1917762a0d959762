package metasim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBody bounds a POST body; a Conversions API request of 1,000 events fits comfortably.
const maxBody = 8 << 20

// Server is one simulated Graph API. It is an http.Handler; everything it knows hangs off the
// instance, so several can run side by side, and all methods are safe for concurrent use.
type Server struct {
	opts    Options
	w       *world
	tokens  map[string]bool
	usage   *usage
	faults  *faultSet
	jobs    *jobStore
	events  *eventStore
	log     *requestLog
	manual  atomic.Int64 // epochs added by Restate
	traceNo atomic.Uint64
}

// New builds the world described by opts and a server answering for it.
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	w, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, w: w, tokens: map[string]bool{}, usage: newUsage(o),
		faults: newFaultSet(o.Seed), jobs: newJobStore(o.Seed), events: newEventStore(),
		log: newRequestLog(o.MaxLogEntries)}
	for _, t := range o.Tokens {
		s.tokens[t] = true
	}
	for _, f := range o.Faults {
		if _, err := s.faults.add(f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Start serves s on 127.0.0.1 (never another interface) at a free port. It returns the base URL
// without a version, like https://graph.facebook.com, and a stop function that cancels requests
// in flight (a Slow fault included) and closes the listener; calling stop twice is harmless.
func (s *Server) Start() (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("metasim: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln) // returns ErrServerClosed on stop
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if hs.Shutdown(sctx) != nil {
			_ = hs.Close()
		}
		<-done
	})
	return "http://" + ln.Addr().String(), stop, nil
}

// Start builds a server from opts and serves it on loopback; see Server.Start. It panics when
// opts are invalid or no port is free, which in a test or the demo is a programming error;
// use New and Server.Start to handle those errors or to reach the server's methods.
func Start(opts Options) (baseURL string, stop func()) {
	s, err := New(opts)
	if err != nil {
		panic(err)
	}
	u, stop, err := s.Start()
	if err != nil {
		panic(err)
	}
	return u, stop
}

// call is the state of one request as it moves through ServeHTTP.
type call struct {
	r          *http.Request
	at         time.Time
	version    string
	major      int
	segs       []string
	params     url.Values // query and body parameters, the token removed
	token      string
	authVia    string
	kind       RequestKind
	acct       *account
	objectID   string
	level      string
	windowDays int
	fault      FaultKind
	corrupt    FaultKind
	jobOutcome FaultKind
	trace      string
	status     int
	errCode    int
	errSub     int
	handler    func(*call) (any, *graphError)
	deferred   *graphError // a parameter error answered after usage and faults are accounted
	camp       *campaign
	adSet      *adSet
	job        *job
	q          *insightsQuery
}

func (s *Server) now() time.Time { return s.opts.Now() }

// ServeHTTP answers one Graph API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r, at: s.now(), kind: RequestUnknown, trace: s.trace()}
	defer s.record(c)
	ge := s.prepare(c)
	if ge == nil {
		ge = s.authenticate(c)
	}
	if ge == nil {
		ge = s.route(c)
		if ge == nil {
			ge = s.usage.admit(c.acct, c.at)
		}
		if ge == nil {
			ge = applyFaults(r.Context(), c, s.faults.fire(c))
			if c.fault == FaultNotFound {
				ge = errNoObject(strings.ToLower(r.Method), c.objectID)
			}
			if r.Context().Err() != nil {
				return // the client went away during a Slow fault: nothing to answer
			}
		}
	}
	if ge == nil {
		ge = c.deferred
	}
	var body any
	if ge == nil {
		body, ge = c.handler(c)
	}
	s.respond(w, c, body, ge)
}

// trace makes an fbtrace_id-like string, distinct per answer and reproducible per seed.
func (s *Server) trace() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	x := mix(s.opts.Seed ^ mix(s.traceNo.Add(1)))
	b := []byte{'A'}
	for range 10 {
		b = append(b, alphabet[x&63])
		x >>= 6
	}
	return string(b)
}

// prepare reads the version, the path segments, the parameters and the token.
func (s *Server) prepare(c *call) *graphError {
	r := c.r
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	c.major = DefaultVersion
	if len(segs) > 0 && len(segs[0]) > 1 && segs[0][0] == 'v' {
		maj, minor, ok := strings.Cut(segs[0][1:], ".")
		m, err1 := strconv.Atoi(maj)
		_, err2 := strconv.Atoi(minor)
		if ok && err1 == nil && err2 == nil {
			c.version, c.major, segs = segs[0], m, segs[1:]
		}
	}
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	c.segs = segs
	c.params = url.Values{}
	for k, v := range r.URL.Query() {
		c.params[k] = v
	}
	if r.Method == http.MethodPost {
		if ge := readBody(c); ge != nil {
			return ge
		}
	}
	c.token = c.params.Get("access_token")
	c.authVia = "param"
	c.params.Del("access_token")
	if c.token == "" {
		h := r.Header.Get("Authorization")
		for _, scheme := range []string{"Bearer ", "OAuth "} {
			if len(h) > len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) {
				c.token, c.authVia = strings.TrimSpace(h[len(scheme):]), "header"
			}
		}
	}
	return nil
}

// readBody merges a form or JSON body into the parameters. JSON values that are not strings
// become their JSON text, so {"time_range":{…}} reads like time_range={…} in a query.
func readBody(c *call) *graphError {
	data, err := io.ReadAll(io.LimitReader(c.r.Body, maxBody+1))
	if err != nil {
		return errParam("could not read the request body")
	}
	if len(data) > maxBody {
		return errParam("request body larger than %d bytes", maxBody)
	}
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	switch {
	case len(strings.TrimSpace(string(data))) == 0:
	case mt == "application/json":
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return errParam("the request body is not a JSON object: %v", err)
		}
		for k, v := range m {
			switch x := v.(type) {
			case string:
				c.params.Set(k, x)
			case json.Number:
				c.params.Set(k, x.String())
			default:
				b, _ := json.Marshal(x)
				c.params.Set(k, string(b))
			}
		}
	case mt == "" || mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(data))
		if err != nil {
			return errParam("the request body is not form-encoded: %v", err)
		}
		for k, v := range vals {
			c.params[k] = v
		}
	default:
		return errParam("unsupported Content-Type %q; send JSON or form-encoded parameters", mt)
	}
	return nil
}

func (s *Server) authenticate(c *call) *graphError {
	if c.token == "" {
		return errNoToken()
	}
	if !s.tokens[c.token] {
		return errInvalidToken()
	}
	return nil
}

// respond writes the usage headers, then the answer or the error envelope.
func (s *Server) respond(w http.ResponseWriter, c *call, body any, ge *graphError) {
	h := w.Header()
	s.usage.setHeaders(h, c.acct, c.kind, s.now(), ge)
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("x-fb-trace-id", c.trace)
	v := c.version
	if v == "" {
		v = fmt.Sprintf("v%d.0", DefaultVersion)
	}
	h.Set("facebook-api-version", v)
	status := http.StatusOK
	var b []byte
	if ge != nil {
		status, c.errCode, c.errSub = ge.status, ge.code, ge.subcode
		b = appendJSON(nil, ge.envelope(c.trace))
	} else {
		b = appendJSON(make([]byte, 0, 64<<10), body)
		switch c.corrupt {
		case FaultMalformedJSON:
			b = []byte(`{"data":[{"date_start":"2026-01-01",,"spend":14.35.2}]` + "\n")
		case FaultTruncatedJSON:
			b = b[:len(b)/2]
		}
	}
	c.status = status
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
