// Package tlsfiles serves a TLS server's own pair from its two files and reads it again on the
// first handshake after either file changed, so that a pair renewed in place (network.sh renew
// chaincode.ORG, docker.sh renew gateway.ORG) is served from the next connection on without a
// restart, while open connections go on. A pair that does not load (the certificate replaced, its
// key not yet) leaves the last good one served; the next handshake tries again. Used by the
// chaincode servers and the gateways.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
)

// Pair is a server's TLS pair read from its files.
type Pair struct {
	certFile, keyFile string
	// Renewed, when set, is told of each renewed certificate served; Bad of each change of the
	// files that does not load (once per change).
	Renewed func(*x509.Certificate)
	Bad     func(error)

	mu     sync.Mutex
	pair   *tls.Certificate
	stamp  string // the files' sizes and modification times when pair was read
	failed string // the stamp of a change that did not load
}

// Load reads the pair of certFile and keyFile (PEM).
func Load(certFile, keyFile string) (*Pair, error) {
	p := &Pair{certFile: certFile, keyFile: keyFile}
	stamp, err := p.filesStamp()
	if err != nil {
		return nil, err
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	p.pair, p.stamp = &pair, stamp
	return p, nil
}

func (p *Pair) filesStamp() (string, error) {
	stamp := ""
	for _, f := range []string{p.certFile, p.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		stamp += fmt.Sprintf("%d:%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}

// Certificate is the pair to serve now, for tls.Config.GetCertificate.
func (p *Pair) Certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	stamp, err := p.filesStamp()
	if err != nil || stamp == p.stamp || stamp == p.failed {
		return p.pair, nil // unchanged, or a file being replaced
	}
	pair, err := tls.LoadX509KeyPair(p.certFile, p.keyFile)
	if err != nil {
		p.failed = stamp
		if p.Bad != nil {
			p.Bad(fmt.Errorf("the TLS pair %s changed but does not load (%w): the previous certificate is still served", p.certFile, err))
		}
		return p.pair, nil
	}
	p.pair, p.stamp, p.failed = &pair, stamp, ""
	if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err == nil && p.Renewed != nil {
		p.Renewed(leaf)
	}
	return p.pair, nil
}
