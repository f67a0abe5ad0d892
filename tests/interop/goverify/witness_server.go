package main

// goverify gen-witness NAME: prints a new cosignature/v1 witness key pair,
// "SEED VKEY": SEED is the Ed25519 seed in base64, VKEY the verifier key
// "<name>+<hex id>+<base64(0x04 || pub)>" (c2sp.org/tlog-cosignature).
//
// goverify witness-server ADDR_FILE NAME SEED LOG_VKEY: a C2SP tlog-witness
// (c2sp.org/tlog-witness) written from the spec, for the one log LOG_VKEY
// names. It listens on 127.0.0.1 (a port of the OS's choice, written to
// ADDR_FILE as "http://127.0.0.1:PORT"), answers POST /add-checkpoint as the
// spec says (404 another origin, 403 a bad signature, 400 a malformed body or
// an old size above the checkpoint's, 409 with text/x.tlog.size when the old
// size is not the one it holds, 422 a bad consistency proof, 200 with its
// cosignature/v1 line), and logs each answer on stderr, until killed. With
// the environment variable WITNESS_CLAIM=N it instead claims to hold size N
// of the log (409 N to every request): a witness that saw another history.
// With WITNESS_TLS_CERT and WITNESS_TLS_KEY (PEM files) it speaks HTTPS and
// writes "https://127.0.0.1:PORT".

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func witnessKeyID(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.Sum256(append([]byte(name+"\n\x04"), pub...))
	return binary.BigEndian.Uint32(h[:4])
}

func genWitness(name string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	vkey := fmt.Sprintf("%s+%08x+%s", name, witnessKeyID(name, pub),
		base64.StdEncoding.EncodeToString(append([]byte{0x04}, pub...)))
	fmt.Println(base64.StdEncoding.EncodeToString(priv.Seed()), vkey)
	return nil
}

type witnessServer struct {
	name    string
	key     ed25519.PrivateKey
	log     note.Verifier
	claim   int64 // > 0: answer 409 with this size, always
	mu      sync.Mutex
	size    int64
	root    tlog.Hash
	answers int
}

func (w *witnessServer) reply(rw http.ResponseWriter, status int, contentType, body string) {
	rw.Header().Set("Content-Type", contentType)
	rw.WriteHeader(status)
	io.WriteString(rw, body)
	fmt.Fprintf(os.Stderr, "witness-server: %d %s\n", status, strings.TrimSpace(body))
}

// parseAddCheckpoint reads "old N\n", proof hashes one per line, "\n", then the note.
func parseAddCheckpoint(body []byte) (int64, []tlog.Hash, []byte, error) {
	r := bufio.NewReader(strings.NewReader(string(body)))
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "old ") {
		return 0, nil, nil, fmt.Errorf("no old line")
	}
	old, err := parseDecimal(strings.TrimSuffix(line[4:], "\n"))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("old: %v", err)
	}
	var proof []tlog.Hash
	for {
		line, err = r.ReadString('\n')
		if err != nil {
			return 0, nil, nil, fmt.Errorf("no blank line after the proof")
		}
		if line == "\n" {
			break
		}
		h, err := parseHash(strings.TrimSuffix(line, "\n"))
		if err != nil {
			return 0, nil, nil, fmt.Errorf("proof: %v", err)
		}
		proof = append(proof, h)
	}
	rest, _ := io.ReadAll(r)
	return old, proof, rest, nil
}

func (w *witnessServer) addCheckpoint(rw http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.reply(rw, 405, "text/plain", "POST only\n")
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		w.reply(rw, 400, "text/plain", "cannot read the body\n")
		return
	}
	old, proof, msg, err := parseAddCheckpoint(body)
	if err != nil {
		w.reply(rw, 400, "text/plain", err.Error()+"\n")
		return
	}
	origin, _, _ := strings.Cut(string(msg), "\n")
	if origin != w.log.Name() {
		w.reply(rw, 404, "text/plain", "unknown log "+origin+"\n")
		return
	}
	n, err := note.Open(msg, note.VerifierList(w.log))
	if err != nil {
		w.reply(rw, 403, "text/plain", "the checkpoint does not verify: "+err.Error()+"\n")
		return
	}
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		w.reply(rw, 400, "text/plain", err.Error()+"\n")
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.claim > 0 {
		w.reply(rw, 409, "text/x.tlog.size", fmt.Sprintf("%d\n", w.claim))
		return
	}
	if old > cp.size {
		w.reply(rw, 400, "text/plain", "old size above the checkpoint's\n")
		return
	}
	if old != w.size {
		w.reply(rw, 409, "text/x.tlog.size", fmt.Sprintf("%d\n", w.size))
		return
	}
	if old == cp.size {
		if old > 0 && cp.root != w.root {
			w.reply(rw, 409, "text/x.tlog.size", fmt.Sprintf("%d\n", w.size))
			return
		}
	} else if old == 0 {
		if len(proof) != 0 {
			w.reply(rw, 422, "text/plain", "a proof from size 0 must be empty\n")
			return
		}
	} else if err := tlog.CheckTree(proof, cp.size, cp.root, old, w.root); err != nil {
		w.reply(rw, 422, "text/plain", "consistency proof: "+err.Error()+"\n")
		return
	}
	w.size, w.root = cp.size, cp.root
	t := uint64(time.Now().Unix())
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), []byte(n.Text)...)
	blob := make([]byte, 4, 4+8+ed25519.SignatureSize)
	binary.BigEndian.PutUint32(blob, witnessKeyID(w.name, w.key.Public().(ed25519.PublicKey)))
	blob = binary.BigEndian.AppendUint64(blob, t)
	blob = append(blob, ed25519.Sign(w.key, signed)...)
	w.reply(rw, 200, "text/plain; charset=utf-8", fmt.Sprintf("— %s %s\n", w.name, base64.StdEncoding.EncodeToString(blob)))
}

func witnessServe(addrFile, name, seed, logVkey string) error {
	s, err := base64.StdEncoding.DecodeString(seed)
	if err != nil || len(s) != ed25519.SeedSize {
		return fmt.Errorf("seed: not a base64 Ed25519 seed")
	}
	logVerifier, err := note.NewVerifier(logVkey)
	if err != nil {
		return fmt.Errorf("log key: %v", err)
	}
	w := &witnessServer{name: name, key: ed25519.NewKeyFromSeed(s), log: logVerifier}
	if c := os.Getenv("WITNESS_CLAIM"); c != "" {
		if w.claim, err = parseDecimal(c); err != nil {
			return fmt.Errorf("WITNESS_CLAIM: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cert, key := os.Getenv("WITNESS_TLS_CERT"), os.Getenv("WITNESS_TLS_KEY")
	scheme := "http://"
	if cert != "" {
		scheme = "https://"
	}
	if err := os.WriteFile(addrFile, []byte(scheme+ln.Addr().String()), 0o644); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/add-checkpoint", w.addCheckpoint)
	if cert != "" {
		return http.ServeTLS(ln, mux, cert, key)
	}
	return http.Serve(ln, mux)
}
