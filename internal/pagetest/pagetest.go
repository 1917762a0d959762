// Package pagetest reads Leadlens's HTML pages in tests: elements are found by their
// data-testid hooks, and tiles and table rows read as the text a person sees.
package pagetest

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Page is a parsed HTML answer.
type Page struct {
	t    testing.TB
	Code int
	Body string
	Root *html.Node
}

// Parse parses an HTML answer.
func Parse(t testing.TB, code int, body string) *Page {
	t.Helper()
	root, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	return &Page{t: t, Code: code, Body: body, Root: root}
}

// Attr returns an attribute of an element.
func Attr(n *html.Node, name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// Find returns the first element below n (depth first) with data-testid id, or nil.
func Find(n *html.Node, id string) *html.Node {
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode {
		if v, ok := Attr(n, "data-testid"); ok && v == id {
			return n
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if m := Find(c, id); m != nil {
			return m
		}
	}
	return nil
}

// FindAll returns every element below n with data-testid id.
func FindAll(n *html.Node, id string) []*html.Node {
	var out []*html.Node
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode {
		if v, ok := Attr(n, "data-testid"); ok && v == id {
			out = append(out, n)
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, FindAll(c, id)...)
	}
	return out
}

// FindTag returns every element below n with the tag name.
func FindTag(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	if n == nil {
		return nil
	}
	if n.Type == html.ElementNode && n.Data == tag {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, FindTag(c, tag)...)
	}
	return out
}

// Text is an element's text with whitespace collapsed.
func Text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestID returns the text of the element with a data-testid, failing the test when there is none.
func (p *Page) TestID(id string) string {
	p.t.Helper()
	n := Find(p.Root, id)
	if n == nil {
		p.t.Fatalf("no element with data-testid=%q on the page (HTTP %d)", id, p.Code)
	}
	return Text(n)
}

// Has reports whether an element with a data-testid exists.
func (p *Page) Has(id string) bool { return Find(p.Root, id) != nil }

// TileValues returns a KPI tile's value lines.
func (p *Page) TileValues(id string) []string {
	p.t.Helper()
	n := Find(p.Root, id)
	if n == nil {
		p.t.Fatalf("no tile %q (HTTP %d)", id, p.Code)
	}
	var out []string
	for _, v := range FindAll(n, "value") {
		out = append(out, Text(v))
	}
	return out
}

// TileDeltas returns a tile's deltas: the visible change and, after " | ", the screen-reader
// detail (which names the comparison period's value).
func (p *Page) TileDeltas(id string) []string {
	p.t.Helper()
	n := Find(p.Root, id)
	if n == nil {
		p.t.Fatalf("no tile %q (HTTP %d)", id, p.Code)
	}
	var out []string
	for _, v := range FindAll(n, "delta") {
		visible := ""
		if c := v.FirstChild; c != nil && c.Type == html.TextNode {
			visible = strings.TrimSpace(c.Data)
		}
		detail := ""
		for _, s := range FindTag(v, "span") {
			detail = Text(s)
		}
		out = append(out, visible+" | "+detail)
	}
	return out
}

// Row returns a table row's cells (the row header, then every cell), or nil when there is no
// such row.
func (p *Page) Row(id string) []string {
	n := Find(p.Root, id)
	if n == nil {
		return nil
	}
	var out []string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			out = append(out, Text(c))
		}
	}
	return out
}
