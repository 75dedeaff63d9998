package audit

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Checkpoint is the last block an audit verified, signed by the auditor, so that a later audit
// can start after it (recv audit --from-checkpoint) instead of from block 0.
type Checkpoint struct {
	Channel    string `json:"channel"`
	Block      uint64 `json:"block"`
	HeaderHash string `json:"headerHash"` // hex
	Policy     string `json:"policy"`     // the endorsement policy in force after Block`
	PublicKey  string `json:"publicKey"`  // PEM of the auditor's key that signed it
	Signature  []byte `json:"signature"`  // ECDSA (ASN.1) over Digest
}

// Digest is what the auditor signs: SHA-256 of the checkpoint's channel, block, header hash and
// policy.
func (c *Checkpoint) Digest() []byte {
	sum := sha256.Sum256(fmt.Appendf(nil, "recv-audit-checkpoint/v1\n%s\n%d\n%s\n%s\n", c.Channel, c.Block, c.HeaderHash, c.Policy))
	return sum[:]
}

// NewCheckpoint signs pos and the policy in force there with the auditor's ECDSA key (PEM,
// PKCS #8 or SEC 1).
func NewCheckpoint(channel string, pos Position, policy string, keyPEM []byte) (*Checkpoint, error) {
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Channel: channel, Block: pos.Number, HeaderHash: hex.EncodeToString(pos.HeaderHash), Policy: policy,
		PublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))}
	if c.Signature, err = ecdsa.SignASN1(rand.Reader, key, c.Digest()); err != nil {
		return nil, err
	}
	return c, nil
}

// Verify checks the checkpoint's signature, by the key it names or, when keyPEM is given, by that
// private key's public half only, and returns the position to resume after.
func (c *Checkpoint) Verify(keyPEM []byte) (*Position, error) {
	block, _ := pem.Decode([]byte(c.PublicKey))
	if block == nil {
		return nil, errors.New("checkpoint: no public key")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("checkpoint: not an ECDSA key")
	}
	if keyPEM != nil {
		key, err := parseKey(keyPEM)
		if err != nil {
			return nil, err
		}
		if !key.PublicKey.Equal(pub) {
			return nil, errors.New("checkpoint: signed by another key than the one given")
		}
	}
	if !ecdsa.VerifyASN1(pub, c.Digest(), c.Signature) {
		return nil, errors.New("checkpoint: signature does not verify")
	}
	h, err := hex.DecodeString(c.HeaderHash)
	if err != nil || len(h) != sha256.Size {
		return nil, errors.New("checkpoint: bad header hash")
	}
	return &Position{Number: c.Block, HeaderHash: h}, nil
}

func parseKey(keyPEM []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM block in the key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if ek, ok := k.(*ecdsa.PrivateKey); ok {
			return ek, nil
		}
		return nil, errors.New("only ECDSA keys are supported")
	}
	k, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return k, nil
}
