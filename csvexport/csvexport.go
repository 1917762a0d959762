// Package csvexport writes a client's daily numbers as CSV — the same bytes for the web export
// and `leadlens export`, because both call Write.
package csvexport

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/leadlens/leadlens/money"
	"github.com/leadlens/leadlens/store"
)

// Header is the CSV's first row: SPEC's required columns plus currency and ctx.
var Header = []string{"date", "level", "account_id", "campaign_id", "campaign_name", "adset_id", "adset_name",
	"ctx", "currency", "spend", "impressions", "clicks", "attributed_leads", "conversations_started", "logged_leads"}

// Source is what Write reads rows from (*store.DB).
type Source interface {
	ExportRows(ctx context.Context, q store.ExportQuery, fn func(store.ExportRow) error) error
}

// Write streams the export of q to w: the header, then one row per object per day, ordered by
// date, account, campaign and ad set. Nothing is held in memory but the row being written.
// When the store fails midway, what was written stays written: callers that can still change
// their answer (the web handler before its first byte) should buffer or check first.
func Write(ctx context.Context, w io.Writer, src Source, q store.ExportQuery) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(Header); err != nil {
		return err
	}
	rec := make([]string, len(Header))
	err := src.ExportRows(ctx, q, func(r store.ExportRow) error {
		rec[0] = r.Date
		rec[1] = q.Level
		rec[2] = r.AccountID
		rec[3] = r.CampaignID
		rec[4] = r.CampaignName
		rec[5] = r.AdSetID
		rec[6] = r.AdSetName
		rec[7] = strconv.FormatBool(r.CTX)
		rec[8] = r.Currency
		rec[9] = money.FormatMicros(r.SpendMicros, r.Currency)
		rec[10] = strconv.FormatInt(r.Impressions, 10)
		rec[11] = strconv.FormatInt(r.Clicks, 10)
		rec[12] = strconv.FormatInt(r.AttributedLeads, 10)
		rec[13] = strconv.FormatInt(r.Conversations, 10)
		rec[14] = strconv.FormatInt(r.LoggedLeads, 10)
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// Filename is the download name of an export ("acme_campaign_2026-10-01_2026-10-28.csv").
func Filename(slug, level, since, until string) string {
	return slug + "_" + level + "_" + since + "_" + until + ".csv"
}
