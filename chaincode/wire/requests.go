package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// IssueRequest is the body of issue: the argument of the chaincode's Issue.
type IssueRequest struct {
	ID           string    `json:"id,omitempty" metadata:",optional"`
	Beneficiary  string    `json:"beneficiary"`
	Amount       string    `json:"amount"`
	MaturityDate string    `json:"maturityDate"`
	Contract     Document  `json:"contract"`
	Invoices     []Invoice `json:"invoices"`
}

// ReasonRequest is the body of reject and reject-financing.
type ReasonRequest struct {
	Reason string `json:"reason,omitempty"`
}

// SplitRequest is the body of split: the parts' amounts as decimal yuan strings.
type SplitRequest struct {
	Parts []string `json:"parts,omitempty"`
}

// TransferRequest is the body of transfer: the receiving account and, for a partial transfer, the
// amount to offer (empty: the whole receivable).
type TransferRequest struct {
	To     string `json:"to"`
	Amount string `json:"amount,omitempty"`
}

// FinancingRequest is the body of request-financing: the bank's MSP ID.
type FinancingRequest struct {
	Bank string `json:"bank"`
}

// DecisionRequest is the body of decide-financing: the bank's decision, "approved" with the annual
// rate in basis points or "rejected" with a reason; both stay private to the parties.
type DecisionRequest struct {
	Decision string `json:"decision"`
	RateBps  int64  `json:"rateBps,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// ApproveRequest is the body of approve-financing: the hash of the terms the bank recorded
// (decide-financing) and whether the financing is without recourse (default: with recourse).
// RateBps instead of TermsHash asks the gateway to record the decision first (Op.DecisionFirst).
type ApproveRequest struct {
	RateBps         int64  `json:"rateBps,omitempty"`
	TermsHash       string `json:"termsHash,omitempty"`
	WithoutRecourse bool   `json:"withoutRecourse,omitempty"`
}

// FinancingRejection is the body of reject-financing: the hash of the reason the bank recorded
// (decide-financing), or the reason itself for the gateway to record first (Op.DecisionFirst).
type FinancingRejection struct {
	Reason    string `json:"reason,omitempty"`
	TermsHash string `json:"termsHash,omitempty"`
}

// ConfigRequest names settings to change in a set-config proposal; an absent (zero) field keeps
// its value: no setting has zero among its allowed values.
type ConfigRequest struct {
	MaxTermDays         int `json:"maxTermDays,omitempty" metadata:",optional"`
	ClockSkewSeconds    int `json:"clockSkewSeconds,omitempty" metadata:",optional"`
	ProposalTTLHours    int `json:"proposalTtlHours,omitempty" metadata:",optional"`
	InstructionTTLHours int `json:"instructionTtlHours,omitempty" metadata:",optional"`
	GraceDays           int `json:"graceDays,omitempty" metadata:",optional"`
}

// SubmitResponse is the gateway's answer to every committed write (HTTP 200) and to a write sent
// to the ordering service whose outcome is not known yet (HTTP 202, Pending): it may still commit,
// under TransactionID; the same request asked again with the same Idempotency-Key follows that
// transaction and answers its real outcome, and GET /v1/transactions/{txId} shows it.
type SubmitResponse struct {
	TransactionID string          `json:"txId"`
	BlockNumber   uint64          `json:"blockNumber"`
	Attempts      int             `json:"attempts,omitempty"`
	Result        json.RawMessage `json:"result"`
	Pending       bool            `json:"pending,omitempty"`
	Message       string          `json:"message,omitempty"`
}

// TxStatus is a transaction's commit status.
type TxStatus struct {
	TransactionID  string `json:"txId"`
	ValidationCode string `json:"validationCode"`
	Valid          bool   `json:"valid"`
	BlockNumber    uint64 `json:"blockNumber"`
}

// StreamEvent is the data of one Server-Sent Event: a chaincode event and its ledger position. The
// SSE id is "<blockNumber>:<txId>"; reconnecting with it as Last-Event-ID continues after it.
type StreamEvent struct {
	BlockNumber   uint64          `json:"blockNumber"`
	TransactionID string          `json:"txId"`
	Name          string          `json:"name"`
	Payload       json.RawMessage `json:"payload"`
}

// WhoAmI is the gateway's answer about the calling identity.
type WhoAmI struct {
	Name        string `json:"name"`
	Account     string `json:"account"`
	Role        string `json:"role"`
	OfflineOnly bool   `json:"offlineOnly"`
}

// NewUser is the body of POST /v1/admin/users. With CSR (a PEM certificate signing request made
// by the user with its own key), the gateway enrolls that request and keeps only the certificate:
// the user signs offline (docs/gateway.md), whatever its organisation.
//
// With Browser, nothing is asked of the CA yet: the gateway answers a one-time enrollment code,
// and the user enrolls in the web console (/enroll) with a key its browser makes and keeps
// (BrowserEnrollment); the gateway never holds that key.
type NewUser struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Secret  string `json:"secret,omitempty"`
	CSR     string `json:"csr,omitempty"`
	Browser bool   `json:"browser,omitempty"`
}

// BrowserEnrollment is the body of POST /v1/enroll: a user registered with NewUser.Browser
// enrolls with its name, the one-time code its admin was given and a PEM certificate signing
// request for its name, made with a key the user's browser holds.
type BrowserEnrollment struct {
	Name string `json:"name"`
	Code string `json:"code"`
	CSR  string `json:"csr"`
}

// RevokeUser is the body of POST /v1/admin/users/{name}/revoke: why (an RFC 5280 reason name such
// as keycompromise, affiliationchanged, superseded, cessationofoperation; empty: unspecified).
type RevokeUser struct {
	Reason string `json:"reason,omitempty"`
}

// RevokeUserResult is the answer: the serial numbers of the user's revoked certificates and the
// CA's certificate revocation list (PEM), which takes effect on the channel once a configuration
// update puts it into the organisation's MSP (scripts/network.sh revoke-user).
type RevokeUserResult struct {
	Name    string   `json:"name"`
	Account string   `json:"account"`
	Serials []string `json:"serials"`
	CRL     string   `json:"crl"`
	// RemovedFromGateway: the gateway held a token, a certificate binding or a wallet entry of the
	// user and removed them (before asking the CA), so the user no longer authenticates there.
	RemovedFromGateway bool `json:"removedFromGateway"`
}

// UserToken is the answer of POST /v1/admin/users/{name}/token: the user's new bearer token,
// shown once; the token before it stopped working when this one was issued.
type UserToken struct {
	Name    string `json:"name"`
	Account string `json:"account"`
	Token   string `json:"token"`
}

// RenewedUser is the answer of POST /v1/admin/users/{name}/renew: the user's new enrollment
// certificate, the one the gateway signs with for the user from now on, and the one it replaced
// (still valid until it expires: Fabric CA revokes nothing when it reenrolls).
type RenewedUser struct {
	Name    string `json:"name"`
	Account string `json:"account"`
	// Serial is the new certificate's serial number in hex, as Fabric CA writes serials.
	Serial           string    `json:"serial"`
	NotBefore        time.Time `json:"notBefore"`
	NotAfter         time.Time `json:"notAfter"`
	Certificate      string    `json:"certificate"`
	PreviousSerial   string    `json:"previousSerial"`
	PreviousNotAfter time.Time `json:"previousNotAfter"`
}

// WalletUser is one user of a gateway's wallet as GET /v1/admin/users lists it: its enrollment
// certificate's serial and expiry, and whether the gateway holds its key (then the gateway renews
// it: POST /v1/admin/users/{name}/renew) or the user does (it renews its certificate itself).
type WalletUser struct {
	Name             string    `json:"name"`
	Account          string    `json:"account"`
	Role             string    `json:"role"`
	Serial           string    `json:"serial"`
	NotAfter         time.Time `json:"notAfter"`
	KeyHeldByGateway bool      `json:"keyHeldByGateway"`
}

// WalletUsers is the answer of GET /v1/admin/users, the first certificate to expire first.
type WalletUsers struct {
	Users []WalletUser `json:"users"`
}

// NewUserResult is the answer: the user's account and its bearer token (shown once).
type NewUserResult struct {
	Name    string `json:"name"`
	Account string `json:"account"`
	Role    string `json:"role"`
	Token   string `json:"token"`
	// Certificate is the enrollment certificate (PEM) of a user enrolled with its own CSR.
	Certificate string `json:"certificate,omitempty"`
	// Resumed: this answer finished a registration that had stopped after the CA step (the
	// account was opened and the token issued now; the CA was not asked again).
	Resumed bool `json:"resumed,omitempty"`
	// EnrollmentCode answers a registration with Browser: the one-time code the user enrolls
	// with in the web console before EnrollmentExpires (shown once; the gateway keeps its hash).
	EnrollmentCode    string     `json:"enrollmentCode,omitempty"`
	EnrollmentExpires *time.Time `json:"enrollmentExpires,omitempty"`
}

// OfflineProposalRequest asks for an unsigned proposal of one write operation, by its name in Ops;
// ID is its {id} path value and Body its request body.
type OfflineProposalRequest struct {
	Operation string          `json:"operation"`
	ID        string          `json:"id,omitempty"`
	Body      json.RawMessage `json:"body,omitempty"`
}

// OfflineDigest is what the caller signs, with the transaction it belongs to. Bytes are the
// bytes themselves (a peer.Proposal, then the transaction's common.Payload) so that the caller can
// read what it commits to and hash them itself; Digest, their SHA-256, is kept for older clients
// and must not be trusted.
type OfflineDigest struct {
	TransactionID string          `json:"txId"`
	Bytes         string          `json:"bytes"`  // base64 of the bytes to sign
	Digest        string          `json:"digest"` // base64 SHA-256 of Bytes
	ExpiresAt     time.Time       `json:"expiresAt"`
	Result        json.RawMessage `json:"result,omitempty"` // after endorsement: the chaincode's answer
}

// OfflineSignature carries the caller's base64 ASN.1 DER ECDSA signature of a digest.
type OfflineSignature struct {
	Signature string `json:"signature"`
}

// DecodeStrict decodes exactly one JSON value into v: unknown fields and trailing data are refused,
// and the message says what was wrong in the caller's terms (field names, not Go types).
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &Error{Kind: KindInvalid, Message: describeJSONError(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Kind: KindInvalid, Message: "request body has data after its JSON value"}
	}
	if field := DuplicateKey(data); field != "" {
		return &Error{Kind: KindInvalid, Message: fmt.Sprintf("field %q is given twice", field)}
	}
	return nil
}

// DuplicateKey returns the first object key that appears twice in the same object of a JSON value
// known to be valid, or "": encoding/json keeps the last silently, so a client could hide a value.
func DuplicateKey(data []byte) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // in an object, the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					return key
				}
				top.keys[key] = true
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object, a key comes next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expect = true
		}
	}
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "request body is empty; send a JSON object"
	case errors.As(err, &syntax):
		return fmt.Sprintf("request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("request body must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("field %q must be a JSON %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "request body ends in the middle of its JSON value"
	}
	return "request body: " + strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names a Go kind as a JSON reader knows it.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	}
	return "object"
}
