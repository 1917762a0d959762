// Package static holds the stylesheet, scripts, images and vendored front-end libraries, embedded
// into the binary so Leadlens needs no CDN and no network beyond its own server.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

//go:embed css js img vendor
var files embed.FS

// FS is the embedded static tree (paths like "css/app.css").
func FS() fs.FS { return files }

// Assets resolves asset paths to cache-busting URLs (/static/css/app.css?v=<hash>). It is built
// once; the hashes never change for a given binary.
type Assets struct {
	once   sync.Once
	hashes map[string]string
}

// URL returns the versioned URL of an asset path such as "css/app.css".
func (a *Assets) URL(path string) string {
	a.once.Do(a.load)
	if h, ok := a.hashes[path]; ok {
		return "/static/" + path + "?v=" + h
	}
	return "/static/" + path
}

// Version returns the content hash of an asset, "" for an unknown path.
func (a *Assets) Version(path string) string {
	a.once.Do(a.load)
	return a.hashes[path]
}

func (a *Assets) load() {
	a.hashes = map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
}
