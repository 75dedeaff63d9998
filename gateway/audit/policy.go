package audit

import (
	"fmt"
	"strconv"
	"strings"
)

// Policy is a chaincode endorsement policy in Fabric's signature-policy syntax:
// AND(...), OR(...), OutOf(n, ...) over principals 'MSPID.role' (role member, peer, admin or
// client), e.g. the
// network's AND('CoreMSP.peer',OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer')).
type Policy struct {
	text string
	root *policyNode
}

type policyNode struct {
	n    int           // how many of kids must be satisfied (a gate)
	kids []*policyNode // nil for a principal
	msp  string
	role string // "member" (any identity of msp), "peer", "admin" or "client"
}

// ParsePolicy parses a signature policy string.
func ParsePolicy(s string) (*Policy, error) {
	p := &policyParser{src: strings.ReplaceAll(s, " ", "")}
	n, err := p.node()
	if err != nil {
		return nil, fmt.Errorf("policy %q: %w", s, err)
	}
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("policy %q: unexpected %q", s, p.src[p.pos:])
	}
	return &Policy{text: s, root: n}, nil
}

// String is the policy as it was written.
func (p *Policy) String() string { return p.text }

type policyParser struct {
	src string
	pos int
}

func (p *policyParser) node() (*policyNode, error) {
	rest := p.src[p.pos:]
	switch {
	case strings.HasPrefix(rest, "'"):
		end := strings.IndexByte(rest[1:], '\'')
		if end < 0 {
			return nil, fmt.Errorf("unterminated principal")
		}
		principal := rest[1 : end+1]
		p.pos += end + 2
		dot := strings.LastIndexByte(principal, '.')
		if dot <= 0 {
			return nil, fmt.Errorf("principal %q is not MSPID.role", principal)
		}
		role := principal[dot+1:]
		if role != "peer" && role != "member" && role != "admin" && role != "client" {
			return nil, fmt.Errorf("principal %q: role %q not supported (member, peer, admin, client)", principal, role)
		}
		return &policyNode{msp: principal[:dot], role: role}, nil
	case strings.HasPrefix(rest, "AND("), strings.HasPrefix(rest, "OR("), strings.HasPrefix(rest, "OutOf("):
		op := rest[:strings.IndexByte(rest, '(')]
		p.pos += len(op) + 1
		n := -1
		if op == "OutOf" {
			comma := strings.IndexByte(p.src[p.pos:], ',')
			if comma < 0 {
				return nil, fmt.Errorf("OutOf without a count")
			}
			v, err := strconv.Atoi(p.src[p.pos : p.pos+comma])
			if err != nil || v < 1 {
				return nil, fmt.Errorf("OutOf count %q", p.src[p.pos:p.pos+comma])
			}
			n, p.pos = v, p.pos+comma+1
		}
		g := &policyNode{}
		for {
			kid, err := p.node()
			if err != nil {
				return nil, err
			}
			g.kids = append(g.kids, kid)
			if p.pos >= len(p.src) {
				return nil, fmt.Errorf("unclosed %s(", op)
			}
			c := p.src[p.pos]
			p.pos++
			if c == ')' {
				break
			}
			if c != ',' {
				return nil, fmt.Errorf("unexpected %q", c)
			}
		}
		switch op {
		case "AND":
			g.n = len(g.kids)
		case "OR":
			g.n = 1
		default:
			if n > len(g.kids) {
				return nil, fmt.Errorf("OutOf(%d) of %d", n, len(g.kids))
			}
			g.n = n
		}
		return g, nil
	}
	return nil, fmt.Errorf("unexpected %q", rest)
}

// satisfiedBy reports whether the endorsers satisfy the policy, each endorser standing for one
// principal at most, evaluated like Fabric's cauthdsl: the gate's children in order, each
// satisfied child keeping the endorsers it used.
func (p *Policy) satisfiedBy(endorsers []signer) bool {
	used := make([]bool, len(endorsers))
	return p.root.eval(endorsers, used)
}

func (n *policyNode) eval(es []signer, used []bool) bool {
	if n.kids == nil {
		for i, e := range es {
			if !used[i] && e.msp == n.msp && e.has(n.role) {
				used[i] = true
				return true
			}
		}
		return false
	}
	got := 0
	for _, k := range n.kids {
		trial := append([]bool(nil), used...)
		if k.eval(es, trial) {
			copy(used, trial)
			got++
			if got >= n.n {
				return true
			}
		}
	}
	return false
}
