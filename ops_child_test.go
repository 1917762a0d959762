package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mainChildEnv marks the re-executed test binary that runs the real main() — signal handling
// and exit status included — with the arguments in it (space-separated) and its settings in
// its own environment.
const mainChildEnv = "LEADLENS_TEST_MAIN_ARGS"

// TestMainChild is not a test on its own: the operations tests re-execute this test binary
// with mainChildEnv set, and then it is the leadlens program.
func TestMainChild(t *testing.T) {
	args := os.Getenv(mainChildEnv)
	if args == "" {
		t.Skip("only run as a child process of the operations tests")
	}
	os.Args = append([]string{"leadlens"}, strings.Fields(args)...)
	main() // exits 1 or 2 itself on failure; returning is exit status 0
}

// mainChild is a running leadlens process.
type mainChild struct {
	cmd    *exec.Cmd
	url    string // set once a server printed it
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{}
	err    error // Wait's result, once done is closed
}

// startMain runs `leadlens <args>` as a child process with exactly the given settings (the
// parent's LEADLENS_* and META_* variables are not passed on). For serve, it waits until the
// server listens. The child is killed at the end of the test.
func startMain(t *testing.T, args string, settings map[string]string) *mainChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainChild$", "-test.timeout=5m")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LEADLENS_") && !strings.HasPrefix(kv, "META_") && !strings.HasPrefix(kv, "TZ=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, mainChildEnv+"="+args)
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &mainChild{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (http://\S+)`)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			c.stdout.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	if !strings.HasPrefix(args, "serve") {
		return c
	}
	select {
	case c.url = <-found:
		return c
	case <-c.done:
		t.Fatalf("leadlens %s exited before listening: %v\nstderr:\n%s", args, c.err, c.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("leadlens %s did not listen within 60s; stderr:\n%s", args, c.stderr.String())
	}
	return nil
}

// wait waits for the child to exit (bounded) and returns its exit status.
func (c *mainChild) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(within):
		_ = c.cmd.Process.Kill()
		<-c.done
		t.Fatalf("the child did not exit within %s; stderr:\n%s", within, c.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		return ee.ExitCode()
	}
	if c.err != nil {
		t.Fatalf("waiting for the child: %v", c.err)
	}
	return 0
}

// terminate sends SIGTERM, as systemd's stop does, and returns the exit status.
func (c *mainChild) terminate(t *testing.T, within time.Duration) int {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return c.wait(t, within)
}
