package main

// goverify tiles PREFIX VKEY: reads a log the way a C2SP tlog-tiles monitor
// does, over HTTP from PREFIX (e.g. http://127.0.0.1:8080/tlog/ORIGIN/):
// the checkpoint, verified with VKEY; the tree's tiles, read through
// tlog.TileHashReader (which checks every tile against the checkpoint's
// root); every entry bundle; and an inclusion proof, made from tiles alone
// and checked with tlog.CheckRecord, for every entry. Paths are written here
// from the spec (c2sp.org/tlog-tiles), not with x/mod's own tile paths.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// c2spIndex encodes N as zero-padded 3-digit path elements, all but the
// last prefixed with "x": 1234067 is "x001/x234/067".
func c2spIndex(n int64) string {
	groups := []string{fmt.Sprintf("%03d", n%1000)}
	for n /= 1000; n > 0; n /= 1000 {
		groups = append([]string{fmt.Sprintf("x%03d", n%1000)}, groups...)
	}
	return strings.Join(groups, "/")
}

// c2spPath is tile/<L>/<N>[.p/<W>], or tile/entries/<N>[.p/<W>] for level -1.
func c2spPath(level int, n int64, width int) string {
	l := strconv.Itoa(level)
	if level < 0 {
		l = "entries"
	}
	p := "tile/" + l + "/" + c2spIndex(n)
	if width < 256 {
		p += ".p/" + strconv.Itoa(width)
	}
	return p
}

type httpLog struct {
	prefix  string
	client  *http.Client
	cache   map[string][]byte
	fetches int
}

// get fetches prefix+path and checks its status and content type.
func (h *httpLog) get(path, contentType string) ([]byte, http.Header, error) {
	if b, ok := h.cache[path]; ok {
		return b, nil, nil
	}
	resp, err := h.client.Get(h.prefix + path)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	h.fetches++
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if got := resp.Header.Get("Content-Type"); got != contentType {
		return nil, nil, fmt.Errorf("%s: Content-Type %q, want %q", path, got, contentType)
	}
	h.cache[path] = body
	return body, resp.Header, nil
}

// Height, ReadTiles and SaveTiles make httpLog a tlog.TileReader.
func (h *httpLog) Height() int { return 8 }

func (h *httpLog) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if t.H != 8 {
			return nil, fmt.Errorf("tile of height %d asked for", t.H)
		}
		b, _, err := h.get(c2spPath(t.L, t.N, t.W), "application/octet-stream")
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (h *httpLog) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// splitBundle reads big-endian uint16 length-prefixed entries.
func splitBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("entry bundle ends inside a length")
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b)-2 < n {
			return nil, errors.New("entry bundle: an entry is cut short")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

func checkTiles(prefix, vkey string) error {
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	h := &httpLog{prefix: prefix, client: &http.Client{Timeout: 30 * time.Second}, cache: map[string][]byte{}}
	body, _, err := h.get("checkpoint", "text/plain; charset=utf-8")
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(vkey, body, true)
	if err != nil {
		return err
	}
	tree := tlog.Tree{N: cp.size, Hash: cp.root}
	hashes := tlog.TileHashReader(tree, h)
	root, err := tlog.TreeHash(cp.size, hashes)
	if err != nil {
		return fmt.Errorf("tree hash from tiles: %v", err)
	}
	if root != cp.root {
		return fmt.Errorf("the tiles give root %v, the checkpoint says %v", root, cp.root)
	}
	for n := int64(0); n*256 < cp.size; n++ {
		width := int(min64(256, cp.size-n*256))
		b, header, err := h.get(c2spPath(-1, n, width), "application/octet-stream")
		if err != nil {
			return err
		}
		if header != nil && !strings.Contains(header.Get("Cache-Control"), "immutable") {
			return fmt.Errorf("%s: Cache-Control %q is not immutable", c2spPath(-1, n, width), header.Get("Cache-Control"))
		}
		entries, err := splitBundle(b)
		if err != nil {
			return fmt.Errorf("%s: %v", c2spPath(-1, n, width), err)
		}
		if len(entries) != width {
			return fmt.Errorf("%s: %d entries, want %d", c2spPath(-1, n, width), len(entries), width)
		}
		for i, e := range entries {
			index := n*256 + int64(i)
			proof, err := tlog.ProveRecord(cp.size, index, hashes)
			if err != nil {
				return fmt.Errorf("entry %d: proof from tiles: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, cp.size, cp.root, index, tlog.RecordHash(e)); err != nil {
				return fmt.Errorf("entry %d: %v", index, err)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "%s: %d entries proved from tiles (%d fetches)\n", cp.origin, cp.size, h.fetches)
	return nil
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}
