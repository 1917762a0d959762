package forward_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/forward"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// badToken is a token the simulator does not accept: Meta answers 190.
const badToken = "EAAexpiredTOKENforTests"

// env is a real database in t.TempDir() and the simulated Graph API on loopback.
type env struct {
	t     *testing.T
	db    *store.DB
	box   *secret.Box
	sim   *metasim.Server
	base  string
	world metasim.World
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "leadlens.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secret.NewBox("forward-tests-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := metasim.New(metasim.Options{Seed: 7, Accounts: 2, CampaignsPerAccount: 1, AdSetsPerCampaign: 1,
		AdsPerAdSet: 1, HistoryDays: 10, Tokens: []string{metasim.DemoToken}})
	if err != nil {
		t.Fatal(err)
	}
	base, stop, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &env{t: t, db: db, box: box, sim: sim, base: base, world: sim.World(), logs: &syncBuffer{}}
}

// client adds a client owning the page of simulator account i.
func (e *env) client(name string, i int) store.Client {
	e.t.Helper()
	c, err := e.db.CreateClient(context.Background(), store.NewClient{Name: name,
		AdAccounts: []string{e.world.Accounts[i].ID}, Pages: []string{e.world.Accounts[i].PageID}})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// setForwarding saves a client's settings with token sealed as the product does.
func (e *env) setForwarding(c store.Client, mode, datasetID, appID, token string) {
	e.t.Helper()
	var sealed []byte
	if token != "" {
		var err error
		if sealed, err = e.box.Seal(token); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.db.SetForwarding(context.Background(), c.ID, mode, datasetID, appID, sealed); err != nil {
		e.t.Fatalf("SetForwarding: %v", err)
	}
}

// capi turns on Conversions API forwarding of c to account i's dataset.
func (e *env) capi(c store.Client, i int, token string) {
	e.setForwarding(c, store.ForwardCAPI, e.world.Accounts[i].DatasetID, "", token)
}

// log stores one bot request's events through the event API's write path (which queues them
// in the outbox) and returns the stored ids.
func (e *env) log(c store.Client, psid, meta string, evs ...store.NewEvent) []int64 {
	e.t.Helper()
	page, err := e.db.Pages(context.Background(), c.ID)
	if err != nil || len(page) == 0 {
		e.t.Fatalf("pages of %s: %v", c.Slug, err)
	}
	res, err := e.db.InsertEventBatches(context.Background(), []store.EventBatch{{ClientID: c.ID, PageID: page[0].ID,
		PSID: psid, RequestMeta: meta, Events: evs}})
	if err != nil || res[0].Err != nil {
		e.t.Fatalf("insert events: %v %+v", err, res)
	}
	ids := make([]int64, len(res[0].Events))
	for i, r := range res[0].Events {
		ids[i] = r.ID
	}
	return ids
}

// leads makes n lead_submitted events at the given time without event ids.
func leads(n int, at time.Time) []store.NewEvent {
	out := make([]store.NewEvent, n)
	for i := range out {
		out[i] = store.NewEvent{Name: "lead_submitted", EventTime: at}
	}
	return out
}

// forwarder builds a Forwarder on env with quick, deterministic settings.
func (e *env) forwarder(version string, mods ...func(*forward.Config)) *forward.Forwarder {
	e.t.Helper()
	cfg := forward.Config{Store: e.db, Box: e.box, GraphURL: e.base, APIVersion: version,
		Log:          slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PollInterval: 10 * time.Millisecond,
		Backoff:      forward.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond},
		Timeout:      10 * time.Second}
	for _, m := range mods {
		m(&cfg)
	}
	f, err := forward.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// pass runs one pass and fails the test on error.
func (e *env) pass(f *forward.Forwarder) forward.Stats {
	e.t.Helper()
	st, err := f.Pass(context.Background())
	if err != nil {
		e.t.Fatalf("Pass: %v", err)
	}
	return st
}

// entries returns a client's outbox entries by event id.
func (e *env) entries(c store.Client) map[int64]store.OutboxEntry {
	e.t.Helper()
	list, err := e.db.OutboxEntries(context.Background(), c.ID, "", 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make(map[int64]store.OutboxEntry, len(list))
	for _, x := range list {
		out[x.EventID] = x
	}
	return out
}

// counts returns a client's outbox counts.
func (e *env) counts(c store.Client) map[string]int {
	e.t.Helper()
	m, err := e.db.OutboxCounts(context.Background(), c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// requests returns the simulator's requests of one kind.
func (e *env) requests(kind metasim.RequestKind) []metasim.LoggedRequest {
	var out []metasim.LoggedRequest
	for _, r := range e.sim.Requests() {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// data decodes the data parameter of a Conversions API request as sent.
func data(t *testing.T, r metasim.LoggedRequest) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.Params.Get("data")), &out); err != nil {
		t.Fatalf("data of %s: %v", r.Path, err)
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// keys lists a JSON object's keys, sorted, for shape comparisons.
func keys(m map[string]json.RawMessage) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}

func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return fmt.Sprintf("<not a string: %s>", raw)
	}
	return s
}
