package recording

import "strings"

// IdentifierKind is the kind of a CommunicationIdentifier, derived from its
// raw id. Values match the REST "kind" strings.
type IdentifierKind string

// Identifier kinds.
const (
	KindCommunicationUser  IdentifierKind = "communicationUser"
	KindPhoneNumber        IdentifierKind = "phoneNumber"
	KindMicrosoftTeamsUser IdentifierKind = "microsoftTeamsUser"
	KindMicrosoftTeamsApp  IdentifierKind = "microsoftTeamsApp"
	KindTeamsPhoneUser     IdentifierKind = "teamsPhoneUser"
	KindUnknown            IdentifierKind = "unknown"
)

// KindOf derives the identifier kind from a raw id: "4:+E164" is a phone
// number, "8:acs:" (and the gcch/dod variants "8:gcch-acs:", "8:dod-acs:",
// and "8:spool:") an ACS user, "8:orgid:" and friends a Teams user,
// "28:orgid:" and friends a Teams application.
func KindOf(rawID string) IdentifierKind {
	switch {
	case strings.HasPrefix(rawID, "4:"):
		return KindPhoneNumber
	case strings.HasPrefix(rawID, "8:acs:"), strings.HasPrefix(rawID, "8:gcch-acs:"),
		strings.HasPrefix(rawID, "8:dod-acs:"), strings.HasPrefix(rawID, "8:spool:"):
		return KindCommunicationUser
	case strings.HasPrefix(rawID, "8:orgid:"), strings.HasPrefix(rawID, "8:gcch:"),
		strings.HasPrefix(rawID, "8:dod:"), strings.HasPrefix(rawID, "8:teamsvisitor:"):
		return KindMicrosoftTeamsUser
	case strings.HasPrefix(rawID, "28:"):
		return KindMicrosoftTeamsApp
	default:
		return KindUnknown
	}
}
