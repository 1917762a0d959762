package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// NewReferral records that a person (page, PSID) arrived from an ad: the referral the page's
// webhook received when they tapped a click-to-Messenger ad.
type NewReferral struct {
	ClientID int64
	// APIKeyID is the key that sent it; its last use is stamped at most once a minute. 0 for none.
	APIKeyID int64
	PageID   string
	PSID     string
	AdID     string
	Source   string // e.g. ADS
	Type     string // e.g. OPEN_THREAD
	// ReferredAt is when the person arrived; zero means now.
	ReferredAt time.Time
}

// ReferralResult is the outcome of RecordReferral.
type ReferralResult struct {
	ID int64
	// Duplicate is set when the same referral (person, ad, time) was already recorded.
	Duplicate bool
	// Reattributed counts stored events that now belong to this referral.
	Reattributed int
}

// RecordReferral stores a referral and attributes to it the person's already-stored events it
// is now the last touch for: events without an explicit ad id, at most AttributionWindow after
// it, with no later referral before them. Referrals can arrive after the events they explain
// (a bot that logs first and forwards webhooks later), so attribution is settled here as well
// as when an event is stored.
func (db *DB) RecordReferral(ctx context.Context, r NewReferral) (ReferralResult, error) {
	switch {
	case r.ClientID <= 0:
		return ReferralResult{}, invalid("client", "no client given")
	case !digitsRE.MatchString(r.PageID):
		return ReferralResult{}, invalid("page_id", "%q is not a page id", r.PageID)
	case !digitsRE.MatchString(r.PSID):
		return ReferralResult{}, invalid("page_scoped_user_id", "%q is not a page-scoped user id", r.PSID)
	case !digitsRE.MatchString(r.AdID):
		return ReferralResult{}, invalid("ad_id", "%q is not an ad id", r.AdID)
	}
	var out ReferralResult
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		at := r.ReferredAt
		if at.IsZero() {
			at = now
		}
		when := FormatTime(at)
		w := &eventWriter{tx: tx, now: now, pages: map[string]int64{}, touched: map[int64]bool{}}
		if err := w.pageOwned(ctx, r.ClientID, r.PageID); err != nil {
			return err
		}
		if err := w.touchKey(ctx, r.APIKeyID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM referrals
			WHERE client_id = ? AND page_id = ? AND psid = ? AND ad_id = ? AND referred_at = ?`,
			r.ClientID, r.PageID, r.PSID, r.AdID, when).Scan(&out.ID)
		if err == nil {
			// A webhook delivered twice: the first recording already settled attribution.
			out.Duplicate = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: find referral: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO referrals (client_id, page_id, psid, ad_id, source, type, referred_at, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ClientID, r.PageID, r.PSID, r.AdID, r.Source, r.Type, when, FormatTime(now))
		if err != nil {
			return fmt.Errorf("store: record referral: %w", err)
		}
		if out.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("store: record referral: %w", err)
		}
		// Last touch: a later referral of the same person before the event keeps the event. A
		// referral at the same instant loses to this one, as at insert (newest id wins).
		res, err = tx.ExecContext(ctx, `UPDATE lead_events SET attribution = 'referral', referral_id = ?, ad_id = ?
			WHERE client_id = ? AND page_id = ? AND psid = ? AND attribution <> 'event'
			  AND event_time >= ? AND event_time <= ?
			  AND NOT EXISTS (SELECT 1 FROM referrals r
			      WHERE r.client_id = lead_events.client_id AND r.page_id = lead_events.page_id AND r.psid = lead_events.psid
			        AND r.referred_at > ? AND r.referred_at <= lead_events.event_time)`,
			out.ID, r.AdID, r.ClientID, r.PageID, r.PSID, when, FormatTime(at.Add(AttributionWindow)), when)
		if err != nil {
			return fmt.Errorf("store: attribute events to referral: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: attribute events to referral: %w", err)
		}
		out.Reattributed = int(n)
		return nil
	})
	if err != nil {
		return ReferralResult{}, err
	}
	return out, nil
}
