package audit

import (
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
)

// lifecycleNS is the namespace of Fabric's chaincode lifecycle; a committed chaincode definition
// writes its validation info (the endorsement policy) under validationInfoKey.
const lifecycleNS = "_lifecycle"

func validationInfoKey(chaincode string) string {
	return "namespaces/fields/" + chaincode + "/ValidationInfo"
}

func collectionsKey(chaincode string) string {
	return "namespaces/fields/" + chaincode + "/Collections"
}

func endorsementInfoKey(chaincode string) string {
	return "namespaces/fields/" + chaincode + "/EndorsementInfo"
}

// VersionFromEndorsementInfo reads the version of a committed chaincode definition (the
// _lifecycle value of namespaces/fields/<name>/EndorsementInfo: a StateData holding a
// ChaincodeEndorsementInfo).
func VersionFromEndorsementInfo(value []byte) (string, error) {
	var sd lifecycle.StateData
	if err := proto.Unmarshal(value, &sd); err != nil {
		return "", fmt.Errorf("decode lifecycle state: %w", err)
	}
	var ei lifecycle.ChaincodeEndorsementInfo
	if err := proto.Unmarshal(sd.GetBytes(), &ei); err != nil {
		return "", fmt.Errorf("decode endorsement info: %w", err)
	}
	return ei.GetVersion(), nil
}

// CollectionPolicies reads the endorsement policies of the collections a committed chaincode
// definition wrote (the _lifecycle value of namespaces/fields/<name>/Collections: a StateData
// holding a CollectionConfigPackage), by collection name; a collection without its own policy is
// governed by the chaincode's and is absent.
func CollectionPolicies(value []byte) (map[string]*Policy, error) {
	var sd lifecycle.StateData
	if err := proto.Unmarshal(value, &sd); err != nil {
		return nil, fmt.Errorf("decode lifecycle state: %w", err)
	}
	var pkg peer.CollectionConfigPackage
	if err := proto.Unmarshal(sd.GetBytes(), &pkg); err != nil {
		return nil, fmt.Errorf("decode collection configuration: %w", err)
	}
	out := map[string]*Policy{}
	for _, c := range pkg.GetConfig() {
		sc := c.GetStaticCollectionConfig()
		ap := sc.GetEndorsementPolicy()
		if ap == nil {
			continue
		}
		env := ap.GetSignaturePolicy()
		if env == nil {
			return nil, fmt.Errorf("collection %s: endorsement policy %q is a channel policy reference; only signature policies are audited",
				sc.GetName(), ap.GetChannelConfigPolicyReference())
		}
		root, err := fromSignaturePolicy(env.GetRule(), env.GetIdentities())
		if err != nil {
			return nil, fmt.Errorf("collection %s: %w", sc.GetName(), err)
		}
		out[sc.GetName()] = &Policy{text: root.String(), root: root}
	}
	return out, nil
}

// PolicyFromEnvelope reads a marshalled SignaturePolicyEnvelope: a key's state-based endorsement
// policy as a metadata write (VALIDATION_PARAMETER) carries it.
func PolicyFromEnvelope(raw []byte) (*Policy, error) {
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("decode signature policy: %w", err)
	}
	root, err := fromSignaturePolicy(env.GetRule(), env.GetIdentities())
	if err != nil {
		return nil, err
	}
	return &Policy{text: root.String(), root: root}, nil
}

// PolicyFromValidationInfo reads the endorsement policy a committed chaincode definition wrote
// (the _lifecycle value of namespaces/fields/<name>/ValidationInfo): a lifecycle StateData
// holding a ChaincodeValidationInfo whose parameter is an ApplicationPolicy. Only signature
// policies are supported; a reference to a channel policy is refused.
func PolicyFromValidationInfo(value []byte) (*Policy, error) {
	var sd lifecycle.StateData
	if err := proto.Unmarshal(value, &sd); err != nil {
		return nil, fmt.Errorf("decode lifecycle state: %w", err)
	}
	var vi lifecycle.ChaincodeValidationInfo
	if err := proto.Unmarshal(sd.GetBytes(), &vi); err != nil {
		return nil, fmt.Errorf("decode validation info: %w", err)
	}
	var ap peer.ApplicationPolicy
	if err := proto.Unmarshal(vi.GetValidationParameter(), &ap); err != nil {
		return nil, fmt.Errorf("decode application policy: %w", err)
	}
	env := ap.GetSignaturePolicy()
	if env == nil {
		return nil, fmt.Errorf("endorsement policy %q is a channel policy reference; only signature policies are audited", ap.GetChannelConfigPolicyReference())
	}
	root, err := fromSignaturePolicy(env.GetRule(), env.GetIdentities())
	if err != nil {
		return nil, err
	}
	return &Policy{text: root.String(), root: root}, nil
}

func fromSignaturePolicy(r *common.SignaturePolicy, ids []*msp.MSPPrincipal) (*policyNode, error) {
	switch t := r.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if t.SignedBy < 0 || int(t.SignedBy) >= len(ids) {
			return nil, fmt.Errorf("policy names identity %d of %d", t.SignedBy, len(ids))
		}
		p := ids[t.SignedBy]
		if p.GetPrincipalClassification() != msp.MSPPrincipal_ROLE {
			return nil, fmt.Errorf("policy principal of classification %s not supported", p.GetPrincipalClassification())
		}
		var role msp.MSPRole
		if err := proto.Unmarshal(p.GetPrincipal(), &role); err != nil {
			return nil, fmt.Errorf("decode policy principal: %w", err)
		}
		name, ok := map[msp.MSPRole_MSPRoleType]string{msp.MSPRole_MEMBER: "member", msp.MSPRole_PEER: "peer",
			msp.MSPRole_ADMIN: "admin", msp.MSPRole_CLIENT: "client"}[role.GetRole()]
		if !ok {
			return nil, fmt.Errorf("policy role %s not supported (member, peer, admin, client)", role.GetRole())
		}
		return &policyNode{msp: role.GetMspIdentifier(), role: name}, nil
	case *common.SignaturePolicy_NOutOf_:
		g := &policyNode{n: int(t.NOutOf.GetN())}
		for _, kid := range t.NOutOf.GetRules() {
			k, err := fromSignaturePolicy(kid, ids)
			if err != nil {
				return nil, err
			}
			g.kids = append(g.kids, k)
		}
		if g.n < 1 || g.n > len(g.kids) {
			return nil, fmt.Errorf("policy asks %d of %d", g.n, len(g.kids))
		}
		return g, nil
	}
	return nil, fmt.Errorf("empty signature policy")
}

// String writes the node in the signature-policy syntax ParsePolicy reads.
func (n *policyNode) String() string {
	if n.kids == nil {
		return "'" + n.msp + "." + n.role + "'"
	}
	kids := make([]string, len(n.kids))
	for i, k := range n.kids {
		kids[i] = k.String()
	}
	switch n.n {
	case len(n.kids):
		return "AND(" + strings.Join(kids, ",") + ")"
	case 1:
		return "OR(" + strings.Join(kids, ",") + ")"
	}
	return fmt.Sprintf("OutOf(%d,%s)", n.n, strings.Join(kids, ","))
}
