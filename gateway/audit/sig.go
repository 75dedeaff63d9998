package audit

import (
	"encoding/asn1"
	"errors"
	"math/big"
)

func parseSig(sig []byte) (r, s *big.Int, err error) {
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil || v.R.Sign() <= 0 || v.S.Sign() <= 0 {
		return nil, nil, errors.New("malformed ECDSA signature")
	}
	return v.R, v.S, nil
}
