package pixel

import "fmt"

// Error is a client mistake in a pixel query: Param names the offending
// parameter (empty when the query as a whole is at fault).
type Error struct {
	Param  string
	Reason string
}

func (e *Error) Error() string {
	if e.Param == "" {
		return e.Reason
	}
	return fmt.Sprintf("parameter %s %s", e.Param, e.Reason)
}

// IsMissing reports whether err says that the required parameter p is
// absent or empty (the edge then tries the _fmSession cookie).
func IsMissing(err error, p Param) bool {
	e, ok := err.(*Error)
	return ok && e == errRequired[p]
}

// errRequired holds one shared error per parameter, so that a missing
// parameter (the common client mistake, and the edge's cookie fallback probe)
// costs no allocation. Callers must not modify them.
var errRequired = func() (out [NumKnown]*Error) {
	for p := range out {
		out[p] = &Error{Param: Known[p], Reason: "is required"}
	}
	return out
}()

// Hit is what the edge needs from a valid query: the session it is
// partitioned by and the application (for an optional allow-list). Both alias
// the Validator's buffers, so copy them before the next Validate.
type Hit struct {
	FmSessionID []byte
	Application []byte
}

// Validator checks queries against the spec. Its zero value is ready; it is
// not safe for concurrent use, so keep one per goroutine (e.g. in a sync.Pool).
type Validator struct {
	scan    Scanner
	session [MaxValueBytes]byte
	app     [MaxValueBytes]byte
}

// Validate checks raw against the interaction guide and returns the fields
// the edge routes by. It allocates only when the query is rejected for a
// reason other than a missing parameter.
func (v *Validator) Validate(raw []byte) (Hit, error) {
	var (
		seen       uint32 // parameters present
		filled     uint32 // parameters present with a non-empty value
		itemLevel  bool
		sessionLen int
		appLen     int
	)
	s := &v.scan
	s.Reset(raw)
	for s.Next() {
		p := Lookup(s.Key())
		if p == Unknown {
			continue
		}
		if seen&p.bit() != 0 {
			return Hit{}, &Error{Param: Known[p], Reason: "is repeated"}
		}
		seen |= p.bit()
		val := s.Value()
		if len(val) > 0 {
			filled |= p.bit()
		}
		switch p {
		case PDeviceType:
			if len(val) > 0 && !IsDeviceType(val) {
				return Hit{}, &Error{Param: DeviceType, Reason: "must be desktop or mobile"}
			}
		case PInteraction:
			itemLevel = IsItemLevel(val)
		case PFmSessionID:
			sessionLen = copy(v.session[:], val)
		case PApplication:
			appLen = copy(v.app[:], val)
		}
	}
	if err := s.Err(); err != nil {
		return Hit{}, err
	}
	for _, p := range Required {
		if filled&p.bit() == 0 {
			return Hit{}, errRequired[p]
		}
	}
	if itemLevel && filled&PItemID.bit() == 0 {
		return Hit{}, &Error{Param: ItemID, Reason: "is required for item-level interactions"}
	}
	return Hit{FmSessionID: v.session[:sessionLen], Application: v.app[:appLen]}, nil
}
