package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Campaign is a Meta campaign as last read.
type Campaign struct {
	ID              string
	AccountID       string
	Name            string
	Objective       string
	Status          string
	EffectiveStatus string
	IsCTX           bool
}

// AdSet is a Meta ad set as last read.
type AdSet struct {
	ID               string
	AccountID        string
	CampaignID       string
	Name             string
	DestinationType  string
	OptimizationGoal string
	Status           string
	EffectiveStatus  string
	IsCTX            bool // its own destination is a messaging one
}

// Ad is a Meta ad, kept to resolve a logged event's ad id to its ad set and campaign.
type Ad struct {
	ID         string
	AccountID  string
	AdSetID    string
	CampaignID string
	Name       string
	Status     string
}

// IsMessagingDestination reports whether an ad set's destination_type opens a conversation:
// MESSENGER, WHATSAPP, INSTAGRAM_DIRECT or any MESSAGING_* value (SPEC's CTX rule).
func IsMessagingDestination(dest string) bool {
	switch dest {
	case "MESSENGER", "WHATSAPP", "INSTAGRAM_DIRECT":
		return true
	}
	return strings.HasPrefix(dest, "MESSAGING_")
}

// ObjectSet is everything a pass read about an account's campaigns, ad sets and ads.
type ObjectSet struct {
	Campaigns []Campaign
	AdSets    []AdSet
	Ads       []Ad
}

// UpsertObjects stores an account's campaigns, ad sets and ads in one transaction and
// recomputes each campaign's CTX flag: a campaign is CTX when any of its ad sets has a messaging
// destination, or its objective is the legacy MESSAGES. Objects Meta no longer lists are kept
// (their history still needs names).
func (db *DB) UpsertObjects(ctx context.Context, accountID string, set ObjectSet) error {
	now := FormatTime(db.now())
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		cs, err := tx.PrepareContext(ctx, `INSERT INTO campaigns (id, account_id, name, objective, status, effective_status, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, name = excluded.name, objective = excluded.objective,
			status = excluded.status, effective_status = excluded.effective_status, updated_at = excluded.updated_at`)
		if err != nil {
			return fmt.Errorf("store: upsert campaigns: %w", err)
		}
		defer cs.Close()
		for _, c := range set.Campaigns {
			if _, err := cs.ExecContext(ctx, c.ID, accountID, c.Name, c.Objective, c.Status, c.EffectiveStatus, now); err != nil {
				return fmt.Errorf("store: upsert campaign %s: %w", c.ID, err)
			}
		}
		as, err := tx.PrepareContext(ctx, `INSERT INTO adsets (id, account_id, campaign_id, name, destination_type, optimization_goal,
			status, effective_status, is_ctx, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, campaign_id = excluded.campaign_id, name = excluded.name,
			destination_type = excluded.destination_type, optimization_goal = excluded.optimization_goal, status = excluded.status,
			effective_status = excluded.effective_status, is_ctx = excluded.is_ctx, updated_at = excluded.updated_at`)
		if err != nil {
			return fmt.Errorf("store: upsert ad sets: %w", err)
		}
		defer as.Close()
		for _, a := range set.AdSets {
			if _, err := as.ExecContext(ctx, a.ID, accountID, a.CampaignID, a.Name, a.DestinationType, a.OptimizationGoal,
				a.Status, a.EffectiveStatus, IsMessagingDestination(a.DestinationType), now); err != nil {
				return fmt.Errorf("store: upsert ad set %s: %w", a.ID, err)
			}
		}
		ad, err := tx.PrepareContext(ctx, `INSERT INTO ads (id, account_id, adset_id, campaign_id, name, status, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, adset_id = excluded.adset_id,
			campaign_id = excluded.campaign_id, name = excluded.name, status = excluded.status, updated_at = excluded.updated_at`)
		if err != nil {
			return fmt.Errorf("store: upsert ads: %w", err)
		}
		defer ad.Close()
		for _, a := range set.Ads {
			if _, err := ad.ExecContext(ctx, a.ID, accountID, a.AdSetID, a.CampaignID, a.Name, a.Status, now); err != nil {
				return fmt.Errorf("store: upsert ad %s: %w", a.ID, err)
			}
		}
		const isCTX = `CASE WHEN objective = 'MESSAGES'
				OR EXISTS (SELECT 1 FROM adsets s WHERE s.campaign_id = campaigns.id AND s.is_ctx = 1) THEN 1 ELSE 0 END`
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET is_ctx = `+isCTX+` WHERE account_id = ? AND is_ctx <> `+isCTX, accountID)
		if err != nil {
			return fmt.Errorf("store: classify campaigns: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		// A campaign became CTX or stopped being: its rows of every date move in or out of
		// the account's CTX days.
		return refreshCTXDays(ctx, tx, accountID, "", "")
	})
}

// Campaigns lists an account's campaigns by name.
func (db *DB) Campaigns(ctx context.Context, accountID string) ([]Campaign, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, account_id, name, objective, status, effective_status, is_ctx
		FROM campaigns WHERE account_id = ? ORDER BY name, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		var c Campaign
		if err := rows.Scan(&c.ID, &c.AccountID, &c.Name, &c.Objective, &c.Status, &c.EffectiveStatus, &c.IsCTX); err != nil {
			return nil, fmt.Errorf("store: campaigns: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: campaigns: %w", err)
	}
	return out, nil
}

// CampaignByID returns one campaign.
func (db *DB) CampaignByID(ctx context.Context, id string) (Campaign, error) {
	var c Campaign
	err := db.r.QueryRowContext(ctx, `SELECT id, account_id, name, objective, status, effective_status, is_ctx FROM campaigns WHERE id = ?`, id).
		Scan(&c.ID, &c.AccountID, &c.Name, &c.Objective, &c.Status, &c.EffectiveStatus, &c.IsCTX)
	if errors.Is(err, sql.ErrNoRows) {
		return Campaign{}, ErrNotFound
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("store: campaign: %w", err)
	}
	return c, nil
}

// AdSets lists an account's ad sets (campaignID "" for all) by name.
func (db *DB) AdSets(ctx context.Context, accountID, campaignID string) ([]AdSet, error) {
	q := `SELECT id, account_id, campaign_id, name, destination_type, optimization_goal, status, effective_status, is_ctx
		FROM adsets WHERE account_id = ?`
	args := []any{accountID}
	if campaignID != "" {
		q += ` AND campaign_id = ?`
		args = append(args, campaignID)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: ad sets: %w", err)
	}
	defer rows.Close()
	var out []AdSet
	for rows.Next() {
		var a AdSet
		if err := rows.Scan(&a.ID, &a.AccountID, &a.CampaignID, &a.Name, &a.DestinationType, &a.OptimizationGoal, &a.Status, &a.EffectiveStatus, &a.IsCTX); err != nil {
			return nil, fmt.Errorf("store: ad sets: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: ad sets: %w", err)
	}
	return out, nil
}

// AdByID returns one ad.
func (db *DB) AdByID(ctx context.Context, id string) (Ad, error) {
	var a Ad
	err := db.r.QueryRowContext(ctx, `SELECT id, account_id, adset_id, campaign_id, name, status FROM ads WHERE id = ?`, id).
		Scan(&a.ID, &a.AccountID, &a.AdSetID, &a.CampaignID, &a.Name, &a.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return Ad{}, ErrNotFound
	}
	if err != nil {
		return Ad{}, fmt.Errorf("store: ad: %w", err)
	}
	return a, nil
}
