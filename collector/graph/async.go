package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Values of JobStatus.Status (Meta's async_status).
const (
	JobNotStarted = "Job Not Started"
	JobStarted    = "Job Started"
	JobRunning    = "Job Running"
	JobCompleted  = "Job Completed"
	JobFailed     = "Job Failed"
	JobSkipped    = "Job Skipped" // expired before it ran: submit again
)

// JobStatus is the state of an async insights report job.
type JobStatus struct {
	ID              string // report_run_id
	Status          string // async_status, one of the Job* constants
	PercentComplete int    // async_percent_completion, 0–100
}

// Completed reports whether the results can be read.
func (s JobStatus) Completed() bool { return s.Status == JobCompleted }

// Failed reports whether the job ended without results (failed or skipped): submit it again,
// or fall back to smaller synchronous windows.
func (s JobStatus) Failed() bool { return s.Status == JobFailed || s.Status == JobSkipped }

// SubmitInsightsJob starts an async report job (POST /act_<id>/insights with the parameters
// of Insights) and returns its report_run_id. The parameters travel in the query string, as
// the token does. Poll JobStatus with a growing interval, then read JobInsights.
func (c *Client) SubmitInsightsJob(ctx context.Context, accountID string, q InsightsQuery) (string, error) {
	id, err := accountPath(accountID)
	if err != nil {
		return "", err
	}
	params, err := insightsParams(q)
	if err != nil {
		return "", err
	}
	var out struct {
		ReportRunID numString `json:"report_run_id"`
	}
	err = c.do(ctx, call{op: OpSubmitJob, method: http.MethodPost, path: "/act_" + id + "/insights", query: params, accountID: id},
		func(b []byte) (int, error) {
			if err := json.Unmarshal(b, &out); err != nil {
				return 0, err
			}
			if _, err := objectID("report_run", out.ReportRunID.s); err != nil {
				return 0, &Error{Kind: KindDecode, Field: "report_run_id", Message: "answer has no usable report_run_id"}
			}
			return 0, nil
		})
	if err != nil {
		return "", err
	}
	c.shared.rememberJob(out.ReportRunID.s, id)
	return out.ReportRunID.s, nil
}

// JobStatus reads an async job's state (GET /<report_run_id>).
func (c *Client) JobStatus(ctx context.Context, reportRunID string) (JobStatus, error) {
	id, err := objectID("report_run", reportRunID)
	if err != nil {
		return JobStatus{}, err
	}
	var out struct {
		ID      numString `json:"id"`
		Status  string    `json:"async_status"`
		Percent numString `json:"async_percent_completion"`
	}
	err = c.do(ctx, call{op: OpJobStatus, method: http.MethodGet, path: "/" + id, accountID: c.shared.jobAccount(id)},
		func(b []byte) (int, error) {
			if err := json.Unmarshal(b, &out); err != nil {
				return 0, err
			}
			if out.Status == "" {
				return 0, &Error{Kind: KindDecode, Field: "async_status", Message: "answer has no async_status"}
			}
			return 0, nil
		})
	if err != nil {
		return JobStatus{}, err
	}
	st := JobStatus{ID: out.ID.s, Status: out.Status}
	if st.ID == "" {
		st.ID = id
	}
	if out.Percent.set {
		// A percentage is informational: an odd value is reported as 0, not as a failure.
		if p, err := parseRoundedCount(out.Percent.s); err == nil && p <= 100 {
			st.PercentComplete = int(p)
		}
	}
	return st, nil
}

// JobInsights streams a completed job's rows (GET /<report_run_id>/insights?limit=500) to fn,
// like Insights. Reading too early fails with KindTransient (code 2601, "not ready").
func (c *Client) JobInsights(ctx context.Context, reportRunID string, fn func(InsightRow) error) error {
	id, err := objectID("report_run", reportRunID)
	if err != nil {
		return err
	}
	first := call{op: OpJobInsights, method: http.MethodGet, path: "/" + id + "/insights",
		query: url.Values{"limit": {itoa(DefaultPageLimit)}}, accountID: c.shared.jobAccount(id)}
	return pages(ctx, c, first, convertInsight, fn)
}
