package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

func TestForwardingCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	envm := map[string]string{"LEADLENS_DB": filepath.Join(dir, "ll.db"), "LEADLENS_SECRET": "cli-test-secret-0123456789"}
	db, err := store.Open(ctx, envm["LEADLENS_DB"], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateClient(ctx, store.NewClient{Name: "Acme", AdAccounts: []string{"1"}, Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	cli := func(stdin string, extra map[string]string, args ...string) (string, error) {
		var out strings.Builder
		getenv := func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return envm[k]
		}
		err := runEnv(ctx, append([]string{"leadlens", "forwarding"}, args...),
			env{getenv: getenv, stdin: strings.NewReader(stdin), stdout: &out, stderr: io.Discard})
		return out.String(), err
	}

	const token = "EAAcliTOKENfromSTDIN"
	if _, err := cli("", nil, "set", "--client", "acme", "--mode", "capi", "--dataset-id", "123"); !isUsage(err) || !strings.Contains(err.Error(), "token") {
		t.Fatalf("capi without a token: got %v, want a usage error about the token", err)
	}
	if _, err := cli(token+"\n", nil, "set", "--client", "acme", "--mode", "capi", "--dataset-id", "12x"); !isUsage(err) || !strings.Contains(err.Error(), "dataset_id") {
		t.Fatalf("bad dataset: got %v, want a usage error naming dataset_id", err)
	}
	if _, err := cli(token+"\n", nil, "set", "--client", "nobody", "--mode", "off"); err == nil || !strings.Contains(err.Error(), "no client") {
		t.Fatalf("unknown client: got %v, want an error naming it", err)
	}
	out, err := cli(token+"\n", nil, "set", "--client", "acme", "--mode", "capi", "--dataset-id", "123")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, token) || !strings.Contains(out, "token:      set") || !strings.Contains(out, "dataset id: 123") ||
		!strings.Contains(out, "pending 0, sent 0, failed 0, skipped 0") {
		t.Fatalf("got %q, want the settings with the token only as set", out)
	}
	if got := sealedToken(t, envm, c.ID); got != token {
		t.Fatalf("got stored token %q, want the one from stdin", got)
	}

	// Legacy needs v20.0 or older; the dataset id is kept when not given.
	if _, err := cli("", nil, "set", "--client", "acme", "--mode", "legacy", "--app-id", "777"); !isUsage(err) || !strings.Contains(err.Error(), "v20.0") {
		t.Fatalf("legacy on v21.0: got %v, want a usage error naming v20.0", err)
	}
	out, err = cli("", map[string]string{"META_API_VERSION": "v20.0", "META_ACCESS_TOKEN": "EAAenvTOKEN"},
		"set", "--client", "acme", "--mode", "legacy", "--app-id", "777")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "mode:       legacy") || !strings.Contains(out, "app id:     777") || !strings.Contains(out, "dataset id: 123") {
		t.Fatalf("got %q, want legacy to app 777 with the dataset id kept", out)
	}
	if got := sealedToken(t, envm, c.ID); got != "EAAenvTOKEN" {
		t.Fatalf("got stored token %q, want META_ACCESS_TOKEN's", got)
	}
	if out, err = cli("", nil, "status", "--client", "acme"); err != nil || !strings.Contains(out, "stopped:    no") {
		t.Fatalf("status: got %q %v, want the settings", out, err)
	}
	if _, err := cli("", nil, "set", "--client", "acme"); !isUsage(err) {
		t.Fatalf("no mode: got %v, want a usage error", err)
	}
}

func sealedToken(t *testing.T, envm map[string]string, clientID int64) string {
	t.Helper()
	db, err := store.Open(context.Background(), envm["LEADLENS_DB"], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sealed, err := db.ForwardingToken(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(envm["LEADLENS_SECRET"])
	if err != nil {
		t.Fatal(err)
	}
	tok, err := box.Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestServeForwardsLoggedEvents runs the real `serve`: an event a bot logs through the event API
// reaches the (simulated) Conversions API through the outbox and the forwarder.
func TestServeForwardsLoggedEvents(t *testing.T) {
	ctx := context.Background()
	sim, err := metasim.New(metasim.Options{Seed: 3, Accounts: 1, CampaignsPerAccount: 1, AdSetsPerCampaign: 1, AdsPerAdSet: 1, HistoryDays: 5})
	if err != nil {
		t.Fatal(err)
	}
	base, stopSim, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stopSim()
	acct := sim.World().Accounts[0]
	envm := map[string]string{"LEADLENS_ADDR": "127.0.0.1:0", "LEADLENS_DB": filepath.Join(t.TempDir(), "ll.db"),
		"LEADLENS_SECRET": "e2e-forwarding-secret-0123456789", "META_GRAPH_URL": base}
	db, err := store.Open(ctx, envm["LEADLENS_DB"], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateClient(ctx, store.NewClient{Name: "Acme", AdAccounts: []string{acct.ID}, Pages: []string{acct.PageID}})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := db.CreateAPIKey(ctx, c.ID, "bot", "test")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	var out strings.Builder
	err = runEnv(ctx, []string{"leadlens", "forwarding", "set", "--client", c.Slug, "--mode", "capi", "--dataset-id", acct.DatasetID},
		env{getenv: func(k string) string { return envm[k] }, stdin: strings.NewReader(metasim.DemoToken + "\n"), stdout: &out, stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}

	url, stop, _ := startRun(t, []string{"serve"}, envm)
	body := `{"custom_events":[{"_eventName":"lead_submitted","event_id":"lead-e2e-1"}],"advertiser_tracking_enabled":1,` +
		`"application_tracking_enabled":1,"page_id":` + acct.PageID + `,"page_scoped_user_id":9876543210,` +
		`"logging_source":"messenger_bot","logging_target":"page"}`
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/page_activities", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("event API: got %d, want 200", resp.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	for sim.UniqueEventCount() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the logged event did not reach the Conversions API within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v, want nil", err)
	}
	evs := sim.Events()
	if len(evs) != 1 || evs[0].EventName != "LeadSubmitted" || evs[0].EventID != "lead-e2e-1" || evs[0].DatasetID != acct.DatasetID ||
		evs[0].PageID != acct.PageID || evs[0].PageScopedUserID != "9876543210" {
		t.Fatalf("got %+v, want one LeadSubmitted with the bot's event id", evs)
	}
	db, err = store.Open(ctx, envm["LEADLENS_DB"], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if counts, _ := db.OutboxCounts(ctx, c.ID); counts[store.OutboxSent] != 1 {
		t.Fatalf("got outbox %v after shutdown, want 1 sent", counts)
	}
}
