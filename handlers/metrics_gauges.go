package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadlens/leadlens/store"
)

// storeGauges reads the state gauges from the store at scrape time: nothing to keep in step,
// and a scrape always sees the database as it is.
type storeGauges struct {
	db  *store.DB
	now func() time.Time
}

var (
	descClients  = prometheus.NewDesc("leadlens_clients", "Clients, by state (active or archived).", []string{"state"}, nil)
	descAccounts = prometheus.NewDesc("leadlens_ad_accounts",
		"Ad accounts of active clients, by sync state: ok, failing (last sync failed) or never_synced.", []string{"state"}, nil)
	descOutbox = prometheus.NewDesc("leadlens_outbox_entries", "Outbox entries of event forwarding, by status.", []string{"status"}, nil)
	descNewest = prometheus.NewDesc("leadlens_collector_last_success_age_seconds",
		"Seconds since the latest successful sync of any ad account (absent before the first).", nil, nil)
	descStalest = prometheus.NewDesc("leadlens_collector_stalest_success_age_seconds",
		"Seconds since the last successful sync of the ad account synced longest ago (absent before the first).", nil, nil)
	descScrape = prometheus.NewDesc("leadlens_store_scrape_error", "1 when the state gauges could not be read from the database.", nil, nil)
	descBackup = prometheus.NewDesc("leadlens_backup_last_success_timestamp_seconds",
		"Unix time the latest successful backup started (absent before the first); alert when it is too old.", nil, nil)
)

// Describe implements prometheus.Collector.
func (g *storeGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descClients, descAccounts, descOutbox, descNewest, descStalest, descScrape, descBackup} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A database error is reported as a gauge (and the
// rest skipped) rather than failing the whole scrape: the counters are still worth having.
func (g *storeGauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failed := 0.0
	if err := g.collect(ctx, ch); err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(descScrape, prometheus.GaugeValue, failed)
}

func (g *storeGauges) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	clients, err := g.db.Clients(ctx, true)
	if err != nil {
		return err
	}
	archived := 0
	for _, c := range clients {
		if c.Archived() {
			archived++
		}
	}
	ch <- prometheus.MustNewConstMetric(descClients, prometheus.GaugeValue, float64(len(clients)-archived), "active")
	ch <- prometheus.MustNewConstMetric(descClients, prometheus.GaugeValue, float64(archived), "archived")

	accounts, err := g.db.AdAccounts(ctx, 0)
	if err != nil {
		return err
	}
	states := map[string]int{"ok": 0, "failing": 0, "never_synced": 0}
	var newest, stalest time.Time
	for _, a := range accounts {
		switch {
		case accountFailing(a):
			states["failing"]++
		case a.LastSuccessAt.IsZero():
			states["never_synced"]++
		default:
			states["ok"]++
		}
		if t := a.LastSuccessAt; !t.IsZero() {
			if t.After(newest) {
				newest = t
			}
			if stalest.IsZero() || t.Before(stalest) {
				stalest = t
			}
		}
	}
	for s, n := range states {
		ch <- prometheus.MustNewConstMetric(descAccounts, prometheus.GaugeValue, float64(n), s)
	}
	now := g.now()
	if !newest.IsZero() {
		ch <- prometheus.MustNewConstMetric(descNewest, prometheus.GaugeValue, now.Sub(newest).Seconds())
		ch <- prometheus.MustNewConstMetric(descStalest, prometheus.GaugeValue, now.Sub(stalest).Seconds())
	}

	counts, err := g.db.OutboxCounts(ctx, 0)
	if err != nil {
		return err
	}
	for _, s := range store.OutboxStatuses {
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(counts[s]), s)
	}
	last, err := g.db.LastSuccessfulBackup(ctx)
	switch {
	case err == nil:
		ch <- prometheus.MustNewConstMetric(descBackup, prometheus.GaugeValue, float64(last.StartedAt.UnixMilli())/1000)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	return nil
}

// accountFailing says an account's latest sync failed (as store.AccountStatus.Failing does
// for the dashboard).
func accountFailing(a store.AdAccount) bool {
	return a.LastError != "" && (a.LastSuccessAt.IsZero() || !a.LastErrorAt.Before(a.LastSuccessAt))
}
