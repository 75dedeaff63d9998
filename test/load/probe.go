package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"time"
)

// quietProbe is what the machine did before a ramp, with nothing submitted: the CPU the network's
// processes used on their own (block commits still in flight, reconciliation, beacon ticks,
// anything that leaks) and how fast one core is (ECDSA P-256 verifications, the peers' main work).
// Measured before every ramp, it tells a network that grew costlier from a machine that slowed.
type quietProbe struct {
	Seconds      float64            `json:"seconds"`
	CPUmsPerSec  map[string]float64 `json:"cpuMsPerSecond"` // by kind, the client left out (it runs the verifications)
	VerifyPerSec float64            `json:"ecdsaVerifyPerSecond"`
}

// probeQuiet measures a quietProbe over d.
func probeQuiet(procs []proc, d time.Duration) quietProbe {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return quietProbe{}
	}
	digest := sha256.Sum256([]byte("bench"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return quietProbe{}
	}
	cpu0 := cpuByKind(procs)
	t0 := time.Now()
	n := 0
	for time.Since(t0) < d {
		ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig)
		n++
	}
	secs := time.Since(t0).Seconds()
	cpu1 := cpuByKind(procs)
	q := quietProbe{Seconds: secs, CPUmsPerSec: map[string]float64{}, VerifyPerSec: float64(n) / secs}
	for _, kind := range processKinds {
		if kind != "client" {
			q.CPUmsPerSec[kind] = (cpu1[kind] - cpu0[kind]) * 1000 / secs
		}
	}
	return q
}

// networkMsPerSec is the probe's CPU of every network process together, in ms per second.
func (q quietProbe) networkMsPerSec() float64 {
	t := 0.0
	for _, v := range q.CPUmsPerSec {
		t += v
	}
	return t
}
