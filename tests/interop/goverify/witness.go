package main

// goverify gen-key NAME: prints a new note signer key and its verifier key,
// "SKEY VKEY" (x/mod's note.GenerateKey).
//
// goverify witness-client URL ORIGIN SKEY WITNESS_VKEY [FIRST_OLD]: drives a
// C2SP tlog-witness (c2sp.org/tlog-witness) as a log would, written from the
// spec: it grows a log of its own in memory (x/mod tlog), signs its
// checkpoints with SKEY, POSTs them to URL/add-checkpoint with the old size
// and a consistency proof, and checks every answer the spec prescribes: 200
// with a cosignature/v1 line that verifies with WITNESS_VKEY; 409 with the
// size the witness holds (text/x.tlog.size); 422 for a bad proof; 403 for a
// checkpoint not signed by the log's key; 404 for an origin it does not
// witness; 400 for an old size above the checkpoint's. FIRST_OLD (default 0)
// is the size the witness is expected to hold already, e.g. after a restart.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// memLog is a log held in memory: its stored hashes and its size.
type memLog struct {
	hashes memHashes
	size   int64
}

func (l *memLog) grow(to int64) error {
	for ; l.size < to; l.size++ {
		h, err := tlog.StoredHashes(l.size, []byte(fmt.Sprintf("record %d", l.size)), l.hashes)
		if err != nil {
			return err
		}
		l.hashes = append(l.hashes, h...)
	}
	return nil
}

func (l *memLog) checkpoint(origin string, size int64, signer note.Signer) (string, error) {
	root, err := tlog.TreeHash(size, l.hashes)
	if err != nil {
		return "", err
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
	signed, err := note.Sign(&note.Note{Text: text}, signer)
	return string(signed), err
}

func (l *memLog) proof(old, size int64) ([]tlog.Hash, error) {
	if old == 0 || old >= size {
		return nil, nil
	}
	return tlog.ProveTree(size, old, l.hashes)
}

type witnessAnswer struct {
	status      int
	contentType string
	body        string
}

func addCheckpoint(url string, old int64, proof []tlog.Hash, checkpoint string) (witnessAnswer, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		fmt.Fprintf(&b, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
	}
	b.WriteString("\n")
	b.WriteString(checkpoint)
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(strings.TrimSuffix(url, "/")+"/add-checkpoint", "text/plain", &b)
	if err != nil {
		return witnessAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return witnessAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(body)}, err
}

func genKey(name string) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return err
	}
	fmt.Println(skey, vkey)
	return nil
}

func witnessClient(url, origin, skey, wkey string, firstOld int64) error {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("signer key: %v", err)
	}
	witness, err := newCosigVerifier(wkey)
	if err != nil {
		return err
	}
	log := &memLog{}
	// step posts the checkpoint of `size` with old size `old` (and a proof,
	// perhaps damaged) and checks the status, content type and body.
	step := func(what string, old, size int64, damage bool, signWith note.Signer, want int) (witnessAnswer, error) {
		if err := log.grow(size); err != nil {
			return witnessAnswer{}, err
		}
		cp, err := log.checkpoint(origin, size, signWith)
		if err != nil {
			return witnessAnswer{}, err
		}
		proof, err := log.proof(old, size)
		if err != nil {
			return witnessAnswer{}, err
		}
		if damage && len(proof) > 0 {
			proof[0][0] ^= 1
		}
		a, err := addCheckpoint(url, old, proof, cp)
		if err != nil {
			return a, fmt.Errorf("%s: %v", what, err)
		}
		if a.status != want {
			return a, fmt.Errorf("%s: HTTP %d, want %d: %s", what, a.status, want, strings.TrimSpace(a.body))
		}
		if want == 200 {
			if !strings.HasPrefix(a.body, "— ") || !strings.HasSuffix(a.body, "\n") {
				return a, fmt.Errorf("%s: the body is not signature lines: %q", what, a.body)
			}
			if _, err := note.Open([]byte(cp+a.body), note.VerifierList(witness)); err != nil {
				return a, fmt.Errorf("%s: the cosignature does not verify: %v", what, err)
			}
		}
		if want == 409 && a.contentType != "text/x.tlog.size" {
			return a, fmt.Errorf("%s: 409 with Content-Type %q", what, a.contentType)
		}
		fmt.Fprintf(os.Stderr, "ok %s: %d\n", what, a.status)
		return a, nil
	}
	if firstOld > 0 {
		a, err := step("a log new to this client finds the size the witness holds", 0, firstOld+1, false, signer, 409)
		if err != nil {
			return err
		}
		if a.body != fmt.Sprintf("%d\n", firstOld) {
			return fmt.Errorf("409 body %q, want %d", a.body, firstOld)
		}
		return nil
	}
	if _, err := step("the first checkpoint (old 0)", 0, 5, false, signer, 200); err != nil {
		return err
	}
	a, err := step("old 0 again", 0, 8, false, signer, 409)
	if err != nil {
		return err
	}
	if a.body != "5\n" {
		return fmt.Errorf("409 body %q, want \"5\\n\"", a.body)
	}
	if _, err := step("old 5 with a consistency proof to 8", 5, 8, false, signer, 200); err != nil {
		return err
	}
	if _, err := step("the same checkpoint again (old 8, size 8)", 8, 8, false, signer, 200); err != nil {
		return err
	}
	if _, err := step("a damaged consistency proof", 8, 13, true, signer, 422); err != nil {
		return err
	}
	other, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return err
	}
	otherSigner, err := note.NewSigner(other)
	if err != nil {
		return err
	}
	if _, err := step("a checkpoint signed by another key", 8, 13, false, otherSigner, 403); err != nil {
		return err
	}
	if _, err := step("an old size above the checkpoint's", 13, 9, false, signer, 400); err != nil {
		return err
	}
	stranger, _, err := note.GenerateKey(rand.Reader, "stranger.example/log")
	if err != nil {
		return err
	}
	strangerSigner, err := note.NewSigner(stranger)
	if err != nil {
		return err
	}
	saved := origin
	origin = "stranger.example/log"
	_, err = step("an origin the witness does not know", 0, 3, false, strangerSigner, 404)
	origin = saved
	if err != nil {
		return err
	}
	if _, err := step("old 8 with a proof to 13", 8, 13, false, signer, 200); err != nil {
		return err
	}
	return nil
}
