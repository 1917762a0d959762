package metasim

import (
	"strconv"
	"sync"
)

// Async status values as Meta spells them.
const (
	JobNotStarted = "Job Not Started"
	JobStarted    = "Job Started"
	JobRunning    = "Job Running"
	JobCompleted  = "Job Completed"
	JobFailed     = "Job Failed"
	JobSkipped    = "Job Skipped"
)

// job is one async report run. Its query and view are frozen at submission, so its pages show
// the data of that restatement epoch however long the consumer takes to read them.
type job struct {
	id        string
	q         *insightsQuery
	v         view
	outcome   FaultKind // "", FaultJobFailed or FaultJobSkipped
	mu        sync.Mutex
	polls     int
	completed int64 // Unix seconds of the injected clock; 0 while running
}

type jobStore struct {
	mu   sync.Mutex
	base uint64
	n    uint64
	byID map[string]*job
}

func newJobStore(seed uint64) *jobStore {
	return &jobStore{base: 6_000_000_000_000 + mix(seed^0x10b)%900_000_000*1000, byID: map[string]*job{}}
}

func (js *jobStore) add(q *insightsQuery, v view, outcome FaultKind) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.n++
	j := &job{id: strconv.FormatUint(js.base+js.n*7919, 10), q: q, v: v, outcome: outcome}
	js.byID[j.id] = j
	return j
}

func (js *jobStore) get(id string) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.byID[id]
}

func (s *Server) handleSubmit(c *call) (any, *graphError) {
	j := s.jobs.add(c.q, s.viewNow(), c.jobOutcome)
	return object{{"report_run_id", j.id}}, nil
}

// state is the job's status after reads status reads: Not Started, Started, then Running with
// a rising percentage, and Completed (or the injected end) once AsyncPolls reads have passed.
func (j *job) state(reads, polls int) (string, int) {
	if reads > polls {
		switch j.outcome {
		case FaultJobFailed:
			return JobFailed, 0
		case FaultJobSkipped:
			return JobSkipped, 0
		}
		return JobCompleted, 100
	}
	switch reads {
	case 1:
		return JobNotStarted, 0
	case 2:
		return JobStarted, 0
	}
	return JobRunning, min(99, max(1, 100*(reads-2)/max(1, polls-1)))
}

var jobFields = []string{"id", "account_id", "time_ref", "time_completed", "async_status",
	"async_percent_completion", "date_start", "date_stop", "is_running"}

func (s *Server) handleJobStatus(c *call) (any, *graphError) {
	want, ge := pickFields(c.params.Get("fields"), jobFields, jobFields, "AdReportRun")
	if ge != nil {
		return nil, ge
	}
	j := c.job
	j.mu.Lock()
	j.polls++
	status, pct := j.state(j.polls, s.opts.AsyncPolls)
	if status == JobCompleted && j.completed == 0 {
		j.completed = s.now().Unix()
	}
	completed := j.completed
	j.mu.Unlock()
	vals := map[string]any{
		"id": j.id, "account_id": j.q.acct.id, "time_ref": j.v.now.Unix(),
		"time_completed": completed, "async_status": status, "async_percent_completion": pct,
		"date_start": dayString(j.q.since), "date_stop": dayString(j.q.until),
		"is_running": status != JobCompleted && status != JobFailed && status != JobSkipped,
	}
	o := object{}
	for _, f := range want {
		o = append(o, field{f, vals[f]})
	}
	return o, nil
}

func (s *Server) handleJobResults(c *call) (any, *graphError) {
	j := c.job
	j.mu.Lock()
	status, _ := j.state(j.polls, s.opts.AsyncPolls)
	j.mu.Unlock()
	switch status {
	case JobCompleted:
	case JobFailed, JobSkipped:
		return nil, errJobNotReady(false)
	default:
		return nil, errJobNotReady(true)
	}
	pr, ge := parsePage(c, 'i')
	if ge != nil {
		return nil, ge
	}
	return newRowSource(s.w, j.q, j.v).envelope(c, pr), nil
}
