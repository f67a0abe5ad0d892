// Command goverify checks Custos output with Go's reference packages
// (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog), so that the
// test suite proves interoperability rather than agreement with itself.
//
// Usage:
//
//	goverify note VKEY NOTEFILE
//	goverify inclusion VKEY PROOFFILE ENTRYFILE
//	goverify consistency VKEY OLDCHECKPOINT NEWCHECKPOINT PROOFFILE
//	goverify cosignature WITNESS_VKEY NOTEFILE
//	goverify tiles PREFIX_URL VKEY   (tiles.go: a log over HTTP, from tiles alone)
//	goverify gen-key NAME            (witness.go: a note signer key pair)
//	goverify witness-client URL ORIGIN SKEY WITNESS_VKEY [FIRST_OLD]
//	                                 (witness.go: drives a C2SP tlog-witness)
//	goverify gen-witness NAME        (witness_server.go: a cosignature/v1 key pair)
//	goverify witness-server ADDR_FILE NAME SEED LOG_VKEY
//	                                 (witness_server.go: is a C2SP tlog-witness)
//
// VKEY is a note verifier key "<name>+<hex id>+<base64(0x01 || pub)>".
// PROOFFILE for inclusion is a c2sp.org/tlog-proof@v1 text; its entry's
// record hash is SHA-256(0x00 || contents of ENTRYFILE). PROOFFILE for
// consistency holds one base64 hash per line (RFC 9162 order). WITNESS_VKEY
// is a cosignature/v1 key (type byte 0x04) checked against a cosigned note.
//
// Prints "OK" and exits 0 when everything verifies; prints the reason and
// exits 1 when something does not; exits 2 on a usage error.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const proofHeader = "c2sp.org/tlog-proof@v1"

// strictB64 rejects non-canonical trailing bits and embedded newlines.
var strictB64 = base64.StdEncoding.Strict()

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "note":
		needArgs(args, 2)
		_, err = openCheckpointFile(args[0], args[1], false)
	case "inclusion":
		needArgs(args, 3)
		err = checkInclusion(args[0], args[1], args[2])
	case "consistency":
		needArgs(args, 4)
		err = checkConsistency(args[0], args[1], args[2], args[3])
	case "signers":
		if len(args) < 2 {
			usage()
		}
		err = printSigners(args[0], args[1:])
	case "cosignature":
		needArgs(args, 2)
		err = checkCosignature(args[0], args[1])
	case "tiles":
		needArgs(args, 2)
		err = checkTiles(args[0], args[1])
	case "gen-key":
		needArgs(args, 1)
		if err = genKey(args[0]); err == nil {
			return
		}
	case "gen-witness":
		needArgs(args, 1)
		if err = genWitness(args[0]); err == nil {
			return
		}
	case "witness-server":
		needArgs(args, 4)
		err = witnessServe(args[0], args[1], args[2], args[3])
	case "witness-client":
		if len(args) != 4 && len(args) != 5 {
			usage()
		}
		var first int64
		if len(args) == 5 {
			if first, err = parseDecimal(args[4]); err != nil {
				usage()
			}
		}
		err = witnessClient(args[0], args[1], args[2], args[3], first)
	default:
		usage()
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("OK")
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: goverify note VKEY NOTEFILE\n"+
		"       goverify inclusion VKEY PROOFFILE ENTRYFILE\n"+
		"       goverify consistency VKEY OLDCHECKPOINT NEWCHECKPOINT PROOFFILE\n"+
		"       goverify cosignature WITNESS_VKEY NOTEFILE\n"+
		"       goverify signers NOTEFILE VKEY...\n"+
		"       goverify tiles PREFIX_URL VKEY\n"+
		"       goverify gen-key NAME\n"+
		"       goverify witness-client URL ORIGIN SKEY WITNESS_VKEY [FIRST_OLD]\n"+
		"       goverify gen-witness NAME\n"+
		"       goverify witness-server ADDR_FILE NAME SEED LOG_VKEY")
	os.Exit(2)
}

func needArgs(args []string, n int) {
	if len(args) != n {
		usage()
	}
}

// checkpoint is the body of a c2sp.org/tlog-checkpoint note.
type checkpoint struct {
	origin     string
	size       int64
	root       tlog.Hash
	extensions []string
}

// openNote verifies msg with the verifier key vkey and returns its text.
func openNote(vkey string, msg []byte) (string, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return "", fmt.Errorf("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return "", fmt.Errorf("note: %v", err)
	}
	return n.Text, nil
}

// openCheckpoint verifies a checkpoint note and parses its body. When
// checkBody is false only the note signature is checked (the "note"
// subcommand accepts any note text).
func openCheckpoint(vkey string, msg []byte, checkBody bool) (checkpoint, error) {
	text, err := openNote(vkey, msg)
	if err != nil || !checkBody {
		return checkpoint{}, err
	}
	return parseCheckpoint(text)
}

// printSigners opens a signed note (a trust root version) with note.Open and
// the given verifier keys, and prints the name of each key whose signature
// verified, one per line. Lines by other keys are ignored, as the spec says.
func printSigners(path string, vkeys []string) error {
	msg, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var verifiers []note.Verifier
	for _, vkey := range vkeys {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return err
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		return err
	}
	for _, sig := range n.Sigs {
		fmt.Println(sig.Name)
	}
	return nil
}

func openCheckpointFile(vkey, path string, checkBody bool) (checkpoint, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return checkpoint{}, err
	}
	return openCheckpoint(vkey, msg, checkBody)
}

// parseCheckpoint parses "<origin>\n<size>\n<base64 root>\n[extension lines]".
func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return checkpoint{}, errors.New("checkpoint: fewer than three lines")
	}
	if lines[0] == "" {
		return checkpoint{}, errors.New("checkpoint: empty origin")
	}
	size, err := parseDecimal(lines[1])
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint: size: %v", err)
	}
	root, err := parseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint: root: %v", err)
	}
	for _, ext := range lines[3:] {
		if ext == "" {
			return checkpoint{}, errors.New("checkpoint: empty extension line")
		}
	}
	return checkpoint{lines[0], size, root, lines[3:]}, nil
}

// parseDecimal accepts a non-negative int64 with no sign and no leading zeros.
func parseDecimal(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("%q is not a canonical decimal", s)
	}
	return n, nil
}

func parseHash(s string) (tlog.Hash, error) {
	b, err := strictB64.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return tlog.Hash{}, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h, nil
}

// tlogProof is a parsed c2sp.org/tlog-proof@v1 file.
type tlogProof struct {
	index      int64
	hashes     []tlog.Hash
	checkpoint []byte // the signed note, verbatim
}

func parseProof(data []byte) (tlogProof, error) {
	var p tlogProof
	rest := string(data)
	line, rest, _ := strings.Cut(rest, "\n")
	if line != proofHeader {
		return p, fmt.Errorf("proof: first line is not %q", proofHeader)
	}
	line, rest, _ = strings.Cut(rest, "\n")
	if strings.HasPrefix(line, "extra ") {
		if _, err := strictB64.DecodeString(line[len("extra "):]); err != nil {
			return p, errors.New("proof: extra data is not base64")
		}
		line, rest, _ = strings.Cut(rest, "\n")
	}
	if !strings.HasPrefix(line, "index ") {
		return p, errors.New("proof: missing index line")
	}
	index, err := parseDecimal(line[len("index "):])
	if err != nil {
		return p, fmt.Errorf("proof: index: %v", err)
	}
	p.index = index
	return parseProofHashes(p, rest)
}

// parseProofHashes reads hash lines up to the blank line; the rest is the checkpoint.
func parseProofHashes(p tlogProof, rest string) (tlogProof, error) {
	for {
		line, tail, found := strings.Cut(rest, "\n")
		if !found {
			return p, errors.New("proof: no blank line before the checkpoint")
		}
		rest = tail
		if line == "" {
			break
		}
		h, err := parseHash(line)
		if err != nil {
			return p, fmt.Errorf("proof: hash %d: %v", len(p.hashes), err)
		}
		p.hashes = append(p.hashes, h)
	}
	p.checkpoint = []byte(rest)
	return p, nil
}

func checkInclusion(vkey, proofPath, entryPath string) error {
	data, err := os.ReadFile(proofPath)
	if err != nil {
		return err
	}
	entry, err := os.ReadFile(entryPath)
	if err != nil {
		return err
	}
	p, err := parseProof(data)
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(vkey, p.checkpoint, true)
	if err != nil {
		return err
	}
	if p.index >= cp.size {
		return fmt.Errorf("inclusion: index %d is not below tree size %d", p.index, cp.size)
	}
	if err := tlog.CheckRecord(p.hashes, cp.size, cp.root, p.index, tlog.RecordHash(entry)); err != nil {
		return fmt.Errorf("inclusion: %v", err)
	}
	return nil
}

func readHashLines(path string) ([]tlog.Hash, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil // an empty proof (equal sizes, or from the empty tree)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		return nil, errors.New("consistency proof: last line does not end with a newline")
	}
	var hashes []tlog.Hash
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		h, err := parseHash(line)
		if err != nil {
			return nil, fmt.Errorf("consistency proof: line %d: %v", i+1, err)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

func checkConsistency(vkey, oldPath, newPath, proofPath string) error {
	oldCp, err := openCheckpointFile(vkey, oldPath, true)
	if err != nil {
		return fmt.Errorf("old checkpoint: %v", err)
	}
	newCp, err := openCheckpointFile(vkey, newPath, true)
	if err != nil {
		return fmt.Errorf("new checkpoint: %v", err)
	}
	proof, err := readHashLines(proofPath)
	if err != nil {
		return err
	}
	return checkTrees(oldCp, newCp, proof)
}

// checkTrees applies RFC 9162 §2.1.4.2, with the edge cases tlog.CheckTree
// does not take (an empty old tree).
func checkTrees(oldCp, newCp checkpoint, proof []tlog.Hash) error {
	if oldCp.origin != newCp.origin {
		return fmt.Errorf("consistency: origins differ: %q and %q", oldCp.origin, newCp.origin)
	}
	if oldCp.size > newCp.size {
		return fmt.Errorf("consistency: old size %d is larger than new size %d", oldCp.size, newCp.size)
	}
	if oldCp.size == 0 {
		// Every tree extends the empty tree; the proof is empty.
		if len(proof) != 0 || oldCp.root != tlog.Hash(sha256.Sum256(nil)) {
			return errors.New("consistency: bad proof from the empty tree")
		}
		return nil
	}
	if err := tlog.CheckTree(proof, newCp.size, newCp.root, oldCp.size, oldCp.root); err != nil {
		return fmt.Errorf("consistency: %v", err)
	}
	return nil
}

// cosigVerifier verifies c2sp.org/tlog-cosignature cosignature/v1 lines.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }

// Verify checks timestamp(8, big-endian) || Ed25519 signature over
// "cosignature/v1\ntime <T>\n" || note text.
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	if t > 1<<63-1 {
		return false
	}
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}

// newCosigVerifier parses "<name>+<hex id>+<base64(0x04 || pub)>" and checks the id.
func newCosigVerifier(vkey string) (*cosigVerifier, error) {
	name, rest, _ := strings.Cut(vkey, "+")
	hexID, b64, _ := strings.Cut(rest, "+")
	id, err := strconv.ParseUint(hexID, 16, 32)
	key, kerr := strictB64.DecodeString(b64)
	if name == "" || len(hexID) != 8 || err != nil || kerr != nil || len(key) != 33 || key[0] != 0x04 {
		return nil, errors.New("witness key: malformed")
	}
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	if binary.BigEndian.Uint32(h[:4]) != uint32(id) {
		return nil, errors.New("witness key: key id does not match")
	}
	return &cosigVerifier{name, uint32(id), ed25519.PublicKey(key[1:])}, nil
}

func checkCosignature(wkey, notePath string) error {
	v, err := newCosigVerifier(wkey)
	if err != nil {
		return err
	}
	msg, err := os.ReadFile(notePath)
	if err != nil {
		return err
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		return fmt.Errorf("cosignature: %v", err)
	}
	return nil
}
