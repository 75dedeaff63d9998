package api

import (
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// routeMethods are the methods a route may answer to, for the Allow header of a 405.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// strict is the edge every request passes first: an unknown route or method is answered with a
// problem like every other failure (not the mux's plain text), and a request body must be JSON.
func (s *Server) strict(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(w, r)
		return
	}
	if hasBody(r) {
		ct := r.Header.Get("Content-Type")
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			if ct == "" {
				ct = "no Content-Type"
			}
			s.writeError(w, r, &Failure{Kind: wire.KindUnsupportedType, Stage: "request",
				Message: "unsupported_media_type: send the request body as application/json, not " + ct})
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// noRoute answers 405 with the methods the path has, or 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range routeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 && !slices.Contains(allowed, r.Method) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.writeError(w, r, &Failure{Kind: wire.KindNoMethod, Stage: "request",
			Message: "method_not_allowed: " + r.URL.Path + " answers " + strings.Join(allowed, ", ") + ", not " + r.Method})
		return
	}
	s.writeError(w, r, &Failure{Kind: wire.KindNoRoute, Stage: "request",
		Message: "no_route: no route " + r.Method + " " + r.URL.Path + " (docs/openapi.yaml lists them)"})
}

// hasBody reports whether a request carries a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}
