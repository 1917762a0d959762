package metasim

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// Cursors encode a position (a row index in the answer's fixed order), so reading page n costs
// the same as reading page 1: nothing is regenerated from the start. The position survives a
// restatement epoch between pages; the rows around it may not, just as with Meta.

func encodeCursor(tag byte, pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(tag) + ":" + strconv.Itoa(pos)))
}

func decodeCursor(tag byte, c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 3 || b[0] != tag || b[1] != ':' {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[2:]))
	return n, err == nil && n >= 0
}

// pageRequest is the position and size a request asks for.
type pageRequest struct {
	start int // first position to consider
	limit int
}

// parsePage reads limit (default 25, clamped to 1..500) and the after cursor.
func parsePage(c *call, tag byte) (pageRequest, *graphError) {
	pr := pageRequest{limit: DefaultLimit}
	if l := c.params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return pr, errParam("limit must be an integer, got %q", l)
		}
		pr.limit = min(max(n, 1), MaxLimit)
	}
	if a := c.params.Get("after"); a != "" {
		pos, ok := decodeCursor(tag, a)
		if !ok {
			return pr, errParam("after: %q is not a cursor of this edge", a)
		}
		pr.start = pos + 1
	}
	return pr, nil
}

// pageEnvelope wraps rows in {"data":[…],"paging":{…}}. next is present only when more rows
// follow; it is absolute, built from the request's Host, and carries the token and every
// original parameter with the new after cursor.
func pageEnvelope(c *call, tag byte, rows []object, first, last int, more bool, limit int) object {
	out := object{{"data", rows}}
	if len(rows) == 0 {
		return out
	}
	paging := object{{"cursors", object{
		{"before", encodeCursor(tag, first)},
		{"after", encodeCursor(tag, last)},
	}}}
	if more {
		paging = append(paging, field{"next", nextURL(c, encodeCursor(tag, last), limit)})
	}
	return append(out, field{"paging", paging})
}

func nextURL(c *call, after string, limit int) string {
	v := url.Values{}
	for k, vs := range c.params {
		v[k] = vs
	}
	v.Del("before")
	v.Set("after", after)
	v.Set("limit", strconv.Itoa(limit))
	v.Set("access_token", c.token)
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	path := c.r.URL.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return scheme + "://" + c.r.Host + path + "?" + v.Encode()
}
