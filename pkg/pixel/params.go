// Package pixel implements the pixel contract of the interaction guide: the
// parameter names, the query syntax and the validation every hit must pass.
package pixel

// Parameter names exactly as the interaction guide spells them.
const (
	Application  = "application"
	FmSessionID  = "fm_session_id"
	SessionID    = "session_id"
	CustomerID   = "customer_id"
	VisitorID    = "visitor_id"
	DeviceType   = "device_type"
	DeviceID     = "device_id"
	DeviceUser   = "device_user"
	Interaction  = "interaction"
	ResponseUUID = "response_uuid"
	ItemID       = "item_id"
	SetID        = "set_id"
	SetItemIDs   = "set_item_ids"
	Size         = "size"
)

// Param is the index of a spec parameter in Known; it doubles as its bit in
// the "seen" mask the validator keeps to detect repeats without allocating.
type Param int

// The spec parameters, in the order of Known.
const (
	PApplication Param = iota
	PFmSessionID
	PSessionID
	PCustomerID
	PVisitorID
	PDeviceType
	PDeviceID
	PDeviceUser
	PInteraction
	PResponseUUID
	PItemID
	PSetID
	PSetItemIDs
	PSize
	NumKnown
	Unknown Param = -1
)

// Known holds the spec's parameter names, indexed by Param.
var Known = [NumKnown]string{
	Application, FmSessionID, SessionID, CustomerID, VisitorID, DeviceType,
	DeviceID, DeviceUser, Interaction, ResponseUUID, ItemID, SetID, SetItemIDs, Size,
}

// Lookup returns the Param named name, or Unknown for a parameter the spec
// does not name (those are kept as extras, never dropped).
func Lookup(name []byte) Param {
	for i := range Known {
		if string(name) == Known[i] {
			return Param(i)
		}
	}
	return Unknown
}

// Required lists the parameters every interaction hit must carry, non-empty.
var Required = [...]Param{PApplication, PFmSessionID, PInteraction, PSetID}

func (p Param) bit() uint32 { return 1 << uint(p) }

// IsItemLevel reports whether an interaction is about one item of the look,
// which makes item_id required. item_click is the spec's example; clients
// define their own item_* interactions (e.g. item_add_to_cart).
func IsItemLevel(interaction []byte) bool {
	const prefix = "item_"
	return len(interaction) > len(prefix) && string(interaction[:len(prefix)]) == prefix
}

// IsDeviceType reports whether v is one of the device types the spec accepts.
func IsDeviceType(v []byte) bool {
	return string(v) == "desktop" || string(v) == "mobile"
}
