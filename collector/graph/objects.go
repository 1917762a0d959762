package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Fields requested for each object edge (graph-api.md).
const (
	accountFields  = "id,name,currency,timezone_name"
	campaignFields = "id,name,objective,status,effective_status"
	adSetFields    = "id,name,campaign_id,destination_type,optimization_goal,status"
	adFields       = "id,name,adset_id,campaign_id,status"
)

// User is the token's owner, from /me: enough to test a connection.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AdAccount is an ad account's fields.
type AdAccount struct {
	ID           string `json:"id"` // numeric id without act_
	Name         string `json:"name"`
	Currency     string `json:"currency"`
	TimezoneName string `json:"timezone_name"` // IANA name; insight dates are in this zone
}

// Campaign is one campaign of an ad account.
type Campaign struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Objective       string `json:"objective"`
	Status          string `json:"status"`
	EffectiveStatus string `json:"effective_status"`
}

// AdSet is one ad set of an ad account.
type AdSet struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	CampaignID       string `json:"campaign_id"`
	DestinationType  string `json:"destination_type"`
	OptimizationGoal string `json:"optimization_goal"`
	Status           string `json:"status"`
}

// Ad is one ad of an ad account; it ties an ad referral's ad_id to its ad set and campaign.
type Ad struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	AdSetID    string `json:"adset_id"`
	CampaignID string `json:"campaign_id"`
	Status     string `json:"status"`
}

// Me returns the token's user (GET /me?fields=id,name).
func (c *Client) Me(ctx context.Context) (User, error) {
	var u User
	err := c.do(ctx, call{op: OpMe, method: http.MethodGet, path: "/me", query: url.Values{"fields": {"id,name"}}},
		func(b []byte) (int, error) { return 1, json.Unmarshal(b, &u) })
	return u, err
}

// Account returns an ad account's fields. accountID may carry act_ or not.
func (c *Client) Account(ctx context.Context, accountID string) (AdAccount, error) {
	id, err := accountPath(accountID)
	if err != nil {
		return AdAccount{}, err
	}
	var a AdAccount
	err = c.do(ctx, call{op: OpAccount, method: http.MethodGet, path: "/act_" + id, accountID: id,
		query: url.Values{"fields": {accountFields}}},
		func(b []byte) (int, error) { return 1, json.Unmarshal(b, &a) })
	a.ID = strings.TrimPrefix(a.ID, "act_")
	return a, err
}

// Campaigns streams every campaign of the ad account to fn, page by page (limit=500, following
// paging.next). An error from fn stops the stream and is returned as is.
func (c *Client) Campaigns(ctx context.Context, accountID string, fn func(Campaign) error) error {
	return objectEdge(ctx, c, OpCampaigns, "campaigns", campaignFields, accountID, fn)
}

// AdSets streams every ad set of the ad account to fn, like Campaigns.
func (c *Client) AdSets(ctx context.Context, accountID string, fn func(AdSet) error) error {
	return objectEdge(ctx, c, OpAdSets, "adsets", adSetFields, accountID, fn)
}

// Ads streams every ad of the ad account to fn, like Campaigns.
func (c *Client) Ads(ctx context.Context, accountID string, fn func(Ad) error) error {
	return objectEdge(ctx, c, OpAds, "ads", adFields, accountID, fn)
}

func objectEdge[T any](ctx context.Context, c *Client, op, edge, fields, accountID string, fn func(T) error) error {
	id, err := accountPath(accountID)
	if err != nil {
		return err
	}
	first := call{op: op, method: http.MethodGet, path: "/act_" + id + "/" + edge, accountID: id,
		query: url.Values{"fields": {fields}, "limit": {itoa(DefaultPageLimit)}}}
	return pages(ctx, c, first, func(_ int, t T) (T, error) { return t, nil }, fn)
}

// page is one answer of a paged edge.
type page[W any] struct {
	Data   []W `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

// maxPages bounds a stream against a server that never stops answering with a next URL.
const maxPages = 100_000

// pages fetches first and every paging.next after it. Each page is fetched (and retried) as
// one request, its rows all converted, and only then delivered to fn — so a failed page is
// retried without re-fetching earlier pages and no row is delivered twice.
func pages[W, T any](ctx context.Context, c *Client, first call, convert func(i int, w W) (T, error), fn func(T) error) error {
	cl := first
	for n := 1; ; n++ {
		cl.page = n
		var rows []T
		var next string
		err := c.do(ctx, cl, func(b []byte) (int, error) {
			var p page[W]
			if err := json.Unmarshal(b, &p); err != nil {
				return 0, err
			}
			rows = make([]T, 0, len(p.Data))
			for i, w := range p.Data {
				t, err := convert(i, w)
				if err != nil {
					return 0, err
				}
				rows = append(rows, t)
			}
			next = p.Paging.Next
			return len(rows), nil
		})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		if next == cl.rawURL || n >= maxPages {
			return &Error{Kind: KindDecode, Op: "GET " + first.path, AccountID: first.accountID, Field: "paging.next",
				Message: fmt.Sprintf("paging does not end (page %d repeats or exceeds %d pages)", n, maxPages)}
		}
		cl = call{op: first.op, method: http.MethodGet, rawURL: next, accountID: first.accountID}
	}
}
