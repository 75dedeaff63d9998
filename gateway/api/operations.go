package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
)

// operation turns a REST request (path id and JSON body) into a chaincode transaction and its
// arguments (docs/interfaces.md section 1). The same table serves the direct endpoints and the
// offline-signing endpoint, so both build identical proposals.
type operation struct {
	tx    string
	build func(id string, body json.RawMessage) ([]string, error)
}

var operations = map[string]operation{
	"issue":             {"Issue", buildIssue},
	"accept":            {"Accept", idOnly},
	"reject":            {"Reject", idAnd("reason", false)},
	"revoke":            {"Revoke", idOnly},
	"split":             {"Split", buildSplit},
	"transfer":          {"Transfer", buildTransfer},
	"request-financing": {"RequestFinancing", idAnd("bank", true)},
	"approve-financing": {"ApproveFinancing", buildApprove},
	"reject-financing":  {"RejectFinancing", idAnd("reason", false)},
	"redeem":            {"Redeem", idOnly},
	"redeem-all":        {"RedeemAll", idOnly},
	"set-config":        {"SetConfig", buildConfig},
}

func decodeBody(body json.RawMessage, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: " + err.Error())
	}
	return nil
}

func idOnly(id string, _ json.RawMessage) ([]string, error) {
	if id == "" {
		return nil, badRequest("id is required")
	}
	return []string{id}, nil
}

// idAnd builds (id, body[field]); required says whether the field may be empty.
func idAnd(field string, required bool) func(string, json.RawMessage) ([]string, error) {
	return func(id string, body json.RawMessage) ([]string, error) {
		if id == "" {
			return nil, badRequest("id is required")
		}
		m := map[string]string{}
		if err := decodeBody(body, &m); err != nil {
			return nil, err
		}
		for k := range m {
			if k != field {
				return nil, badRequest("unknown field " + strconv.Quote(k))
			}
		}
		if required && m[field] == "" {
			return nil, badRequest(field + " is required")
		}
		return []string{id, m[field]}, nil
	}
}

// IssueRequest is the body of POST /v1/receivables, passed to the chaincode's Issue as JSON.
type IssueRequest struct {
	ID           string    `json:"id,omitempty"`
	Beneficiary  string    `json:"beneficiary"`
	Amount       string    `json:"amount"`
	MaturityDate string    `json:"maturityDate"`
	Contract     Document  `json:"contract"`
	Invoices     []Invoice `json:"invoices"`
}

// Document is a trade document by number and SHA-256.
type Document struct {
	Number string `json:"number"`
	SHA256 string `json:"sha256"`
}

// Invoice is an invoice by number, SHA-256 and amount.
type Invoice struct {
	Number string `json:"number"`
	SHA256 string `json:"sha256"`
	Amount string `json:"amount"`
}

func buildIssue(_ string, body json.RawMessage) ([]string, error) {
	var req IssueRequest
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return []string{string(b)}, nil
}

// IssueIDForKey derives a receivable id from the caller and its Idempotency-Key, so that a
// retried Issue without an id carries the same id and the chaincode refuses a second issue even
// after the gateway restarted and forgot the key.
func IssueIDForKey(caller, key string) string {
	sum := sha256.Sum256([]byte(caller + "\x00" + key))
	return "RK" + strings.ToUpper(hex.EncodeToString(sum[:]))[:22]
}

func buildSplit(id string, body json.RawMessage) ([]string, error) {
	var req struct {
		Parts []string `json:"parts"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if id == "" || len(req.Parts) == 0 {
		return nil, badRequest("id and parts are required")
	}
	b, _ := json.Marshal(req.Parts)
	return []string{id, string(b)}, nil
}

func buildTransfer(id string, body json.RawMessage) ([]string, error) {
	var req struct {
		To     string `json:"to"`
		Amount string `json:"amount"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if id == "" || req.To == "" {
		return nil, badRequest("id and to are required")
	}
	return []string{id, req.To, req.Amount}, nil
}

func buildApprove(id string, body json.RawMessage) ([]string, error) {
	var req struct {
		RateBps *int64 `json:"rateBps"`
	}
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	if id == "" || req.RateBps == nil {
		return nil, badRequest("id and rateBps are required")
	}
	return []string{id, strconv.FormatInt(*req.RateBps, 10)}, nil
}

func buildConfig(_ string, body json.RawMessage) ([]string, error) {
	var req map[string]json.RawMessage
	if err := decodeBody(body, &req); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(req)
	return []string{string(b)}, nil
}
