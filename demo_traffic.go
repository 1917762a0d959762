package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// demoAdminEmail is the admin the demo creates.
const demoAdminEmail = "admin@example.com"

// seedDemoAdmin creates the demo's admin with a generated password, returned to be printed
// once. On a reused --db where the admin exists it returns "".
func seedDemoAdmin(ctx context.Context, db *store.DB) (string, error) {
	if _, err := db.UserByEmail(ctx, demoAdminEmail); err == nil {
		return "", nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	pw, err := secret.GeneratePassword()
	if err != nil {
		return "", err
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return "", err
	}
	if _, err := db.CreateUser(ctx, store.NewUser{Email: demoAdminEmail, PasswordHash: hash, Role: store.RoleAdmin}); err != nil {
		return "", fmt.Errorf("demo: admin user: %w", err)
	}
	return pw, nil
}

// demoBotShare is how the demo's bots relate to Meta's count: of the leads Meta attributes, the
// bot logged about 85% (people who dropped out before the bot's last step are Meta leads the
// bot never marked); a further ~8% are organic leads with no ad behind them.
const (
	demoBotLogged  = 0.85
	demoBotOrganic = 0.08
)

// demoPost is one bot request, with the referral the bot saw first (if any).
type demoPost struct {
	client   string // slug, to pick the API key
	referral *events.Referral
	req      events.Request
}

// demoBotTraffic logs, through the real event API, what the demo clients' bots would have
// logged over the last `days` days: lead_submitted for a share of the leads Meta attributes in
// the simulated world, half carrying the ad id, some attributed by a referral the bot posted
// when the person arrived, the rest unattributed; plus organic leads. Event ids are stable, so
// a demo restarted on the same --db does not log anything twice.
func demoBotTraffic(ctx context.Context, a *app, sim *metasim.Server, baseURL string, days int) (int, error) {
	now := a.now()
	keys := map[string]string{}
	var posts []demoPost
	for i, acct := range sim.World().Accounts {
		stored, err := a.db.AdAccount(ctx, acct.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // not one of the demo's clients
		}
		if err != nil {
			return 0, err
		}
		client, err := a.db.ClientByID(ctx, stored.ClientID)
		if err != nil {
			return 0, err
		}
		if _, ok := keys[client.Slug]; !ok {
			key, _, err := a.db.CreateAPIKey(ctx, client.ID, "demo bot", "demo")
			if err != nil {
				return 0, fmt.Errorf("demo: API key: %w", err)
			}
			keys[client.Slug] = key
		}
		loc, err := time.LoadLocation(acct.Timezone)
		if err != nil {
			return 0, err
		}
		today := now.In(loc)
		since := today.AddDate(0, 0, -days).Format(store.DateLayout)
		rows, err := sim.Truth(acct.ID, "adset", since, today.Format(store.DateLayout))
		if err != nil {
			return 0, fmt.Errorf("demo: simulated truth: %w", err)
		}
		ads := map[string][]string{}
		for _, c := range acct.Campaigns {
			for _, s := range c.AdSets {
				for _, ad := range s.Ads {
					ads[s.ID] = append(ads[s.ID], ad.ID)
				}
			}
		}
		rng := rand.New(rand.NewPCG(uint64(i)+1, 20261124))
		for _, r := range rows {
			leads := r.Actions[store.ActionLeadGrouped]
			day, err := time.ParseInLocation(store.DateLayout, r.Date, loc)
			if err != nil {
				return 0, err
			}
			for n := int64(0); n < leads; n++ {
				if rng.Float64() >= demoBotLogged || len(ads[r.AdSetID]) == 0 {
					continue
				}
				at := day.Add(time.Duration(8*3600+rng.IntN(13*3600)) * time.Second)
				if at.After(now) {
					at = now.Add(-time.Duration(1+rng.IntN(600)) * time.Second)
				}
				p := demoPost{client: client.Slug, req: events.Request{
					PageID: acct.PageID, PSID: strconv.FormatUint(rng.Uint64()>>12, 10),
					AdvertiserTrackingEnabled: true, ApplicationTrackingEnabled: true,
					Events: []events.Event{{Name: "lead_submitted", LogTime: at.Unix(),
						EventID: fmt.Sprintf("demo-%s-%s-%d", r.AdSetID, r.Date, n)}},
				}}
				ad := ads[r.AdSetID][rng.IntN(len(ads[r.AdSetID]))]
				switch x := rng.Float64(); {
				case x < 0.5: // the bot passes the ad id of the referral it saw
					p.req.AdID = ad
				case x < 0.8: // the bot recorded the referral when the person arrived
					p.referral = &events.Referral{PageID: acct.PageID, PSID: p.req.PSID, AdID: ad, Source: "ADS",
						Type: "OPEN_THREAD", ReferredAt: at.Add(-time.Duration(2+rng.IntN(40)) * time.Minute).UTC()}
				}
				posts = append(posts, p)
			}
			// Organic leads: people who found the page without an ad.
			if rng.Float64() < demoBotOrganic*float64(leads) {
				at := day.Add(time.Duration(9*3600+rng.IntN(10*3600)) * time.Second)
				if !at.After(now) {
					posts = append(posts, demoPost{client: client.Slug, req: events.Request{
						PageID: acct.PageID, PSID: strconv.FormatUint(rng.Uint64()>>12, 10),
						AdvertiserTrackingEnabled: true, ApplicationTrackingEnabled: true,
						Events: []events.Event{{Name: "lead_submitted", LogTime: at.Unix(),
							EventID: fmt.Sprintf("demo-organic-%s-%s", acct.ID, r.Date+"-"+r.AdSetID)}},
					}})
				}
			}
		}
	}
	return postAll(ctx, baseURL, keys, posts)
}

// postAll sends the posts with many concurrent bots, as real traffic would arrive (group commit makes that fast).
func postAll(ctx context.Context, baseURL string, keys map[string]string, posts []demoPost) (int, error) {
	work := make(chan demoPost)
	var mu sync.Mutex
	var firstErr error
	posted := 0
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for p := range work {
				c := &events.Client{BaseURL: baseURL, APIKey: keys[p.client]}
				var err error
				if p.referral != nil {
					_, err = c.RecordReferral(ctx, *p.referral)
				}
				if err == nil {
					_, err = c.LogEvents(ctx, p.req)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					posted++
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range posts {
		select {
		case work <- p:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return posted, fmt.Errorf("demo: bot traffic: %w", firstErr)
	}
	return posted, ctx.Err()
}
