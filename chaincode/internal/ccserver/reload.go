package ccserver

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"os"
	"sync"
)

// servedPair is the server's own TLS pair, read from its files and read again on the first
// handshake after either file changed: a pair renewed in place (network.sh renew chaincode.ORG)
// is served from the next connection on, with no restart, while the peer's open connection goes
// on. A pair that does not load (the certificate written, its key not yet) leaves the last good one
// served; the next handshake tries again. The client pin is not reloaded: it is bound to the
// package the peer runs (its connection.json), which only an upgrade changes.
type servedPair struct {
	certFile, keyFile string

	mu     sync.Mutex
	pair   *tls.Certificate
	stamp  string // the files' sizes and modification times when pair was read
	failed string // the stamp of a change that did not load (logged once)
}

func newServedPair(certFile, keyFile string) (*servedPair, error) {
	s := &servedPair{certFile: certFile, keyFile: keyFile}
	stamp, err := s.filesStamp()
	if err != nil {
		return nil, err
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY: %w", err)
	}
	s.pair, s.stamp = &pair, stamp
	return s, nil
}

func (s *servedPair) filesStamp() (string, error) {
	stamp := ""
	for _, f := range []string{s.certFile, s.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		stamp += fmt.Sprintf("%d:%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}

// certificate implements tls.Config.GetCertificate.
func (s *servedPair) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stamp, err := s.filesStamp()
	if err != nil || stamp == s.stamp || stamp == s.failed {
		return s.pair, nil // files being replaced, or unchanged
	}
	pair, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
	if err != nil {
		s.failed = stamp
		log.Printf("TLS pair %s changed but does not load (%v): still serving the previous certificate", s.certFile, err)
		return s.pair, nil
	}
	s.pair, s.stamp, s.failed = &pair, stamp, ""
	if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err == nil {
		log.Printf("serving the renewed TLS certificate %s", describe(leaf))
	}
	return s.pair, nil
}
