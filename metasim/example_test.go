package metasim_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/leadlens/leadlens/metasim"
)

// Start a simulator with a fixed clock, read an ad account over HTTP, and ask for the truth.
func Example() {
	sim, err := metasim.New(metasim.Options{
		Seed: 1,
		Now:  func() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	base, stop, err := sim.Start()
	if err != nil {
		panic(err)
	}
	defer stop()
	acct := sim.World().Accounts[0]
	resp, err := http.Get(base + "/v21.0/act_" + acct.ID + "?fields=currency,timezone_name&access_token=" + metasim.DemoToken)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(os.Stdout, resp.Body)
	fmt.Println()
	rows, _ := sim.Truth(acct.ID, "account", "2026-03-14", "2026-03-14")
	fmt.Println(len(rows), rows[0].Date)
	// Output:
	// {"currency":"USD","timezone_name":"America\/Los_Angeles"}
	// 1 2026-03-14
}
